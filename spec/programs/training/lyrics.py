"""Training of the Jay Chou lyrics program (S004)."""

from __future__ import annotations

import torch

from reference.programs import train
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
    assert sum(good[-5:]) / 5 < good[0] - 0.5
    assert sum(bad[-5:]) / 5 > bad[0]
