"""Weights-only checkpoints: a state_dict saved atomically and reloaded with weights_only=True."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def save(model: torch.nn.Module, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        torch.save(model.state_dict(), tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


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
