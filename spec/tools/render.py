"""The one table renderer (text, Markdown, HTML) and the matrix in each of them.

Every table the tools print or the docs show goes through :func:`table`; the matrix's cells through
:func:`mark` (text, Markdown) or :func:`html_cell` (the docs), which read the same :class:`Matrix`.
"""

from __future__ import annotations

import html
import json
from typing import Callable, Optional

from spec.tools.matrix import Matrix
from spec.tools.results import MARKS, STATUSES, WORDS

FORMATS = ("text", "markdown", "json")


def table(head, rows, fmt: str = "text", align: Optional[str] = None) -> str:
    """``head``: the column titles; ``rows``: lists of cells (any value, shown with ``str``); ``align``: one of
    ``l``/``r``/``c`` per column (default: the first left, the rest right)."""
    head = [str(h) for h in head]
    rows = [[str(c) for c in r] for r in rows]
    if fmt == "markdown":
        align = align or "l" * len(head)
        rule = {"l": "---", "r": "--:", "c": ":-:"}
        lines = ["| " + " | ".join(head) + " |", "| " + " | ".join(rule[a] for a in align) + " |"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
    align = align or "l" + "r" * (len(head) - 1)
    if fmt == "html":
        th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>\n" for r in rows)
        head_html = f"<thead><tr>{th}</tr></thead>"
        return f'<div class="spec-scroll">\n<table>\n{head_html}\n<tbody>\n{body}</tbody>\n</table>\n</div>\n'
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(r):
        cells = [
            c.ljust(w) if a == "l" else c.rjust(w) if a == "r" else c.center(w) for c, w, a in zip(r, widths, align)
        ]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule] + [line(r) for r in rows]) + "\n"


def mark(status: Optional[str]) -> str:
    return MARKS.get(status, " ") if status else " "


def legend() -> str:
    return ", ".join(f"{MARKS[s]} {WORDS[s]}" for s in STATUSES) + "; blank: not in that report"


# --- the docs' visual language ------------------------------------------------------------------------------------
#: One glyph per state on the docs' pages (the CLI's text keeps :data:`~spec.tools.results.MARKS`): a known
#: divergence is a flag, never a cross like a failure; "not run" (the report predates the claim, or did not run it
#: through that target) is a state of its own, not a blank. A *change* from the release before is a frame around the
#: cell, in another colour than a failure's fill.
GLYPHS = {
    "passed": "✓",
    "failed": "✗",
    "xfailed": "⚑",
    "not-applicable": "–",
    "skipped": "○",
    None: "·",
}
#: The states in the order a reader weighs them, and what each is called.
STATES = ("failed", "xfailed", "passed", "not-applicable", "skipped", None)
STATE_WORDS = {**WORDS, None: "not run"}


def glyph(status: Optional[str]) -> str:
    return GLYPHS.get(status, "?")


def legend_html() -> str:
    """The docs' legend: every state's glyph in its colour, and the frame of a change."""
    items = "".join(
        f'<span class="spec-key st-{s or "none"}">{GLYPHS[s]}</span> {html.escape(STATE_WORDS[s])} ' for s in STATES
    )
    return (
        f'<span class="spec-legend">{items}<span class="spec-key st-passed change">✓</span> framed: changed from '
        'the release before <span class="spec-key st-not-applicable edge">–</span> grey edge: a claim\'s torch '
        "range starts or ends</span>"
    )


# --- the matrix in text, Markdown and JSON (the CLI) --------------------------------------------------------------
def matrix(m: Matrix, fmt: str = "text") -> str:
    if fmt == "json":
        return json.dumps(m.to_json(), indent=1) + "\n"
    groups = m.groups()
    if fmt == "markdown":
        parts = []
        for label, idx in groups:
            head = ["claim"] + [m.columns[i].release for i in idx]
            rows = []
            for cid, row in m.rows.items():
                changed = m.changes(cid)
                cells = [f"**{mark(row[i])}**" if changed.get(i) == "change" else mark(row[i]) for i in idx]
                rows.append([f"`{cid}`"] + cells)
            parts.append(f"**{label}**\n\n" + table(head, rows, "markdown", "l" + "c" * len(idx)))
        note = "bold: changed from the release before (not counting a claim's range starting or ending)"
        return "\n".join(parts) + f"\n{legend()}; {note}.\n"
    # text: one column of marks per release, the releases written vertically over them
    width = max((len(cid) for cid in m.rows), default=5)
    lines = []
    for label, idx in groups:
        labels = [m.columns[i].release for i in idx]
        tall = max(len(s) for s in labels)
        lines.append(f"{'':{width}}  {label}")
        for k in range(tall):
            lines.append(f"{'':{width}}  " + " ".join(s.rjust(tall)[k] for s in labels))
        for cid, row in m.rows.items():
            changed = m.changes(cid)
            cells = " ".join(("!" if changed.get(i) == "change" else "") + mark(row[i]) for i in idx)
            lines.append(f"{cid:{width}}  {cells.replace(' !', '!')}".rstrip())
        lines.append("")
    return "\n".join(lines) + f"{legend()}; !: changed from the release before (range edges not counted)\n"


