"""Planted mistakes for the release facts of issue 24 (spec/claims/targets/rnn/compile.py, cudnn.py, export.py):
each claim added from a public thread fails against a torch patched to behave in one plausible wrong way, and holds
again once the patch is gone. The claims on the other side of a torch range (older releases) and the cuda-bound
ones cannot run here; the report lists them."""

from __future__ import annotations

import contextlib
import importlib

import pytest
import torch

import spec
from spec.helpers import targets
from spec.registry import REGISTRY, in_range

pytestmark = pytest.mark.skipif(
    not in_range(">=2.11", torch.__version__), reason="the claims planted here hold from torch 2.11"
)


def check(claim_id: str):
    spec.load_all()
    module, _, name = REGISTRY.get(claim_id).where.partition(":")
    return getattr(importlib.import_module(module), name)


def fails(claim_id: str, errors=(), **args) -> None:
    """The claim's check fails: on an assertion, a pytest.raises that saw nothing, or one of ``errors`` (a skip is
    not a failure: it propagates, and the meta-test shows as skipped)."""
    with pytest.raises((AssertionError, pytest.fail.Exception) + tuple(errors)):
        check(claim_id)(**args)


def off_by(delta: float):
    """A torch.compile whose compiled module returns every tensor moved by ``delta`` (a miscompiled graph)."""
    real = torch.compile

    def wrong(model, *a, **kw):
        compiled = real(model, *a, **kw)

        def call(*args):
            out = compiled(*args)
            moved = [t + delta for t in (out[0], *(out[1] if isinstance(out[1], tuple) else (out[1],)))]
            return moved[0], (tuple(moved[1:]) if isinstance(out[1], tuple) else moved[1])

        return call

    return wrong


# --- torch.compile ------------------------------------------------------------------------------------------------
def test_allow_rnn_on_by_default_fails():
    from torch import _dynamo

    with _dynamo.config.patch(allow_rnn=True):  # pytorch/pytorch#185163's proposal, unreleased
        fails("rnn.targets.compile-allow-rnn-fullgraph", mode="LSTM", device="cpu")


def test_a_wrong_capture_fails(monkeypatch):
    from torch._dynamo.backends import registry

    real = registry.lookup_backend

    def shifted(name):
        inner = real("eager")  # not Inductor itself: its compile takes seconds, and the shift is what fails

        def backend(gm, example_inputs):
            run = inner(gm, example_inputs)
            return lambda *a: [t + 1e-3 if isinstance(t, torch.Tensor) else t for t in run(*a)]

        return backend

    monkeypatch.setattr(registry, "lookup_backend", shifted)  # Inductor computing the captured layer wrongly
    monkeypatch.setitem(targets._state, "profile", "thorough")  # the expensive claim runs
    fails("rnn.targets.compile-shape-padding-captured-close", mode="LSTM", device="cpu")


def test_a_compiled_layer_one_ulp_off_fails(monkeypatch):
    monkeypatch.setattr(torch, "compile", off_by(1e-7))
    fails("rnn.targets.compile-shape-padding-exact", mode="LSTM", device="cpu")
    monkeypatch.undo()
    check("rnn.targets.compile-shape-padding-exact")(mode="LSTM", device="cpu")


def test_a_compiled_lstm_that_skips_onednn_fails(monkeypatch):
    monkeypatch.setitem(targets._state, "profile", "thorough")  # the expensive claim runs
    with torch.backends.mkldnn.flags(enabled=False):  # the differentiable path pytorch/pytorch#185902 gates on
        fails("lstm.targets.compile-allow-rnn-onednn-grad-refused", device="cpu")


# --- torch.export: cuDNN, the zero state, packed input in the forward ------------------------------------------
def test_cudnn_left_on_while_exporting_fails(monkeypatch):
    from torch.export import _trace

    @contextlib.contextmanager
    def mkldnn_and_nnpack_only():  # the context before pytorch/pytorch#163245
        flags = torch.backends.mkldnn.set_flags(False), torch.backends.nnpack.set_flags(False)
        try:
            yield
        finally:
            torch.backends.mkldnn.set_flags(*flags[0])
            torch.backends.nnpack.set_flags(*flags[1])

    monkeypatch.setattr(_trace, "_ignore_backend_decomps", mkldnn_and_nnpack_only)
    fails("rnn.targets.cudnn-off-while-exporting", mode="LSTM", device="cpu")
    monkeypatch.undo()
    check("rnn.targets.cudnn-off-while-exporting")(mode="LSTM", device="cpu")


def test_a_zero_state_on_another_device_fails(monkeypatch):
    real = torch.export.export

    def elsewhere(*a, **kw):
        program = real(*a, **kw)
        for n in program.graph.nodes:
            if "device" in n.kwargs:
                n.kwargs = {**n.kwargs, "device": torch.device("meta")}
        return program

    monkeypatch.setattr(torch.export, "export", elsewhere)
    fails("rnn.targets.export-zero-state-device-fixed", mode="LSTM", device="cpu")


def test_a_packed_export_that_works_fails(monkeypatch):
    monkeypatch.setattr(torch.export, "export", lambda *a, **kw: None)  # the fix of #171978, as far as it shows
    fails("rnn.targets.export-packed-in-forward-fake-size", mode="LSTM", device="cpu")


# --- the while-loop patches of torch.export._patches -------------------------------------------------------------
def test_a_patch_that_does_nothing_fails(monkeypatch):
    from torch.export import _patches

    monkeypatch.setattr(_patches, "register_lstm_while_loop_decomposition", contextlib.nullcontext)
    monkeypatch.setitem(targets._state, "profile", "thorough")  # the expensive claim runs
    # the export then specialises the sequence length: a constraint violation (a RuntimeError) fails the check
    fails("rnn.targets.export-seq-dynamic-patched", errors=(RuntimeError,), mode="LSTM", batch_first=True,
          device="cpu")  # fmt: skip


def test_a_patch_that_refreshes_the_cache_fails(monkeypatch):
    from torch.export import _patches

    real = _patches.register_lstm_while_loop_decomposition

    @contextlib.contextmanager
    def refreshing():  # what a fixed patch would do: look the decomposition up afresh on entry and exit
        torch.ops.aten.lstm.input._dispatch_cache.clear()
        with real():
            yield
        torch.ops.aten.lstm.input._dispatch_cache.clear()

    monkeypatch.setattr(_patches, "register_lstm_while_loop_decomposition", refreshing)
    monkeypatch.setitem(targets._state, "profile", "thorough")  # the expensive claim runs
    fails("rnn.targets.export-seq-patch-sticky", mode="LSTM", device="cpu")
