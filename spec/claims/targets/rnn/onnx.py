"""What the ONNX exporters and onnxruntime does with nn.RNN, nn.LSTM and nn.GRU: the ``rnn.targets.onnx-*`` claims."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from spec.helpers import targets
from spec.helpers.modules import returned_tensors
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import (
    ONNX_CONFIGS,
    OTHER_BATCH,
    SEQ,
    built,
    dynamo_output_shapes,
    onnx_ready,
    onnx_round_trip,
    probe,
    raises_as_measured,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim, in_range, require

#: what every claim here cites: torch.onnx.export's docstring
ONNX_DOC = (TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),)


# --- ONNX, run in onnxruntime ------------------------------------------------------------------------------------
# The TorchScript exporter is in every release of the matrix (torch.onnx.export; dynamo=False from 2.5, when
# the flag arrived; no longer the default from 2.9). onnxruntime has no float64 RNN kernels: float32 here.
@claim(
    id="rnn.targets.onnx-matches",
    scope=TOOLCHAIN,
    statement=(
        "The TorchScript ONNX exporter accepts batch_first, bidirectional and stacked layers, with or without a "
        "given initial state, and onnxruntime then returns what torch returns (float32)."
    ),
    modules=LAYERS,
    sources=ONNX_DOC,
    devices=("cpu",),
)
@pytest.mark.parametrize("given_state", (False, True), ids=("x", "x-h0"))
@pytest.mark.parametrize("layout", list(ONNX_CONFIGS))
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_matches(mode, layout, given_state):
    onnx_ready()
    targets.ci_sample(mode == "LSTM" and layout == "batch-first-bidirectional" and given_state)
    onnx_round_trip(mode, ONNX_CONFIGS[layout], given_state, "torchscript")


# The dynamo exporter (torch.onnx.export(dynamo=True), 2.5 on; it takes seconds a model: the full layout only).
# Measured with onnxscript 0.7.2: 2.5.1's LSTM model does not load in onnxruntime (onnx-dynamo-lstm-unloadable-2-5);
# 2.9.1 exports all three by its fallback to strict torch.export (non-strict torch.export refuses them on 2.8-2.9:
# rnn.targets.export-refused-2-8-2-9) and matches: measured in fresh processes, also after torch.compile or a refused
# torch.export had run in them. A claim that 2.9 refused (rnn.targets.onnx-dynamo-refused-2-9, from one serial
# run) is withdrawn: no fresh process reproduced it, and run in parallel workers it failed.
# onnxscript before 0.7.1 writes the GRU with the other reset equation (gru.targets.onnx-dynamo-reset-before-linear).
@claim(
    id="rnn.targets.onnx-dynamo-matches",
    scope=TOOLCHAIN,
    statement=(
        "The dynamo ONNX exporter exports a stacked bidirectional batch_first layer, with or without a given "
        "initial state, and onnxruntime then returns what torch returns (float32)."
    ),
    modules=LAYERS,
    sources=ONNX_DOC,
    torch=">=2.6",
    requires={"onnxscript": ">=0.7.1"},
    devices=("cpu",),
)
@pytest.mark.parametrize("given_state", (False, True), ids=("x", "x-h0"))
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_dynamo_matches(mode, given_state):
    require("rnn.targets.onnx-dynamo-matches")
    onnx_ready("dynamo")
    targets.ci_sample(mode == "LSTM" and given_state)
    onnx_round_trip(mode, ONNX_CONFIGS["batch-first-bidirectional"], given_state, "dynamo")


@claim(
    id="rnn.targets.onnx-batch-baked-in",
    scope=TOOLCHAIN,
    statement=(
        "An ONNX export fixes the example's batch size unless told otherwise: onnxruntime refuses another batch, "
        "while with dynamic_axes for batch and sequence it runs other sizes and matches torch."
    ),
    modules=LAYERS,
    sources=ONNX_DOC,
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_batch(mode):
    onnx_ready()
    targets.ci_sample(mode == "LSTM")
    cfg = probe(mode, dtype="float32")
    m, x = built(cfg, "cpu")
    other = cfg.with_(batch=OTHER_BATCH, seq=SEQ + 2, seed=1).input("cpu")
    static = targets.ort_session(targets.onnx_export(m, (x,)))
    with pytest.raises(Exception, match="(?i)dimension"):  # INVALID_ARGUMENT: Got invalid dimensions for input
        targets.ort_run(static, (other,))
    axes = {"x": {0: "batch", 1: "seq"}}
    dynamic = targets.ort_session(targets.onnx_export(m, (x,), input_names=["x"], dynamic_axes=axes))
    with torch.no_grad():
        assert_close(targets.ort_run(dynamic, (other,)), returned_tensors(m(other)), "another batch and length")


# symbolic_opset9.lstm refuses projections ("LSTMs with projections"; measured on 2.13); the dynamo exporter
# exports them, but onnxruntime then fails on initial_c's shape (measured on 2.13).
@claim(
    id="rnn.targets.onnx-proj-size-refused",
    scope=TOOLCHAIN,
    statement="The TorchScript ONNX exporter refuses an LSTM with proj_size (ONNX's LSTM has no projection).",
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Args", "proj_size"),
        *ONNX_DOC,
    ),
    devices=("cpu",),
)
def test_onnx_proj_size():
    onnx_ready()
    m, x = built(probe("LSTM", dtype="float32", proj_size=2), "cpu")
    # measured: 1.12 on names the projection; 1.8.1-1.11.0 have no symbolic for that aten::lstm call at all
    says = "(?i)projection" if in_range(">=1.12", torch.__version__) else "Couldn't export operator aten::lstm"
    with pytest.raises(RuntimeError, match=says):
        targets.onnx_export(m, (x,))


@claim(
    id="rnn.targets.onnx-packed-refused",
    scope=TOOLCHAIN,
    statement="The TorchScript ONNX exporter takes no PackedSequence argument: exporting a layer on one fails.",
    modules=LAYERS + ("PackedSequence",),
    sources=ONNX_DOC,
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_packed(mode):
    onnx_ready()
    targets.ci_sample(mode == "LSTM")
    m, x = built(probe(mode, dtype="float32"), "cpu")
    packed = pack_padded_sequence(x, torch.tensor([SEQ, 2, 1]), batch_first=True)
    # measured on 2.13: AttributeError "'tuple' object has no attribute 'dim'" (the tracer hands the layer the
    # PackedSequence as a plain tuple); 1.8.1: nn.RNN's own `assert isinstance(input, Tensor)`; the other releases
    # are unmeasured: there the looser form, any of four types, with no message
    refused = raises_as_measured(
        ((">=2.13", AttributeError, r"'tuple' object has no attribute 'dim'"),),
        (AttributeError, RuntimeError, TypeError, AssertionError),
    )
    with refused:
        targets.onnx_export(m, (packed,))


# The 2.11 run (issue 15) saw the dynamo exporter declare the LSTM's h_n and c_n as [4, 1, 3, 6] while
# onnxruntime computed [4, 3, 6]; 2.13 declares [4, 3, 4] for [4, 3, 4]. Measured with onnxscript 0.7.2 on
# 2.6.0, 2.7.0, 2.8.0, 2.10.0 and 2.12.0 (the extra dimension), 2.9.0 (no export at all) and 2.5.1 (an LSTM
# model onnxruntime cannot load), then by the matrix.
@claim(
    id="rnn.targets.onnx-dynamo-declared-shapes",
    scope=TOOLCHAIN,
    statement=(
        "The dynamo ONNX exporter declares each output (output, h_n, c_n) with the shape onnxruntime computes for it."
    ),
    modules=LAYERS,
    sources=ONNX_DOC,
    torch=">=2.13",
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_dynamo_shapes(mode):
    declared, computed = dynamo_output_shapes(mode)
    assert declared == computed, f"{mode}: declared {declared} against computed {computed}"


@claim(
    id="rnn.targets.onnx-dynamo-state-extra-dim",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.6 to 2.12 the dynamo ONNX exporter declares the LSTM's h_n and c_n with an extra dimension "
        "of size 1 that onnxruntime does not compute."
    ),
    modules=("LSTM",),
    sources=ONNX_DOC,
    torch=">=2.6,<2.13",
    devices=("cpu",),
)
def test_onnx_dynamo_extra_dim():
    declared, computed = dynamo_output_shapes("LSTM")
    assert [d[:1] + d[2:] for d in declared[1:]] == computed[1:] and all(d[1] == 1 for d in declared[1:]), (
        f"LSTM state: declared {declared[1:]} against computed {computed[1:]} with a dimension 1 inserted"
    )


@claim(
    id="rnn.targets.onnx-dynamo-lstm-unloadable-2-5",
    scope=TOOLCHAIN,
    statement=(
        "On torch 2.5 the dynamo ONNX exporter's model of a stacked bidirectional LSTM fails onnxruntime's shape "
        "inference when loaded (a Squeeze of a dimension that is not 1), while RNN and GRU load and match torch."
    ),
    modules=LAYERS,
    sources=ONNX_DOC,
    torch=">=2.5,<2.6",
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_dynamo_lstm_2_5(mode):
    onnx_ready("dynamo")
    m, x = built(probe(mode, dtype="float32"), "cpu")
    model = targets.onnx_export(m, (x,), "dynamo")
    if mode != "LSTM":
        with torch.no_grad():
            assert_close(targets.ort_run(targets.ort_session(model), (x,)), returned_tensors(m(x)), "onnxruntime")
        return
    with pytest.raises(Exception, match="(?i)ShapeInferenceError.*Squeeze|Squeeze.*ShapeInferenceError"):
        targets.ort_session(model)
