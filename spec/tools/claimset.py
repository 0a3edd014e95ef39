"""The claim set a result was made with: each claim's ID and a digest of what it asserts and how it checks it.

A stored result (a report, a figure) records the claims it ran as ``suite.claim_digests`` (claim ID -> digest),
beside ``suite.claims`` (how many) and ``suite.claim_set`` (a digest of the sorted IDs, as figures stored it
before digests were recorded). A claim's digest covers its statement, its declared torch range, devices,
targets and requirements, and its check function's own source without the ``@claim(...)`` decorator (the
decorators that make its cases, ``@given`` and ``@pytest.mark.parametrize``, stay in), its comments and blank
lines (text the same on every Python the matrix runs): a changed check counts as a new claim, and a result made
with the old one is behind today's set. What the check calls (a helper, a module-level table) is not in its
digest.

:func:`compare` reads a stored result against today's set: "ran N of the M claims of today's set, at <rev>".
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import inspect
import io
import json
import textwrap
import tokenize
from dataclasses import dataclass, field
from typing import Optional

#: How many hex digits of a digest are kept (48 bits: no collision among a few thousand claims).
DIGITS = 12


def check_function(c):
    """The claim's check: the test function its ``where`` names, unwrapped from Hypothesis."""
    module, _, name = c.where.partition(":")
    fn = getattr(importlib.import_module(module), name)
    return getattr(getattr(fn, "hypothesis", None), "inner_test", fn)


def _check_text(c) -> Optional[str]:
    """The check's source without its ``@claim`` decorator, comments and blank lines; None when it cannot be read."""
    try:
        source = textwrap.dedent(inspect.getsource(check_function(c)))
    except (OSError, TypeError, AttributeError, ImportError, ValueError):  # no check here (a claim made by hand)
        return None
    fn = ast.parse(source).body[0]
    source = _without_assert_messages(source, fn)
    lines = source.splitlines()
    drop = set()
    for d in getattr(fn, "decorator_list", []):
        if _called(d) == "claim":
            drop.update(range(d.lineno - 2, d.end_lineno))  # the "@" line too (0-based)
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    for tok in tokens:
        if tok.type == tokenize.COMMENT:
            row, col = tok.start
            lines[row - 1] = lines[row - 1][:col]
    kept = [line.rstrip() for i, line in enumerate(lines) if i not in drop]
    return "\n".join(line for line in kept if line)


def _without_assert_messages(source: str, fn) -> str:
    """``source`` with each ``assert test, message`` cut to ``assert test``: what a failure says is not what is
    checked (a message reworded leaves the digest alone). Cut by the statements' positions, so the text stays the
    same on every Python (line numbers kept: the message's lines are left empty)."""
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def at(lineno: int, col: int) -> int:  # ast columns count UTF-8 bytes
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col].decode("utf-8", errors="ignore"))

    cuts = [
        (at(node.test.end_lineno, node.test.end_col_offset), at(node.end_lineno, node.end_col_offset))
        for node in ast.walk(fn)
        if isinstance(node, ast.Assert) and node.msg is not None
    ]
    for begin, end in sorted(cuts, reverse=True):
        gap = source[begin:end]
        source = source[:begin] + "\n" * gap.count("\n") + source[end:]
    return source


def _called(node) -> str:
    """The name a decorator calls (``claim`` for ``@claim(...)`` and ``@registry.claim(...)``)."""
    node = node.func if isinstance(node, ast.Call) else node
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def digest(c) -> Optional[str]:
    """One claim's digest (None when its check's source cannot be read here: such a claim matches by ID)."""
    check = _check_text(c)
    if check is None:
        return None
    meaning = {
        "statement": c.statement,
        "torch": c.torch or "",
        "devices": sorted(c.devices),
        "targets": list(c.targets),
        "requires": {k: str(v) for k, v in sorted(dict(c.requires).items())},
    }
    text = json.dumps(meaning, sort_keys=True) + "\n" + check
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGITS]


