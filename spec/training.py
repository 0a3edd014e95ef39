"""Training practice from the sources, checked on the reference programs: clipping, perplexity, the
language model's output layout, the hello -> ohlol results, and a learning rate one source gets wrong."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference import hello, train
from reference.models import LanguageModel, make_layer
from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.strategies import Config
from spec.tolerances import assert_close

S001, S003, S004 = "001_aeb7a07ab65f879f.txt", "003_d1ec100167748cfb.txt", "004_465858781a221de8.txt"


@claim(
    id="clip.training.sources-formula",
    statement=(
        "The sources' clipping, g = sqrt(sum of all squared gradients) and every gradient times theta/g when "
        "g > theta, gives torch's clip_grad_norm_ result up to its 1e-6 guard (relative difference <= 1e-6/g)."
    ),
    kind="training",
    modules=("clip_grad_norm_", "training"),
    sources=(
        Seed(S003, "4.3: grad_clipping(net, theta)"),
        Seed(S004, "train_and_predict_rnn_pytorch: grad_clipping after backward"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "max_norm"),
    ),
)
@pytest.mark.parametrize("theta", [0.01, 1.0, 1e3])
def test_sources_clipping(theta, device):
    cfg = Config(mode="GRU", num_layers=2, dtype="float64")
    grads = []
    for clip in (lambda ps: train.grad_clipping(ps, theta), lambda ps: torch.nn.utils.clip_grad_norm_(ps, theta)):
        m = cfg.build(device)
        (m(cfg.input(device))[0] ** 2).sum().backward()
        norm = float(clip(list(m.parameters())))
        grads.append([p.grad.clone() for p in m.parameters()])
    for a, b in zip(*grads):  # the two differ only through torch's + 1e-6 in theta / (g + 1e-6)
        assert ((a - b).abs() <= (1e-6 / norm + 1e-12) * b.abs() + 1e-15).all(), f"theta={theta}, g={norm}"


@claim(
    id="training.training.perplexity",
    statement=(
        "Perplexity is exp of the mean cross-entropy per token: predicting uniformly over V tokens gives V, "
        "and a mean loss too large for exp is infinite perplexity rather than an error."
    ),
    kind="training",
    modules=("training",),
    sources=(
        Seed(S003, "4.3: the perplexity printed while training"),
        Seed(S004, "math.exp(l_sum / n), OverflowError"),
    ),
)
@given(vocab=st.integers(2, 3000), tokens=st.integers(1, 500))
def test_perplexity(vocab, tokens):
    logits = torch.zeros(tokens, vocab, dtype=torch.float64)  # uniform predictions
    targets = torch.randint(0, vocab, (tokens,), generator=torch.Generator().manual_seed(vocab))
    total = torch.nn.functional.cross_entropy(logits, targets, reduction="sum").item()
    assert train.perplexity(total, tokens) == pytest.approx(vocab, rel=1e-9)
    assert train.perplexity(1e6, 1) == math.inf


@claim(
    id="training.shape.lm-output-rows",
    statement=(
        "The language model's linear head sees Y.reshape(-1, D*H), so output row t*batch + b is step t of "
        "sequence b and the matching targets are Y.T.reshape(-1), not Y.reshape(-1)."
    ),
    kind="shape",
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.2: RNNmodel.forward, linear over Y.reshape((-1, Y.shape[-1]))"),
        Seed(S004, "RNNModel.forward and y = torch.transpose(Y, 0, 1).contiguous().view(-1)"),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_lm_output_rows(kind, device):
    torch.manual_seed(0)
    model = LanguageModel(make_layer(kind, 11, 8, layers=2), 11).to(device)
    x = torch.randint(0, 11, (3, 5), device=device)  # [batch, steps]
    with torch.no_grad():
        logits, _ = model(x)
        for b in range(3):  # each sequence alone gives its own rows
            alone, _ = model(x[b : b + 1])
            assert_close(logits.view(5, 3, 11)[:, b], alone, f"sequence {b}")
    y = x + 1
    assert torch.equal(y.T.reshape(-1).view(5, 3)[:, 1], y[1])  # targets of sequence 1, step by step


SEEDS = range(50)


@claim(
    id="hello.training.learns-ohlol",
    statement=(
        "With the source's settings (Adam, lr 0.1, 20 epochs) both hello models end predicting 'ohlol' for at "
        "least 30 of the seeds 0-49 (measured 34 on torch 2.13), and the loss falls for every seed."
    ),
    kind="training",
    modules=("RNNCell", "RNN", "training"),
    sources=(
        Seed(S001, "3. the RNNCell model and its training log (ohlol from epoch 9)"),
        Seed(S001, "4. the nn.RNN model and its training log (ohlol from epoch 4)"),
    ),
)
@pytest.mark.parametrize("version", ["cell", "rnn"])
def test_hello_learns(version):
    histories = [hello.train(version, 20, 0.1, seed)[1] for seed in SEEDS]
    assert sum(h[-1][0] == "ohlol" for h in histories) >= 30
    assert all(h[-1][1] < h[0][1] for h in histories)


BOUND = math.log(1 + 3 * math.exp(-2))


@claim(
    id="hello.training.tanh-logit-floor",
    statement=(
        "Read as logits, 4 tanh-bounded hidden units can never drive a step's cross-entropy below "
        "ln(1 + 3e^-2) = 0.3408: the best case is +1 for the right letter and -1 for the three others."
    ),
    kind="training",
    modules=("RNNCell", "RNN", "training"),
    sources=(Seed(S001, "3. and 4.: the hidden state used directly as the 4 class scores; the printed losses"),),
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
    kind="training",
    modules=("LSTM", "training"),
    sources=(Seed(S004, "the hyper-parameters line and 'the optimizer is Adam'"),),
    erratum=Erratum(S004, "the hyper-parameters line", "lr, clipping_theta = 1e2, 1e-2: Adam at learning rate 100"),
)
def test_adam_learning_rate():
    from reference import datasets, sampling
    from spec.data import data_file

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
    id="sentiment.semantics.packed-versus-padded",
    statement=(
        "In the IMDB classifier, a packed batch gives every review the logit it gets alone, while a padded "
        "batch runs the LSTM over the padding, so a shorter review's logit changes with its batch."
    ),
    kind="semantics",
    modules=("LSTM", "PackedSequence", "training"),
    sources=(
        Seed("000_0803d243ad727e4b.txt", "IMDB example: BucketIterator batches of padded reviews into the LSTM"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "lengths"),
    ),
)
def test_packed_versus_padded(device):
    from reference.models import SentimentClassifier

    torch.manual_seed(0)
    model = SentimentClassifier(50, embedding_dim=8, hidden=6).to(device).eval()
    reviews = [torch.randint(2, 50, (n,)) for n in (9, 4)]
    x = torch.ones(9, 2, dtype=torch.long)  # padded with index 1
    for col, r in enumerate(reviews):
        x[: len(r), col] = r
    x, lengths = x.to(device), torch.tensor([9, 4])
    with torch.no_grad():
        alone = [model(r.view(-1, 1).to(device)) for r in reviews]
        packed = model(x, lengths)
        padded = model(x)
    assert_close(packed, torch.cat(alone), "packed: each review as if alone")
    assert_close(padded[0:1], alone[0], "padded: the longest review is unaffected")
    assert (padded[1] - alone[1]).abs().max() > 1e-6, "padding should have changed the short review's logit"
