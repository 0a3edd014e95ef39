"""Targets of nn.GRU: how the dynamo ONNX exporter writes its equation, by the onnxscript release that translates it."""

from __future__ import annotations

import torch

from spec.helpers import targets
from spec.helpers.target_probe import built, onnx_ready, probe
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim, require

GRU_DOCS = (
    TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),
    TorchDoc("torch.nn.GRU", "Description", "n_t"),
)


def dynamo_gru(claim_id: str):
    """(the linear_before_reset attribute of every GRU node of the dynamo exporter's model of a one-layer GRU,
    onnxruntime's output, torch's output, the module and its input), in float32 (onnxruntime has no float64 GRU)."""
    require(claim_id)
    onnx_ready("dynamo")
    import onnx

    m, x = built(probe("GRU", dtype="float32", num_layers=1, bidirectional=False, batch_first=False), "cpu")
    model = targets.onnx_export(m, (x,), "dynamo")
    graph = onnx.load_from_string(model).graph
    nodes = [n for n in graph.node if n.op_type == "GRU"]
    lbr = [next((a.i for a in n.attribute if a.name == "linear_before_reset"), 0) for n in nodes]  # ONNX default 0
    got = targets.ort_run(targets.ort_session(model), (x,))[0]
    with torch.no_grad():
        want = m(x)[0]
    return lbr, got, want, m, x


def gru_reset_before_linear(m, x) -> torch.Tensor:
    """The output of ONNX's GRU with linear_before_reset=0, by hand: the reset gate multiplies h before W_hn
    (n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)), where torch's GRU resets W_hn h + b_hn (n = tanh(W_in x + b_in
    + r * (W_hn h + b_hn)))."""
    w_ih, w_hh, b_ih, b_hh = (t.detach() for t in (m.weight_ih_l0, m.weight_hh_l0, m.bias_ih_l0, m.bias_hh_l0))
    (w_ir, w_iz, w_in), (w_hr, w_hz, w_hn) = w_ih.chunk(3), w_hh.chunk(3)
    (b_ir, b_iz, b_in), (b_hr, b_hz, b_hn) = b_ih.chunk(3), b_hh.chunk(3)
    h = torch.zeros(x.shape[1], m.hidden_size, dtype=x.dtype)
    out = []
    for x_t in x:
        r = torch.sigmoid(x_t @ w_ir.T + b_ir + h @ w_hr.T + b_hr)
        z = torch.sigmoid(x_t @ w_iz.T + b_iz + h @ w_hz.T + b_hz)
        n = torch.tanh(x_t @ w_in.T + b_in + (r * h) @ w_hn.T + b_hn)
        h = (1 - z) * n + z * h
        out.append(h)
    return torch.stack(out)


# Measured (torch 2.10.0 and 2.15.0, onnxruntime 1.32.0): onnxscript 0.6.0 (2.10 only), 0.6.2 and 0.7.0 write the
# GRU node with linear_before_reset=0 and onnxruntime differs from torch by 0.19; 0.7.1 and 0.7.2 write 1 and match
# (microsoft/onnxscript#2852, pytorch/pytorch#189225). onnxscript 0.5.7 does the same as 0.6 on 2.10 and cannot
# export with 2.15; before 0.5.7 the export fails on 2.10.
@claim(
    id="gru.targets.onnx-dynamo-linear-before-reset",
    scope=TOOLCHAIN,
    statement=(
        "With onnxscript 0.7.1 or later the dynamo ONNX exporter writes nn.GRU as an ONNX GRU node with "
        "linear_before_reset=1, torch's equation (the reset gate applied to W_hn h + b_hn), and onnxruntime returns "
        "what torch returns."
    ),
    modules=("GRU",),
    sources=GRU_DOCS,
    torch=">=2.10",
    requires={"onnxscript": ">=0.7.1"},
    devices=("cpu",),
)
def test_onnx_dynamo_linear_before_reset():
    lbr, got, want, _, _ = dynamo_gru("gru.targets.onnx-dynamo-linear-before-reset")
    assert lbr == [1], f"GRU nodes' linear_before_reset: {lbr}"
    assert_close(got, want, "onnxruntime against torch")


@claim(
    id="gru.targets.onnx-dynamo-reset-before-linear",
    scope=TOOLCHAIN,
    statement=(
        "With onnxscript 0.6 to 0.7.0 the dynamo ONNX exporter writes nn.GRU as an ONNX GRU node with "
        "linear_before_reset=0, another equation (the reset gate applied to h before W_hn), so onnxruntime's "
        "output is that equation's, not torch's."
    ),
    modules=("GRU",),
    sources=GRU_DOCS,
    torch=">=2.10",
    requires={"onnxscript": ">=0.6,<0.7.1"},
    devices=("cpu",),
)
def test_onnx_dynamo_reset_before_linear():
    lbr, got, want, m, x = dynamo_gru("gru.targets.onnx-dynamo-reset-before-linear")
    assert lbr == [0], f"GRU nodes' linear_before_reset: {lbr}"
    assert_close(got, gru_reset_before_linear(m, x), "onnxruntime against the linear_before_reset=0 equation")
    assert (got - want).abs().max() > 1e-2, "far from torch's output, beyond float32 rounding"
