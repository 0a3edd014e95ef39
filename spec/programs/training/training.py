"""Training of the training practice the sources' programs share."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import train
from spec.helpers.strategies import Config
from spec.helpers.tolerances import assert_close
from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import S001, S003, S004


@claim(
    id="training.training.perplexity",
    statement=(
        "Perplexity is exp of the mean cross-entropy per token (CrossEntropyLoss already averages over the "
        "tokens, so a further .mean() changes nothing): predicting uniformly over V tokens gives V, and a mean "
        "loss too large for exp is infinite perplexity rather than an error."
    ),
    modules=("training",),
    sources=(
        Seed(S003, "4.3: the perplexity printed while training", line=515),
        Seed(S003, "4.3, the training loop: l = loss(y_hat, y.long()).mean()", line=501),
        Seed(S004, "math.exp(l_sum / n), OverflowError", line=133),
    ),
    erratum=Erratum(
        Seed(S003, "4.3, the last line of the training loop", line=515),
        says=(
            "prints the last minibatch's loss l under the label 困惑度 (perplexity): a cross-entropy, whose exp "
            "is the perplexity"
        ),
    ),
)
@given(vocab=st.integers(2, 3000), tokens=st.integers(1, 500))
def test_perplexity(vocab, tokens):
    logits = torch.zeros(tokens, vocab, dtype=torch.float64)  # uniform predictions
    targets = torch.randint(0, vocab, (tokens,), generator=torch.Generator().manual_seed(vocab))
    per_token = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    mean = torch.nn.CrossEntropyLoss()(logits, targets)
    assert mean.shape == (), "CrossEntropyLoss() is not one number: .mean() would change it"
    assert mean.item() == pytest.approx(per_token.mean().item(), rel=1e-12), (
        f"CrossEntropyLoss() {mean.item()} against the per-token mean {per_token.mean().item()}"
    )
    # the loss is ln V; its exp is V
    assert mean.item() == pytest.approx(math.log(vocab), rel=1e-12), f"uniform: loss {mean.item()}, not ln {vocab}"
    assert train.perplexity(per_token.sum().item(), tokens) == pytest.approx(vocab, rel=1e-9), (
        f"perplexity {train.perplexity(per_token.sum().item(), tokens)} against V = {vocab}"
    )
    assert train.perplexity(1e6, 1) == math.inf, (
        f"perplexity of a loss of 1e6 over 1 token: {train.perplexity(1e6, 1)}, not inf"
    )


@claim(
    id="training.training.sgd-step",
    statement=(
        "torch.optim.SGD without momentum or weight decay moves every parameter to p - lr * p.grad: on the "
        "loss averaged over a batch of B, the step of 003's hand-written sgd(params, lr, B) on the summed loss."
    ),
    modules=("training",),
    sources=(
        Seed(S003, "4.3: sgd(params, lr, batch_size), updater = torch.optim.SGD or updater(batch_size=1)", line=455),
    ),
)
@pytest.mark.parametrize("lr", [0.5, 1.0])  # 003's rate and d2l's
def test_sgd_step(lr, device):
    cfg = Config(mode="LSTM", num_layers=2, dtype="float64")
    m = cfg.build(device, train=True)
    per_sequence = (m(cfg.input(device))[0] ** 2).sum(dim=(0, 2))  # one loss per sequence of the batch
    per_sequence.sum().backward()  # 003: l.sum().backward(), then sgd(params, lr, batch_size)
    by_hand = [p.detach() - lr * p.grad / cfg.batch for p in m.parameters()]
    m.zero_grad()
    (m(cfg.input(device))[0] ** 2).sum(dim=(0, 2)).mean().backward()  # torch's way: the batch mean
    torch.optim.SGD(m.parameters(), lr=lr).step()
    assert_close([p.detach() for p in m.parameters()], by_hand, f"lr={lr}")


@claim(
    id="training.training.sgd-divides-by-batch",
    statement=(
        "003's sgd(params, lr, batch_size) moves every parameter by -lr * grad / batch_size and zeroes its "
        "gradient: on a loss summed over B examples the step of their mean, which 003's loop, whose loss is "
        "already a mean, takes by passing batch_size=1."
    ),
    modules=("training",),
    sources=(
        Seed(S003, "4.3: sgd(params, lr, batch_size), param -= lr * param.grad / batch_size", line=455),
        Seed(S003, "4.3, the training loop: updater(batch_size=1) after a mean loss", line=513),
    ),
)
def test_sgd_divides_by_batch():
    f64 = torch.float64
    xs = torch.tensor([[1.0, 2.0], [3.0, -1.0], [0.0, 4.0], [2.0, 2.0]], dtype=f64)
    ys = torch.tensor([1.0, 0.0, 2.0, -1.0], dtype=f64)
    # by hand, for w = (1, -2), b = 0.5: residuals r = xs @ w + b - ys = (-3.5, 5.5, -9.5, -0.5), so the summed
    # squared error has gradient 2 * xs^T r = (24, -103) in w and 2 * sum(r) = -16 in b; lr 0.5 over B = 4:
    # w - 0.5 * (24, -103) / 4 = (-2, 10.875) and b - 0.5 * -16 / 4 = 2.5 (every number exact in binary)
    for reduce, batch_size in ((torch.sum, 4), (torch.mean, 1)):
        w = torch.tensor([1.0, -2.0], dtype=f64, requires_grad=True)
        b = torch.tensor(0.5, dtype=f64, requires_grad=True)
        reduce((xs @ w + b - ys) ** 2).backward()
        train.sgd([w, b], 0.5, batch_size)
        assert w.tolist() == [-2.0, 10.875] and b.item() == 2.5, f"{reduce.__name__}, batch_size={batch_size}"
        assert w.grad.tolist() == [0.0, 0.0] and b.grad.item() == 0.0, "the gradient was not zeroed"


def hand_cross_entropy(logits, target) -> float:
    """The mean over rows of -sum_c p_c log softmax(x)_c, in Python floats; ``target`` a class index or p."""
    total = 0.0
    for row, t in zip(logits, target):
        log_z = math.log(sum(math.exp(v) for v in row))
        p = [float(c == t) for c in range(len(row))] if isinstance(t, int) else t
        total -= sum(pc * (v - log_z) for pc, v in zip(p, row))
    return total / len(logits)


LOGITS = [[2.0, 0.5, -1.0, 0.0], [0.0, 1.0, 3.0, -2.0], [-0.5, -0.5, 1.5, 0.25]]

INDICES = [0, 2, 3]

TARGETS = (
    Seed(S001, "3. and 4.: the comment that the labels must be a LongTensor", line=100),
    Seed(S003, "4.3, the training loop: loss(y_hat, y.long())", line=501),
    Seed(S004, "the loss of the float32 indices turned back with y.long()", line=122),
    TorchDoc("torch.nn.CrossEntropyLoss", "target: class indices or class probabilities"),
)


def check_index_targets(loss):
    x = torch.tensor(LOGITS, dtype=torch.float64)
    got = loss(x, torch.tensor(INDICES))
    assert torch.tensor(INDICES).dtype == torch.int64, (
        f"torch.tensor of ints is {torch.tensor(INDICES).dtype}, not int64"
    )
    assert got.item() == pytest.approx(hand_cross_entropy(LOGITS, INDICES), rel=1e-12), (
        f"loss {got.item()} against {hand_cross_entropy(LOGITS, INDICES)} by hand"
    )
    for dtype in (torch.int32, torch.float32, torch.float64):  # indices of another type, shape [N]
        with pytest.raises(RuntimeError):
            loss(x, torch.tensor(INDICES, dtype=dtype))


@claim(
    id="training.training.class-index-targets",
    statement=(
        "CrossEntropyLoss reads a target of shape [N] as class indices, which must be int64 (long): int32 or "
        "float indices raise RuntimeError; since torch 1.10 a float target of the input's shape [N, C] is read "
        "as class probabilities, -sum_c p_c log softmax(x)_c, so a one-hot float target gives the index loss."
    ),
    modules=("training",),
    sources=(
        TorchDoc("torch.nn.CrossEntropyLoss", "target: class indices or class probabilities"),
        Seed(S001, "3. and 4.: the comment that the labels must be a LongTensor", line=100),
        Seed(S003, "4.3, the training loop: loss(y_hat, y.long())", line=501),
        Seed(S004, "the loss of the float32 indices turned back with y.long()", line=122),
    ),
    torch=">=1.10",
)
def test_class_index_targets():
    loss = torch.nn.CrossEntropyLoss()
    check_index_targets(loss)
    x = torch.tensor(LOGITS, dtype=torch.float64)
    probs = [[0.25, 0.25, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0], [0.1, 0.2, 0.3, 0.4]]
    got = loss(x, torch.tensor(probs, dtype=torch.float64))
    assert got.item() == pytest.approx(hand_cross_entropy(LOGITS, probs), rel=1e-12), (
        f"probability targets: loss {got.item()} against {hand_cross_entropy(LOGITS, probs)} by hand"
    )
    one_hot = torch.nn.functional.one_hot(torch.tensor(INDICES), 4).double()
    assert loss(x, one_hot).item() == pytest.approx(loss(x, torch.tensor(INDICES)).item(), rel=1e-12), (
        f"one-hot targets: loss {loss(x, one_hot).item()} against the indices' {loss(x, torch.tensor(INDICES)).item()}"
    )


@claim(
    id="training.training.class-index-targets-before-1-10",
    statement=(
        "Before torch 1.10 CrossEntropyLoss takes only int64 class indices: a float target of the input's "
        "shape [N, C] raises RuntimeError, as int32 or float indices do."
    ),
    modules=("training",),
    sources=(
        TorchDoc("torch.nn.CrossEntropyLoss", "target: class indices or class probabilities"),
        Seed(S001, "3. and 4.: the comment that the labels must be a LongTensor", line=100),
        Seed(S003, "4.3, the training loop: loss(y_hat, y.long())", line=501),
        Seed(S004, "the loss of the float32 indices turned back with y.long()", line=122),
    ),
    torch="<1.10",
)
def test_class_index_targets_before_1_10():
    loss = torch.nn.CrossEntropyLoss()
    check_index_targets(loss)
    one_hot = torch.nn.functional.one_hot(torch.tensor(INDICES), 4).double()
    with pytest.raises(RuntimeError):
        loss(torch.tensor(LOGITS, dtype=torch.float64), one_hot)
