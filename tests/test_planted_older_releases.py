"""Planted mistakes for the release facts of issue 24 that hold only before torch 2.11 (the other side of the claims
in tests/test_planted_releases.py): each claim fails against a torch patched to behave as the later releases do,
and holds again once the patch is gone. They run where the claim's range holds: on the matrix's older releases
(`/work/venvs`-style environments; `python -m pytest tests/test_planted_older_releases.py`), and skip elsewhere."""

from __future__ import annotations

import importlib
import sys
import types

import pytest
import torch

import spec
from spec.registry import REGISTRY


def check(claim_id: str):
    spec.load_all()
    claim = REGISTRY.get(claim_id)
    if not claim.applies_to(torch.__version__):
        pytest.skip(f"{claim_id} holds for torch{claim.torch}; installed {torch.__version__}")
    module, _, name = claim.where.partition(":")
    return getattr(importlib.import_module(module), name)


def fails(claim_id: str, **args) -> None:
    """The claim's check fails: on an assertion, or a pytest.raises that saw nothing."""
    test = check(claim_id)
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        test(**args)


def test_an_export_that_turns_cudnn_off_fails(monkeypatch):
    """What 2.11 does (pytorch/pytorch#169710), planted on an older release: the claim that cuDNN stays on fails."""
    real = torch.export.export

    def off_while_tracing(*args, **kwargs):
        with torch.backends.cudnn.flags(enabled=False):
            return real(*args, **kwargs)

    test = check("rnn.targets.cudnn-on-while-exporting")
    monkeypatch.setattr(torch.export, "export", off_while_tracing)
    with pytest.raises(AssertionError, match="disabled during the trace"):
        test(mode="LSTM", device="cpu")
    monkeypatch.undo()
    test(mode="LSTM", device="cpu")  # and without the plant it holds


def test_a_patches_module_fails(monkeypatch):
    """torch.export._patches present before 2.11: the claim that it is absent fails."""
    test = check("rnn.targets.export-seq-patches-absent")
    monkeypatch.setitem(sys.modules, "torch.export._patches", types.ModuleType("torch.export._patches"))
    with pytest.raises(pytest.fail.Exception):
        test()
    monkeypatch.undo()
    test()


def test_an_export_that_takes_packing_in_forward_fails(monkeypatch):
    """An exporter that traces pack_padded_sequence (as a later release might): the claim that 2.1-2.3 refuse it
    fails."""
    test = check("rnn.targets.export-packed-in-forward-skipped")
    monkeypatch.setattr(torch.export, "export", lambda m, args, **kw: m(*args))  # "exported" without complaint
    fails("rnn.targets.export-packed-in-forward-skipped", mode="LSTM", device="cpu")
    monkeypatch.undo()
    test(mode="LSTM", device="cpu")
