"""Training of the IMDB sentiment program (S000)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import train
from spec.registry import Seed, TorchDoc, claim
from spec.sources.seeds import S000


@claim(
    id="sentiment.training.bce-with-logits",
    statement=(
        "000's loss, BCEWithLogitsLoss on one logit per review, is the mean of -[y ln sigmoid(z) + (1-y) "
        "ln(1 - sigmoid(z))] to float64's precision (against 50-digit arithmetic) and stays exact for large |z| "
        "(z = 200 against a label 0 costs 200), where BCELoss on sigmoid(z) stops at its clamp of 100."
    ),
    modules=("training",),
    sources=(
        TorchDoc("torch.nn.BCEWithLogitsLoss", "numerical stability through the log-sum-exp trick"),
        TorchDoc("torch.nn.BCELoss", "log outputs clamped to >= -100"),
        Seed(S000, "IMDB example: criteon = nn.BCEWithLogitsLoss() on one logit per review", line=30),
    ),
)
@given(z=st.floats(-40, 40), y=st.sampled_from([0.0, 1.0]))
def test_bce_with_logits(z, y):
    f64 = torch.float64
    loss = torch.nn.BCEWithLogitsLoss()  # as 000 and reference.programs.sentiment build it
    zs, ys = [z, 200.0, -200.0, 3.0], [y, 0.0, 1.0, 1.0]  # the drawn logit beside three fixed ones
    got = loss(torch.tensor(zs, dtype=f64), torch.tensor(ys, dtype=f64)).item()
    # abs: where the loss is small, torch takes ln of a number near 1, whose rounding costs a few ulp of 1
    # absolutely; 2e-15 is 9 ulp (relative to the mean, which the two 200s keep near 100)
    assert got == pytest.approx(exact_bce(zs, ys), rel=1e-12, abs=2e-15), f"z={z!r}, y={y}"
    big, zero = torch.tensor([200.0], dtype=f64), torch.zeros(1, dtype=f64)
    assert loss(big, zero).item() == pytest.approx(200.0, rel=1e-12), (
        f"logit 200, label 0: loss {loss(big, zero).item()}, not 200"
    )
    assert torch.nn.BCELoss()(torch.sigmoid(big), zero).item() == 100.0, (
        f"BCELoss of sigmoid(200), label 0: {torch.nn.BCELoss()(torch.sigmoid(big), zero).item()}, not its clamp 100"
    )


def exact_bce(zs, ys) -> float:
    """The mean binary cross-entropy of logits ``zs`` against labels ``ys`` in 50-digit arithmetic (mpmath)."""
    import mpmath

    with mpmath.workdps(50):
        total = mpmath.mpf(0)
        for z, y in zip(zs, ys):
            z = mpmath.mpf(z)  # ln sigmoid(z) = -ln(1 + e^-z) and ln(1 - sigmoid(z)) = -ln(1 + e^z): no 1 - s
            total += y * mpmath.log(1 + mpmath.exp(-z)) + (1 - y) * mpmath.log(1 + mpmath.exp(z))
        return float(total / len(zs))


@claim(
    id="sentiment.training.binary-accuracy",
    statement=(
        "000's accuracy rounds sigmoid(z) half to even, so a review counts as positive exactly when float32 "
        "sigmoid(z) > 0.5: every z >= 2^-21 (sigmoid is two ulp above 0.5), no z <= 0 and no 0 < z <= 2^-26 "
        "(sigmoid(z) = 0.5 + z/4 rounds to 0.5), and between them every z above one threshold set by the "
        "kernel's rounding (about 2^-24)."
    ),
    modules=("training",),
    sources=(Seed(S000, "IMDB example: binary_acc, torch.round(torch.sigmoid(preds))", line=30),),
)
@given(z=st.floats(-50, 50, width=32))
def test_binary_accuracy(z):
    logit = torch.tensor([z])
    positive = train.binary_accuracy(logit, torch.ones(1)) == 1.0
    s = torch.sigmoid(logit).item()
    assert positive == (s > 0.5), f"z={z!r}: sigmoid {s!r} rounded half to even"
    if z <= 0 or z >= 2**-21:
        assert positive == (z > 0), f"z={z!r}"
    elif z <= 2**-26:
        assert s == 0.5 and not positive, f"z={z!r}: sigmoid {s!r}"
    # between 2^-26 and 2^-21 the answer turns from negative to positive once, and stays positive
    window = torch.tensor([2 ** (-26 + k / 8) for k in range(41)])
    answers = [train.binary_accuracy(t.view(1), torch.ones(1)) for t in window]
    assert answers == sorted(answers) and answers[0] == 0.0 and answers[-1] == 1.0, answers


@claim(
    id="sentiment.training.pretrained-vectors",
    statement=(
        "The reference's --vectors FILE copies a GloVe-format text file into the embedding as 000's "
        "copy_(TEXT.vocab.vectors) does: each vocabulary word's row becomes the file's vector, every other row "
        "(<unk>, <pad> and the words the file lacks) zero, lines of another width are skipped, and the "
        "embedding stays trainable; a malformed line raises ValueError naming it and changes nothing."
    ),
    modules=("training",),
    sources=(
        Seed(S000, "IMDB example: build_vocab(vectors='glove.6B.100d'), then embedding.weight.data.copy_", line=30),
    ),
)
def test_pretrained_vectors(tmp_path):
    from reference.programs import sentiment
    from reference.programs.models import SentimentClassifier

    vocab = sentiment.vocabulary([["film", "great", "film", "awful", "plot"]], 10)
    assert vocab.idx_to_token == ["<unk>", "<pad>", "film", "great", "awful", "plot"], (
        f"vocabulary {vocab.idx_to_token}"
    )
    lines = [
        "400000 3",  # a word2vec-style header: not 3 numbers, skipped
        "film 0.5 -1 2",
        "zebra 9 9 9",  # not in the vocabulary
        "awful 1 2",  # another width: skipped
        "great 1.25 0 -0.75",
    ]
    path = tmp_path / "vectors.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    torch.manual_seed(0)
    model = SentimentClassifier(len(vocab), embedding_dim=3, hidden=2)
    loaded = model.load_vectors(path, vocab)
    assert loaded == 2, f"{loaded} vectors loaded, not 2 (film, great)"
    want = torch.zeros(6, 3)
    want[2], want[3] = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1.25, 0.0, -0.75])
    assert torch.equal(model.embedding.weight.detach(), want), (
        f"embedding {model.embedding.weight.tolist()} against {want.tolist()}"
    )
    assert model.embedding.weight.requires_grad, "loaded vectors are frozen: the embedding no longer requires grad"
    before = model.embedding.weight.detach().clone()
    path.write_text("great 1 2 3\nfilm 0.5 x 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        model.load_vectors(path, vocab)
    assert torch.equal(model.embedding.weight.detach(), before), "a refused file changed the embedding"


@claim(
    id="sentiment.training.optimizer-before-to",
    statement=(
        "000 builds Adam on the model's parameters before moving the model with rnn.to(device), which works: by "
        "default Module.to() converts each parameter in place, keeping the Parameter objects the optimizer "
        "holds, so its steps update the moved model."
    ),
    modules=("LSTM", "training"),
    sources=(Seed(S000, "IMDB example: optim.Adam(rnn.parameters()) created before rnn.to(device)", line=30),),
)
def test_optimizer_before_to(device):
    from reference.programs.models import SentimentClassifier

    torch.manual_seed(0)
    model = SentimentClassifier(20, embedding_dim=4, hidden=3)
    held = list(model.parameters())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.to(device=device, dtype=torch.float64)  # a real conversion on every device, cpu included
    assert all(a is b for a, b in zip(held, model.parameters())), "to() replaced a Parameter"
    assert all(p.dtype == torch.float64 and p.device.type == torch.device(device).type for p in held), (
        f"held parameters {[(p.dtype, p.device.type) for p in held]}, not float64 on {device}"
    )
    before = [p.detach().clone() for p in held]
    model(torch.randint(0, 20, (5, 2), device=device)).sum().backward()  # train mode: cuDNN needs it for backward
    optimizer.step()
    stepped = [not torch.equal(b, p.detach()) for b, p in zip(before, held)]
    trained = [bool(p.grad is not None and p.grad.abs().sum() > 0) for p in held]
    assert stepped == trained and all(p.grad is not None for p in held[-2:]), "the optimizer missed the moved model"


@claim(
    id="sentiment.training.float-labels",
    statement=(
        "BCEWithLogitsLoss needs labels of the logits' shape and a floating dtype: int64 labels raise "
        "RuntimeError, and [b] labels against the model's [b, 1] logits raise ValueError, hence 000's "
        "LabelField(dtype=torch.float) and its squeeze(1) of the predictions."
    ),
    modules=("training",),
    sources=(
        Seed(S000, "IMDB example: LABEL = data.LabelField(dtype=torch.float)", line=30),
        Seed(S000, "IMDB example: pred = rnn(batch.text).squeeze(1), [b, 1] => [b]", line=30),
    ),
)
def test_float_labels():
    loss = torch.nn.BCEWithLogitsLoss()
    logits = torch.tensor([[0.5], [-1.0], [2.0]], dtype=torch.float64)  # [b, 1], as the model returns
    labels = [1.0, 0.0, 1.0]
    hand = sum(math.log1p(math.exp(-z if y else z)) for (z,), y in zip(logits.tolist(), labels)) / 3
    got = loss(logits.squeeze(1), torch.tensor(labels, dtype=torch.float64)).item()
    assert got == pytest.approx(hand, rel=1e-12), f"float labels: loss {got} against {hand} by hand"
    with pytest.raises(RuntimeError):
        loss(logits.squeeze(1), torch.tensor([1, 0, 1]))
    with pytest.raises(ValueError):
        loss(logits, torch.tensor(labels, dtype=torch.float64))
