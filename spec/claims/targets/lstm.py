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
    raises_as_measured,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim, not_applicable


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


def aot_compiled_with_grad(dtype: str, device: str):
    """(what torch.compile(m, backend="aot_eager", fullgraph=True) with allow_rnn set returns, the LSTM, its input),
    the parameters wanting gradients and the input not, as in training: AOTAutograd traces forward and backward
    together on this first call."""
    from torch import _dynamo

    cfg = probe("LSTM", dtype=dtype, num_layers=1, bidirectional=False)  # the smallest: AOTAutograd unrolls the steps
    m, x = built(cfg, device, train=True)
    _dynamo.reset()
    with quiet(), _dynamo.config.patch(allow_rnn=True):
        return torch.compile(m, backend="aot_eager", fullgraph=True)(x), m, x


# pytorch/pytorch#185163 (open), its blocker C, and #185902: the decomposition picks the oneDNN (mkldnn) LSTM
# kernel on cpu for float32 when the input does not want gradients, even if the parameters do; its workspace is not
# a tensor, and AOTAutograd cannot save it for backward (an input that wants gradients takes another path and
# compiles). Measured with aot_eager: AssertionError ("tensors_saved_for_backwards") on 2.1.2, 2.2.2, 2.3.1, 2.9.1,
# 2.10.0, 2.13.0, 2.14.1, 2.15.0; Inductor: BackendCompilerFailed on 2.2-2.3, "expected Tensor() for op
# mkldnn_rnn_layer" from 2.9. float64 (no oneDNN kernel) and float32 without gradients compile on each.
@claim(
    id="lstm.targets.compile-allow-rnn-onednn-grad-refused",
    scope=TOOLCHAIN,
    statement=(
        "With allow_rnn set, a float32 LSTM on cpu whose parameters want gradients, compiled through AOTAutograd, "
        "fails on its first call on an input that does not (the oneDNN kernel's workspace is not a tensor it can "
        "save), while in float64 it compiles and gives eager's gradients."
    ),
    modules=("LSTM",),
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch=">=2.1",
    devices=("cpu",),  # the oneDNN kernel is cpu's
)
def test_compile_allow_rnn_onednn_grad_refused(device):
    targets.expensive()  # AOTAutograd traces forward and backward: seconds
    targets.require("compile")
    if not torch.backends.mkldnn.is_available():
        not_applicable("this torch build has no oneDNN (mkldnn)")
    # measured on 2.13: AOTAutograd's AssertionError "expected all tensors_saved_with_vc_check to be Tensors" (the
    # workspace's None among them); before 2.13 the looser form (the assertion, or the backend's wrapping of it)
    refused = raises_as_measured(
        ((">=2.13", AssertionError, r"tensors_saved_with_vc_check to be Tensors.*NoneType"),),
        (AssertionError, TypeError, RuntimeError),
    )
    with refused:
        aot_compiled_with_grad("float32", device)
    out, m, x = aot_compiled_with_grad("float64", device)
    out[0].sum().backward()
    grads = [p.grad.clone() for p in m.parameters()]
    m.zero_grad()
    m(x)[0].sum().backward()
    assert_close(grads, [p.grad for p in m.parameters()], "float64 parameter gradients, compiled against eager")
