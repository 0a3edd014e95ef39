"""Known divergences of an implementation, as data: ``spec/implementations/known/<name>.json``.

JSON (the standard library reads it on every Python the suite runs on, 3.9 included)::

    {
      "implementation": "opacus",
      "measured_with": {"torch": "2.13.0", "opacus": "1.6.0"},
      "limits": [
        {"when": {"proj_size": 1}, "modules": ["LSTM"], "reason": "...", "link": "https://..."}
      ],
      "divergences": {
        "<claim id>": {"reason": "...", "cases": [{"modules": ["GRU"], "when": {"num_layers": 2}}],
                       "link": "https://...", "repro": "<lines run with `api` bound>",
                       "upstream": {"title": "...", "versions": "...", "repro": "...",
                                    "expected": "...", "actual": "..."},
                       "torch": ">=2.1,<2.3"}
      }
    }

- ``divergences``: the claims expected to fail on this implementation, each naming the cases it covers
  (``cases``, required: a list of selectors, a case is covered when one selector matches it; ``[{}]`` covers
  every case, for a claim that fails whatever it is given). A selector's keys, all optional, all must match:
  ``modules`` (the case built one of these objects), ``when`` (it built one with these argument values, as a
  limit's ``when``: a bool or string equal, a number a lower bound), ``ids`` (the pytest item's parameters
  include one of these ids: an error table's row, ``LSTM``), ``devices``, ``targets``. A case it covers that
  fails is ``known``; one that fails outside every entry is a failure; one it covers that holds is reported
  (the entry is wider than the divergence, or fixed). Each needs a ``reason`` and a ``link``
  (an upstream issue or the library's documentation) or a ``repro``: at most five lines of Python run with
  ``api`` (:mod:`spec.helpers.api`, bound to the implementation) and ``torch`` in scope, that raise on this
  implementation and pass on torch (``tests/test_implementations.py`` runs each on torch). Where the divergence
  looks like a bug of the library, ``upstream`` is a write-up ready to file there. ``torch``: the releases
  where it diverges, a range written like a claim's (default: every release); outside it the claim is expected
  to hold. torch's own file (``known/torch.json``) holds the known regressions of its releases this way: each
  names its range, and its repro raises on the releases inside it and passes on the others
  (``tests/test_implementations.py`` runs each on the installed torch, whichever side it is on).
- ``limits``: argument values the implementation refuses, loudly, when the object is built (it raises at
  construction, and says so in its documentation or source), each with a reason and a link or repro; a configuration
  it accepts and then crashes on at forward, or computes something else with, is a divergence
  (``tests/test_implementations.py`` builds each limit's configuration and expects the refusal). ``when`` names
  constructor arguments or ``dtype``: a bool or a string must be equal, a number is a lower bound (``{"num_layers":
  2, "bidirectional": true}``: two layers or more and bidirectional); ``modules`` restricts it to some objects
  (default: all). The configurations drawn for a claim leave these out where the claim lets them vary, and a claim
  that asks for one is not applicable there, with the reason: so one limit does not hide every other divergence of
  the claims that draw it.

- ``configurations``: argument values the implementation accepts and then computes wrongly with (or crashes on)
  whatever the claim: one cause, written once, in a limit's form (``when``, ``modules``, a reason, a link or
  repro). In every claim, a case that builds such a configuration and fails is ``known``; one that holds is held
  (not every check touches the fault). A run names a configuration none of whose cases failed (stale).

Nothing goes in without its reason: the loader refuses such an entry, in one line. Nor does an entry for a claim
the spec does not have (a misspelt ID, a claim withdrawn): :func:`load` names it, with the nearest ID, in one line.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

#: Constructor arguments (and ``dtype``) that a limit may name.
FIELDS = ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size", "nonlinearity", "dtype")
UPSTREAM = ("title", "versions", "repro", "expected", "actual")
REPRO_LINES = 5


class KnownFileError(ValueError):
    """A known-divergence file that breaks the rules above (one line: the file, the entry, what is wrong)."""


#: What a selector of a divergence's ``cases`` may name.
SELECTOR = ("modules", "when", "ids", "devices", "targets")


@dataclass(frozen=True)
class Selector:
    """Which cases of a claim a divergence covers (every key it gives must match; ``{}`` matches every case)."""

    modules: Tuple[str, ...] = ()
    when: Tuple[Tuple[str, object], ...] = ()
    ids: Tuple[str, ...] = ()
    devices: Tuple[str, ...] = ()
    targets: Tuple[str, ...] = ()

    def matches(self, ids, device, target: str, built) -> bool:
        """``ids``: the item's parameter ids, one per parameter (``("cpu", "input-4d")``); ``built``: (object,
        {argument: value}) per construction of the case. An id of ``ids`` names the case when it is one parameter's
        id or the ids of all its parameters but device and target, joined by ``-`` (``0.3-GRU``)."""
        if self.devices and device not in self.devices or self.targets and target not in self.targets:
            return False
        if self.ids and not set(self.ids) & id_names(ids, device, target):
            return False
        if self.modules or self.when:
            return any(
                (not self.modules or name in self.modules) and all(_holds(values.get(k), w) for k, w in self.when)
                for name, values in built
            )
        return True

    def as_dict(self) -> dict:
        out = {k: list(getattr(self, k)) for k in ("modules", "ids", "devices", "targets") if getattr(self, k)}
        if self.when:
            out["when"] = dict(self.when)
        return out


def id_names(ids, device=None, target=None) -> set:
    """The names an item's parameter ids give it: each id, and all but device and target joined by ``-``."""
    ids = (ids,) if isinstance(ids, str) else tuple(ids)
    rest = [i for i in ids if i not in (device, target)]
    return set(ids) | ({"-".join(rest)} if rest else set())