# --- the matrix in HTML (the docs) --------------------------------------------------------------------------------
def column_key(col) -> str:
    """A column as both views name it: its group and its release."""
    return f"{col.group_label} {col.release}"


def html_cell(status: Optional[str], claim: Optional[str], change: Optional[str] = None, column=None) -> str:
    """One cell; ``data-status``, ``data-claim`` and ``data-column`` carry the same status the CLI prints for that
    claim and column, ``data-report`` and ``data-target`` the stored report and target it was read from."""
    where = f' data-column="{html.escape(column_key(column))}"' if column is not None else ""
    if column is not None and column.source:
        where += f' data-report="{html.escape(column.source)}" data-target="{html.escape(column.target)}"'
    if status is None:
        said = f"not run ({claim})" if claim else "not run: not in this report"
        mine = f' data-claim="{html.escape(claim)}"' if claim else ""
        return f'<td class="st-none" title="{html.escape(said)}"{mine}{where}>{GLYPHS[None]}</td>'
    cls = f"st-{status}" + (f" {change}" if change else "")
    title = WORDS[status] + (f" ({claim})" if claim else "") + (f", {column_key(column)}" if column else "")
    title += ", changed from the release before" if change == "change" else ""
    return (
        f'<td class="{cls}" data-status="{status}" data-claim="{html.escape(claim or "")}"{where} '
        f'title="{html.escape(title)}">{GLYPHS[status]}</td>'
    )


def matrix_html(
    m: Matrix, ids: list, link: Callable[[str], str], merge_siblings: bool = False, notes: Optional[dict] = None
) -> str:
    """The grid of ``ids`` (rows) x every column, in a box that scrolls on its own; the claim column stays put.
    ``notes``: report source -> (mark, title) for the columns read from a report behind today's claim set."""
    groups = m.groups()
    notes = notes or {}
    head = "".join(f'<th colspan="{len(idx)}" class="group">{html.escape(g)}</th>' for g, idx in groups)
    labels = "".join(_release_head(c, notes.get(c.source)) for c in m.columns)
    rows = []
    entries = (
        m.siblings(ids) if merge_siblings else [([cid], [(s, cid) if s else None for s in m.rows[cid]]) for cid in ids]
    )
    for family, cells in entries:
        changed: dict = {}
        for cid in family:
            for i, kind in m.changes(cid).items():
                changed.setdefault(i, kind)
        tds = "".join(
            html_cell(c[0], c[1], changed.get(i), m.columns[i])
            if c
            else html_cell(None, " ".join(family), column=m.columns[i])
            for i, c in enumerate(cells)
        )
        name = " / ".join(link(cid) for cid in family)
        opening = f'<tr markdown="1" data-claims="{" ".join(family)}"><th class="claim" markdown="span">{name}</th>'
        rows.append(f"{opening}{tds}</tr>")
    return (
        '<div class="spec-matrix spec-scroll" markdown="1">\n<table class="grid" markdown="1">\n<thead>\n'
        f'<tr><th class="claim" rowspan="2">claim</th>{head}</tr>\n<tr>{labels}</tr>\n</thead>\n<tbody markdown="1">\n'
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n</div>\n"
    )


def _release_head(col, note: Optional[tuple]) -> str:
    """A column's head: its release, with the mark and title of a report behind today's claim set."""
    if not note or not note[0]:
        return f'<th class="release"><span>{html.escape(col.release)}</span></th>'
    mark, title = note
    return f'<th class="release stale" title="{html.escape(title)}"><span>{html.escape(col.release)}{mark}</span></th>'
