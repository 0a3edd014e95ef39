"""jaxtyping + beartype shape checks when available; a no-op stand-in otherwise.

The spec runs on every torch from 1.8 (Python 3.9), where jaxtyping >= 0.3 is
not installable; there the annotations are kept as documentation and
``SHAPE_CHECKS`` is False (the report records which). Set
``REFERENCE_SHAPE_CHECKS=0`` to switch the checks off, e.g. to time them.
"""

import os

import torch

try:
    from beartype import beartype
    from jaxtyping import Float, Int, jaxtyped

    SHAPE_CHECKS = os.environ.get("REFERENCE_SHAPE_CHECKS", "1") != "0"
except ImportError:  # Python < 3.11, or the typing extra not installed
    SHAPE_CHECKS = False

    class _Annotation:
        """``Float[Tensor, "dims"]`` -> ``Tensor``: keeps the annotation legible, checks nothing."""

        def __getitem__(self, item):
            return item[0] if isinstance(item, tuple) else item

    Float = Int = _Annotation()

    def jaxtyped(typechecker=None):
        return lambda fn: fn

    beartype = None


def checked(fn):
    """Check a whole-sequence function's shapes at call time (not per-step helpers)."""
    return jaxtyped(typechecker=beartype)(fn) if SHAPE_CHECKS else fn


Tensor = torch.Tensor

__all__ = ["Float", "Int", "SHAPE_CHECKS", "Tensor", "checked"]
