"""Source 004's listings (lines 26-142): the lyrics pipeline, ``data_iter_consecutive``, ``RNNModel`` and
``train_and_predict_rnn_pytorch``, with the helpers it calls but does not define restated from where it says
its code comes from (line 3, Dive-into-DL-PyTorch): ``to_onehot``, ``grad_clipping(params, theta, device)``
and ``predict_rnn_pytorch``.

Two of those helpers matter to what runs. ``to_onehot`` gives a list of [batch, vocab] float32 tensors, one
per step. ``grad_clipping`` walks its ``params`` twice (once to sum the squares, once to scale); 004 passes
``model.parameters()``, a generator, which the first walk exhausts, so the second scales nothing: the
listing's clipping never clips.

The from-scratch LSTM of the same book's chapter (hand-written gates, minibatch SGD at lr 1e2 with clipping
at 1e-2, the hyper-parameters 004's line 29 copies) is :func:`scratch_params` / :func:`scratch_lstm` /
:func:`train_scratch`, the run ``benchmarks/listings.py`` reproduces.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from reference.common.shapecheck import Float, Tensor, checked

#: Line 29: num_epochs, num_steps, batch_size, lr, clipping_theta.
SETTINGS = {"num_epochs": 160, "num_steps": 35, "batch_size": 32, "lr": 1e2, "clipping_theta": 1e-2}


def corpus(path: Path):
    """Lines 31-36: line breaks (\\n and \\r) to spaces, the first 10,000 characters, ``list(set(...))`` as
    the index-to-character list (its order is the process's string hashing), the corpus as indices.
    Returns (idx_to_char, char_to_idx, vocab_size, corpus_indices)."""
    with zipfile.ZipFile(path) as z, z.open("jaychou_lyrics.txt") as f:
        corpus_chars = f.read().decode("utf-8")
    corpus_chars = corpus_chars.replace("\n", " ").replace("\r", " ")[0:10000]
    idx_to_char = list(set(corpus_chars))
    char_to_idx = {char: i for i, char in enumerate(idx_to_char)}
    return idx_to_char, char_to_idx, len(char_to_idx), [char_to_idx[c] for c in corpus_chars]


def data_iter_consecutive(corpus_indices: list, batch_size: int, num_steps: int, device=None):
    """Lines 53-65: the indices as a float32 tensor, cut into batch_size rows of len // batch_size, then
    (rows - 1) // num_steps minibatches of adjacent windows; X and Y are float32."""
    if device is None:
        device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    indices = torch.tensor(corpus_indices, dtype=torch.float32, device=device)
    batch_len = len(indices) // batch_size
    rows = indices[0 : batch_size * batch_len].view(batch_size, batch_len)
    for i in range((batch_len - 1) // num_steps):
        i = i * num_steps
        yield rows[:, i : i + num_steps], rows[:, i + 1 : i + num_steps + 1]


def one_hot(x: Tensor, n_class: int, dtype=torch.float32) -> Tensor:
    """The book's one_hot: the indices cast to int64, a 1 scattered into a zero [len, n_class] matrix."""
    x = x.long()
    res = torch.zeros(x.shape[0], n_class, dtype=dtype, device=x.device)
    res.scatter_(1, x.view(-1, 1), 1)
    return res


def to_onehot(X: Tensor, n_class: int) -> list:
    """The book's to_onehot: a [batch, steps] minibatch to a list of ``steps`` [batch, n_class] tensors."""
    return [one_hot(X[:, i], n_class) for i in range(X.shape[1])]


def grad_clipping(params, theta: float, device) -> float:
    """The book's grad_clipping(params, theta, device): one walk over ``params`` sums the squared gradients
    into a norm (a Python float), a second walk scales each gradient by theta / norm when norm > theta.
    Returns the norm. Given a generator, the second walk finds it exhausted."""
    norm = torch.tensor([0.0], device=device)
    for param in params:
        norm += (param.grad.data**2).sum()
    norm = norm.sqrt().item()
    if norm > theta:
        for param in params:
            param.grad.data *= theta / norm
    return norm


class RNNModel(nn.Module):
    """Lines 75-91: the one-hot list stacked into [steps, batch, vocab], the layer, a dense head over
    ``Y.view(-1, H)``; the state is also kept on the module."""

    def __init__(self, rnn_layer: nn.Module, vocab_size: int):
        super().__init__()
        self.rnn = rnn_layer
        self.hidden_size = rnn_layer.hidden_size * (2 if rnn_layer.bidirectional else 1)
        self.vocab_size = vocab_size
        self.dense = nn.Linear(self.hidden_size, vocab_size)
        self.state = None

    @checked
    def forward(self, inputs: Tensor, state: Any) -> tuple[Float[Tensor, "rows {self.vocab_size}"], Any]:
        """Inputs [batch, steps]: float32 indices from data_iter_consecutive, int64 from the prediction (to_onehot
        casts both to int64)."""
        X = to_onehot(inputs, self.vocab_size)
        Y, self.state = self.rnn(torch.stack(X), state)
        return self.dense(Y.view(-1, Y.shape[-1])), self.state


def predict_rnn_pytorch(
    prefix: str, num_chars: int, model: RNNModel, vocab_size: int, device, idx_to_char, char_to_idx
) -> str:
    """The book's predict_rnn_pytorch: the prefix fed one character at a time as a (1, 1) tensor, then
    ``num_chars`` argmax characters."""
    state, output = None, [char_to_idx[prefix[0]]]
    for t in range(num_chars + len(prefix) - 1):
        X = torch.tensor([output[-1]], device=device).view(1, 1)
        if state is not None:
            state = (state[0].to(device), state[1].to(device)) if isinstance(state, tuple) else state.to(device)
        Y, state = model(X, state)
        output.append(char_to_idx[prefix[t + 1]] if t < len(prefix) - 1 else int(Y.argmax(dim=1).item()))
    return "".join(idx_to_char[i] for i in output)


def train_and_predict(
    model: RNNModel,
    device,
    corpus_indices,
    num_epochs: int,
    num_steps: int,
    lr: float,
    clipping_theta: float,
    batch_size: int,
    minibatches: int = 0,
    clip=grad_clipping,
):
    """Lines 97-135: Adam(lr), the state set to None once before the epochs, detached (not in place) before
    each minibatch, the mean cross-entropy against ``Y.T.contiguous().view(-1)`` cast to int64, clipping of
    ``model.parameters()`` (a generator), a step; the epoch's perplexity exp(l_sum / n), inf on overflow.
    Returns ([(perplexity, [(norm, clipped?) per minibatch])] per epoch). ``minibatches`` > 0 stops each epoch
    early (to keep a check cheap)."""
    loss = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.to(device)
    state, out = None, []
    for _ in range(num_epochs):
        l_sum, n, clipping = 0.0, 0, []
        for k, (X, Y) in enumerate(data_iter_consecutive(corpus_indices, batch_size, num_steps, device)):
            if minibatches and k == minibatches:
                break
            if state is not None:
                state = (state[0].detach(), state[1].detach()) if isinstance(state, tuple) else state.detach()
            output, state = model(X, state)
            y = torch.transpose(Y, 0, 1).contiguous().view(-1)
            l = loss(output, y.long())  # noqa: E741 (the listing's name)
            optimizer.zero_grad()
            l.backward()
            before = [p.grad.clone() for p in model.parameters()]
            norm = clip(model.parameters(), clipping_theta, device)
            clipping.append((norm, any(not torch.equal(b, p.grad) for b, p in zip(before, model.parameters()))))
            optimizer.step()
            l_sum += l.item() * y.shape[0]
            n += y.shape[0]
        try:
            perplexity = math.exp(l_sum / n)
        except OverflowError:
            perplexity = float("inf")
        out.append((perplexity, clipping))
    return out


# --- the book's from-scratch LSTM, whose hyper-parameters line 29 copies ------------------------------------


def scratch_params(num_inputs: int, num_hiddens: int, num_outputs: int, device="cpu") -> list:
    """Weights drawn from N(0, 0.01^2), biases zero, in the book's order: (W_xi, W_hi, b_i), (W_xf, W_hf,
    b_f), (W_xo, W_ho, b_o), (W_xc, W_hc, b_c), W_hq, b_q; every weight [inputs, outputs] (``X @ W``)."""

    def normal(shape):
        return nn.Parameter(torch.tensor(torch.randn(shape).numpy() * 0.01, device=device, dtype=torch.float32))

    def gate():
        return (
            normal((num_inputs, num_hiddens)),
            normal((num_hiddens, num_hiddens)),
            nn.Parameter(torch.zeros(num_hiddens, device=device, dtype=torch.float32)),
        )

    params = [*gate(), *gate(), *gate(), *gate()]
    params += [normal((num_hiddens, num_outputs)), nn.Parameter(torch.zeros(num_outputs, device=device))]
    return params


@checked
def scratch_step(
    x: Float[Tensor, "batch d"], h: Float[Tensor, "batch h"], c: Float[Tensor, "batch h"], params: list
) -> tuple[Float[Tensor, "batch h"], Float[Tensor, "batch h"], Float[Tensor, "batch q"]]:
    """One step of the book's ``lstm``: gates from X @ W_x* + H @ W_h* + b_*, the candidate through tanh,
    C = F * C + I * C~, H = O * tanh(C), the output H @ W_hq + b_q."""
    w_xi, w_hi, b_i, w_xf, w_hf, b_f, w_xo, w_ho, b_o, w_xc, w_hc, b_c, w_hq, b_q = params
    i = torch.sigmoid(x @ w_xi + h @ w_hi + b_i)
    f = torch.sigmoid(x @ w_xf + h @ w_hf + b_f)
    o = torch.sigmoid(x @ w_xo + h @ w_ho + b_o)
    c_tilde = torch.tanh(x @ w_xc + h @ w_hc + b_c)
    c = f * c + i * c_tilde
    h = o * c.tanh()
    return h, c, h @ w_hq + b_q


def scratch_lstm(inputs: list, state: tuple, params: list):
    """The book's ``lstm(inputs, state, params)``: the list of per-step inputs through :func:`scratch_step`;
    returns (the list of per-step outputs, (H, C))."""
    h, c = state
    outputs = []
    for x in inputs:
        h, c, y = scratch_step(x, h, c, params)
        outputs.append(y)
    return outputs, (h, c)


def scratch_sgd(params: list, lr: float, batch_size: int) -> None:
    """The book's sgd: ``param.data -= lr * param.grad / batch_size`` (called with batch_size 1: the loss is
    already a mean)."""
    for param in params:
        param.data -= lr * param.grad / batch_size


def train_scratch(
    corpus_indices,
    vocab_size: int,
    device="cpu",
    num_hiddens: int = 256,
    num_epochs: int = 160,
    num_steps: int = 35,
    batch_size: int = 32,
    lr: float = 1e2,
    clipping_theta: float = 1e-2,
    log=None,
) -> list:
    """The book's from-scratch training with consecutive sampling: the state reset to zeros at each epoch's
    start and detached in place before each minibatch, the mean cross-entropy, gradients zeroed, backward,
    grad_clipping of the parameter *list* (so it clips), sgd(lr, 1). Returns the perplexity of every epoch."""
    params = scratch_params(vocab_size, num_hiddens, vocab_size, device)
    loss = nn.CrossEntropyLoss()
    curve = []
    for epoch in range(num_epochs):
        state = (
            torch.zeros(batch_size, num_hiddens, device=device),
            torch.zeros(batch_size, num_hiddens, device=device),
        )
        l_sum, n = 0.0, 0
        for X, Y in data_iter_consecutive(corpus_indices, batch_size, num_steps, device):
            for s in state:
                s.detach_()
            outputs, state = scratch_lstm(to_onehot(X, vocab_size), state, params)
            y = torch.transpose(Y, 0, 1).contiguous().view(-1)
            l = loss(torch.cat(outputs, dim=0), y.long())  # noqa: E741
            for p in params:
                if p.grad is not None:
                    p.grad.data.zero_()
            l.backward()
            grad_clipping(params, clipping_theta, device)
            scratch_sgd(params, lr, 1)
            l_sum += l.item() * y.shape[0]
            n += y.shape[0]
        curve.append(math.exp(l_sum / n))
        if log:
            log(epoch + 1, curve[-1])
    return curve
