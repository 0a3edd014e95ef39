"""Where each page's figures come from, against today's claim set: "ran N of the M claims of today's set, at <rev>".

A stored report or figure records the claims it ran (``suite.claim_digests``, :mod:`spec.tools.claimset`); here the
docs read it against the registry as it is. A result behind today's set (a claim it did not run, or ran with a check
that has changed since) is marked stale, with the command that makes it again; a result made on a GPU is marked
as such (this machine cannot remake it).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Optional

from spec.tools import claimset
from spec.tools.render import table

#: The command that makes a stored report again, by the folder it is stored in (``{stem}``: its file name): the
#: refresh step of that report (``python -m spec refresh --list`` shows the command each step runs).
REPORT_COMMANDS = {
    "matrix": "python -m spec refresh --only matrix/{stem}",
    "implementations": "python -m spec refresh --only implementations/{stem}",
    "cuda": "python -m spec refresh --only cuda/{stem}",  # on a machine with a GPU: the state and banner say so
}
#: The folders whose reports come from a GPU: the docs mark them instead of counting them stale for this machine.
GPU_FOLDERS = ("cuda",)


@dataclass
class Provenance:
    """A stored result's standing against today's set, and how to make it again."""

    where: str  # "matrix/torch213.json"
    standing: claimset.Standing
    command: str
    date: str = ""
    gpu: bool = False

    @property
    def stale(self) -> bool:
        return not self.standing.current

    def line(self) -> str:
        """ "ran 232 of the 239 claims of today's set, at abc1234, on 2026-01-31 (7 not run)"."""
        text = self.standing.text()
        if self.date:
            rev = f", at {self.standing.revision}" if self.standing.revision else ", revision not recorded"
            text = text.replace(rev, f"{rev}, on {self.date}", 1)
        return text


def of_report(r, now: dict) -> Provenance:
    """A stored :class:`~spec.tools.results.Report` (its ``path`` says which folder it is from)."""
    folder, stem = (r.path.parent.name, r.path.stem) if r.path else ("", "")
    command = REPORT_COMMANDS.get(folder, "python -m spec verify --report {stem}.json").format(stem=stem)
    standing = claimset.compare(r.suite, now, ran=set(r.claims))
    where = f"{folder}/{r.path.name}" if r.path else ""
    return Provenance(where, standing, command, (r.suite or {}).get("date") or "", folder in GPU_FOLDERS)


def of_figure(data: dict, now: dict, command: str, where: str = "") -> Provenance:
    """A stored figure (or one run of a figure file): its ``suite`` says what it was made with."""
    suite = data.get("suite") or {}
    return Provenance(where, claimset.compare(suite, now), command, suite.get("date") or "")


def source(r) -> str:
    """A report as its cells name it (``data-report``): its folder and file name."""
    return f"{r.path.parent.name}/{r.path.name}" if r.path else ""


def banner(p: Provenance) -> str:
    """An admonition over a figure behind today's set, naming the command that makes it again."""
    if not p.stale:
        return ""
    if p.gpu:
        return (
            f'\n!!! note "Made on a GPU"\n    This result {p.line()}: it is remade on a machine with a GPU '
            f"(`{p.command}`).\n"
        )
    return f'\n!!! warning "Stale"\n    This result {p.line()}: re-run `{p.command}`.\n'


def mark(p: Provenance) -> str:
    """A column's mark in a table head: '' (today's set), † behind it, ‡ behind it and made on a GPU."""
    return "" if not p.stale else "‡" if p.gpu else "†"


def columns_table(rows: list) -> str:
    """[(label, Provenance)]: per column, what it ran and how to make it again, newest first as given."""
    body = []
    for label, p in rows:
        state = "current" if not p.stale else "GPU run: remade on a GPU" if p.gpu else "**stale**"
        body.append([label, state, html.escape(p.line(), quote=False), f"`{p.where}`", f"`{p.command}`"])
    return table(["column", "state", "claims", "report", "made by"], body, "markdown")


def summary(provs: list) -> str:
    """One sentence for a page: how many of its reports are at today's set."""
    stale = [p for p in provs if p.stale and not p.gpu]
    gpu = [p for p in provs if p.stale and p.gpu]
    text = f"{len(provs) - len(stale) - len(gpu)} of the {len(provs)} stored reports read here ran today's claim set"
    if stale:
        text += f"; {len(stale)} {'is' if len(stale) == 1 else 'are'} behind it (marked †)"
    if gpu:
        text += f"; {len(gpu)} ran on a GPU and {'is' if len(gpu) == 1 else 'are'} behind it (marked ‡)"
    return text + "."


def today_of(registry) -> dict:
    """Today's set: claim ID -> digest (:func:`spec.tools.claimset.today`)."""
    return claimset.today(registry)


def figure_line(data: dict, now: dict) -> Optional[str]:
    """ "ran N of the M claims of today's set, at <rev>, on <date>" for a stored figure or run."""
    return of_figure(data, now, "").line()
