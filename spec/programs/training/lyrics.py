"""Training of the Jay Chou lyrics program (S004)."""

from __future__ import annotations

import torch
from torch import nn

from reference.programs import train
from reference.programs.listings import s004
from reference.programs.models import LanguageModel, make_layer
from spec.helpers.modules import data_file
from spec.registry import Erratum, Seed, claim
from spec.sources.seeds import S004


@claim(
    id="lyrics.training.adam-lr",
    statement=(
        "For the lyrics LSTM with Adam, lr 1e-2 lowers the loss within 20 minibatches while lr 1e2 does not: "
        "it drives the loss up."
    ),
    modules=("LSTM", "training"),
    sources=(Seed(S004, "the hyper-parameters line and 'the optimizer is Adam'", line=95),),
    erratum=Erratum(
        Seed(S004, "the hyper-parameters line", line=29),
        says="lr, clipping_theta = 1e2, 1e-2: Adam at learning rate 100",
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
    assert sum(good[-5:]) / 5 < good[0] - 0.5, (
        f"lr 1e-2: losses {good[0]:.3f} to {sum(good[-5:]) / 5:.3f} (last 5), not down by 0.5"
    )
    assert sum(bad[-5:]) / 5 > bad[0], f"lr 1e2: losses {bad[0]:.3f} to {sum(bad[-5:]) / 5:.3f} (last 5), not up"


def clipped(clip, params_of, theta: float) -> bool:
    """Whether ``clip(params_of(model), theta)`` changed any gradient of a small LSTM language model."""
    torch.manual_seed(0)
    model = s004.RNNModel(nn.LSTM(7, 5), 7)
    x = torch.randint(0, 7, (3, 4)).float()  # float32 indices, as data_iter_consecutive yields them
    out, _ = model(x, None)
    nn.functional.cross_entropy(out, torch.randint(0, 7, (12,))).backward()
    before = [p.grad.clone() for p in model.parameters()]
    clip(params_of(model), theta)
    return any(not torch.equal(b, p.grad) for b, p in zip(before, model.parameters()))


@claim(
    id="lyrics.training.clipping-generator",
    statement=(
        "004 clips with grad_clipping(model.parameters(), 1e-2, device), a helper that walks its argument twice; "
        "model.parameters() is a generator, exhausted by the walk that sums the norm, so no gradient is ever "
        "scaled, although at 004's settings the first minibatch's gradient norm is above 1e-2; our "
        "program clips (reference.programs.train.grad_clipping takes the parameters into a list first)."
    ),
    modules=("LSTM", "training"),
    sources=(Seed(S004, "train_and_predict_rnn_pytorch: the gradient clipping after backward", line=127),),
    erratum=Erratum(
        Seed(S004, "train_and_predict_rnn_pytorch: grad_clipping(model.parameters(), clipping_theta, device)", 127),
        says="clips the gradients (梯度裁剪) here; given the generator model.parameters(), it clips nothing",
    ),
)
def test_clipping_generator():
    clip = lambda ps, t: s004.grad_clipping(ps, t, "cpu")  # noqa: E731
    assert not clipped(clip, lambda m: m.parameters(), 1e-2), "004's helper clipped a generator of parameters"
    assert clipped(clip, lambda m: list(m.parameters()), 1e-2), "004's helper left a list of parameters unclipped"
    assert clipped(train.grad_clipping, lambda m: m.parameters(), 1e-2), "our clipping takes a generator too"
    idx_to_char, _, vocab_size, corpus = s004.corpus(data_file("lyrics"))
    torch.manual_seed(0)
    model = s004.RNNModel(nn.LSTM(vocab_size, 256), vocab_size)  # 004's model and settings
    [(_, minibatches)] = s004.train_and_predict(model, "cpu", corpus, 1, 35, 1e-2, 1e-2, 32, minibatches=1)
    assert all(norm > 1e-2 and not changed for norm, changed in minibatches), minibatches
