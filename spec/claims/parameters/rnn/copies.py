"""Copies of nn.RNN, nn.LSTM and nn.GRU, and what they share with the original: the ``rnn.parameters.copies-*``
claims."""

from __future__ import annotations

import copy
import io
import pickle

import pytest
import torch

from reference.oracle.layers import forward as reference_forward
from spec.helpers.strategies import (
    LAYERS,
    Config,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TorchDoc, TorchOwn, claim


# --- issue 24: copies of a layer, and what they share with the original ---
def memory_of(module) -> set:
    """Where each parameter's data lives (the start of its storage): what two modules sharing memory have in common."""
    storage = (lambda p: p.untyped_storage()) if hasattr(torch.Tensor, "untyped_storage") else (lambda p: p.storage())
    return {storage(p).data_ptr() for p in module.parameters()}


def twins(m, cfg: Config, device: str) -> dict:
    """The copies users make of a layer: a deep copy, a pickle round trip, and a layer of the same configuration
    (other weights: another seed) given the original's state_dict, directly and through torch.save/torch.load."""
    loaded = cfg.with_(seed=cfg.seed + 1).build(device)
    loaded.load_state_dict(m.state_dict())
    saved = io.BytesIO()
    torch.save(m.state_dict(), saved)
    saved.seek(0)
    reloaded = cfg.with_(seed=cfg.seed + 2).build(device)
    reloaded.load_state_dict(torch.load(saved))
    return {
        "deepcopy": copy.deepcopy(m),
        "pickle": pickle.loads(pickle.dumps(m)),
        "load_state_dict": loaded,
        "torch.save/torch.load": reloaded,
    }


@claim(
    id="rnn.parameters.copies-independent",
    scope=TorchOwn("torch.nn.Module's copy, pickle and state_dict machinery"),
    statement=(
        "A deep copy of a layer, a pickle round trip, and a layer given its state_dict (directly or through "
        "torch.save and torch.load) compute what the original computes, with parameters of their own: none shares "
        "memory with the original, and changing the original's weights in place changes no copy."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.Module.state_dict", "references to the whole state of the module"),
        TorchDoc("torch.nn.Module.load_state_dict", "copy parameters and buffers from state_dict"),
        TorchDoc("torch.save", "saving a module's state_dict"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_copies_independent(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, proj_size=2 if mode == "LSTM" else 0)
    m, x = cfg.build(device), cfg.input(device)
    with torch.no_grad():
        before = m(x)
        for how, twin in twins(m, cfg, device).items():
            assert_close(twin(x), before, f"{mode} {how}: the copy computes what the original does")
            assert not memory_of(twin) & memory_of(m), f"{mode} {how}: shares parameter memory with the original"
            assert not {id(p) for p in twin.parameters()} & {id(p) for p in m.parameters()}, f"{mode} {how}"
            for p in m.parameters():
                p.mul_(-1)  # the original's weights changed in place ...
            assert_close(twin(x), before, f"{mode} {how}: changing the original in place changed the copy")
            assert_close(m(x), reference_forward(m, x), f"{mode} {how}: the original runs on its new weights")
            for p in m.parameters():
                p.mul_(-1)
