"""Gradients of the sources' training practice: truncated backpropagation through time."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from spec.helpers.tolerances import assert_close
from spec.registry import Seed, claim
from spec.sources.seeds import S003


def loss_with_truncation(layer: nn.RNN, x, xi) -> torch.Tensor:
    """A tanh RNN stepped by hand whose state enters step t with its gradient scaled by ``xi[t]`` (forward
    unchanged): xi = 1 everywhere is full backpropagation, 0 cuts the graph there; the loss is the sum of the
    squared states of every step."""
    h = torch.zeros(x.shape[1], layer.hidden_size, dtype=x.dtype)
    loss = 0
    for t in range(x.shape[0]):
        if t:  # the state keeps its value; its gradient is multiplied by xi[t]
            h = h.detach() + xi[t] * (h - h.detach())
        h = torch.tanh(x[t] @ layer.weight_ih_l0.T + layer.bias_ih_l0 + h @ layer.weight_hh_l0.T + layer.bias_hh_l0)
        loss = loss + (h**2).sum()
    return loss


def gradient(layer, x, xi) -> torch.Tensor:
    layer.zero_grad()
    loss_with_truncation(layer, x, xi).backward()
    return torch.cat([p.grad.reshape(-1) for p in layer.parameters()])


@claim(
    id="training.autograd.randomized-truncation",
    statement=(
        "Randomized truncation is unbiased: cutting the gradient through the state before each step with "
        "probability 1 - pi and scaling it by 1/pi otherwise gives, in expectation over every pattern of cuts, the "
        "full backpropagation-through-time gradient, while cutting at fixed steps gives a different one."
    ),
    modules=("training", "RNN"),
    sources=(
        Seed(S003, "1.3: three ways to compute the gradient: in full, truncated at tau, randomly truncated", line=55),
    ),
)
@pytest.mark.parametrize("pi", [0.25, 0.5, 0.9])
def test_randomized_truncation(pi):
    torch.manual_seed(0)
    layer = nn.RNN(3, 4).double()
    with torch.no_grad():
        layer.weight_hh_l0.mul_(3)  # a strong recurrence, so that what flows through the state matters
    steps = 5
    x = torch.randn(steps, 2, 3, dtype=torch.float64)
    full = gradient(layer, x, [1.0] * steps)
    expected = torch.zeros_like(full)
    for kept in itertools.product((False, True), repeat=steps - 1):  # every pattern, exactly weighted
        probability = 1.0
        for k in kept:
            probability *= pi if k else 1 - pi
        xi = [1.0] + [1 / pi if k else 0.0 for k in kept]
        expected += probability * gradient(layer, x, xi)
    assert_close(expected, full, f"pi={pi}")
    fixed = gradient(layer, x, [1.0, 1.0, 0.0, 1.0, 1.0])  # truncated every tau = 2 steps, once
    assert (fixed - full).abs().max() > 1e-3, "a fixed cut should change the gradient"
