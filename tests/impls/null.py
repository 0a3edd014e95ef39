"""The null implementation: it provides every object of torch's recurrent API, and every call into it raises.

Under it no contract case may pass (tests/test_reach.py): a case that still passes never reached the
implementation under test, so its verdict says nothing about it. The exception is one no claim expects (not a
RuntimeError, ValueError, TypeError, ...), so a claim that expects a refusal cannot mistake it for one.
"""

from __future__ import annotations

from spec.implementations import OBJECTS, Implementation


class NullCall(Exception):
    """What every call into the null implementation raises: a type no claim expects."""


def refuse(what: str):
    def call(*args, **kwargs):
        raise NullCall(f"the null implementation refuses every call ({what})")

    call.__name__ = what
    return call


class _Utils:
    """torch.nn.utils.rnn as the null implementation gives it: every attribute a function that raises (the
    PackedSequence class included: building one raises, and isinstance against it is a TypeError)."""

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return refuse(f"utils.{name}")


class Null(Implementation):
    name = "null"
    title = "tests.impls.null (provides everything; every constructor, utils function and clip helper raises)"
    provides = frozenset(OBJECTS)

    def unavailable(self):
        return None

    def constructor(self, name: str):
        return refuse(name)

    @property
    def utils(self):
        return _Utils()

    @property
    def clip_grad_norm_(self):
        return refuse("clip_grad_norm_")
