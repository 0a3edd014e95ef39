"""Vanishing and exploding gradients through nn.RNN: the ``rnn.autograd.vanishing-*`` claims."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.api import api
from spec.registry import CONTRACT, Seed, claim
from spec.sources.seeds import S000, S003


@claim(
    id="rnn.autograd.vanishing-exploding",
    scope=CONTRACT,
    statement=(
        "Backpropagation through time multiplies by W_hh at every step: at the zero fixed point of a tanh RNN "
        "with W_hh = s*Q (Q orthogonal), ||d h_T / d h_0|| = s^T, vanishing for s < 1 and exploding for s > 1."
    ),
    modules=("RNN",),
    sources=(
        Seed(S000, "training an RNN: the chain rule multiplies W_R repeatedly, so gradients vanish or explode", line=7),
        Seed(S003, "1.3 back propagation: long-term dependencies and vanishing or exploding gradients", line=53),
    ),
)
@pytest.mark.parametrize("scale", [0.5, 0.9, 1.1, 2.0])
@pytest.mark.parametrize("steps", [1, 5, 20])
def test_vanishing_exploding(scale, steps, device):
    hidden = 6
    rnn = api.RNN(3, hidden, bias=False).double().to(device)
    q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(scale * q)
    h0 = torch.zeros(1, 1, hidden, dtype=torch.float64, device=device, requires_grad=True)
    x = torch.zeros(steps, 1, 3, dtype=torch.float64, device=device)  # stays at h = 0, where tanh' = 1
    _, h_n = rnn(x, h0)
    u = torch.zeros(hidden, dtype=torch.float64, device=device)
    u[0] = 1.0
    (g,) = torch.autograd.grad((h_n[0, 0] * u).sum(), h0)  # = u^T (sQ)^T: its norm is s^T
    assert g.norm().item() == pytest.approx(scale**steps, rel=1e-9), (
        f"|dh_n/dh_0| {g.norm().item()} against scale**steps = {scale**steps}"
    )
