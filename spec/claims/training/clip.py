"""Training of gradient clipping, torch.nn.utils.clip_grad_norm_."""

from __future__ import annotations

import math

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
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "max_norm"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "Clip the gradient norm"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "concatenated into a single vector"),
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


# --- issue 17: clip_grad_norm_'s norm types, a single tensor, foreach ---


def grads_of(device, seed=0):
    """Three parameters with seeded gradients of different shapes."""
    g = torch.Generator().manual_seed(seed)
    params = []
    for shape in ((4, 3), (5,), (2, 2, 2)):
        p = torch.zeros(shape, dtype=torch.float64, device=device, requires_grad=True)
        p.grad = torch.randn(shape, generator=g, dtype=torch.float64).to(device)
        params.append(p)
    return params


def norm_by_hand(grads, p: float) -> float:
    """The p-norm of all gradients as one vector: max |g| for p = inf, (sum |g|^p)^(1/p) otherwise."""
    flat = torch.cat([g.flatten().abs() for g in grads])
    return flat.max().item() if math.isinf(p) else (flat**p).sum().item() ** (1 / p)


@claim(
    id="clip.training.norm-types",
    statement=(
        "clip_grad_norm_'s norm_type picks the p-norm of all gradients as one vector: inf (also given as the "
        "string 'inf') is the largest |g|, another p is (sum |g|^p)^(1/p); the gradients are scaled by "
        "max_norm/(norm + 1e-6) when that is below 1, and a single tensor is accepted in place of an iterable."
    ),
    modules=("clip_grad_norm_",),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "max_norm"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "norm_type"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "concatenated into a single vector"),
    ),
)
@pytest.mark.parametrize("norm_type", (math.inf, "inf", 1.0, 3.0), ids=repr)
def test_clip_norm_types(norm_type, device):
    p = float(norm_type)
    for max_norm in (0.5, 1e3):  # clipped, and left alone
        params = grads_of(device)
        before = [q.grad.clone() for q in params]
        total = norm_by_hand(before, p)
        returned = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        assert returned.item() == pytest.approx(total, rel=1e-12)
        scale = min(1.0, max_norm / (total + 1e-6))
        for b, q in zip(before, params):
            assert_close(q.grad, b * scale, f"norm_type={norm_type!r} max_norm={max_norm}")
    single = grads_of(device)[0]
    before = single.grad.clone()
    returned = torch.nn.utils.clip_grad_norm_(single, 0.5, norm_type=norm_type)
    assert returned.item() == pytest.approx(norm_by_hand([before], p), rel=1e-12)
    assert_close(single.grad, before * min(1.0, 0.5 / (returned.item() + 1e-6)), "a single tensor")


# foreach: added by pytorch/pytorch#91846 (merged January 2023, after the 1.13 release of October 2022 and before
# the 2.0 branch cut of February 2023): first released in 2.0.
@claim(
    id="clip.training.foreach",
    statement=(
        "clip_grad_norm_(..., foreach=False) and the default foreach=None clip alike; foreach=True clips alike "
        "too where the tensors' device has foreach kernels, and elsewhere refuses with a RuntimeError instead of "
        "falling back as None does."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "foreach"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("foreach", (None, True, False), ids=repr)
def test_clip_foreach(foreach, device):
    params = grads_of(device, seed=1)
    before = [q.grad.clone() for q in params]
    total = norm_by_hand(before, 2.0)
    try:
        returned = torch.nn.utils.clip_grad_norm_(params, 0.5, foreach=foreach)
    except RuntimeError as refused:  # which devices have foreach kernels has changed between releases
        assert foreach is True and "foreach=True was passed" in str(refused), refused
        assert all(torch.equal(b, q.grad) for b, q in zip(before, params)), "a refusal changes nothing"
        return
    assert returned.item() == pytest.approx(total, rel=1e-12)
    for b, q in zip(before, params):
        assert_close(q.grad, b * (0.5 / (total + 1e-6)), f"foreach={foreach}")


@claim(
    id="clip.training.no-gradients",
    statement=(
        "clip_grad_norm_ over parameters that have no gradient (or over none at all) returns a total norm of 0 "
        "and changes nothing."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),),
)
def test_clip_no_gradients(device):
    params = [torch.ones(3, device=device, requires_grad=True), torch.ones(2, device=device, requires_grad=True)]
    for given in (params, []):
        total = torch.nn.utils.clip_grad_norm_(given, 1.0)
        assert total.item() == 0.0
    assert all(p.grad is None for p in params)
