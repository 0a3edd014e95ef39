"""The probe the targets claims (:mod:`spec.claims.targets`) run each target on: the module of issue 15
(two layers, bidirectional, batch_first), built eagerly, its initial state, the targets' warnings silenced,
and the ONNX round trip through onnxruntime."""

from __future__ import annotations

import contextlib
import warnings

import torch

from spec.helpers import targets
from spec.helpers.modules import returned_tensors
from spec.helpers.strategies import Config
from spec.helpers.tolerances import assert_close
from spec.registry import not_applicable, release_of

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
