"""Source 003's listings (lines 189-515): the Time Machine pipeline, the language model, prediction and the
training loop, as the source defines its helpers (d2l's, with d2l's own module removed).

The listing cannot run as printed: it builds ``nn.RNN(len(vocab), ...)`` and ``torch.zeros((1, batch_size,
...))`` before any ``vocab`` or ``batch_size`` exists, loops over ``train_iter``, which nothing defines
(``load_data_time_machine`` is defined but never called), and for ``num_epoches``, a typo for the
``num_epochs`` it set. :func:`training_run` supplies them the way d2l does (``train_iter, vocab =
load_data_time_machine(batch_size, num_steps)``) and runs the rest as written. Its random sampler draws
from the ``random`` module's global generator, as the listing's does.
"""

from __future__ import annotations

import collections
import hashlib
import random
import re
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from reference.common.shapecheck import Int, Tensor, checked

#: Line 198: the hash the listing stores for timemachine.txt, under the name ``dataset_sha256``.
DATASET_HASH = "090b5e7e70c295757f55df93cb0a180b9691891a"


def cached_file(path: Path, expected: str = DATASET_HASH) -> Path:
    """Lines 206-224 (``download``), offline: the cached file is used when the SHA-1 of its bytes, read in
    1 MiB blocks, equals the stored hash; otherwise the listing would fetch it again (here: an error)."""
    sha1 = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1048576), b""):
            sha1.update(block)
    if sha1.hexdigest() != expected:
        raise FileNotFoundError(f"{path}: sha1 {sha1.hexdigest()} is not {expected}: the listing would download it")
    return path


def read_time_machine(path: Path) -> list:
    """Lines 227-231: every run of non-letters becomes one space, then strip and lower-case, line by line."""
    with open(cached_file(path)) as f:
        return [re.sub("[^A-Za-z]+", " ", line).strip().lower() for line in f.readlines()]


def tokenize(lines, token: str = "char"):
    """Lines 233-240: words split on single spaces, or characters; another token type prints an error and
    returns None."""
    if token == "word":
        return [line.split(" ") for line in lines]
    if token == "char":
        return [list(line) for line in lines]
    print("error: unknown token type: " + token)
    return None


def count_corpus(tokens) -> collections.Counter:
    """Lines 286-292: frequencies of a flat list, or of a list of lines flattened first."""
    if len(tokens) == 0 or isinstance(tokens[0], list):
        tokens = [t for line in tokens for t in line]
    return collections.Counter(tokens)


class Vocab:
    """Lines 243-284: <unk> at 0, the reserved tokens, then tokens by descending frequency (sorted() is
    stable, so ties keep the Counter's order, first appearance) until one falls below ``min_freq``."""

    def __init__(self, tokens=None, min_freq: int = 0, reserved_tokens=None):
        counter = count_corpus(tokens or [])
        self._token_freqs = sorted(counter.items(), key=lambda kv: kv[1], reverse=True)
        self.idx_to_token = ["<unk>"] + list(reserved_tokens or [])
        self.token_to_idx = {t: i for i, t in enumerate(self.idx_to_token)}
        for token, freq in self._token_freqs:
            if freq < min_freq:
                break
            if token not in self.token_to_idx:
                self.idx_to_token.append(token)
                self.token_to_idx[token] = len(self.idx_to_token) - 1

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self[t] for t in tokens]

    def to_tokens(self, indices):
        if not isinstance(indices, (list, tuple)):
            return self.idx_to_token[indices]
        return [self.idx_to_token[i] for i in indices]

    @property
    def unk(self) -> int:
        return 0

    @property
    def token_freqs(self):
        return self._token_freqs


