"""Outcome tables: a call and what it does release by release (accepted, or raises which error matching
what), checked against the installed torch. The error claims of every family are written as such tables:
one :class:`Case` per call, its :class:`Outcome` per torch range, :func:`check` to run one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
import torch

from spec import implementations
from spec.helpers.api import api
from spec.registry import in_range, not_applicable


@dataclass(frozen=True)
class Outcome:
    torch: str = ""  # PEP 440 range; "" is every release
    raises: Any = None  # exception type (or tuple); None means the call is accepted
    match: Optional[str] = None  # regex searched in the message


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[str], Any]  # device -> result
    outcomes: tuple

    def param(self):
        return pytest.param(self, id=self.name)


def outcome_for(outcomes, version: str) -> Optional[Outcome]:
    """The first outcome whose torch range holds ``version``; None when no outcome is recorded for it."""
    return next((o for o in outcomes if in_range(o.torch, version)), None)


def check(case: Case, device: str) -> None:
    """Run ``case`` and check the installed torch's outcome. Under another implementation of the recurrent API
    (``$RNN_SPEC_IMPL``) the contract is the refusal, not torch's wording: the call raises an exception of the
    kind torch raises (the message is not matched), and a call torch accepts is accepted."""
    chosen = outcome_for(case.outcomes, torch.__version__)
    if chosen is None:
        not_applicable(f"no outcome recorded for {case.name} on torch {torch.__version__}")
    match = chosen.match if implementations.current().name == "torch" else None
    kinds = chosen.raises if isinstance(chosen.raises, tuple) else (chosen.raises,)
    expected = " or ".join(k.__name__ for k in kinds if k is not None) or "nothing (the call is accepted)"
    try:
        case.call(device)
    except Exception as e:  # what was raised, against what this release does (skips are no Exception)
        if isinstance(e, AssertionError) and (chosen.raises is None or not isinstance(e, kinds)):
            raise  # a check inside the call (an accepted call's result compared) says what it found
        if chosen.raises is None or not isinstance(e, kinds):
            pytest.fail(f"{case.name}: expected {expected}, got {type(e).__name__}: {e}")
        if match and not re.search(match, str(e)):
            pytest.fail(f"{case.name}: expected {expected} matching {match!r}, got {type(e).__name__}: {e}")
        return
    if chosen.raises is not None:
        pytest.fail(f"{case.name}: DID NOT RAISE {expected}: the call was accepted")


def refused(kind, match: Optional[str] = None):
    """``pytest.raises(kind, match=match)`` under torch; under another implementation the refusal alone (an
    exception of ``kind``), since the wording is torch's."""
    return pytest.raises(kind, match=match if implementations.current().name == "torch" else None)


def layer(mode, device, *args, **kw):
    """``mode(*args, **kw)`` as the implementation under test builds it (torch's nn.<mode> under torch)."""
    return getattr(api, mode)(*args, **kw).to(device)


#: for a layer (False) or a cell (True), the arguments whose defaults some implementations do not share (torchrl's
#: batch_first, opacus's cells' bias): given, so that a call by keyword is all the case checks
EXPLICIT = {False: {"batch_first": False}, True: {"bias": True}}


def by_keyword(mode: str, device) -> None:
    """``mode``(3, 4) as the implementation builds it, called with forward's arguments by keyword (``input=``,
    ``hx=``) and by position, without and with a state (seeded, not zero, so a state that is dropped shows): each
    pair computes the same. A case of an outcome table whose outcome is acceptance."""
    from spec.helpers.modules import fixed_randn
    from spec.helpers.tolerances import assert_close

    m = layer(mode, device, 3, 4, **EXPLICIT[mode.endswith("Cell")])
    cell = mode.endswith("Cell")
    x = fixed_randn(device, *((2, 3) if cell else (5, 2, 3)))
    h = fixed_randn(device, *((2, 4) if cell else (1, 2, 4)), seed=1)
    hx = (h, h) if mode.startswith("LSTM") else h
    with torch.no_grad():
        for how, by_name, by_position in (
            ("input=x", lambda: m(input=x), lambda: m(x)),
            ("input=x, hx=state", lambda: m(input=x, hx=hx), lambda: m(x, hx)),
            ("x, hx=state", lambda: m(x, hx=hx), lambda: m(x, hx)),
        ):
            assert_close(by_name(), by_position(), f"{mode}(3, 4) called as m({how}) against by position")


def as_h0(mode: str, device):
    """``mode``(3, 4) as the implementation builds it, given its state as ``h_0=``, the name the docstrings give
    it (forward's own name for it is hx)."""
    from spec.helpers.modules import fixed_randn

    cell = mode.endswith("Cell")
    h = fixed_randn(device, *((2, 4) if cell else (1, 2, 4)))
    return layer(mode, device, 3, 4, **EXPLICIT[cell])(fixed_randn(device, *((2, 3) if cell else (5, 2, 3))), h_0=h)
