"""Training of the sources' programs' gradient clipping."""

from __future__ import annotations

import pytest
import torch

from reference.programs import train
from spec.helpers.strategies import Config
from spec.registry import Seed, TorchDoc, claim
from spec.sources.seeds import S003, S004


@claim(
    id="clip.training.sources-formula",
    statement=(
        "The sources' clipping, g = sqrt(sum of all squared gradients) and every gradient times theta/g when "
        "g > theta, gives torch's clip_grad_norm_ result up to its 1e-6 guard (relative difference <= 1e-6/g)."
    ),
    modules=("clip_grad_norm_", "training"),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "max_norm"),
        Seed(S003, "4.3: grad_clipping(net, theta)", line=470),
        Seed(S004, "train_and_predict_rnn_pytorch: grad_clipping after backward", line=127),
    ),
)
@pytest.mark.parametrize("theta", [0.01, 1.0, 1e3])
def test_sources_clipping(theta, device):
    cfg = Config(mode="GRU", num_layers=2, dtype="float64")
    grads = []
    for clip in (lambda ps: train.grad_clipping(ps, theta), lambda ps: torch.nn.utils.clip_grad_norm_(ps, theta)):
        m = cfg.build(device, train=True)
        (m(cfg.input(device))[0] ** 2).sum().backward()
        norm = float(clip(list(m.parameters())))
        grads.append([p.grad.clone() for p in m.parameters()])
    for a, b in zip(*grads):  # the two differ only through torch's + 1e-6 in theta / (g + 1e-6)
        assert ((a - b).abs() <= (1e-6 / norm + 1e-12) * b.abs() + 1e-15).all(), f"theta={theta}, g={norm}"
