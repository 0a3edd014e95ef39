"""Errors of gradient clipping, torch.nn.utils.clip_grad_norm_."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.api import api
from spec.helpers.outcomes import refused
from spec.registry import CONTRACT, PAST_RELEASE, TorchDoc, claim


def nonfinite_grads(device, bad: float):
    """Two parameters whose gradients hold one non-finite value."""
    params = [torch.zeros(3, device=device, requires_grad=True), torch.zeros(2, device=device, requires_grad=True)]
    params[0].grad = torch.tensor([1.0, bad, 2.0], device=device)
    params[1].grad = torch.ones(2, device=device)
    return params


# error_if_nonfinite: added by pytorch/pytorch#53843 (merged March 2021), first released in 1.9 (its release notes
# list it under torch.nn.utils); 1.8's clip_grad_norm_(parameters, max_norm, norm_type) has no such keyword.
@claim(
    id="clip.errors.error-if-nonfinite",
    scope=CONTRACT,
    statement=(
        "clip_grad_norm_(..., error_if_nonfinite=True) raises RuntimeError when the total norm is nan or inf; "
        "by default (False) it raises nothing and returns the non-finite norm."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "error_if_nonfinite"),),
    torch=">=1.9",
)
@pytest.mark.parametrize("bad", (float("inf"), float("nan")), ids=("inf", "nan"))
def test_error_if_nonfinite(bad, device):
    with refused(RuntimeError, match="non-finite"):
        api.clip_grad_norm_(nonfinite_grads(device, bad), 1.0, error_if_nonfinite=True)
    total = api.clip_grad_norm_(nonfinite_grads(device, bad), 1.0)
    assert not torch.isfinite(total), f"gradients with {bad}: total norm {total.item()}, expected non-finite"


@claim(
    id="clip.errors.error-if-nonfinite-before-1-9",
    scope=PAST_RELEASE,
    statement="Before torch 1.9 clip_grad_norm_ has no error_if_nonfinite: passing it is a TypeError.",
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "error_if_nonfinite"),),
    torch="<1.9",
)
def test_error_if_nonfinite_before_1_9(device):
    with pytest.raises(TypeError, match="error_if_nonfinite"):
        torch.nn.utils.clip_grad_norm_(nonfinite_grads(device, 1.0), 1.0, error_if_nonfinite=True)


# the other side of clip.training.foreach (torch >= 2.0; the boundary is established there)
@claim(
    id="clip.errors.foreach-before-2-0",
    scope=PAST_RELEASE,
    statement="Before torch 2.0 clip_grad_norm_ has no foreach: passing it is a TypeError.",
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "foreach"),),
    torch="<2.0",
)
def test_foreach_before_2_0(device):
    with pytest.raises(TypeError, match="foreach"):
        torch.nn.utils.clip_grad_norm_(nonfinite_grads(device, 1.0), 1.0, foreach=False)


# the other side of clip.training.value-foreach (torch >= 2.0)
@claim(
    id="clip.errors.value-foreach-before-2-0",
    scope=PAST_RELEASE,
    statement="Before torch 2.0 clip_grad_value_ has no foreach: passing it is a TypeError.",
    modules=("clip_grad_value_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_value_", "foreach"),),
    torch="<2.0",
)
def test_value_foreach_before_2_0(device):
    with pytest.raises(TypeError, match="foreach"):
        torch.nn.utils.clip_grad_value_(nonfinite_grads(device, 1.0), 1.0, foreach=False)
