"""Data of the sources' minibatch sampling (random and sequential partitioning)."""

from __future__ import annotations

import itertools
import random

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import datasets, sampling
from spec.helpers.modules import data_file
from spec.registry import Seed, claim
from spec.sources.seeds import S003, S004


def windows(batches):
    """[(first token of each row of X)], checking Y = X shifted by one on the way (corpus = 0, 1, 2, ...)."""
    starts = []
    for x, y in batches:
        assert torch.equal(y, x + 1), "Y is not X shifted by one token"
        assert torch.equal(x[:, 1:], x[:, :-1] + 1), "a row of X is not a contiguous subsequence"
        starts.append(x[:, 0].tolist())
    return starts


sizes = dict(n=st.integers(20, 200), batch=st.integers(1, 5), steps=st.integers(1, 7), seed=st.integers(0, 99))


SAMPLING = (
    Seed(S003, "3.2 and 4.1: random sampling and sequential partitioning", line=158),
    Seed(S004, "consecutive sampling: adjacent minibatches are adjacent in the corpus", line=53),
)


@claim(
    id="sampling.data.minibatches",
    statement=(
        "Every sampler yields X and Y of shape [batch, num_steps] with Y the next tokens of X, and no token "
        "position is in two X windows of an epoch (windows never overlap); sequential and consecutive "
        "minibatches continue row by row where the previous one stopped, random ones need not."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "3.2 and 4.1: random sampling and sequential partitioning", line=158),
        Seed(S004, "consecutive sampling: adjacent minibatches are adjacent in the corpus", line=53),
    ),
)
@given(**sizes)
def test_minibatches(n, batch, steps, seed):
    corpus = list(range(n))
    samplers = {
        "random": lambda: sampling.random_iter(corpus, batch, steps, random.Random(seed)),
        "sequential": lambda: sampling.sequential_iter(corpus, batch, steps, random.Random(seed)),
        "consecutive": lambda: sampling.consecutive_iter(corpus, batch, steps),
    }
    for name, sample in samplers.items():
        check_epoch(list(sample()), batch, steps, adjacent=name != "random", name=name)


def check_epoch(batches, batch: int, steps: int, adjacent: bool, name: str = "") -> None:
    """One epoch of (X, Y) from a corpus 0, 1, 2, ...: shapes, Y = X + 1, windows that never overlap, and
    (``adjacent``) each minibatch's rows continuing where the previous one's stopped."""
    assert all(x.shape == (batch, steps) for x, _ in batches), name
    starts = windows(batches)
    covered = [p for row in starts for s in row for p in range(s, s + steps)]
    assert len(covered) == len(set(covered)), f"{name}: two windows share a token position"
    if adjacent:
        for before, after in zip(starts, starts[1:]):
            assert after == [s + steps for s in before], f"{name}: minibatches are not adjacent"


@claim(
    id="sampling.data.random-not-adjacent",
    statement=(
        "Random sampling shuffles the subsequences: over 10,000 tokens (batch 32, 35 steps) no two consecutive "
        "minibatches are adjacent in the corpus."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "3.2 and 4.1: random sampling and sequential partitioning", line=158),
        Seed(S004, "consecutive sampling: adjacent minibatches are adjacent in the corpus", line=53),
    ),
)
def test_random_not_adjacent():
    corpus = list(range(10000))  # the length the sources train on
    starts = windows(sampling.random_iter(corpus, 32, 35, random.Random(0)))
    adjacent = sum(after == [s + 35 for s in before] for before, after in zip(starts, starts[1:]))
    assert len(starts) > 1 and adjacent == 0, (
        f"{len(starts)} minibatches, {adjacent} adjacent to the one before (expected more than 1 and 0)"
    )


def offsets(batches, name: str) -> int:
    """The number of leading tokens a sampler skipped, from its windows over a corpus 0, 1, 2, ..."""
    starts = [s for row in windows(batches) for s in row]
    return min(starts) if name == "sequential" else min(starts) % len(batches[0][0][0])