@dataclass(frozen=True)
class Divergence:
    claim: str
    reason: str
    link: str = ""
    repro: str = ""
    upstream: Optional[dict] = None
    torch: str = ""  # the releases where it diverges ("": every release)
    cases: Tuple[Selector, ...] = (Selector(),)

    def as_dict(self) -> dict:
        out = {"reason": self.reason, "cases": [c.as_dict() for c in self.cases]}
        for key in ("link", "repro", "upstream", "torch"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def covers(self, ids: str, device, target: str, built) -> bool:
        return any(c.matches(ids, device, target, built) for c in self.cases)

    def applies_to(self, torch_version: str) -> bool:
        from spec.registry import in_range

        return in_range(self.torch, torch_version)


@dataclass(frozen=True)
class Limit:
    when: Tuple[Tuple[str, object], ...]
    reason: str
    modules: Tuple[str, ...] = ()
    link: str = ""
    repro: str = ""

    def matches(self, module: str, values: dict) -> bool:
        """Whether building ``module`` with ``values`` (argument -> value) hits this limit."""
        if self.modules and module not in self.modules:
            return False
        return all(_holds(values.get(k), want) for k, want in self.when)

    def describe(self) -> str:
        what = " and ".join(f"{k}={v!r}" if not _is_number(v) else f"{k}>={v}" for k, v in self.when)
        return f"{what}: {self.reason}" + (f" ({self.link})" if self.link else "")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _holds(value, want) -> bool:
    if value is None:
        return False
    if _is_number(want):
        return not isinstance(value, bool) and _is_number(value) and value >= want
    return value == want


@dataclass(frozen=True)
class Known:
    path: Path
    divergences: Dict[str, Divergence] = field(default_factory=dict)
    limits: List[Limit] = field(default_factory=list)
    measured_with: Dict[str, str] = field(default_factory=dict)
    #: configurations the implementation accepts and then computes wrongly with, in every claim (a divergence by
    #: cause, not by claim): a case that builds one and fails is known; one that holds is simply held
    configurations: List[Limit] = field(default_factory=list)


def _evidence(where: str, entry: dict) -> Tuple[str, str]:
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise KnownFileError(f"{where}: no reason (every entry says why)")
    link, repro = entry.get("link", ""), entry.get("repro", "")
    if not (isinstance(link, str) and link.startswith(("https://", "http://"))) and not (
        isinstance(repro, str) and repro.strip()
    ):
        raise KnownFileError(f"{where}: needs an upstream link (https://...) or a repro")
    if repro and len(repro.strip().splitlines()) > REPRO_LINES:
        raise KnownFileError(f"{where}: repro has more than {REPRO_LINES} lines")
    if repro:
        try:
            compile(repro, where, "exec")
        except SyntaxError as e:
            raise KnownFileError(f"{where}: repro is not Python ({e.msg}, line {e.lineno})") from None
    return link, repro


def parse(data, path: Path) -> Known:
    """A parsed known file, or KnownFileError naming the first broken entry."""
    from spec.registry import is_range

    if not isinstance(data, dict):
        raise KnownFileError(f"{path}: not a known-divergence file (a JSON object with 'divergences')")
    unknown = sorted(set(data) - {"implementation", "measured_with", "limits", "configurations", "divergences", "note"})
    if unknown:
        raise KnownFileError(f"{path}: unknown keys {unknown}")
    divergences = {}
    for cid, entry in (data.get("divergences") or {}).items():
        where = f"{path.name}: {cid}"
        if not isinstance(entry, dict):
            raise KnownFileError(f"{where}: entry must be an object with a reason")
        link, repro = _evidence(where, entry)
        upstream = entry.get("upstream")
        if upstream is not None:
            missing = [k for k in UPSTREAM if not isinstance(upstream, dict) or not str(upstream.get(k, "")).strip()]
            if missing:
                raise KnownFileError(f"{where}: upstream write-up lacks {', '.join(missing)}")
        extra = sorted(set(entry) - {"reason", "link", "repro", "upstream", "torch", "cases"})
        if extra:
            raise KnownFileError(f"{where}: unknown keys {extra}")
        releases = entry.get("torch", "")
        if not isinstance(releases, str) or releases and not is_range(releases):
            raise KnownFileError(f"{where}: torch {releases!r} is not a range of releases (such as '>=2.1,<2.3')")
        cases = _selectors(where, entry.get("cases"))
        divergences[cid] = Divergence(cid, entry["reason"].strip(), link, repro, upstream, releases, cases)
    limits = _limits(path, data, "limits")
    configurations = _limits(path, data, "configurations")
    return Known(path, divergences, limits, dict(data.get("measured_with") or {}), configurations)


def _limits(path: Path, data: dict, key: str) -> list:
    """The ``limits`` (refused at construction) or the ``configurations`` (accepted, then wrong) of a file."""
    from spec.implementations import OBJECTS

    limits = []
    for i, entry in enumerate(data.get(key) or ()):
        where = f"{path.name}: {key}[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("when"), dict) or not entry["when"]:
            raise KnownFileError(f"{where}: needs 'when' (argument -> value) and a reason")
        bad = sorted(set(entry["when"]) - set(FIELDS))
        if bad:
            raise KnownFileError(f"{where}: 'when' names {bad}, not among {', '.join(FIELDS)}")
        modules = tuple(entry.get("modules") or ())
        if any(m not in OBJECTS for m in modules):
            raise KnownFileError(f"{where}: modules {list(modules)} not among {', '.join(OBJECTS)}")
        link, repro = _evidence(where, entry)
        limits.append(Limit(tuple(sorted(entry["when"].items())), entry["reason"].strip(), modules, link, repro))
    return limits


def _selectors(where: str, given) -> Tuple[Selector, ...]:
    from spec.implementations import OBJECTS

    if not isinstance(given, list) or not given:
        raise KnownFileError(f"{where}: 'cases' must list the cases it covers ([{{}}] for every case)")
    out = []
    for i, sel in enumerate(given):
        at = f"{where}: cases[{i}]"
        if not isinstance(sel, dict):
            raise KnownFileError(f"{at}: a selector is an object (keys: {', '.join(SELECTOR)})")
        bad = sorted(set(sel) - set(SELECTOR))
        if bad:
            raise KnownFileError(f"{at}: unknown keys {bad} (keys: {', '.join(SELECTOR)})")
        lists = {}
        for key in ("modules", "ids", "devices", "targets"):
            value = sel.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise KnownFileError(f"{at}: {key} must be a list of names")
            lists[key] = tuple(value)
        if any(m not in OBJECTS for m in lists["modules"]):
            raise KnownFileError(f"{at}: modules {list(lists['modules'])} not among {', '.join(OBJECTS)}")
        when = sel.get("when", {})
        if not isinstance(when, dict) or sorted(set(when) - set(FIELDS)):
            raise KnownFileError(f"{at}: 'when' maps arguments among {', '.join(FIELDS)} to values")
        out.append(Selector(when=tuple(sorted(when.items())), **lists))
    return tuple(out)


@functools.cache
def load(path) -> Known:
    """The known file at ``path`` (none there: no divergences, no limits); KnownFileError when it is broken or names
    a claim the spec does not have."""
    path = Path(path)
    if not path.exists():
        return Known(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise KnownFileError(f"{path}: unreadable ({e.strerror or e})") from None
    except ValueError as e:  # not UTF-8, not JSON
        raise KnownFileError(f"{path}: not a JSON file ({str(e).splitlines()[0]})") from None
    known = parse(data, path)
    check_claims(known)
    return known


def check_claims(known: Known, ids=None) -> None:
    """KnownFileError for the first entry whose claim the spec does not have (``ids``: default :func:`claim_ids`):
    silently ignored, it would leave the divergence it means unrecorded and its claim failing or, worse, its
    misspelt twin's failure unexplained."""
    import difflib

    from spec.registry import WITHDRAWN

    ids = claim_ids() if ids is None else ids
    for cid in known.divergences:
        if cid in WITHDRAWN:
            raise KnownFileError(
                f"{known.path.name}: {cid}: the claim was withdrawn ({WITHDRAWN[cid][:80]}...): remove the entry"
            )
        if cid not in ids:
            near = difflib.get_close_matches(cid, sorted(ids), n=1)
            hint = f" (did you mean {near[0]}?)" if near else " (python -m spec claims lists them)"
            raise KnownFileError(f"{known.path.name}: {cid}: no such claim{hint}")


#: A claim's ID as the claim modules write it: ``@claim(`` then ``id="..."`` first (every claim does; the test below
#: fails for one that does not).
CLAIM_ID = re.compile(r'\bclaim\(\s*id="([^"\n]+)"')


@functools.cache
def claim_ids() -> frozenset:
    """Every claim's ID, read from the claim modules' source (the literal ``id=`` opening each ``@claim(...)``) without
    importing them, which would import torch: the known file is checked before a run starts, and in every pytest
    process of a run (a text search: 20 ms, where parsing each module took 0.4 s a process). The registry is what
    the IDs are; this reads the same text, and ``tests/test_tool_faults.py`` checks that the two agree."""
    import importlib.util

    import spec

    ids = set()
    for name in spec.claim_modules():
        origin = importlib.util.find_spec(name).origin
        ids.update(CLAIM_ID.findall(Path(origin).read_text(encoding="utf-8")))
    return frozenset(ids)


def run_repro(code: str, impl) -> None:
    """Run a stored repro with ``api`` bound to ``impl`` (building as asked, limits not consulted) and ``torch``
    in scope; it raises where the divergence is."""
    import torch

    from spec.helpers.api import Api

    exec(compile(code, "<repro>", "exec"), {"api": Api(impl, raw=True), "torch": torch})


def repros(known: Known):
    """``(where, code)`` for every repro in the file: the limits' and the divergences'."""
    for i, limit in enumerate(known.limits):
        if limit.repro:
            yield f"{known.path.name}: limits[{i}]", limit.repro
    for cid, d in known.divergences.items():
        if d.repro:
            yield f"{known.path.name}: {cid}", d.repro
