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

S000, S001, S003, S004 = (
    "000_0803d243ad727e4b.txt",
    "001_aeb7a07ab65f879f.txt",
    "003_d1ec100167748cfb.txt",
    "004_465858781a221de8.txt",
)


@claim(
    id="clip.training.sources-formula",
    statement=(
        "The sources' clipping, g = sqrt(sum of all squared gradients) and every gradient times theta/g when "
        "g > theta, gives torch's clip_grad_norm_ result up to its 1e-6 guard (relative difference <= 1e-6/g)."
    ),
    kind="training",
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
        m = cfg.build(device)
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
    kind="training",
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
    assert mean.item() == pytest.approx(per_token.mean().item(), rel=1e-12) and mean.mean().item() == mean.item()
    assert mean.item() == pytest.approx(math.log(vocab), rel=1e-12)  # the loss is ln V; its exp is V
    assert train.perplexity(per_token.sum().item(), tokens) == pytest.approx(vocab, rel=1e-9)
    assert train.perplexity(1e6, 1) == math.inf


@claim(
    id="training.training.sgd-step",
    statement=(
        "torch.optim.SGD without momentum or weight decay moves every parameter to p - lr * p.grad: the step "
        "of 003's hand-written sgd(params, lr, batch_size) called with batch_size 1."
    ),
    kind="training",
    modules=("training",),
    sources=(
        Seed(S003, "4.3: sgd(params, lr, batch_size), updater = torch.optim.SGD or updater(batch_size=1)", line=455),
    ),
)
@pytest.mark.parametrize("lr", [0.5, 1.0])  # 003's rate and d2l's
def test_sgd_step(lr, device):
    cfg = Config(mode="LSTM", num_layers=2, dtype="float64")
    m = cfg.build(device)
    (m(cfg.input(device))[0] ** 2).sum().backward()
    by_hand = [p.detach() - lr * p.grad / 1 for p in m.parameters()]  # sgd(..., batch_size=1)
    torch.optim.SGD(m.parameters(), lr=lr).step()
    assert_close([p.detach() for p in m.parameters()], by_hand, f"lr={lr}")


@claim(
    id="training.shape.lm-output-rows",
    statement=(
        "The language model's linear head sees Y.reshape(-1, D*H), so output row t*batch + b is step t of "
        "sequence b and the matching targets are Y.T.reshape(-1), not Y.reshape(-1)."
    ),
    kind="shape",
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.2: RNNmodel.forward, linear over Y.reshape((-1, Y.shape[-1]))", line=397),
        Seed(S004, "RNNModel.forward and y = torch.transpose(Y, 0, 1).contiguous().view(-1)", line=121),
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
        Seed(S001, "3. the RNNCell model and its training log (ohlol from epoch 9)", line=78),
        Seed(S001, "4. the nn.RNN model and its training log (ohlol from epoch 4)", line=160),
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
    kind="training",
    modules=("LSTM", "training"),
    sources=(Seed(S004, "the hyper-parameters line and 'the optimizer is Adam'", line=95),),
    erratum=Erratum(
        S004, "the hyper-parameters line", "lr, clipping_theta = 1e2, 1e-2: Adam at learning rate 100", line=29
    ),
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
        Seed(S000, "IMDB example: BucketIterator batches of padded reviews into the LSTM", line=30),
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


@claim(
    id="training.semantics.predict-greedy",
    statement=(
        "Generation feeds the prefix one character at a time to warm the state up, then appends the argmax of "
        "each step: every generated character is the model's top prediction given all the text before it, as "
        "one pass over the whole text computes it."
    ),
    kind="semantics",
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.3: predict_ch8, a warm-up over the prefix, then num_preds argmax steps", line=425),
        Seed(S004, "the aims: 50 characters generated one at a time after the prefix '分开'", line=15),
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_predict_greedy(kind, device):
    chars = "abcdefgh"
    torch.manual_seed(0)
    model = LanguageModel(make_layer(kind, len(chars), 16, layers=2), len(chars)).to(device)
    text = train.predict("bad", 12, model, chars.index, chars.__getitem__, device)
    assert text.startswith("bad") and len(text) == 15
    ids = torch.tensor([[chars.index(c) for c in text]], device=device)
    with torch.no_grad():
        logits, _ = model(ids[:, :-1])  # batch 1: row t is step t
    top2 = logits.topk(2, dim=1).values
    assert (top2[2:, 0] - top2[2:, 1]).min() > 1e-4, "a near tie: the comparison below would test rounding"
    assert logits.argmax(dim=1)[2:].tolist() == ids[0, 3:].tolist()


@claim(
    id="training.state.per-epoch-and-per-sampling",
    statement=(
        "The training loop starts every epoch from a zero state; under sequential or consecutive sampling each "
        "minibatch then continues from the previous one's final state (an epoch's loss is that of one pass over "
        "each row), under random sampling every minibatch starts from zeros."
    ),
    kind="state",
    modules=("training", "RNN", "LSTM", "GRU"),
    sources=(
        Seed(S003, "4.3, the training loop: begin_state when state is None or use_random_iter", line=489),
        Seed(S004, "the quoted D2L passage: initialise the hidden state only at the start of each epoch", line=50),
    ),
    erratum=Erratum(
        S004,
        "train_and_predict_rnn_pytorch: state = None before the epoch loop",
        "the state is set to None once, before all epochs, so each epoch's first minibatch starts from the "
        "previous epoch's last state, although it does not continue that minibatch in the corpus",
        line=104,
    ),
)
@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_state_per_epoch_and_sampling(kind, device):
    from reference import sampling

    corpus = torch.randint(0, 10, (400,), generator=torch.Generator().manual_seed(0)).tolist()  # made up
    batches = list(sampling.consecutive_iter(corpus, 4, 7))
    assert batches[0][0][1, 0] != batches[-1][0][1, -1] + 1, "an epoch's first minibatch continued its last"
    torch.manual_seed(0)
    model = LanguageModel(make_layer(kind, 10, 12), 10).to(device)
    with torch.no_grad():  # larger recurrent weights, so that the state carried in clearly matters
        model.rnn.weight_hh_l0.mul_(4)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # the loop runs in full; the weights stay put
    xs, ys = torch.cat([x for x, _ in batches], 1), torch.cat([y for _, y in batches], 1)
    ce = torch.nn.functional.cross_entropy
    with torch.no_grad():
        one_pass = ce(model(xs.to(device))[0], ys.T.reshape(-1).to(device)).item()
        fresh = sum(ce(model(x.to(device))[0], y.T.reshape(-1).to(device)).item() for x, y in batches) / len(batches)
    rel = 1e-5 if device == "cpu" else 1e-3  # float32; cuda may use TF32 in the recurrent kernels
    for _ in range(2):  # a second epoch gives the same loss: it starts from zeros again
        carried, _ = train.train_epoch(model, batches, frozen, 1.0, device, random_sampling=False)
        assert math.log(carried) == pytest.approx(one_pass, rel=rel)
    reset, _ = train.train_epoch(model, batches, frozen, 1.0, device, random_sampling=True)
    assert math.log(reset) == pytest.approx(fresh, rel=rel)
    assert abs(one_pass - fresh) > 20 * rel * one_pass, "carrying the state should change the loss"


@claim(
    id="sentiment.training.bce-with-logits",
    statement=(
        "BCEWithLogitsLoss(z, y) is the mean of max(z, 0) - z*y + ln(1 + e^-|z|), which is "
        "-[y ln sigmoid(z) + (1-y) ln(1 - sigmoid(z))], and stays exact for large |z|, where BCELoss on "
        "sigmoid(z) stops at its clamp of 100."
    ),
    kind="training",
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
        "000's accuracy rounds sigmoid(z) half to even, so a review counts as positive exactly when its logit "
        "z > 0, except float32 logits too small to move sigmoid off 0.5: 0 < z <= 2^-25 counts as negative."
    ),
    kind="training",
    modules=("training",),
    sources=(Seed(S000, "IMDB example: binary_acc, torch.round(torch.sigmoid(preds))", line=30),),
)
@given(z=st.floats(-50, 50, width=32))
def test_binary_accuracy(z):
    logit = torch.tensor([z])
    positive = train.binary_accuracy(logit, torch.ones(1)) == 1.0
    assert positive == (z > 0) or 0 < z < 2**-20, f"z={z!r}"  # below 2^-20 sigmoid is within rounding of 0.5
    tiny = torch.tensor([0.0, 2.0**-30, 2.0**-25, 2.0**-20])
    assert torch.sigmoid(tiny)[:3].tolist() == [0.5] * 3  # 0.5 + z/4 rounds back to 0.5 in float32
    assert [train.binary_accuracy(t.view(1), torch.ones(1)) for t in tiny] == [0.0, 0.0, 0.0, 1.0]
