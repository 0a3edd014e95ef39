"""Targets of what is particular to nn.LSTM (its cell state, projections, gates)."""

from __future__ import annotations

import pytest
import torch

from spec.helpers import targets
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import (
    built,
    probe,
    quiet,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim


# Measured on the matrix (2.1.2, 2.2.2, 2.3.1 wrong; 2.4.1, 2.5.1, 2.6.0 and later right), for a 2-layer
# bidirectional batch_first LSTM and a 1-layer seq-first one; RNN and GRU export right on every release.
@claim(
    id="lstm.targets.export-state-extra-dim",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.1 to 2.3 the module of an exported LSTM returns h_n and c_n with an extra dimension, "
        "[num_layers*D, 1, batch, H] instead of [num_layers*D, batch, H] (the values, squeezed, are right), while "
        "the output and the exports of RNN and GRU are right; 2.4 fixed it."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.1,<2.4",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_state_extra_dim(mode, device):
    targets.require("export")
    cfg = probe(mode)
    m, x = built(cfg, device)
    with quiet():
        out, state = torch.export.export(m, (x,)).module()(x)
    want_out, want_state = m(x)
    assert_close(out, want_out, "the exported output")
    states, wanted = (state, want_state) if mode == "LSTM" else ((state,), (want_state,))
    for got, want in zip(states, wanted):
        if mode == "LSTM":
            assert got.shape == (want.shape[0], 1, *want.shape[1:]), f"exported LSTM state {tuple(got.shape)}"
            got = got.squeeze(1)
        assert_close(got, want, f"the exported {mode}'s state")
