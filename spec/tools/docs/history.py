"""The headline's history: what each release's and implementation's headline said, suite revision by revision.

``reports/history.jsonl`` is append-only: one JSON line per change of a column's headline, written when
``python -m spec docs`` makes the pages (never by ``docs --check``): the column, the report it read, the suite
revision and date the report was made at, and its counts of today's claims by status. A line is appended only
when a column's counts or revision differ from its last line, so the file reads as the list of times a verdict
changed; the matrix page shows it newest first, each change against the column's line before.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from spec.tools.docs import provenance as prov
from spec.tools.docs import scoreboard

FILE = "history.jsonl"
#: the changes the matrix page lists (the file keeps them all)
SHOWN = 40


def current(rows: list, now: dict) -> list:
    """One line per headline row (``scoreboard``'s rows: label, link, report) as it reads today."""
    out = []
    for label, _, r in rows:
        counts = scoreboard.counts(r, now)
        out.append(
            {
                "column": label,
                "report": prov.source(r),
                "revision": (r.suite.get("git") or "unknown")[:12],
                "date": r.suite.get("date") or "",
                "counts": {status or "not-run": n for status, n in counts.items()},
            }
        )
    return out


def read(path: Path) -> list:
    """The lines stored so far (none: no file yet); a line that is not JSON is left out, never fatal."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    lines = []
    for line in text.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("counts"), dict) and entry.get("column"):
            lines.append(entry)
    return lines


def changes(stored: list, now: list) -> list:
    """The lines of ``now`` that differ from their column's last stored line (in counts or revision)."""
    last = {e["column"]: e for e in stored}
    return [
        e
        for e in now
        if e["column"] not in last
        or (last[e["column"]]["counts"], last[e["column"]]["revision"]) != (e["counts"], e["revision"])
    ]


def record(path: Path, now: list) -> int:
    """Append the changed lines to ``path`` (atomically: the old lines and the new); how many were appended."""
    from reference.common.files import replacing

    stored = read(path)
    new = changes(stored, now)
    if new:
        text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in stored + new)
        with replacing(path) as tmp:
            Path(tmp).write_text(text, encoding="utf-8")
    return len(new)


def section(stored: list) -> str:
    """The matrix page's list of changes, newest first, each against its column's line before."""
    if not stored:
        return "## How the headlines changed\n\nNo history recorded yet (`python -m spec docs` records it).\n"
    before: dict = {}
    rows = []
    for e in stored:
        prev = before.get(e["column"])
        if prev is None:
            what = "first recorded"
        else:
            moved = [
                f"{k} {prev['counts'].get(k, 0)} → {n}" for k, n in e["counts"].items() if prev["counts"].get(k, 0) != n
            ]
            what = ", ".join(moved) or "same counts, another revision"
        rows.append((e, what))
        before[e["column"]] = e
    shown = list(reversed(rows))[:SHOWN]
    body = "\n".join(
        f"| {html.escape(e['date'] or 'not recorded')} | {html.escape(e['column'])} | `{html.escape(e['revision'])}` | "
        f"{e['counts'].get('failed', 0)} failed, {e['counts'].get('xfailed', 0)} known, "
        f"{e['counts'].get('passed', 0)} held | {html.escape(what)} |"
        for e, what in shown
    )
    more = f"\n\n{len(rows) - SHOWN} earlier changes are in `reports/{FILE}`." if len(rows) > SHOWN else ""
    return (
        "## How the headlines changed\n\nEach time a column's headline changed (counts of today's claims, or the "
        f"revision its report was made at), newest first, from `reports/{FILE}` (append-only; a report from before "
        "reports recorded their date says so):\n\n"
        "| date | column | revision | headline | what changed |\n| --- | --- | --- | --- | --- |\n" + body + more + "\n"
    )
