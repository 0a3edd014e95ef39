"""Training utilities torch provides for recurrent models: gradient clipping."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.modules import returned_tensors, weighted_sum
from spec.helpers.strategies import Config
from spec.helpers.tolerances import assert_close
from spec.registry import Seed, TorchDoc, claim
from spec.sources.seeds import S003, S004


@claim(
    id="clip.training.global-norm",
    statement=(
        "clip_grad_norm_(parameters, theta) computes the norm g of all gradients taken together and, when g > theta, "
        "scales every gradient by theta/(g + 1e-6): the sources' rule min(1, theta/g) with a guard against g = 0."
    ),
    modules=("clip_grad_norm_",),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_norm_", "the norm is computed over all gradients together"),
        Seed(S003, "1.3: clipping the gradient norm before the update helps against exploding gradients", line=61),
        Seed(S004, "training loop: gradient clipping by the global norm", line=127),
    ),
)
@pytest.mark.parametrize("theta", [0.1, 1.0, 100.0])
def test_clip_global_norm(theta, device):
    cfg = Config(mode="LSTM", num_layers=2, dtype="float64")
    m = cfg.build(device, train=True)
    weighted_sum(returned_tensors(m(cfg.input(device))), cfg, device).backward()
    before = [p.grad.clone() for p in m.parameters()]
    g = torch.sqrt(sum((b**2).sum() for b in before))  # the global norm, by hand
    returned = torch.nn.utils.clip_grad_norm_(m.parameters(), theta)
    assert returned.item() == pytest.approx(g.item(), rel=1e-12)
    scale = min(1.0, theta / (g.item() + 1e-6))
    for b, p in zip(before, m.parameters()):
        assert_close(p.grad, b * scale, f"theta={theta}")
