"""Weights-only checkpoints: a state_dict saved atomically and reloaded with weights_only=True."""

from __future__ import annotations

from pathlib import Path

import torch

from reference.common.files import replacing_file


def save(model: torch.nn.Module, path: Path) -> Path:
    with replacing_file(path) as f:  # a full disk: a WriteError naming the path, not torch's RuntimeError
        torch.save(model.state_dict(), f)
    return Path(path)


def load(model: torch.nn.Module, path: Path) -> torch.nn.Module:
    """Load tensors only (no pickled code runs): torch.load(weights_only=True)."""
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    return model


def save_and_reload(model: torch.nn.Module, path: Path) -> Path:
    """Save, reload into a copy, and check every tensor came back; returns the path."""
    import copy

    save(model, path)
    twin = load(copy.deepcopy(model), path)
    for (name, a), (_, b) in zip(model.state_dict().items(), twin.state_dict().items()):
        if not torch.equal(a.cpu(), b.cpu()):
            raise RuntimeError(f"{path}: {name} did not survive the round trip")
    return path
