"""Targets of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from spec.helpers import targets
from spec.helpers.modules import returned_tensors, weighted_sum
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import (
    ONNX_CONFIGS,
    OTHER_BATCH,
    SEQ,
    built,
    dynamo_output_shapes,
    initial_state,
    onnx_ready,
    onnx_round_trip,
    probe,
    quiet,
    rnn_scriptable,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim, in_range, not_applicable, require, torch_docs


# --- torch.compile ------------------------------------------------------------------------------------------
# Dynamo refuses to trace nn.RNN/LSTM/GRU unless torch._dynamo.config.allow_rnn is set (the check on
# config.allow_rnn in torch/_dynamo/variables/builder.py, "TorchDynamo purposely graph breaks on RNN, GRU,
# LSTMs" in 2.2 (pytorch/pytorch#118740), "Attempted to wrap RNN, GRU, or LSTM" in 2.11-2.15; #141184,
# #167275, #149909); torch.compile arrived in 2.0 (on Python 3.11 from 2.1: the target says so).
@claim(
    id="rnn.targets.compile-fullgraph-unsupported",
    scope=TOOLCHAIN,
    statement=(
        "torch.compile(m, fullgraph=True) cannot compile nn.RNN, nn.LSTM or nn.GRU: Dynamo graph-breaks on them "
        "on purpose, and the first call raises torch._dynamo.exc.Unsupported."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_fullgraph(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("compile")
    from torch import _dynamo
    from torch._dynamo.exc import Unsupported

    m, x = built(probe(mode), device)
    _dynamo.reset()  # a fresh cache, as in a user's process: after 8 modules Dynamo stops trying at all
    with pytest.raises(Unsupported):
        torch.compile(m, backend="eager", fullgraph=True)(x)


@claim(
    id="rnn.targets.compile-absent",
    scope=TOOLCHAIN,
    statement="Before torch 2.0 there is no torch.compile to run the layers through.",
    modules=LAYERS,
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch="<2.0",
)
def test_compile_absent():
    assert not hasattr(torch, "compile")


@claim(
    id="rnn.targets.compile-matches-eager",
    scope=TOOLCHAIN,
    statement=(
        "torch.compile(m) (the eager backend, and Inductor) returns what the module returns, and the "
        "gradients it gives the input and every parameter equal eager's."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("backend", ("eager", "inductor"))
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_matches(mode, backend, device):
    targets.expensive()
    targets.require("compile")
    from torch import _dynamo

    cfg = probe(mode)
    (m, x), (twin, _) = built(cfg, device, train=True), built(cfg, device, train=True)
    results = []
    _dynamo.reset()  # a fresh cache, as in a user's process
    for module, call in ((m, torch.compile(m, backend=backend)), (twin, twin)):
        xi = x.clone().requires_grad_()
        result = call(xi)
        weighted_sum(returned_tensors(result), cfg, device).backward()
        results.append((result, xi.grad, [p.grad for p in module.parameters()]))
    (compiled, gx, gp), (eager, ex, ep) = results
    assert_close(compiled, eager, f"compiled ({backend}) against eager")
    assert_close(gx, ex, "input gradient")
    assert_close(gp, ep, "parameter gradients")


# --- torch.export ---------------------------------------------------------------------------------------------
# torch.export arrived in 2.1; torch.export.Dim and dynamic_shapes in 2.2 (pytorch/pytorch#108448; "Will not
# work for 2.1 since torch.export.Dim is not in 2.1", pytorch/tutorials#2592).
@claim(
    id="rnn.targets.export-absent",
    scope=TOOLCHAIN,
    statement="Before torch 2.1 there is no torch.export.export to export the layers with.",
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch="<2.1",
)
def test_export_absent():
    assert getattr(getattr(torch, "export", None), "export", None) is None


@claim(
    id="rnn.targets.export-matches-eager",
    scope=TOOLCHAIN,
    statement=(
        "torch.export.export(m, args).module() returns what the module returns on the example arguments, with "
        "or without a given initial state, and gives its parameters eager's gradients."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.4,!=2.8.*,!=2.9.*",  # see export-state-extra-dim, export-refused-2-8-2-9
)
@pytest.mark.parametrize("given_state", (False, True), ids=("x", "x-h0"))
@pytest.mark.parametrize("mode", LAYERS)
def test_export_matches(mode, given_state, device):
    targets.expensive()
    targets.require("export")
    cfg = probe(mode)
    m, x = built(cfg, device, train=True)
    args = (x, initial_state(cfg, device)) if given_state else (x,)
    with quiet():
        exported = torch.export.export(m, args).module()
    results = []
    for module in (exported, m):
        m.zero_grad()
        module.zero_grad()
        result = module(*args)
        weighted_sum(returned_tensors(result), cfg, device).backward()
        results.append((result, [p.grad.clone() for _, p in sorted(module.named_parameters())]))
    assert_close(results[0], results[1], "exported against eager: outputs, then parameter gradients")


@claim(
    id="rnn.targets.export-static-batch",
    scope=TOOLCHAIN,
    statement=(
        "Without dynamic_shapes an export is specialised to the example's batch size: its .module() refuses "
        "a batch of another size instead of computing it."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.4,!=2.8.*,!=2.9.*",  # see export-state-extra-dim, export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_static(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    cfg = probe(mode)
    m, x = built(cfg, device)
    with quiet():
        exported = torch.export.export(m, (x,)).module()
    assert_close(exported(x), m(x), "the example batch")
    with pytest.raises((AssertionError, RuntimeError)):  # a guard: AssertionError "Guard failed" on 2.11-2.15
        exported(cfg.with_(batch=OTHER_BATCH).input(device))


# Measured on 2.8.0 and 2.9.1 (all three modules, float32 and float64); 2.7.1 and 2.10.0 export them.
@claim(
    id="rnn.targets.export-refused-2-8-2-9",
    scope=TOOLCHAIN,
    statement=(
        "On torch 2.8 and 2.9, torch.export.export refuses RNN, LSTM and GRU with a ValueError: the module's "
        "_flat_weights, reassigned during its forward, count as tensor attributes assigned during export."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.8,<2.10",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_refused_2_8_2_9(mode, device):
    # no targets.require("export"): the export target is unavailable on these releases because of this claim
    m, x = built(probe(mode), device)
    with quiet(), pytest.raises(ValueError, match=r"_flat_weights\[0\].*assigned during export"):
        torch.export.export(m, (x,))


@claim(
    id="rnn.targets.export-dynamic-batch",
    scope=TOOLCHAIN,
    statement=(
        "With a torch.export.Dim for the batch dimension the exported module runs any other batch size and "
        "returns what the module returns."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.4,!=2.8.*,!=2.9.*",  # see export-state-extra-dim, export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_dynamic_batch(mode, device):
    targets.expensive()
    targets.require("export")
    cfg = probe(mode)
    m, x = built(cfg, device)
    with quiet():
        exported = torch.export.export(m, (x,), dynamic_shapes=({0: torch.export.Dim("batch")},)).module()
    for batch in (2, OTHER_BATCH):
        y = cfg.with_(batch=batch, seed=batch).input(device)
        assert_close(exported(y), m(y), f"batch {batch}")


# Measured on 2.13 (dynamic batch and sequence: "Constraints violated (seq)"): the export unrolls the time loop.
@claim(
    id="rnn.targets.export-seq-specialised",
    scope=TOOLCHAIN,
    statement=(
        "The sequence length cannot be made dynamic: a torch.export.Dim for it makes the export fail, because "
        "the exported graph unrolls the time steps of the example."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.2,!=2.8.*,!=2.9.*",  # 2.8-2.9 refuse to export: rnn.targets.export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_seq(mode, device):
    targets.expensive()
    targets.require("export")
    m, x = built(probe(mode), device)
    dims = {0: torch.export.Dim("batch"), 1: torch.export.Dim("seq")}
    with quiet(), pytest.raises(RuntimeError, match="(?i)seq"):  # a constraint violation naming the Dim
        torch.export.export(m, (x,), dynamic_shapes=(dims,))


@claim(
    id="rnn.targets.export-packed-refused",
    scope=TOOLCHAIN,
    statement="torch.export.export does not take a PackedSequence argument: exporting a layer on one fails.",
    modules=LAYERS + ("PackedSequence",),
    sources=(TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),),
    torch=">=2.1,!=2.8.*,!=2.9.*",  # 2.8-2.9 refuse to export: rnn.targets.export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_packed(mode, device):
    targets.expensive()
    targets.require("export")
    m, x = built(probe(mode), device)
    packed = pack_padded_sequence(x, torch.tensor([SEQ, 2, 1]), batch_first=True)
    # 2.13: GuardOnDataDependentSymNode (a RuntimeError) on the batch sizes
    with quiet(), pytest.raises((RuntimeError, TypeError, ValueError, AttributeError)):
        torch.export.export(m, (packed,))


# --- TorchScript ------------------------------------------------------------------------------------------------
# LSTM and GRU script to a module whose forward is two overloads (forward__0, forward__1) and no forward:
# pytorch/pytorch#32976, open since 1.4. nn.RNN scripts from 1.11 (pytorch/pytorch#61274, fixing #28418,
# moved its forward out of RNNBase with overloads); before, scripting it fails.
@claim(
    id="rnn.targets.script-bare-no-forward",
    scope=TOOLCHAIN,
    statement=(
        "torch.jit.script(layer) succeeds but gives a module with no forward: calling it raises AttributeError "
        "(nn.RNN from 1.11, when it became scriptable)."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.jit.script", "scripting an nn.Module and its submodules"),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_script_bare(mode, device):
    targets.ci_sample(mode == "LSTM")
    if not rnn_scriptable(mode):
        not_applicable("nn.RNN scripts from torch 1.11 (rnn.targets.script-rnn-refused)")
    m, x = built(probe(mode), device)
    with quiet():
        scripted = torch.jit.script(m)
    with pytest.raises(AttributeError, match="forward"):
        scripted(x)


@claim(
    id="rnn.targets.script-hosted-matches",
    scope=TOOLCHAIN,
    statement=(
        "A scripted module that holds the layer and calls it (on a tensor, with an initial state, or on a "
        "PackedSequence) returns what the layer returns eagerly."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(TorchDoc("torch.jit.script", "scripting an nn.Module and its submodules"),),
)
@pytest.mark.parametrize("call", ("x-h0", "packed"))
@pytest.mark.parametrize("mode", LAYERS)
def test_script_hosted(mode, call, device):
    targets.ci_sample(mode == "LSTM" and call == "x-h0")
    if not rnn_scriptable(mode):
        not_applicable("nn.RNN scripts from torch 1.11 (rnn.targets.script-rnn-refused)")
    if call == "packed" and in_range(">=1.11,<1.13", torch.__version__):
        not_applicable("no index tensors: refused on 1.11-1.12 (rnn.targets.script-packed-unsorted-refused)")
    cfg = probe(mode)
    m, x = built(cfg, device)
    if call == "packed":
        args = (pack_padded_sequence(x, torch.tensor([SEQ, 2, 1]), batch_first=True),)
    else:
        args = (x, initial_state(cfg, device))
    with quiet():
        scripted = torch.jit.script(targets.script_host(m, args))
    assert_close(targets.call_scripted(scripted, args), m(*args), f"scripted host ({call}) against eager")


@claim(
    id="rnn.targets.script-rnn-refused",
    scope=TOOLCHAIN,
    statement="Before torch 1.11 nn.RNN cannot be scripted at all: torch.jit.script of a module holding one fails.",
    modules=("RNN",),
    sources=(TorchDoc("torch.jit.script", "scripting an nn.Module and its submodules"),),
    torch="<1.11",
)
def test_script_rnn_refused(device):
    m, x = built(probe("RNN"), device)
    # measured on the matrix: 1.8.1, 1.9.1 and 1.10.2 stop at nn.RNN's own code with UnsupportedNodeError
    # ("annotated assignments without assigned value aren't supported", a FrontendError, not a RuntimeError)
    with quiet(), pytest.raises(torch.jit.frontend.UnsupportedNodeError):
        torch.jit.script(targets.script_host(m, (x,)))


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
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
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
# 2.9.0 fails in its torch.export step for all three (onnx-dynamo-refused-2-9); the others export and match.
# onnxscript before 0.7.1 writes the GRU with the other reset equation (gru.targets.onnx-dynamo-reset-before-linear).
@claim(
    id="rnn.targets.onnx-dynamo-matches",
    scope=TOOLCHAIN,
    statement=(
        "The dynamo ONNX exporter exports a stacked bidirectional batch_first layer, with or without a given "
        "initial state, and onnxruntime then returns what torch returns (float32)."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
    torch=">=2.6,!=2.9.*",
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
    id="rnn.targets.onnx-dynamo-refused-2-9",
    scope=TOOLCHAIN,
    statement=(
        "On torch 2.9 the dynamo ONNX exporter fails for all three layers in its first step, torch.export "
        "(TorchExportError), as torch.export itself refuses them there."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
    torch="==2.9.*",
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_dynamo_refused_2_9(mode):
    onnx_ready("dynamo")
    m, x = built(probe(mode, dtype="float32"), "cpu")
    with pytest.raises(Exception, match="(?i)torch.export") as caught:
        targets.onnx_export(m, (x,), "dynamo")
    assert type(caught.value).__name__ == "TorchExportError"


@claim(
    id="rnn.targets.onnx-batch-baked-in",
    scope=TOOLCHAIN,
    statement=(
        "An ONNX export fixes the example's batch size unless told otherwise: onnxruntime refuses another batch, "
        "while with dynamic_axes for batch and sequence it runs other sizes and matches torch."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
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
        TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),
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
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_packed(mode):
    onnx_ready()
    targets.ci_sample(mode == "LSTM")
    m, x = built(probe(mode, dtype="float32"), "cpu")
    packed = pack_padded_sequence(x, torch.tensor([SEQ, 2, 1]), batch_first=True)
    # 2.13: AttributeError: 'tuple' has no 'dim'; 1.8.1: nn.RNN's own `assert isinstance(input, Tensor)`
    with pytest.raises((AttributeError, RuntimeError, TypeError, AssertionError)):
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
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
    torch=">=2.13",
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_onnx_dynamo_shapes(mode):
    declared, computed = dynamo_output_shapes(mode)
    assert declared == computed


@claim(
    id="rnn.targets.onnx-dynamo-state-extra-dim",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.6 to 2.12 (but 2.9, where it exports nothing) the dynamo ONNX exporter declares the LSTM's "
        "h_n and c_n with an extra dimension of size 1 that onnxruntime does not compute."
    ),
    modules=("LSTM",),
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
    torch=">=2.6,<2.13,!=2.9.*",
    devices=("cpu",),
)
def test_onnx_dynamo_extra_dim():
    declared, computed = dynamo_output_shapes("LSTM")
    assert [d[:1] + d[2:] for d in declared[1:]] == computed[1:] and all(d[1] == 1 for d in declared[1:])


@claim(
    id="rnn.targets.onnx-dynamo-lstm-unloadable-2-5",
    scope=TOOLCHAIN,
    statement=(
        "On torch 2.5 the dynamo ONNX exporter's model of a stacked bidirectional LSTM fails onnxruntime's shape "
        "inference when loaded (a Squeeze of a dimension that is not 1), while RNN and GRU load and match torch."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.onnx.export", "dynamo, input_names and dynamic_axes"),),
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


# --- issue 24: what the stored matrix showed failing, each a fact with its range --------------------------------
EXPORT_DOC = (TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),)


def exported_train_and_eval(mode: str, device: str):
    """(the exported module's output in train mode, the layer's own train-mode output with p=1, its eval output):
    a 3-layer layer with dropout p=1, so that dropping out between layers is unmistakable (the layers above
    the first run on zeros)."""
    cfg = probe(mode, num_layers=3, dropout=1.0, bidirectional=False)
    m, x = built(cfg, device)
    m.train()
    with quiet():
        exported = torch.export.export(m, (x,)).module()
    with torch.no_grad():
        return exported(x)[0], m(x)[0], m.eval()(x)[0]


# Measured: 2.1.2 and 2.3.1 (torch.export of a 2- or 3-layer layer in train mode: the graph has no dropout node
# and equals eval mode); the stored matrix: rnn.semantics.dropout-between-layers under export fails on 2.1-2.3,
# holds on 2.4-2.7 and 2.10-2.15 (2.8-2.9 export nothing: export-refused-2-8-2-9).
@claim(
    id="rnn.targets.export-train-dropout-dropped",
    scope=TOOLCHAIN,
    statement=(
        "Before torch 2.4 torch.export of a layer in train mode leaves out the dropout between its layers: the "
        "exported module computes what the layer computes in eval mode, even with dropout=1."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC + torch_docs(("torch.nn.RNN", "torch.nn.LSTM", "torch.nn.GRU"), "Args", "dropout"),
    torch=">=2.1,<2.4",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_train_dropout_dropped(mode, device):
    targets.ci_sample(mode == "LSTM")
    exported, train, evaluated = exported_train_and_eval(mode, device)
    assert_close(exported, evaluated, "the exported train-mode module against eval mode")
    assert not torch.allclose(train, evaluated), "dropout=1 changes the layer's own train-mode output"


@claim(
    id="rnn.targets.export-train-dropout-kept",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.4 an exported layer in train mode drops out between its layers as the layer does: with "
        "dropout=1 the layers above the first run on zeros, so the output is not eval mode's."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC + torch_docs(("torch.nn.RNN", "torch.nn.LSTM", "torch.nn.GRU"), "Args", "dropout"),
    torch=">=2.4,!=2.8.*,!=2.9.*",  # 2.8-2.9: export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_train_dropout_kept(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    exported, train, evaluated = exported_train_and_eval(mode, device)
    assert_close(exported, train, "the exported train-mode module against the layer in train mode (p=1)")
    assert not torch.allclose(exported, evaluated), "dropout=1 is not eval mode"


def exported_parameter_names(mode: str, device: str) -> tuple:
    """(the exported module's parameter names, the layer's)."""
    m, x = built(probe(mode), device)
    with quiet():
        exported = torch.export.export(m, (x,)).module()
    return [n for n, _ in exported.named_parameters()], [n for n, _ in m.named_parameters()]


# Measured: 2.1.2 names them fn_weight_ih_l0, ...; 2.3.1, 2.10.0, 2.13.0 and 2.15.0 as the layer does. So on 2.1
# torch.func.functional_call(exported, dict(m.named_parameters()), args) swaps nothing in and the exported module
# keeps the weights it was exported with: the stored matrix's gru.semantics.reset-gate-drops-history under
# export on 2.1 (a module of the same configuration, exported before its gate biases were set).
@claim(
    id="rnn.targets.export-parameter-names",
    scope=TOOLCHAIN,
    statement=(
        "An exported layer's module (ExportedProgram.module()) names its parameters as the layer does "
        "(weight_ih_l0, ...), so torch.func.functional_call can swap the layer's current weights in by name."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC,
    torch=">=2.2,!=2.8.*,!=2.9.*",  # 2.8-2.9: export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_parameter_names(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    exported, own = exported_parameter_names(mode, device)
    assert exported == own
    cfg = probe(mode)
    m, x = built(cfg, device)
    with quiet():
        graph = torch.export.export(m, (x,)).module()
    with torch.no_grad():
        for p in m.parameters():
            p.mul_(-0.5)  # other weights, after the export
        swapped = torch.func.functional_call(graph, dict(m.named_parameters()), (x,))[0]
        assert_close(swapped, m(x)[0], "the exported module's output, given the layer's current weights by name")


@claim(
    id="rnn.targets.export-parameter-names-2-1",
    scope=TOOLCHAIN,
    statement=(
        "On torch 2.1 an exported layer's module prefixes its parameters' names with fn_ (fn_weight_ih_l0, ...), "
        "so weights given by the layer's names reach none of them."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC,
    torch="==2.1.*",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_parameter_names_2_1(mode, device):
    targets.ci_sample(mode == "LSTM")
    exported, own = exported_parameter_names(mode, device)
    assert exported == [f"fn_{n}" for n in own]


# Measured on 1.11.0 (and the stored matrix: 1.11.0 and 1.12.1 fail rnn.targets.script-hosted-matches and
# packed.semantics.state-in-original-order under script; 1.10.2 and 1.13.1 hold): TorchScript compiles
# permute_hidden(hx, sorted_indices) as an index_select with no test for None, which eager skips.
@claim(
    id="rnn.targets.script-packed-unsorted-refused",
    scope=TOOLCHAIN,
    statement=(
        "On torch 1.11 and 1.12 a scripted module holding the layer fails in the TorchScript interpreter on a "
        "PackedSequence that has no index tensors (pack_padded_sequence with enforce_sorted=True): "
        "permute_hidden hands None to index_select; given the index tensors (enforce_sorted=False) it matches eager."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.jit.script", "scripting an nn.Module"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "enforce_sorted"),
    ),
    torch=">=1.11,<1.13",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_script_packed_unsorted_refused(mode, device):
    targets.ci_sample(mode == "LSTM")
    cfg = probe(mode)
    m, x = built(cfg, device)
    lengths = torch.tensor([SEQ, 2, 1])
    plain = (pack_padded_sequence(x, lengths, batch_first=True),)  # sorted: no index tensors
    assert plain[0].sorted_indices is None
    with quiet():
        scripted = torch.jit.script(targets.script_host(m, plain))
    with pytest.raises(RuntimeError, match="permute_hidden"):  # the interpreter's traceback names the function
        scripted(*plain)
    indexed = (pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False),)
    assert indexed[0].sorted_indices is not None
    with quiet():
        scripted = torch.jit.script(targets.script_host(m, indexed))
    assert_close(targets.call_scripted(scripted, indexed), m(*indexed), "scripted, with index tensors")
