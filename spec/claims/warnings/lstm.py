"""Warnings of what is particular to nn.LSTM (its cell state, projections, gates)."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch import nn

from spec.helpers.modules import fixed_randn
from spec.registry import BACKENDS, PAST_RELEASE, TorchDoc, claim


def lstm_with_projection_warnings():
    """The UserWarnings of one CPU forward of a projected LSTM. The warning is a C++ warn-once,
    so it fires for the first such call in a process only: warn-always makes it observable."""
    if not torch.backends.mkldnn.is_available():
        pytest.skip("this torch build has no oneDNN (mkldnn)")
    always = getattr(torch, "is_warn_always_enabled", lambda: False)()
    if hasattr(torch, "set_warn_always"):
        torch.set_warn_always(True)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            nn.LSTM(3, 4, proj_size=2)(fixed_randn("cpu", 5, 2, 3))
    finally:
        if hasattr(torch, "set_warn_always"):
            torch.set_warn_always(always)
    return [str(w.message) for w in caught if issubclass(w.category, UserWarning)]


ONEDNN = "LSTM with projections is not supported with oneDNN"


@claim(
    id="lstm.warnings.proj-onednn-fallback",
    scope=BACKENDS,
    statement=(
        "On a CPU build with oneDNN, the forward of an LSTM with proj_size warns (once per process) that oneDNN "
        "lacks projections and falls back to the default implementation, whose result matches-reference checks."
    ),
    modules=("LSTM",),
    sources=(TorchDoc("torch.nn.LSTM", "Args", "proj_size"),),
    torch=">=2.0",  # measured: silent on 1.8-1.13, warns from 2.0 to 2.15
)
def test_proj_onednn_warning():
    seen = lstm_with_projection_warnings()
    assert any(ONEDNN in m for m in seen), f"no warning that oneDNN lacks projections among {seen}"


@claim(
    id="lstm.warnings.proj-silent-before-2-0",
    scope=PAST_RELEASE,
    statement="Before torch 2.0 an LSTM with proj_size runs on CPU without that warning.",
    modules=("LSTM",),
    sources=(TorchDoc("torch.nn.LSTM", "Args", "proj_size"),),
    torch="<2.0",
)
def test_proj_silent_before_2_0():
    seen = lstm_with_projection_warnings()
    assert not any(ONEDNN in m for m in seen), f"a warning that oneDNN lacks projections: {seen}"
