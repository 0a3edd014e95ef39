"""Warnings of gradient clipping, torch.nn.utils.clip_grad_norm_ and its deprecated alias."""

from __future__ import annotations

import warnings

import pytest
import torch

from spec.registry import PAST_RELEASE, TorchDoc, TorchOwn, claim


def warned(call) -> list:
    """(category, message) of every warning ``call()`` raises, each shown."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, [(w.category, str(w.message)) for w in caught]


def grads(device) -> list:
    params = [torch.zeros(3, dtype=torch.float64, device=device, requires_grad=True) for _ in range(2)]
    for k, p in enumerate(params):
        p.grad = torch.full_like(p, 3.0 + k)
    return params


# Measured: a UserWarning on 1.9.1, 1.11.0, 2.1.2 and 2.3.1, a FutureWarning on 2.9.1, 2.10.0, 2.13.0 and 2.15.0 (where
# between 2.3 and 2.9 it changed is not measured: the claim states what every release does).
@claim(
    id="clip.warnings.clip-grad-norm-deprecated",
    scope=TorchOwn("a warning's wording and when torch chooses to warn"),
    statement=(
        "torch.nn.utils.clip_grad_norm (no trailing underscore) warns that it is deprecated in favour of "
        "clip_grad_norm_, and then clips in place and returns the total norm as clip_grad_norm_ does."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm", "deprecated in favor of clip_grad_norm_"),),
)
def test_clip_grad_norm_deprecated(device):
    old, new = grads(device), grads(device)
    held = [p.grad for p in old]
    total, notices = warned(lambda: torch.nn.utils.clip_grad_norm(old, 1.0))
    assert any("deprecated" in m and "clip_grad_norm_" in m for _, m in notices), notices
    # the total norm by hand: gradients 3, 3, 3 and 4, 4, 4, so sqrt(3 * 9 + 3 * 16) = sqrt(75)
    new_total = torch.nn.utils.clip_grad_norm_(new, 1.0).item()
    assert new_total == total.item() == pytest.approx(75**0.5, rel=1e-12), (
        f"clip_grad_norm returns {total.item()}, clip_grad_norm_ {new_total}, against sqrt(75) = {75**0.5}"
    )
    for a, b, g in zip(old, new, held):
        assert a.grad is g and torch.equal(a.grad, b.grad), (
            "clip_grad_norm did not clip in place as clip_grad_norm_ does: "
            f"{a.grad.tolist()} (same tensor: {a.grad is g}) against {b.grad.tolist()}"
        )


# The warning came with pytorch/pytorch#151529 (April 2025, after 2.7's branch cut): first released in 2.8. Measured:
# present on 2.9.1, 2.10.0, 2.13.0 and 2.15.0; absent on 1.9.1, 1.11.0, 2.1.2 and 2.3.1.
@claim(
    id="clip.warnings.empty-generator",
    scope=TorchOwn("a warning's wording and when torch chooses to warn"),
    statement=(
        "clip_grad_norm_ given a generator that yields nothing (model.parameters() already consumed) warns with a "
        "UserWarning that no gradient clipping will occur, and returns a total norm of 0."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),),
    torch=">=2.8",
)
def test_empty_generator_warns(device):
    params = grads(device)
    consumed = (p for p in params)
    list(consumed)
    total, notices = warned(lambda: torch.nn.utils.clip_grad_norm_(consumed, 1.0))
    assert total.item() == 0.0, f"an empty generator: total norm {total.item()} against 0"
    assert [c for c, m in notices if "empty generator" in m] == [UserWarning], notices
    _, quiet = warned(lambda: torch.nn.utils.clip_grad_norm_([], 1.0))  # an empty list is no generator: silent
    assert not [m for _, m in quiet if "empty generator" in m], (
        f"an empty list warns: {[m for _, m in quiet if 'empty generator' in m]}"
    )


@claim(
    id="clip.warnings.empty-generator-silent",
    scope=PAST_RELEASE,
    statement="Before torch 2.8 clip_grad_norm_ given an exhausted generator clips nothing and says nothing.",
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),),
    torch="<2.8",
)
def test_empty_generator_silent(device):
    total, notices = warned(lambda: torch.nn.utils.clip_grad_norm_((p for p in []), 1.0))
    assert float(total) == 0.0 and not notices, notices
