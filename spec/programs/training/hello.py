"""Training of the 'hello' -> 'ohlol' program (S001)."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import hello
from spec.registry import Seed, claim
from spec.sources.seeds import S001

SEEDS = range(50)


BOUND = math.log(1 + 3 * math.exp(-2))


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
