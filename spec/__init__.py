"""The executable specification of PyTorch's recurrent layers.

Each claim is a pytest test carrying its metadata (see :mod:`spec.registry`).
The topic modules listed in :data:`TOPICS` hold the claims; :func:`load_all`
imports them so that the registry is complete without running anything.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: The modules of ``spec/`` that hold claims, in the order the docs list them.
TOPICS = (
    "shapes",
    "parameters",
    "state",
    "cells",
    "semantics",
    "errors",
    "examples",
    "autograd",
    "dropout",
    "oracle",
    "data",
    "training",
)


def load_all():
    """Import every topic module and return the (now complete) registry."""
    from spec.registry import REGISTRY

    for topic in TOPICS:
        importlib.import_module(f"spec.{topic}")
    return REGISTRY
