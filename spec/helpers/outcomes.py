"""Outcome tables: a call and what it does release by release (accepted, or raises which error matching
what), checked against the installed torch. The error claims of every family are written as such tables:
one :class:`Case` per call, its :class:`Outcome` per torch range, :func:`check` to run one."""

from __future__ import annotations

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
    if chosen.raises is None:
        case.call(device)
        return
    match = chosen.match if implementations.current().name == "torch" else None
    with pytest.raises(chosen.raises, match=match):
        case.call(device)


def refused(kind, match: Optional[str] = None):
    """``pytest.raises(kind, match=match)`` under torch; under another implementation the refusal alone (an
    exception of ``kind``), since the wording is torch's."""
    return pytest.raises(kind, match=match if implementations.current().name == "torch" else None)


def layer(mode, device, *args, **kw):
    """``mode(*args, **kw)`` as the implementation under test builds it (torch's nn.<mode> under torch)."""
    return getattr(api, mode)(*args, **kw).to(device)
