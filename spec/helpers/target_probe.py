"""The probe the targets claims (:mod:`spec.claims.targets`) run each target on: the module of issue 15
(two layers, bidirectional, batch_first), built eagerly, its initial state, the targets' warnings silenced,
the ONNX round trip through onnxruntime, and the modules and graphs the release-fact export claims look at."""

from __future__ import annotations

import contextlib
import warnings

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from spec.helpers import targets
from spec.helpers.modules import returned_tensors
from spec.helpers.strategies import Config
from spec.helpers.tolerances import assert_close
from spec.registry import in_range, not_applicable, release_of

#: How a claim here runs each layer: the probe's module (issue 15), in float64 unless ONNX needs float32.
BATCH, OTHER_BATCH, SEQ = 3, 5, 4


def probe(mode: str, device="cpu", dtype="float64", **changes) -> Config:
    base = Config(mode=mode, input_size=3, hidden_size=4, num_layers=2, batch_first=True, bidirectional=True)
    return base.with_(batch=BATCH, seq=SEQ, dtype=dtype, **changes)


def built(cfg: Config, device: str, train: bool = False):
    """The module (always eager here: these claims call the targets themselves) and its input; ``train`` for
    checks that run backward (cuDNN refuses it in eval mode: rnn.autograd.cudnn-backward-needs-train)."""
    with targets.using("eager"):
        return cfg.build(device, train=train), cfg.input(device)


def initial_state(cfg: Config, device: str):
    h = cfg.randn(*cfg.state_shape(), device=device, salt=10)
    return (h, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=11)) if cfg.mode == "LSTM" else h


def before(version: str) -> bool:
    return release_of(torch.__version__) < release_of(version)


@contextlib.contextmanager
def quiet():
    """The exporters' and TorchScript's deprecation and tracer warnings are not what these claims check; and
    each export starts from a fresh Dynamo cache, as in a user's process (:func:`targets.fresh_dynamo`)."""
    targets.fresh_dynamo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def raises_as_measured(measured: tuple, looser):
    """``pytest.raises`` for the refusal a target claim asserts: on the releases where it was measured, the
    exception type and message pattern seen there (``measured``: ``(torch range, type, pattern)`` rows, the first
    that holds wins); on the claim's other releases, unmeasured, ``looser`` (a tuple of types, no message) -- each
    claim says which releases its rows were measured on."""
    import pytest

    for torch_range, kind, pattern in measured:
        if in_range(torch_range, torch.__version__):
            return pytest.raises(kind, match=pattern)
    return pytest.raises(looser)


def rnn_scriptable(mode: str) -> bool:
    """Whether torch.jit.script takes this layer (nn.RNN only from 1.11: see spec/claims/targets/rnn.py)."""
    return mode != "RNN" or not before("1.11")


def onnx_ready(exporter: str = "torchscript") -> None:
    """Not applicable unless onnx, onnxruntime and this exporter are here; the dynamo exporter is expensive."""
    targets.require("onnx")
    reason = targets.onnx_exporters().get(exporter)
    if reason:
        not_applicable(f"onnx {exporter} exporter: {reason}")
    if exporter == "dynamo":
        targets.expensive()


ONNX_CONFIGS = {
    "batch-first": dict(bidirectional=False, num_layers=1),
    "bidirectional": dict(batch_first=False),
    "batch-first-bidirectional": {},
}


def onnx_round_trip(mode: str, layout: dict, given_state: bool, exporter: str) -> None:
    cfg = probe(mode, dtype="float32", **layout)
    m, x = built(cfg, "cpu")
    args = (x, initial_state(cfg, "cpu")) if given_state else (x,)
    session = targets.ort_session(targets.onnx_export(m, args, exporter))
    with torch.no_grad():
        assert_close(targets.ort_run(session, args), returned_tensors(m(*args)), f"onnxruntime ({exporter})")


def dynamo_output_shapes(mode: str) -> tuple:
    """(the output shapes the dynamo exporter declares, the shapes onnxruntime computes) for the probe layer."""
    onnx_ready("dynamo")
    import onnx

    m, x = built(probe(mode, dtype="float32"), "cpu")
    model = targets.onnx_export(m, (x,), "dynamo")
    declared = [[d.dim_value for d in o.type.tensor_type.shape.dim] for o in onnx.load_from_string(model).graph.output]
    computed = [list(t.shape) for t in targets.ort_run(targets.ort_session(model), (x,))]
    return declared, computed


class PacksItsInput(torch.nn.Module):
    """A module that packs its padded batch itself and runs the layer on the packed sequence (pytorch/pytorch
    #171978's shape): padded input and lengths in, padded output out."""

    def __init__(self, layer: torch.nn.Module):
        super().__init__()
        self.layer = layer

    def forward(self, x, lengths):
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.layer(packed)
        return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


def packs_its_input(mode: str, device: str):
    """(the module, its padded input, lengths), after checking eagerly that it computes each sequence as the layer
    alone computes it on that sequence's own steps: the module is right, so a failure is the exporter's."""
    cfg = probe(mode, num_layers=1, bidirectional=False)
    layer, x = built(cfg, device)
    lengths = torch.tensor([SEQ, 2, 3])
    m = PacksItsInput(layer)
    with torch.no_grad():
        out = m(x, lengths)
        for i, n in enumerate(lengths.tolist()):
            assert_close(out[i, :n], layer(x[i : i + 1, :n])[0][0], f"sequence {i} (length {n}), packed eagerly")
            assert not out[i, n:].any(), "padding positions of the unpacked output are zero"
    return m, x, lengths


def zero_state_devices(mode: str, device: str) -> list:
    """The devices the exported graph's factory calls (the default zero state: aten.zeros, aten.full on 2.1) carry."""
    m, x = built(probe(mode), device)
    with quiet():
        graph = torch.export.export(m, (x,)).graph
    return [n.kwargs["device"] for n in graph.nodes if n.op == "call_function" and "device" in n.kwargs]


@contextlib.contextmanager
def fresh_decompositions(mode: str):
    """The layer's aten operator (aten.lstm.input, aten.gru.input) with an empty dispatch cache on entry and on exit:
    the decomposition an export of it used first in the process stays cached on the operator, and the while-loop
    patches of torch.export._patches change the decomposition but not that cache (rnn.targets.export-seq-patch-
    sticky). Emptied, the next export looks the decomposition up afresh, as in a new process."""
    op = getattr(torch.ops.aten, mode.lower()).input
    op._dispatch_cache.clear()
    try:
        yield op
    finally:
        op._dispatch_cache.clear()


def seq_export(mode: str, device: str, patched: bool, batch_first: bool = True):
    """(the module, torch.export.export of it with a Dim on the sequence length): inside the release's while-loop
    patch of the layer (torch.export._patches) when ``patched``, plainly otherwise."""
    cfg = probe(mode, batch_first=batch_first)
    m, x = built(cfg, device)
    seq_dim = 1 if batch_first else 0
    if patched:
        from torch.export import _patches

        scope = getattr(_patches, f"register_{mode.lower()}_while_loop_decomposition")()
    else:
        scope = contextlib.nullcontext()
    with quiet(), scope:
        return m, torch.export.export(m, (x,), dynamic_shapes=({seq_dim: torch.export.Dim("seq", min=2, max=64)},))
