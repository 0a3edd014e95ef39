"""What torch.export does with nn.RNN, nn.LSTM and nn.GRU: the ``rnn.targets.export-*`` claims."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence

from spec.helpers import targets
from spec.helpers.modules import returned_tensors, weighted_sum
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import (
    BATCH,
    OTHER_BATCH,
    SEQ,
    built,
    fresh_decompositions,
    initial_state,
    packs_its_input,
    probe,
    quiet,
    raises_as_measured,
    seq_export,
    zero_state_devices,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim, in_range, torch_docs

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


def exported_parameter_names(mode: str, device: str) -> tuple:
    """(the exported module's parameter names, the layer's)."""
    m, x = built(probe(mode), device)
    with quiet():
        exported = torch.export.export(m, (x,)).module()
    return [n for n, _ in exported.named_parameters()], [n for n, _ in m.named_parameters()]


# --- torch.export ---------------------------------------------------------------------------------------------
# torch.export arrived in 2.1; torch.export.Dim and dynamic_shapes in 2.2 (pytorch/pytorch#108448; "Will not
# work for 2.1 since torch.export.Dim is not in 2.1", pytorch/tutorials#2592).
@claim(
    id="rnn.targets.export-absent",
    scope=TOOLCHAIN,
    statement="Before torch 2.1 there is no torch.export.export to export the layers with.",
    modules=LAYERS,
    sources=EXPORT_DOC,
    torch="<2.1",
)
def test_export_absent():
    assert getattr(getattr(torch, "export", None), "export", None) is None, (
        f"torch {torch.__version__} has torch.export.export"
    )


@claim(
    id="rnn.targets.export-matches-eager",
    scope=TOOLCHAIN,
    statement=(
        "torch.export.export(m, args).module() returns what the module returns on the example arguments, with "
        "or without a given initial state, and gives its parameters eager's gradients."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC,
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
    sources=EXPORT_DOC,
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
    # measured: the exported module's input guard, AssertionError "Guard failed: input.size()[0] == 3" on 2.13
    # (the type on 2.11-2.15); 2.4-2.7 and 2.10 are unmeasured: there the looser form, an AssertionError or a
    # RuntimeError, with no message
    refused = raises_as_measured(
        ((">=2.11", AssertionError, rf"Guard failed: .*size\(\)\[0\] == {BATCH}\b"),), (AssertionError, RuntimeError)
    )
    with refused:
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
    sources=EXPORT_DOC,
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
    sources=EXPORT_DOC,
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
    sources=EXPORT_DOC,
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
    sources=EXPORT_DOC,
    torch=">=2.1,!=2.8.*,!=2.9.*",  # 2.8-2.9 refuse to export: rnn.targets.export-refused-2-8-2-9
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_packed(mode, device):
    targets.expensive()
    targets.require("export")
    m, x = built(probe(mode), device)
    packed = pack_padded_sequence(x, torch.tensor([SEQ, 2, 1]), batch_first=True)
    # measured on 2.13: GuardOnDataDependentSymNode (a RuntimeError) on the batch sizes, the layer reading
    # batch_sizes[0] (RNN, GRU: "Could not extract specialized integer from data-dependent expression"; LSTM's
    # decomposition: "Could not guard on data-dependent expression"); 2.1-2.7 and 2.10-2.12 are unmeasured: there
    # the looser form, any of four types, with no message
    with (
        quiet(),
        raises_as_measured(
            ((">=2.13", RuntimeError, r"from data-dependent expression|on data-dependent expression"),),
            (RuntimeError, TypeError, ValueError, AttributeError),
        ) as refused,
    ):
        torch.export.export(m, (packed,))
    if in_range(">=2.13", torch.__version__):
        assert type(refused.value).__name__ == "GuardOnDataDependentSymNode", f"refused with {refused.type}"


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
    assert exported == own, f"{mode}: exported names {exported} against the layer's {own}"
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
    assert exported == [f"fn_{n}" for n in own], f"{mode}: exported names {exported}, the layer's {own}"


# --- issue 24: what releases changed, from public threads ------------------------------------------------------
# Measured: 2.1.2, 2.2.2, 2.3.1 (all three layers: torch._dynamo.exc.Unsupported, "skip function
# pack_padded_sequence" on 2.2-2.3, the pytorch/pytorch#93501 workaround message on 2.1). 2.4-2.8 not measured:
# the bound is where the measurements stop (no public record of the change was found).
@claim(
    id="rnn.targets.export-packed-in-forward-skipped",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.1 to 2.3 a module that calls pack_padded_sequence in its forward and runs the layer on the "
        "result cannot be exported: Dynamo refuses to trace pack_padded_sequence (Unsupported)."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=EXPORT_DOC + (TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "input"),),
    torch=">=2.1,<2.4",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_packed_in_forward_skipped(mode, device):
    targets.ci_sample(mode == "LSTM")
    from torch._dynamo.exc import Unsupported

    m, x, lengths = packs_its_input(mode, device)
    with quiet(), pytest.raises(Unsupported, match="pack_padded_sequence|93501"):
        torch.export.export(m, (x, lengths))


# pytorch/pytorch#171978 (open): RNNBase.forward sizes the default zero state by batch_sizes[0], a tensor that is a
# FakeTensor while exporting. Measured: 2.9.1, 2.10.0, 2.13.0, 2.14.1, 2.15.0, all three layers, the same TypeError
# (on 2.9 before the _flat_weights refusal of export-refused-2-8-2-9). Given h_0 the default state is not built,
# and 2.13-2.15 then fail on the data-dependent batch sizes (GuardOnDataDependentSymNode): no workaround there. The
# fixes proposed (pull requests #184961, #186527) are in no release measured.
@claim(
    id="rnn.targets.export-packed-in-forward-fake-size",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.9 exporting a module that calls pack_padded_sequence in its forward and runs the layer on "
        "the result without h_0 fails with a TypeError: the zero state is sized by the first batch size, which is "
        "a FakeTensor while exporting, though the module computes every sequence right eagerly."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=EXPORT_DOC + (TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "input"),),
    torch=">=2.9",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_packed_in_forward_fake_size(mode, device):
    targets.ci_sample(mode == "LSTM")
    m, x, lengths = packs_its_input(mode, device)
    with quiet(), pytest.raises(TypeError, match="FakeTensor"):
        torch.export.export(m, (x, lengths))


# pytorch/pytorch#151010 (closed: export specialises on devices; torch.export.passes.move_to_device_pass is the way).
# Measured on cpu: 2.1.2 (aten.full), 2.2.2, 2.3.1, 2.10.0, 2.13.0, 2.14.1, 2.15.0 (aten.zeros), device=cpu, one
# per state tensor; 2.8-2.9 export nothing (export-refused-2-8-2-9).
@claim(
    id="rnn.targets.export-zero-state-device-fixed",
    scope=TOOLCHAIN,
    statement=(
        "An exported layer called without h_0 builds its zero state with a factory call whose device is a "
        "constant of the graph, the device of the export, one call per state tensor (h_0, and c_0 for an LSTM)."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC,
    torch=">=2.1,!=2.8.*,!=2.9.*",
    devices=("cpu",),  # exporting on cuda: rnn.targets.export-cuda-matches-eager
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_zero_state_device_fixed(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    devices = zero_state_devices(mode, device)
    assert devices == [torch.device(device)] * (2 if mode == "LSTM" else 1), devices


# pytorch/pytorch#151010: the consequence on cuda. Never run (no GPU in this session): checked on a GPU later.
@claim(
    id="rnn.targets.export-moved-state-stays",
    scope=TOOLCHAIN,
    statement=(
        "A layer exported on cpu without h_0 and moved with ExportedProgram.module().to('cuda') still builds its "
        "zero state on cpu and fails on a cuda input, while one exported with h_0 and moved returns on cuda what "
        "the layer on cuda returns."
    ),
    modules=LAYERS,
    sources=EXPORT_DOC,
    torch=">=2.2,!=2.8.*,!=2.9.*",  # 2.1 names the parameters fn_*: rnn.targets.export-parameter-names-2-1
    devices=("cuda",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_export_moved_state_stays(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    cfg = probe(mode)
    m, x = built(cfg, "cpu")
    h = initial_state(cfg, "cpu")
    with quiet():
        bare = torch.export.export(m, (x,)).module().to(device)
        given = torch.export.export(m, (x, h)).module().to(device)
    m.to(device)
    x = x.to(device)
    h = tuple(t.to(device) for t in h) if mode == "LSTM" else h.to(device)
    with torch.no_grad():
        with pytest.raises(RuntimeError, match="(?i)device"):  # input on cuda, the graph's zero state on cpu
            bare(x)
        assert_close(given(x, h), m(x, h), "exported on cpu with h_0, moved to cuda, against the layer on cuda")


# pytorch/pytorch#168095 ("[export] Add patch for dynamic lstm", merged January 2026) added torch.export._patches
# with register_lstm_while_loop_decomposition (and register_gru_while_loop_decomposition): a decomposition of the
# layer into a while_loop, which puts no guard on the number of steps. Measured: 2.13.0, 2.14.1, 2.15.0 (LSTM and
# GRU, batch_first or not, 1 or 2 layers, one or two directions: lengths 2..9 match eager exactly); 2.1.2-2.10.0 have
# no torch.export._patches. 2.11-2.12 not measured: the bound is the pull request's first release (2.11), and
# pytorch/executorch#20008 uses the patch on 2.12.0.
PATCHED = ("LSTM", "GRU")


@claim(
    id="rnn.targets.export-seq-dynamic-patched",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.11, exported inside torch.export._patches.register_lstm_while_loop_decomposition() (or the "
        "GRU's), an LSTM or GRU takes a torch.export.Dim on the sequence length, and the exported module returns "
        "what the layer returns for sequences of other lengths."
    ),
    modules=PATCHED,
    sources=EXPORT_DOC,
    torch=">=2.11",
)
@pytest.mark.parametrize("batch_first", (True, False), ids=("batch-first", "seq-first"))
@pytest.mark.parametrize("mode", PATCHED)
def test_export_seq_dynamic_patched(mode, batch_first, device):
    targets.expensive()  # dynamic shapes: seconds a module
    targets.require("export")
    with fresh_decompositions(mode):  # as in a fresh process: rnn.targets.export-seq-patch-sticky
        m, program = seq_export(mode, device, patched=True, batch_first=batch_first)
    exported = program.module()
    for seq in (2, SEQ, 9):
        cfg = probe(mode, batch_first=batch_first).with_(seq=seq, seed=seq)
        x = cfg.input(device)
        with torch.no_grad():
            assert_close(exported(x), m(x), f"{seq} steps", steps=cfg.num_layers * seq)


@claim(
    id="rnn.targets.export-seq-patches-absent",
    scope=TOOLCHAIN,
    statement="Before torch 2.11 there is no torch.export._patches to export an LSTM or GRU with a dynamic length.",
    modules=PATCHED,
    sources=EXPORT_DOC,
    torch=">=2.1,<2.11",
)
def test_export_seq_patches_absent():
    import importlib

    with pytest.raises(ImportError):
        importlib.import_module("torch.export._patches")


# Measured: 2.13.0, 2.14.1, 2.15.0 (LSTM and GRU): patched after plain fails ("Constraints violated (seq)"),
# plain after patched exports the Dim; with the operator's dispatch cache emptied in between, each does what it says.
@claim(
    id="rnn.targets.export-seq-patch-sticky",
    scope=TOOLCHAIN,
    statement=(
        "The while-loop patch of an LSTM or GRU works only for the first export of that layer type in a process: "
        "the decomposition the first export used stays in force, so a patched export after a plain one still "
        "refuses a dynamic sequence length, and a plain export after a patched one accepts it."
    ),
    modules=PATCHED,
    sources=EXPORT_DOC,
    torch=">=2.11",
)
@pytest.mark.parametrize("mode", PATCHED)
def test_export_seq_patch_sticky(mode, device):
    targets.expensive()  # dynamic shapes: seconds a module
    targets.require("export")
    plain_first = probe(mode)
    with fresh_decompositions(mode):
        m, x = built(plain_first, device)
        with quiet():
            torch.export.export(m, (x,))  # a plain export first: its decomposition is the one cached
        with pytest.raises(RuntimeError, match="(?i)seq"):  # a constraint violation naming the Dim
            seq_export(mode, device, patched=True)
    with fresh_decompositions(mode):
        seq_export(mode, device, patched=True)
        m, program = seq_export(mode, device, patched=False)  # the patch's decomposition, still cached
        y = plain_first.with_(seq=9, seed=9).input(device)
        with torch.no_grad():
            assert_close(program.module()(y), m(y), "the plain export after a patched one, on 9 steps", steps=18)