@claim(
    id="sampling.data.random-offset",
    statement=(
        "Both of 003's samplers start at a random offset, random sampling in [0, num_steps - 1] and sequential "
        "in [0, num_steps], every value coming up over 200 seeds; random sampling then uses all but fewer than "
        "batch_size of the num_steps-long windows after the offset, and sequential sampling cuts batch_size "
        "consecutive equal rows, each read from its start to its last whole window."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "4.1: seq_data_iter_random, a random offset up to num_steps - 1, then shuffled windows", line=309),
        Seed(S003, "4.1: seq_data_iter_sequential, a random offset up to num_steps, rows read in order", line=333),
    ),
)
@pytest.mark.parametrize("n, batch, steps", [(200, 3, 5), (97, 2, 7), (60, 4, 1)])
def test_random_offset(n, batch, steps):
    corpus = list(range(n))
    seen = {"random": set(), "sequential": set()}
    for seed in range(200):
        batches = list(sampling.random_iter(corpus, batch, steps, random.Random(seed)))
        o = offsets(batches, "random")
        seen["random"].add(o)
        grid = set(range(o, o + ((n - o - 1) // steps) * steps, steps))  # every window after the offset
        used = [s for row in windows(batches) for s in row]
        assert set(used) <= grid and len(grid) - len(used) < batch, f"seed {seed}"
        batches = list(sampling.sequential_iter(corpus, batch, steps, random.Random(seed)))
        o = offsets(batches, "sequential")
        seen["sequential"].add(o)
        row = (n - o - 1) // batch  # tokens per row
        covered = sorted(p for x, _ in batches for p in x.flatten().tolist())
        assert covered == sorted(o + i * row + j for i in range(batch) for j in range(row // steps * steps)), (
            f"seed {seed}, offset {o}: sequential sampling covers {covered}"
        )
    assert seen == {"random": set(range(steps)), "sequential": set(range(steps + 1))}, (
        f"offsets drawn {seen} against 0..{steps - 1} (random) and 0..{steps} (sequential)"
    )


def count(name: str, n: int, batch: int, steps: int, offset: int) -> int:
    """003's minibatches per epoch after ``offset``: whole windows, then whole batches of them (random), or
    whole rows, then whole windows of them (sequential)."""
    if name == "random":
        return ((n - offset - 1) // steps) // batch
    return ((n - offset - 1) // batch) // steps


@claim(
    id="sampling.data.minibatch-count",
    statement=(
        "An epoch has (len(corpus) // batch_size - 1) // num_steps minibatches under 004's consecutive "
        "sampling (8 for the lyrics' 10,000 characters at batch 32 and 35 steps), and, after an offset o, "
        "((len - o - 1) // num_steps) // batch_size under 003's random and ((len - o - 1) // batch_size) "
        "// num_steps under its sequential sampling."
    ),
    modules=("data",),
    sources=(
        Seed(S004, "data_iter_consecutive: epoch_size = (batch_len - 1) // num_steps", line=60),
        Seed(S003, "4.1: num_batches = num_subseqs // batch_size in the random sampler", line=323),
        Seed(S003, "4.1: num_batches = Xs.shape[1] // num_steps in the sequential sampler", line=339),
    ),
)
def test_minibatch_count():
    for n, batch, steps, seed in itertools.product((20, 57, 200), range(1, 6), range(1, 8), range(3)):
        corpus = list(range(n))
        got, want = len(list(sampling.consecutive_iter(corpus, batch, steps))), max(0, (n // batch - 1) // steps)
        assert got == want, f"consecutive: n={n}, batch={batch}, steps={steps}: {got} minibatches, not {want}"
        for name, drawn in (("random", range(steps)), ("sequential", range(steps + 1))):  # the offsets it may draw
            batches = list(getattr(sampling, f"{name}_iter")(corpus, batch, steps, random.Random(seed)))
            where = f"{name}: n={n}, batch={batch}, steps={steps}, seed={seed}"
            if batches:
                assert len(batches) == count(name, n, batch, steps, offsets(batches, name)), where
            else:  # no window to read the offset back from: some offset it may draw must give none
                assert any(count(name, n, batch, steps, o) <= 0 for o in drawn), where
    text = datasets.read_lyrics(data_file("lyrics"))  # last: the case skips here when the file is missing
    corpus = datasets.char_indices(text)[2]
    got = len(list(sampling.consecutive_iter(corpus, 32, 35)))
    assert len(corpus) == 10000 and got == 8, f"{len(corpus)} tokens, {got} minibatches: not 10000, (312 - 1) // 35 = 8"
