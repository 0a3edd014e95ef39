"""Source 000's listings: the shapes programme of line 22-28 and the IMDB classifier of line 30.

The IMDB listing runs on torchtext's legacy API (``data.Field``, ``LabelField``, ``BucketIterator``,
``datasets.IMDB``, ``build_vocab``), removed from torchtext in 0.12; what it relies on is restated here:
the vocabulary rule of the legacy ``Vocab`` (:func:`legacy_vocab`), then the model, the accuracy and the two
loops as the listing writes them.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import numpy as np
import torch
from torch import nn

from reference.common.shapecheck import Float, Int, Tensor, checked


def shapes_main(seed: int = 0) -> dict:
    """Lines 22-28 (``main()``): what each print shows, by the step's name."""
    torch.manual_seed(seed)
    shown = {}
    rnn = nn.RNN(input_size=100, hidden_size=20, num_layers=1)
    x = torch.randn(10, 3, 100)
    out, h = rnn(x, torch.zeros(1, 3, 20))
    shown["rnn1"] = (repr(rnn), tuple(out.shape), tuple(h.shape))
    rnn = nn.RNN(input_size=100, hidden_size=20, num_layers=4)
    x = torch.randn(10, 3, 100)
    out, h = rnn(x, torch.zeros(4, 3, 20))
    shown["rnn4"] = (repr(rnn), tuple(out.shape), tuple(h.shape))
    cell1 = nn.RNNCell(100, 20)
    h1 = torch.zeros(3, 20)
    for xt in x:  # iterating a tensor: its first dimension, the time steps
        h1 = cell1(xt, h1)
    shown["rnn-cell"] = tuple(h1.shape)
    cell1, cell2 = nn.RNNCell(100, 30), nn.RNNCell(30, 20)
    h1, h2 = torch.zeros(3, 30), torch.zeros(3, 20)
    for xt in x:
        h1 = cell1(xt, h1)
        h2 = cell2(h1, h2)
    shown["rnn-cells-stacked"] = tuple(h2.shape)
    lstm = nn.LSTM(input_size=100, hidden_size=20, num_layers=4)
    x = torch.randn(10, 3, 100)
    out, (h, c) = lstm(x)
    shown["lstm4"] = (repr(lstm), tuple(out.shape), tuple(h.shape), tuple(c.shape))
    cell = nn.LSTMCell(input_size=100, hidden_size=20)
    h, c = torch.zeros(3, 20), torch.zeros(3, 20)
    for xt in x:
        h, c = cell(xt, [h, c])  # the state as a list, not a tuple
    shown["lstm-cell"] = (tuple(h.shape), tuple(c.shape))
    cell1, cell2 = nn.LSTMCell(input_size=100, hidden_size=30), nn.LSTMCell(input_size=30, hidden_size=20)
    h1, c1, h2, c2 = torch.zeros(3, 30), torch.zeros(3, 30), torch.zeros(3, 20), torch.zeros(3, 20)
    for xt in x:
        h1, c1 = cell1(xt, [h1, c1])
        h2, c2 = cell2(h1, [h2, c2])
    shown["lstm-cells-stacked"] = (tuple(h2.shape), tuple(c2.shape))
    return shown


#: What the listing's comments say each print shows (lines 22-28).
COMMENTED = {
    "rnn1": ("RNN(100, 20)", (10, 3, 20), (1, 3, 20)),
    "rnn4": ("RNN(100, 20, num_layers=4)", (10, 3, 20), (4, 3, 20)),
    "lstm4": (None, (10, 3, 20), (4, 3, 20), (4, 3, 20)),  # the listing prints the LSTM but shows no repr
    "lstm-cell": ((3, 20), (3, 20)),
}


# --- the IMDB classifier (line 30) ------------------------------------------------------------------------


def legacy_vocab(texts: Iterable[Sequence[str]], max_size: int, specials=("<unk>", "<pad>")) -> list:
    """The token list (itos) of torchtext's legacy ``build_vocab(max_size=...)``: the specials first, then
    the words by descending frequency, ties in alphabetical order, at most ``max_size`` words (the legacy
    Vocab adds the number of specials to max_size before cutting), so ``max_size + len(specials)`` entries
    when there are enough words."""
    counts = Counter(w for text in texts for w in text)
    for s in specials:
        counts.pop(s, None)
    ranked = sorted(sorted(counts.items(), key=lambda kv: kv[0]), key=lambda kv: kv[1], reverse=True)
    return list(specials) + [w for w, _ in ranked[:max_size]]


class Classifier(nn.Module):
    """Line 30's ``RNN``: Embedding(vocab, 100) under dropout, a 2-layer bidirectional LSTM with dropout 0.5,
    the last layer's two final states concatenated, dropout, Linear(2 * hidden, 1)."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_dim: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.LSTM(embedding_dim, hidden_dim, num_layers=2, bidirectional=True, dropout=0.5)
        self.fc = nn.Linear(hidden_dim * 2, 1)
        self.dropout = nn.Dropout(0.5)

    @checked
    def forward(self, x: Int[Tensor, "seq batch"]) -> Float[Tensor, "batch 1"]:
        embedding = self.dropout(self.embedding(x))
        output, (hidden, cell) = self.rnn(embedding)
        hidden = torch.cat([hidden[-2], hidden[-1]], dim=1)
        return self.fc(self.dropout(hidden))


def binary_acc(preds: Tensor, y: Tensor) -> Tensor:
    """Line 30's accuracy of one batch: the share of rounded sigmoids equal to the labels, a 0-d tensor."""
    correct = torch.eq(torch.round(torch.sigmoid(preds)), y).float()
    return correct.sum() / len(correct)


def train(rnn: nn.Module, iterator, optimizer, criteon) -> float:
    """Line 30's ``train``: per batch the loss, the batch's accuracy, a step; returns the mean of the batches'
    accuracies (what it prints as ``avg acc``). ``iterator`` yields (text [seq, b], label [b] float)."""
    avg_acc = []
    rnn.train()
    for text, label in iterator:
        pred = rnn(text).squeeze(1)
        loss = criteon(pred, label)
        avg_acc.append(binary_acc(pred, label).item())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return float(np.array(avg_acc).mean())


def evaluate(rnn: nn.Module, iterator) -> float:
    """Line 30's ``eval``: the mean of the batches' accuracies in eval mode without gradients (``>>test:``)."""
    avg_acc = []
    rnn.eval()
    with torch.no_grad():
        for text, label in iterator:
            avg_acc.append(binary_acc(rnn(text).squeeze(1), label).item())
    return float(np.array(avg_acc).mean())


def epochs(rnn, train_batches, test_batches, optimizer, criteon, n: int = 10) -> list:
    """Line 30's last loop: each epoch evaluates, then trains; [(test accuracy before, train accuracy)]."""
    return [(evaluate(rnn, test_batches()), train(rnn, train_batches(), optimizer, criteon)) for _ in range(n)]
