"""jaxtyping + beartype shape checks when available; a no-op stand-in otherwise.

The spec runs on every torch from 1.8 (Python 3.9), where jaxtyping >= 0.3 is
not installable; there the annotations are kept as documentation and
``SHAPE_CHECKS`` is False (the report records which).

``REFERENCE_SHAPE_CHECKS`` chooses how often a decorated function is checked:

- ``1`` (default): on the first call with each *signature* (the shapes, dtypes
  and devices of its tensor arguments, the values of its scalar ones, the
  instance it is bound to). Every decorated function here has output shapes
  that follow from that signature, so a repeat of a signature cannot fail where
  its first call passed; a training loop pays for one check per batch shape,
  not per batch. Instances are held weakly (a new model is checked afresh even if it
  reuses a dead one's address); a call with an argument of another kind (a
  generator, a packed sequence) is checked every time.
- ``all``: on every call (what ``jaxtyped(typechecker=beartype)`` does alone).
- ``0``: never (to time the checks).

Unset or empty is ``1``. Any other value is refused, never read as one of these: :data:`MODE_PROBLEM` says
why in one line (the programs exit 2 with it before any work, the test session stops with it), and a
checked function called anyway raises :class:`ShapeCheckSetting`.
"""

import functools
import weakref
from collections.abc import Mapping

import torch

from reference.common.shapemode import ENV, MODES, read

#: the setting, and why it cannot be used (one line) or None
MODE, MODE_PROBLEM = read()


class ShapeCheckSetting(ValueError):
    """A function was called under a ``REFERENCE_SHAPE_CHECKS`` that is none of the accepted values."""


try:
    from beartype import beartype
    from jaxtyping import Float, Int, jaxtyped

    SHAPE_CHECKS = MODE != "0"
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


class Unkeyable(TypeError):
    """An argument whose bearing on shapes :func:`signature` cannot tell: check every such call."""


def signature(value):
    """What a shape check depends on: tensors by shape, dtype and device; tuples, lists and mappings by
    their items; None, booleans, numbers and strings by value. Anything else raises :class:`Unkeyable`."""
    if isinstance(value, torch.Tensor):
        return (tuple(value.shape), value.dtype, value.device.type)
    if isinstance(value, (tuple, list)):
        return (type(value), tuple(signature(v) for v in value))
    if isinstance(value, Mapping):
        return (dict, tuple(sorted((k, signature(v)) for k, v in value.items())))
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise Unkeyable(type(value).__name__)


def checked(fn):
    """Check a whole-sequence function's shapes at call time (not per-step helpers); see the module."""
    if MODE_PROBLEM:

        @functools.wraps(fn)
        def refused(*args, **kwargs):
            raise ShapeCheckSetting(MODE_PROBLEM)

        return refused
    if not SHAPE_CHECKS:
        return fn
    strict = jaxtyped(typechecker=beartype)(fn)
    if MODE == "all":
        return strict
    per_module = weakref.WeakKeyDictionary()  # a method's instance (or a module argument) -> signatures
    plain = set()

    @functools.wraps(fn)
    def once_per_signature(*args, **kwargs):
        owner = args[0] if args and isinstance(args[0], torch.nn.Module) else None
        rest = args[1:] if owner is not None else args
        try:
            key = (signature(rest), signature(kwargs))
        except Unkeyable:
            return strict(*args, **kwargs)
        seen = plain if owner is None else per_module.setdefault(owner, set())
        if key in seen:
            return fn(*args, **kwargs)
        out = strict(*args, **kwargs)
        seen.add(key)
        return out

    once_per_signature.strict = strict
    return once_per_signature


Tensor = torch.Tensor

__all__ = [
    "ENV",
    "MODE",
    "MODES",
    "MODE_PROBLEM",
    "SHAPE_CHECKS",
    "Float",
    "Int",
    "ShapeCheckSetting",
    "Tensor",
    "Unkeyable",
    "checked",
    "signature",
]
