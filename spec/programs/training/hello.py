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
    last = [h[-1][0] for h in histories]  # a majority: see the statement
    assert sum(p == "ohlol" for p in last) > len(SEEDS) // 2, (
        f"{version}: last predictions {last}, ohlol in no majority"
    )
    assert all(h[-1][1] < h[0][1] for h in histories), (
        f"{version}: first and last losses {[(h[0][1], h[-1][1]) for h in histories]}: not all falling"
    )


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
    assert loss.item() >= BOUND - 1e-12, f"cross-entropy {loss.item()} below the floor {BOUND}"
    best = [-1.0] * 4
    best[target] = 1.0
    reached = torch.nn.functional.cross_entropy(torch.tensor([best], dtype=torch.float64), torch.tensor([target]))
    assert reached.item() == pytest.approx(BOUND, rel=1e-12), (
        f"the best case reaches {reached.item()}, not the floor {BOUND}"
    )


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
    id="hello.training.listings-replayed",
    statement=(
        "Our hello program reproduces 001's two listings run as written, epoch by epoch (the same predictions "
        "and losses for the same seed), and the two listings are one run: the same seed gives RNNCell(4, 4) and "
        "nn.RNN(4, 4) the same weights, the cell's summed loss is 5 times the mean, and Adam's steps do not "
        "depend on the loss's scale, so they print the same words with losses in the ratio 5."
    ),
    modules=("RNNCell", "RNN", "training"),
    sources=(
        Seed(S001, "3. the RNNCell model: the loss summed over the steps, Adam lr 0.1", line=116),
        Seed(S001, "4. the nn.RNN model: CrossEntropyLoss over all five steps at once", line=193),
    ),
)
def test_hello_listings_replayed():
    from reference.programs.listings import s001

    for seed in range(2):
        cell, rnn = s001.train_cell(seed), s001.train_rnn(seed)
        assert cell == hello.train("cell", 20, 0.1, seed)[1], f"seed {seed}: the RNNCell listing"
        assert rnn == hello.train("rnn", 20, 0.1, seed)[1], f"seed {seed}: the nn.RNN listing"
        assert [w for w, _ in cell] == [w for w, _ in rnn], f"seed {seed}"
        # Adam divides by sqrt(v) + 1e-8: the scale cancels but for that eps, ~1e-7 of gradients of ~1e-1
        assert [c / 5 for _, c in cell] == pytest.approx([r for _, r in rnn], rel=1e-4), f"seed {seed}"


#: 001's printed logs (lines 139-158 and 210-229): the first and last losses, the first epoch showing 'ohlol'.
PRINTED = {"cell": (7.421962261199951, 1.9463403224945068, 9), "rnn": (1.4251950979232788, 0.39772507548332214, 4)}


@claim(
    id="hello.training.printed-logs",
    statement=(
        "001's printed logs are what its listings give for some seed: each first loss lies among the untrained "
        "losses of seeds 0-99, each last loss among the epoch-20 losses of seeds 0-14 trained as listed (the "
        "nn.RNN's mean times 5, the steps the cell's loss sums), and 'ohlol' first at epoch 9 and 4 within the "
        "epochs at which seeds 0-14 first print it; the two logs come from different initial weights (7.42 is not "
        "5 times 1.43)."
    ),
    modules=("RNNCell", "RNN", "training"),
    sources=(
        Seed(S001, "3. the RNNCell log: lhehl at epoch 1 (7.42), ohlol from epoch 9, 1.95 at epoch 20", line=139),
        Seed(S001, "4. the nn.RNN log: lllll at epoch 1 (1.43), ohlol from epoch 4, 0.40 at epoch 20", line=210),
    ),
)
def test_hello_printed_logs():
    from reference.programs.listings import s001

    # the two listings print the same epochs, the cell's losses 5 times the mean (hello.training.listings-replayed)
    logs = [s001.train_cell(seed) for seed in range(15)]
    trained = [log[-1][1] for log in logs]  # summed over the 5 steps
    for version, steps in (("cell", 5), ("rnn", 1)):
        first, last, ohlol = PRINTED[version]
        untrained = s001.untrained_losses(version, range(100))
        assert untrained.min() < first < untrained.max(), f"{version}: {first} outside {untrained.aminmax()}"
        summed = last * 5 / steps
        assert min(trained) <= summed <= max(trained), (
            f"{version}: the last loss {last} (summed: {summed:.3f}) outside the seeds' "
            f"[{min(trained):.3f}, {max(trained):.3f}]"
        )
    firsts = [s001.first_ohlol(log) for log in logs]
    reached = [f for f in firsts if f]
    assert min(reached) <= PRINTED["rnn"][2] and PRINTED["cell"][2] <= max(reached), firsts
    assert abs(PRINTED["cell"][0] / PRINTED["rnn"][0] - 5) > 0.1, "the printed first losses are one run's"