def load_corpus_time_machine(path: Path, max_tokens: int = -1):
    """Lines 294-305: character tokens, the vocabulary (whose token list the listing prints), the corpus as
    one flat list of indices, cut to ``max_tokens`` when positive. Returns (corpus, vocab, printed list)."""
    tokens = tokenize(read_time_machine(path), "char")
    vocab = Vocab(tokens)
    printed = list(vocab.idx_to_token)
    corpus = [vocab[t] for line in tokens for t in line]
    if max_tokens > 0:
        corpus = corpus[:max_tokens]
    return corpus, vocab, printed


def seq_data_iter_random(corpus: list, batch_size: int, num_steps: int):
    """Lines 307-329, on the global ``random`` generator: an offset in [0, num_steps - 1], then batches of
    shuffled num_steps-long windows, X and Y built from Python lists by ``torch.tensor`` (int64)."""
    corpus = corpus[random.randint(0, num_steps - 1) :]
    num_subseqs = (len(corpus) - 1) // num_steps
    starts = list(range(0, num_subseqs * num_steps, num_steps))
    random.shuffle(starts)
    for i in range(0, batch_size * (num_subseqs // batch_size), batch_size):
        chosen = starts[i : i + batch_size]
        yield (
            torch.tensor([corpus[j : j + num_steps] for j in chosen]),
            torch.tensor([corpus[j + 1 : j + 1 + num_steps] for j in chosen]),
        )


def seq_data_iter_sequential(corpus: list, batch_size: int, num_steps: int):
    """Lines 331-343, on the global ``random`` generator: an offset in [0, num_steps], the rest cut into
    batch_size rows, read num_steps columns at a time."""
    offset = random.randint(0, num_steps)
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    xs = torch.tensor(corpus[offset : offset + num_tokens]).reshape(batch_size, -1)
    ys = torch.tensor(corpus[offset + 1 : offset + 1 + num_tokens]).reshape(batch_size, -1)
    for i in range(0, num_steps * (xs.shape[1] // num_steps), num_steps):
        yield xs[:, i : i + num_steps], ys[:, i : i + num_steps]


class SeqDataLoader:
    """Lines 345-356: each iteration calls the chosen sampler afresh (a new random offset every epoch)."""

    def __init__(self, path: Path, batch_size: int, num_steps: int, use_random_iter: bool, max_tokens: int):
        self.data_iter_fn = seq_data_iter_random if use_random_iter else seq_data_iter_sequential
        self.corpus, self.vocab, self.printed = load_corpus_time_machine(path, max_tokens)
        self.batch_size, self.num_steps = batch_size, num_steps

    def __iter__(self):
        return self.data_iter_fn(self.corpus, self.batch_size, self.num_steps)


def load_data_time_machine(path: Path, batch_size: int, num_steps: int, use_random_iter=False, max_tokens=10000):
    """Lines 358-363: (the loader, its vocabulary); the first 10,000 characters by default."""
    loader = SeqDataLoader(path, batch_size, num_steps, use_random_iter, max_tokens)
    return loader, loader.vocab


class RNNmodel(nn.Module):
    """Lines 375-412: one-hot of the transposed input (``inputs.T.long()``) cast to float32, the layer, a
    linear head over ``Y.reshape(-1, H)`` (of 2H inputs when bidirectional)."""

    def __init__(self, rnn_layer: nn.Module, vocab_size: int):
        super().__init__()
        self.rnn, self.vocab_size, self.num_hiddens = rnn_layer, vocab_size, rnn_layer.hidden_size
        self.num_directions = 2 if rnn_layer.bidirectional else 1
        self.linear = nn.Linear(self.num_hiddens * self.num_directions, vocab_size)

    @checked
    def forward(self, inputs: Int[Tensor, "batch steps"], state):
        x = F.one_hot(inputs.T.long(), self.vocab_size).to(torch.float32)
        y, state = self.rnn(x, state)
        return self.linear(y.reshape((-1, y.shape[-1]))), state

    def begin_state(self, device, batch_size: int = 1):
        shape = (self.num_directions * self.rnn.num_layers, batch_size, self.num_hiddens)
        if not isinstance(self.rnn, nn.LSTM):
            return torch.zeros(shape, device=device)
        return torch.zeros(shape, device=device), torch.zeros(shape, device=device)


def predict_ch8(prefix: str, num_preds: int, net: RNNmodel, vocab: Vocab, device) -> str:
    """Lines 425-440: the first character as a (1, 1) tensor, a warm-up over the rest of the prefix, then
    ``num_preds`` argmax steps. The model stays in whatever mode it is in, with gradients on."""
    state = net.begin_state(batch_size=1, device=device)
    outputs = [vocab[prefix[0]]]

    def last():
        return torch.tensor([outputs[-1]], device=device).reshape((1, 1))

    for ch in prefix[1:]:
        _, state = net(last(), state)
        outputs.append(vocab[ch])
    for _ in range(num_preds):
        y, state = net(last(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return "".join(vocab.idx_to_token[i] for i in outputs)


def sgd(params, lr: float, batch_size: int) -> None:
    """Lines 455-461: ``param -= lr * grad / batch_size`` under no_grad, then the gradient zeroed."""
    with torch.no_grad():
        for param in params:
            param -= lr * param.grad / batch_size
            param.grad.zero_()


def grad_clipping(net, theta: float) -> None:
    """Lines 470-479: the global norm over a module's parameters (a list, so both passes see them all);
    above theta every gradient is scaled in place by theta / norm (a 0-d tensor)."""
    params = [p for p in net.parameters() if p.requires_grad] if isinstance(net, nn.Module) else net.params
    norm = torch.sqrt(sum(torch.sum(p.grad**2) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def make_net(kind: str, vocab_size: int, num_hiddens: int = 256) -> RNNmodel:
    """Lines 367-369 and 446-449: the four models the listing offers (rnn, gru, lstm of 2 layers, lstm of
    32), each a layer of ``vocab_size`` inputs inside RNNmodel."""
    layer = {
        "rnn": lambda: nn.RNN(vocab_size, num_hiddens),
        "gru": lambda: nn.GRU(vocab_size, num_hiddens),
        "lstm": lambda: nn.LSTM(vocab_size, num_hiddens, 2),
        "deep-lstm": lambda: nn.LSTM(vocab_size, num_hiddens, 32),
    }[kind]()
    return RNNmodel(layer, vocab_size=vocab_size)


def training_run(
    net: RNNmodel, train_iter, num_epochs: int, lr: float = 0.5, use_random_iter: bool = False, minibatches: int = 0
):
    """Lines 450-515 with ``train_iter`` and ``num_epochs`` supplied: torch.optim.SGD(lr), per minibatch a
    fresh state when the epoch starts or under random sampling, else the state detached in place; the mean
    cross-entropy (``.mean()`` of a 0-d loss), clipping at 1, a step; every loss kept in ``res`` with its
    graph. Returns (what each epoch prints, [every loss as a float]); ``minibatches`` > 0 stops each epoch
    early (to keep a check cheap)."""
    device = next(net.parameters()).device
    loss = nn.CrossEntropyLoss()
    updater = torch.optim.SGD(net.parameters(), lr)
    printed, losses = [], []
    for _ in range(num_epochs):
        state, res = None, []
        for n, (X, Y) in enumerate(train_iter):
            if minibatches and n == minibatches:
                break
            if state is None or use_random_iter:
                state = net.begin_state(batch_size=X.shape[0], device=device)
            elif not isinstance(state, tuple):
                state.detach_()
            else:
                for s in state:
                    s.detach_()
            y = Y.T.reshape(-1)
            X, y = X.to(device), y.to(device)
            y_hat, state = net(X, state)
            l = loss(y_hat, y.long()).mean()  # noqa: E741 (the listing's name)
            updater.zero_grad()
            l.backward()
            grad_clipping(net, 1)
            updater.step()
            res.append(l)
            losses.append(l.item())
        printed.append(f"困惑度{res[-1]!s}")  # the tensor's str, as the listing's format() gives
    return printed, losses