def ids_digest(ids) -> str:
    """The digest of a set of claim IDs (``suite.claim_set``)."""
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:DIGITS]


def suite_claims(claims) -> dict:
    """What a stored result records of the claims it ran: ``claims``, ``claim_set`` and ``claim_digests``.

    ``claims``: Claims, or claim ID -> a claim or its digest as a worker of the run handed it over (an xdist
    controller imports no claim module: its workers compute the digests)."""
    if not isinstance(claims, dict):
        claims = {c.id: c for c in claims}

    def one(c):
        if c is None or isinstance(c, str):
            return c
        return digest(c) if hasattr(c, "where") else getattr(c, "digest", None)  # a Claim, or a worker's fields

    digests = {cid: one(c) for cid, c in sorted(claims.items())}
    return {"claims": len(digests), "claim_set": ids_digest(digests), "claim_digests": digests}


# --- a stored result against today's set -------------------------------------------------------------------------
@dataclass
class Standing:
    """How a stored result stands against today's claim set.

    ``same``: today's claims it ran with today's check (by digest; by ID where it recorded no digest);
    ``changed``: today's claims it ran with another check; ``missing``: today's claims it did not run;
    ``known``: whether it recorded which claims it ran at all (a figure from before provenance did not)."""

    today: int
    same: int = 0
    changed: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    by_id_only: bool = False
    known: bool = True
    revision: str = ""
    count: Optional[int] = None  # how many claims it ran, where that is all it recorded

    @property
    def current(self) -> bool:
        return self.known and not self.changed and not self.missing

    def text(self) -> str:
        """ "ran 232 of the 232 claims of today's set, at abc1234" (and what is behind)."""
        at = f", at {self.revision}" if self.revision else ", revision not recorded"
        if not self.known:
            ran = f"ran {self.count} claims" if self.count else "its claim set was not recorded"
            return f"{ran} (today's set: {self.today}){at}"
        text = f"ran {self.same} of the {self.today} claims of today's set{at}"
        behind = []
        if self.changed:
            behind.append(f"{len(self.changed)} with a check changed since")
        if self.missing:
            behind.append(f"{len(self.missing)} not run")
        if self.by_id_only:
            behind.append("checks not recorded: matched by ID")
        return text + (f" ({'; '.join(behind)})" if behind else "")


def short_revision(git: Optional[str]) -> str:
    if not git:
        return ""
    return git[:7] + ("-dirty" if git.endswith("-dirty") else "")


def today(registry) -> dict:
    """Today's set: claim ID -> digest, for the claims the docs tabulate (withdrawn ones are not in the registry)."""
    return {c.id: digest(c) for c in registry}


def compare(suite: Optional[dict], now: dict, ran=None) -> Standing:
    """A stored result's ``suite`` (and, for a report, the IDs it holds results for: ``ran``) against today's
    set ``now`` (:func:`today`)."""
    suite = suite or {}
    revision = short_revision(suite.get("git"))
    digests = suite.get("claim_digests")
    if isinstance(digests, dict):
        recorded = {cid: d for cid, d in digests.items() if ran is None or cid in ran}
    elif ran is not None:
        recorded = {cid: None for cid in ran}
    elif suite.get("claim_set") and suite["claim_set"] == ids_digest(now):
        recorded = {cid: None for cid in now}  # the same IDs as today's set (a figure from before digests)
    else:
        count = suite.get("claims") if isinstance(suite.get("claims"), int) else None
        return Standing(today=len(now), known=False, revision=revision, count=count, missing=sorted(now))
    standing = Standing(today=len(now), revision=revision)
    for cid, mine in sorted(now.items()):
        if cid not in recorded:
            standing.missing.append(cid)
        elif recorded[cid] is None or mine is None:
            standing.same += 1
            standing.by_id_only = True
        elif recorded[cid] == mine:
            standing.same += 1
        else:
            standing.changed.append(cid)
    return standing
