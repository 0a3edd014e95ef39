"""Minibatches of (X, Y) subsequences for language models; Y is X shifted by one token.

- :func:`random_iter` (003): a random offset in [0, num_steps), then subsequences in shuffled order,
  so neighbouring minibatches are not neighbours in the corpus: the state must be re-initialised.
- :func:`sequential_iter` (003): a random offset in [0, num_steps], the corpus cut into ``batch_size``
  rows, minibatches read left to right: row i of a minibatch continues row i of the one before.
- :func:`consecutive_iter` (004): the same partitioning with no offset.

Randomness comes from the ``random.Random`` passed in, never from global state.
"""

from __future__ import annotations

import random
from typing import Iterator, Sequence

import torch


def random_iter(corpus: Sequence[int], batch_size: int, num_steps: int, rng: random.Random) -> Iterator:
    corpus = corpus[rng.randint(0, num_steps - 1) :]
    num_subseqs = (len(corpus) - 1) // num_steps  # -1: every X needs its Y one token later
    starts = list(range(0, num_subseqs * num_steps, num_steps))
    rng.shuffle(starts)
    for i in range(0, (num_subseqs // batch_size) * batch_size, batch_size):
        batch = starts[i : i + batch_size]
        yield (
            torch.tensor([corpus[j : j + num_steps] for j in batch]),
            torch.tensor([corpus[j + 1 : j + 1 + num_steps] for j in batch]),
        )


def _partitioned(corpus: Sequence[int], batch_size: int, num_steps: int, offset: int) -> Iterator:
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    xs = torch.tensor(corpus[offset : offset + num_tokens]).reshape(batch_size, -1)
    ys = torch.tensor(corpus[offset + 1 : offset + 1 + num_tokens]).reshape(batch_size, -1)
    for i in range(0, (xs.shape[1] // num_steps) * num_steps, num_steps):
        yield xs[:, i : i + num_steps], ys[:, i : i + num_steps]


def sequential_iter(corpus: Sequence[int], batch_size: int, num_steps: int, rng: random.Random) -> Iterator:
    return _partitioned(corpus, batch_size, num_steps, rng.randint(0, num_steps))


def consecutive_iter(corpus: Sequence[int], batch_size: int, num_steps: int) -> Iterator:
    """004's ``data_iter_consecutive``: rows of ``len // batch_size`` tokens, (rows - 1) // num_steps batches."""
    batch_len = len(corpus) // batch_size
    rows = torch.tensor(corpus[: batch_size * batch_len]).reshape(batch_size, batch_len)
    for i in range((batch_len - 1) // num_steps):
        s = i * num_steps
        yield rows[:, s : s + num_steps], rows[:, s + 1 : s + 1 + num_steps]
