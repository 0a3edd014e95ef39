"""The mutants' pytest plugin: applies the mutant named by ``SPEC_MUTANT`` at import, and records how each
failed claim failed.

A mutant is *killed* when at least one claim fails on an assertion: an ``assert``, ``assert_close``, a
``pytest.raises`` that saw no exception, the wrong message or (under this plugin) the wrong exception type.
A claim that fails by raising anything else (a ``TypeError`` from the way a mutant is written, say) has
*crashed*: crashes are listed apart and kill nothing. The plugin writes, per failed claim, how it failed to
the file named by ``SPEC_MUTANT_FAILURES``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from spec.tools.mutants.catalogue import CATALOGUE

ENV = "SPEC_MUTANT"
#: Where the plugin writes how each failed claim failed: {claim: {"assertion": [...], "crash": [...]}}.
FAILURES_ENV = "SPEC_MUTANT_FAILURES"


def failure_kind(exc) -> str:
    """ "assertion" for an assertion failure (a group counts if any member is one), else the exception's name."""
    import pytest

    if isinstance(exc, (AssertionError, pytest.fail.Exception)):
        return "assertion"
    members = getattr(exc, "exceptions", None)
    if members and any(failure_kind(e) == "assertion" for e in members):
        return "assertion"
    return type(exc).__name__


class RaisesMismatch(AssertionError):
    """``pytest.raises(X)`` saw an exception that is not an X: the claim caught a behaviour, not a crash."""


def strict_raises(real):
    """``pytest.raises`` whose context turns an exception of an unexpected type into :class:`RaisesMismatch`."""

    class Checked:
        def __init__(self, expected, kwargs):
            self.expected, self.context = expected, real(expected, **kwargs)

        def __enter__(self):
            return self.context.__enter__()

        def __exit__(self, kind, value, tb):
            if kind is not None and not issubclass(kind, self.expected):
                names = self.expected.__name__ if isinstance(self.expected, type) else self.expected
                raise RaisesMismatch(f"pytest.raises({names}) got {kind.__name__}: {value}") from value
            return self.context.__exit__(kind, value, tb)

    def raises(expected, *args, **kwargs):
        return real(expected, *args, **kwargs) if args else Checked(expected, kwargs)

    return raises


class FailureRecorder:
    def __init__(self, path: str):
        self.path, self.failures = path, {}

    def pytest_runtest_makereport(self, item, call):
        from spec.registry import claim_of

        c = claim_of(getattr(item, "obj", None))
        if c is None or call.excinfo is None or call.when != "call":
            return
        import pytest

        if call.excinfo.errisinstance(pytest.skip.Exception):
            return
        entry = self.failures.setdefault(c.id, {"assertion": [], "crash": []})
        kind = failure_kind(call.excinfo.value)
        if kind == "assertion":
            entry["assertion"].append(item.nodeid)
        else:
            first = (str(call.excinfo.value).strip().splitlines() or [""])[0]
            entry["crash"].append(f"{kind}: {first}"[:200])

    def pytest_sessionfinish(self, session):
        from spec.tools.results import write_json

        write_json(Path(self.path), self.failures)


def pytest_configure(config):
    if os.environ.get(FAILURES_ENV):
        import pytest

        pytest.raises = strict_raises(pytest.raises)
        config.pluginmanager.register(FailureRecorder(os.environ[FAILURES_ENV]), "spec-mutant-failures")


def read_failures(path) -> dict:
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


_chosen = os.environ.get(ENV)
if _chosen:
    if _chosen not in CATALOGUE:
        raise SystemExit(f"spec: unknown mutant {_chosen!r}")
    CATALOGUE[_chosen].apply()
