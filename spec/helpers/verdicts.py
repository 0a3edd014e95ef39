"""Verdicts per case: every case of a claim runs, and each gets its own verdict.

A *case* is one run of a claim's check on one configuration: a pytest item of a parametrized claim (an error
table's row, a device, a target), one Hypothesis example of a ``@given`` claim, or one ``with case(...)`` block
of a claim that walks fixed examples itself. Each case ends in one verdict:

- ``held``: it ran and its check held;
- ``failed``: its check failed (or it crashed), and no known divergence covers it;
- ``known``: it failed, and a known divergence of the implementation under test covers it (the entry's
  ``cases``: :mod:`spec.implementations.divergences`);
- ``n/a``: it had nothing to check here (:func:`spec.registry.not_applicable`: an object, dtype, device or
  argument value the implementation refuses, an outcome no release recorded), with its reason.

A case that fails never stops the claim's other cases: Hypothesis sees every example pass (a failing example
is recorded here, not raised to it), so it neither stops at the first failure nor shrinks (shrinking was most of
a failing implementation's run time: minutes per claim); a case that is not applicable never makes its
siblings not applicable. After the last case, the pytest item ends as its cases say
(:func:`finish`): failed if any case failed (one line per failing case, its configuration and its first
error), else an expected failure if any case was known, else passed if any held, else not applicable.

What a case built is recorded as it builds (:func:`built`: every construction through ``spec.helpers.api`` and
``Config``), so a known entry can name the cases it covers by configuration (the objects built, argument values)
as well as by the item's parameters (an error table's row).
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import Callable, List, Optional

import pytest

from spec.registry import NotApplicable

#: The verdicts, in the report's order.
VERDICTS = ("held", "failed", "known", "n/a")
#: How many failing cases an item keeps word for word (the rest are counted).
KEEP = 10


@dataclass
class Case:
    label: str
    built: list = field(default_factory=list)  # (object name, {argument: value}) per construction
    verdict: Optional[str] = None
    message: Optional[str] = None
    error: Optional[BaseException] = None
    entry: Optional[str] = None  # the known entry's reason, for a case a known entry covers
    known_held: bool = False  # a known entry covers it, and it held
    configuration: Optional[str] = None  # the known configuration that covers it (a divergence by cause)


@dataclass
class Item:
    """The cases of one pytest item, and what decides whether a known entry covers one."""

    nodeid: str
    ids: tuple = ()  # the item's parameter ids, one per parameter (``("cpu", "dropout-above-one")``)
    device: Optional[str] = None
    target: str = "eager"
    covers: Optional[Callable] = None  # (Item, Case) -> known entry dict or None
    cases: List[Case] = field(default_factory=list)
    stack: List[Case] = field(default_factory=list)

    def counts(self) -> dict:
        out = dict.fromkeys(VERDICTS, 0)
        for c in self.cases:
            out[c.verdict] += 1
        return out


#: The item running now (one at a time per process), or None outside a claim.
_current: Optional[Item] = None


def current() -> Optional[Item]:
    return _current


def built(name: str, values: dict) -> None:
    """Record that the running case builds ``name`` with ``values`` (argument -> value, ``dtype`` by name)."""
    if _current is not None and _current.stack:
        _current.stack[-1].built.append((name, dict(values)))
        if len(_current.stack) > 1:  # the item's own case sees everything its cases built
            _current.stack[0].built.append((name, dict(values)))


def label(text: str) -> None:
    """Name the running case by its configuration (a line that rebuilds it), as :func:`describe` does."""
    if _current is not None and len(_current.stack) > 1:
        _current.stack[-1].label = text


def _hypothesis_control(e: BaseException) -> bool:
    """Exceptions Hypothesis uses to steer a run (assume(), a draw past the data's end): never a verdict."""
    try:
        from hypothesis.errors import HypothesisException
    except ImportError:  # pragma: no cover - hypothesis is a dependency
        return False
    return isinstance(e, HypothesisException) or not isinstance(e, Exception)


def _one_line(e: BaseException) -> str:
    """The error in one line: its type and first line; an assert pytest rewrote (``assert False``, then the
    ``where False = torch.equal(...)`` lines that give its values) keeps those lines, joined by ``|``."""
    text = str(e).strip()
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = lines[0] if lines else ""
    if isinstance(e, AssertionError) and first.startswith("assert ") and len(lines) > 1:
        first = " | ".join(lines[:6])
    name = type(e).__name__
    if isinstance(e, pytest.fail.Exception):
        name = "Failed"
    return f"{name}: {first}"[:1000] if first else name


@contextlib.contextmanager
def case(text: str = ""):
    """One case of the running item: its verdict is recorded and its failure does not stop the next case.

    Outside a claim's run (a plain call) it is a no-op: exceptions propagate as usual."""
    item = _current
    if item is None:
        yield
        return
    c = Case(text or f"case {len(item.cases) + 1}")
    item.stack.append(c)
    try:
        yield c
    except NotApplicable as e:
        _end(item, c, "n/a", e.reason, e)
    except (pytest.skip.Exception, pytest.xfail.Exception):
        item.stack.pop()
        raise  # a skip of the whole item (data missing, a device): not a verdict of this case
    except BaseException as e:
        if _hypothesis_control(e) and not isinstance(e, pytest.fail.Exception):
            item.stack.pop()
            raise
        _end(item, c, "failed", _one_line(e), e)
    else:
        _end(item, c, "held", None, None)


def _end(item: Item, c: Case, verdict: str, message, error) -> None:
    item.stack.pop()
    if message and len(c.label) > 40 and c.label in message:  # a repro line named the case: say what differs
        message = message.replace(c.label, "").replace(":  [", ": [").replace(": : ", ": ")
    entry = item.covers(item, c) if item.covers is not None else None
    if entry is not None and verdict == "failed":
        c.entry, c.configuration = entry.get("reason", ""), entry.get("configuration")
        verdict = "known"
    elif entry is not None and verdict == "held" and not entry.get("configuration"):
        c.entry, verdict = entry.get("reason", ""), "known-held"  # a claim's entry names a case that holds
    c.verdict, c.message, c.error = ("held" if verdict == "known-held" else verdict), message, error
    c.known_held = verdict == "known-held"  # the entry names a case that does not diverge
    if item.stack and item.stack[0] is not c:
        item.cases.append(c)


def known_held(item: Item) -> int:
    """Cases a known entry covers that held: the entry is wider than the divergence (or it is fixed)."""
    return sum(1 for c in item.cases if c.known_held)


# --- the item: begin, wrap Hypothesis, finish -------------------------------------------------------------------
def begin(nodeid: str, ids: tuple = (), device=None, target: str = "eager", covers=None) -> Item:
    global _current
    _current = Item(nodeid, ids, device, target, covers)
    _current.stack.append(Case(""))  # the item's own case (named by the item): what it built, its own failure
    return _current


def wrap_hypothesis(fn) -> Optional[Callable]:
    """Make every example of a ``@given`` test ``fn`` a case; returns a function that undoes it (None: not one)."""
    handle = getattr(fn, "hypothesis", None)
    inner = getattr(handle, "inner_test", None)
    if inner is None:
        return None

    @functools.wraps(inner)
    def each_example(*args, **kwargs):
        drawn = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k not in ("device", "spec_target", "request"))
        with case(drawn or "example"):
            inner(*args, **kwargs)

    handle.inner_test = each_example

    def undo():
        handle.inner_test = inner

    return undo


