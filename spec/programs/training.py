"""The sources' training practice: perplexity, the hand SGD step, clipping, losses, accuracy, and the example runs."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import hello, train
from reference.programs.models import LanguageModel, make_layer
from spec.helpers.modules import data_file
from spec.helpers.strategies import Config
from spec.helpers.tolerances import assert_close
from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S001, S003, S004

SEEDS = range(50)


BOUND = math.log(1 + 3 * math.exp(-2))


@claim(
    id="clip.training.sources-formula",
    statement=(
        "The sources' clipping, g = sqrt(sum of all squared gradients) and every gradient times theta/g when "
        "g > theta, gives torch's clip_grad_norm_ result up to its 1e-6 guard (relative difference <= 1e-6/g)."
    ),
    modules=("clip_grad_norm_", "training"),
    sources=(
        Seed(S003, "4.3: grad_clipping(net, theta)", line=470),
        Seed(S004, "train_and_predict_rnn_pytorch: grad_clipping after backward", line=127),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "max_norm"),
    ),
)
@pytest.mark.parametrize("theta", [0.01, 1.0, 1e3])
def test_sources_clipping(theta, device):
    cfg = Config(mode="GRU", num_layers=2, dtype="float64")
    grads = []
    for clip in (lambda ps: train.grad_clipping(ps, theta), lambda ps: torch.nn.utils.clip_grad_norm_(ps, theta)):
        m = cfg.build(device, train=True)
        (m(cfg.input(device))[0] ** 2).sum().backward()
        norm = float(clip(list(m.parameters())))
        grads.append([p.grad.clone() for p in m.parameters()])
    for a, b in zip(*grads):  # the two differ only through torch's + 1e-6 in theta / (g + 1e-6)
        assert ((a - b).abs() <= (1e-6 / norm + 1e-12) * b.abs() + 1e-15).all(), f"theta={theta}, g={norm}"


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
        S003,
        "4.3, the last line of the training loop",
        "prints the last minibatch's loss l under the label 困惑度 (perplexity): a cross-entropy, whose exp "
        "is the perplexity",
        line=515,
    ),
)
@given(vocab=st.integers(2, 3000), tokens=st.integers(1, 500))
def test_perplexity(vocab, tokens):
    logits = torch.zeros(tokens, vocab, dtype=torch.float64)  # uniform predictions
    targets = torch.randint(0, vocab, (tokens,), generator=torch.Generator().manual_seed(vocab))
    per_token = torch.nn.functional.cross_entropy(logits, targets, reduction="none")
    mean = torch.nn.CrossEntropyLoss()(logits, targets)
    assert mean.shape == (), "CrossEntropyLoss() is not one number: .mean() would change it"
    assert mean.item() == pytest.approx(per_token.mean().item(), rel=1e-12)
    assert mean.item() == pytest.approx(math.log(vocab), rel=1e-12)  # the loss is ln V; its exp is V
    assert train.perplexity(per_token.sum().item(), tokens) == pytest.approx(vocab, rel=1e-9)
    assert train.perplexity(1e6, 1) == math.inf


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
    id="hello.training.learns-ohlol",
    statement=(
        "With the source's settings (Adam, lr 0.1, 20 epochs) both hello models end predicting 'ohlol' for a "
        "majority of the seeds 0-49 (at least 26: the source's one printed success is the typical outcome, "
        "not a lucky seed), and the loss falls for every seed."
    ),
    modules=("RNNCell", "RNN", "training"),
    sources=(
        Seed(S001, "3. the RNNCell model and its training log (ohlol from epoch 9)", line=78),
        Seed(S001, "4. the nn.RNN model and its training log (ohlol from epoch 4)", line=160),
    ),
)
@pytest.mark.parametrize("version", ["cell", "rnn"])
def test_hello_learns(version):
    histories = [hello.train(version, 20, 0.1, seed)[1] for seed in SEEDS]
    assert sum(h[-1][0] == "ohlol" for h in histories) > len(SEEDS) // 2  # a majority: see the statement
    assert all(h[-1][1] < h[0][1] for h in histories)


@claim(
    id="hello.training.tanh-logit-floor",
    statement=(
        "Read as logits, 4 tanh-bounded hidden units can never drive a step's cross-entropy below "
        "ln(1 + 3e^-2) = 0.3408: the best case is +1 for the right letter and -1 for the three others."
    ),
    modules=("RNNCell", "RNN", "training"),
    sources=(
        Seed(S001, "3. and 4.: the hidden state used directly as the 4 class scores; the printed losses", line=129),
    ),
)
@given(logits=st.lists(st.floats(-1, 1), min_size=4, max_size=4), target=st.integers(0, 3))
def test_tanh_logit_floor(logits, target):
    loss = torch.nn.functional.cross_entropy(torch.tensor([logits], dtype=torch.float64), torch.tensor([target]))
    assert loss.item() >= BOUND - 1e-12
    best = [-1.0] * 4
    best[target] = 1.0
    reached = torch.nn.functional.cross_entropy(torch.tensor([best], dtype=torch.float64), torch.tensor([target]))
    assert reached.item() == pytest.approx(BOUND, rel=1e-12)


@claim(
    id="lyrics.training.adam-lr",
    statement=(
        "For the lyrics LSTM with Adam, lr 1e-2 lowers the loss within 20 minibatches while lr 1e2 does not: "
        "it drives the loss up."
    ),
    modules=("LSTM", "training"),
    sources=(Seed(S004, "the hyper-parameters line and 'the optimizer is Adam'", line=95),),
    erratum=Erratum(
        S004, "the hyper-parameters line", "lr, clipping_theta = 1e2, 1e-2: Adam at learning rate 100", line=29
    ),
)
def test_adam_learning_rate():
    from reference.programs import datasets, sampling

    text = datasets.read_lyrics(data_file("lyrics"))
    idx_to_char, _, corpus = datasets.char_indices(text)
    losses = {}
    for lr in (1e-2, 1e2):
        torch.manual_seed(0)
        model = LanguageModel(make_layer("lstm", len(idx_to_char), 64), len(idx_to_char))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        curve = []
        for i, (x, y) in enumerate(sampling.consecutive_iter(corpus, 32, 35)):
            if i == 20:
                break
            logits, _ = model(x)
            loss = torch.nn.functional.cross_entropy(logits, y.T.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            train.grad_clipping(model.parameters(), 1.0)
            optimizer.step()
            curve.append(loss.item())
        losses[lr] = curve
    good, bad = losses[1e-2], losses[1e2]
    assert sum(good[-5:]) / 5 < good[0] - 0.5
    assert sum(bad[-5:]) / 5 > bad[0]


@claim(
    id="sentiment.training.bce-with-logits",
    statement=(
        "BCEWithLogitsLoss(z, y) is the mean of max(z, 0) - z*y + ln(1 + e^-|z|), which is "
        "-[y ln sigmoid(z) + (1-y) ln(1 - sigmoid(z))], and stays exact for large |z|, where BCELoss on "
        "sigmoid(z) stops at its clamp of 100."
    ),
    modules=("training",),
    sources=(
        Seed(S000, "IMDB example: criteon = nn.BCEWithLogitsLoss() on one logit per review", line=30),
        TorchDoc("torch.nn.BCEWithLogitsLoss", "numerical stability through the log-sum-exp trick"),
        TorchDoc("torch.nn.BCELoss", "log outputs clamped to >= -100"),
    ),
)
@given(z=st.floats(-40, 40), y=st.sampled_from([0.0, 1.0]))
def test_bce_with_logits(z, y):
    hand = max(z, 0.0) - z * y + math.log1p(math.exp(-abs(z)))
    f, f64 = torch.nn.functional, torch.float64
    got = f.binary_cross_entropy_with_logits(torch.tensor([z], dtype=f64), torch.tensor([y], dtype=f64))
    # abs: where the loss is small, torch (and the textbook form below) take ln of a number near 1, whose
    # rounding costs a few ulp of 1 absolutely; 2e-15 is 9 ulp
    assert got.item() == pytest.approx(hand, rel=1e-12, abs=2e-15)
    s, one_minus_s = 1 / (1 + math.exp(-z)), 1 / (1 + math.exp(z))  # each without cancellation
    assert hand == pytest.approx(-(y * math.log(s) + (1 - y) * math.log(one_minus_s)), rel=1e-12, abs=2e-15)
    big, zero = torch.tensor([200.0], dtype=f64), torch.zeros(1, dtype=f64)
    assert f.binary_cross_entropy_with_logits(big, zero).item() == pytest.approx(200.0, rel=1e-12)
    assert f.binary_cross_entropy(torch.sigmoid(big), zero).item() == 100.0


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
    assert torch.tensor(INDICES).dtype == torch.int64
    assert got.item() == pytest.approx(hand_cross_entropy(LOGITS, INDICES), rel=1e-12)
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
    sources=TARGETS,
    torch=">=1.10",
)
def test_class_index_targets():
    loss = torch.nn.CrossEntropyLoss()
    check_index_targets(loss)
    x = torch.tensor(LOGITS, dtype=torch.float64)
    probs = [[0.25, 0.25, 0.5, 0.0], [0.0, 0.0, 1.0, 0.0], [0.1, 0.2, 0.3, 0.4]]
    got = loss(x, torch.tensor(probs, dtype=torch.float64))
    assert got.item() == pytest.approx(hand_cross_entropy(LOGITS, probs), rel=1e-12)
    one_hot = torch.nn.functional.one_hot(torch.tensor(INDICES), 4).double()
    assert loss(x, one_hot).item() == pytest.approx(loss(x, torch.tensor(INDICES)).item(), rel=1e-12)


@claim(
    id="training.training.class-index-targets-before-1-10",
    statement=(
        "Before torch 1.10 CrossEntropyLoss takes only int64 class indices: a float target of the input's "
        "shape [N, C] raises RuntimeError, as int32 or float indices do."
    ),
    modules=("training",),
    sources=TARGETS,
    torch="<1.10",
)
def test_class_index_targets_before_1_10():
    loss = torch.nn.CrossEntropyLoss()
    check_index_targets(loss)
    one_hot = torch.nn.functional.one_hot(torch.tensor(INDICES), 4).double()
    with pytest.raises(RuntimeError):
        loss(torch.tensor(LOGITS, dtype=torch.float64), one_hot)


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
    assert vocab.idx_to_token == ["<unk>", "<pad>", "film", "great", "awful", "plot"]
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
    assert model.load_vectors(path, vocab) == 2
    want = torch.zeros(6, 3)
    want[2], want[3] = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([1.25, 0.0, -0.75])
    assert torch.equal(model.embedding.weight.detach(), want)
    assert model.embedding.weight.requires_grad
    before = model.embedding.weight.detach().clone()
    path.write_text("great 1 2 3\nfilm 0.5 x 2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        model.load_vectors(path, vocab)
    assert torch.equal(model.embedding.weight.detach(), before), "a refused file changed the embedding"


@claim(
    id="hello.training.hidden-reset-each-epoch",
    statement=(
        "001's RNNCell loop must start every epoch from a fresh hidden state: carried over from the previous "
        "epoch, whose graph backward freed, it makes the next backward raise RuntimeError; started from "
        "init_hidden(), or detached, every epoch trains."
    ),
    modules=("RNNCell", "training"),
    sources=(Seed(S001, "3. the comment that h0 is initialised before every epoch", line=125),),
)
def test_hidden_reset_each_epoch():
    model, optimizer, inputs, labels = hello.setup("cell")

    def run_epoch(hidden):
        optimizer.zero_grad()
        loss = 0
        for x, y in zip(inputs, labels):
            hidden = model(x, hidden)
            loss = loss + torch.nn.functional.cross_entropy(hidden, y.view(1))
        loss.backward()
        optimizer.step()
        return hidden

    hidden = run_epoch(model.init_hidden())
    with pytest.raises(RuntimeError, match="(?i)backward through the graph a second time"):
        run_epoch(hidden)
    hidden = run_epoch(model.init_hidden())
    run_epoch(hidden.detach())
    for _ in range(2):  # the reference's epoch() starts from init_hidden() each time: no error
        hello.epoch("cell", model, optimizer, inputs, labels)


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
    assert all(p.dtype == torch.float64 and p.device.type == torch.device(device).type for p in held)
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
    assert loss(logits.squeeze(1), torch.tensor(labels, dtype=torch.float64)).item() == pytest.approx(hand, rel=1e-12)
    with pytest.raises(RuntimeError):
        loss(logits.squeeze(1), torch.tensor([1, 0, 1]))
    with pytest.raises(ValueError):
        loss(logits, torch.tensor(labels, dtype=torch.float64))