class CasesFailed(Exception):
    """Some cases of an item failed: one line each (up to :data:`KEEP`); ``exceptions`` are their errors (the
    mutant campaign tells an assertion from a crash by them)."""

    def __init__(self, failed: list, total: int) -> None:
        self.exceptions = [c.error for c in failed if c.error is not None]
        self.cases = failed
        lines = [f"{c.label}: {c.message}" if c.label else c.message for c in failed[:KEEP]]
        more = f"\n... and {len(failed) - KEEP} more" if len(failed) > KEEP else ""
        super().__init__(f"{len(failed)} of {total} cases failed\n" + "\n".join(lines) + more)


#: Where every case's verdict and configuration is written, a JSON line each, when set (for writing known files).
CASES_ENV = "RNN_SPEC_CASES"


def dump(item: Item) -> None:
    """Append ``item``'s cases to ``$RNN_SPEC_CASES`` (one JSON line a case: the item, its parameter ids,
    device, target, the case's label, verdict, message and what it built): what a known file's ``cases`` match."""
    import json
    import os

    path = os.environ.get(CASES_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        for c in item.cases:
            row = dict(item=item.nodeid, ids=list(item.ids), device=item.device, target=item.target, case=c.label)
            row.update(verdict=c.verdict, known_held=c.known_held, message=c.message, built=c.built)
            f.write(json.dumps(row, default=str) + "\n")


def finish(item: Item, error: Optional[BaseException]) -> None:
    """End the item as its cases say; ``error``: what the test function itself raised (None: it returned)."""
    global _current
    _current = None
    own = item.stack[0]
    if error is not None:  # raised outside any case: the item's own case, with what it built
        if isinstance(error, (pytest.skip.Exception, pytest.xfail.Exception)) and not isinstance(error, NotApplicable):
            raise error
        if isinstance(error, NotApplicable):
            _end(item, own, "n/a", error.reason, error)
        elif isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise error
        else:
            _end(item, own, "failed", _one_line(error), error)
        item.cases.append(own)
    elif not item.cases:
        _end(item, own, "held", None, None)
        item.cases.append(own)
    dump(item)
    failed = [c for c in item.cases if c.verdict == "failed"]
    if failed:
        if len(item.cases) == 1 and failed[0].error is not None:
            raise failed[0].error  # one case: its own exception, as pytest shows any failure
        raise CasesFailed(failed, len(item.cases))
    known = [c for c in item.cases if c.verdict == "known"]
    if known:
        pytest.xfail(f"{len(known)} of {len(item.cases)} cases: {known[0].entry}")
    if any(c.verdict == "held" for c in item.cases):
        return
    first = next((c for c in item.cases if c.verdict == "n/a"), None)
    if first is not None:
        raise first.error if isinstance(first.error, NotApplicable) else NotApplicable(first.message)
