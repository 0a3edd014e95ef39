"""The sources page: each source document's code listings and statements in order, with the claim, erratum or
reason."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Optional

from spec.registry import Seed
from spec.sources import listings
from spec.sources.seeds import TITLES
from spec.sources.unclaimed import UNCLAIMED
from spec.tools import results as res
from spec.tools.docs.common import GENERATED, cell, how_made, link, md
from spec.tools.render import table

#: a stored figure named in a listing's or a statement's text, filled in from ``reports/`` when the page is made
#: (never typed): ``{FILE:PATH:FORMAT}``: FILE under ``reports/``; PATH dot-separated, its first part the run's
#: key (``key.run``) in a figure file of runs, a number indexing a curve by epoch (1-based); FORMAT a format spec
FIGURE = re.compile(r"\{([\w/.-]+\.json):([\w.-]+):([^{}]*)\}")


class Figures:
    """The stored figures the texts name, read once; what each filled text used, for its provenance."""

    def __init__(self, reports: Path, now: Optional[dict]):
        self.reports, self.now, self.data = reports, now, {}

    def load(self, name: str):
        if name not in self.data:
            path = self.reports / name
            self.data[name] = res.load_json(path) if path.exists() else None
        return self.data[name]

    def value(self, name: str, path: str):
        """(the value, the run or file it came from); (None, None) when it is not stored."""
        data, parts = self.load(name), path.split(".")
        if isinstance(data, dict) and isinstance(data.get("runs"), list):
            runs = [r for r in data["runs"] if (r.get("key") or {}).get("run") == parts[0]]
            data, parts = (runs[0] if runs else None), parts[1:]
        source = data
        for part in parts:
            if isinstance(data, list) and part.isdecimal() and 1 <= int(part) <= len(data):
                data = data[int(part) - 1]
            elif isinstance(data, dict) and part in data:
                data = data[part]
            else:
                return None, None
        return (data, source) if isinstance(data, (int, float)) and not isinstance(data, bool) else (None, None)

    def fill(self, text: str) -> str:
        """``text`` with each named figure filled in, then where they come from (each file and how it was made,
        † when behind today's claim set); a figure not stored reads "not measured" with its file named."""
        used: dict = {}

        def one(m: re.Match) -> str:
            value, source = self.value(m.group(1), m.group(2))
            if value is None:
                return f"(not measured: no {m.group(2)} in reports/{m.group(1)})"
            try:
                text = format(value, m.group(3))
            except (TypeError, ValueError):  # a format that does not fit the value: say so, the page is still made
                return f"(cannot write {m.group(2)} of reports/{m.group(1)} as {m.group(3)!r})"
            used.setdefault(m.group(1), {})[how_made(source, self.now)] = None
            return text[:-1] + " %" if m.group(3).endswith("%") else text  # "89.5 %", as every page writes it

        filled = FIGURE.sub(one, text)
        where = "; ".join(f"reports/{name}: {', '.join(how)}" for name, how in used.items())
        return f"{filled} [{where}]" if where else filled


def statement_rows(registry, file: str, rows: dict, figures: Figures) -> list:
    out = []
    for (line, locator), what in sorted(rows[file].items()):
        if isinstance(what, str):
            checked = f"not claimed: {cell(figures.fill(what))}"
        else:
            checked = ", ".join(dict.fromkeys(link(c) for c in what))
        out.append([line or "", cell(locator), checked])
    return out


def listing_rows(by_id: dict, file: str, figures: Figures) -> list:
    """The document's code listings (``spec/sources/listings.py``): what the text says, what it does when run,
    and the claims, erratum or reason."""
    out = []
    for r in listings.rows():
        if r["file"] != file:
            continue
        ids = ", ".join(link(by_id[cid]) for cid in r["ids"] if cid in by_id)
        reason = cell(figures.fill(r["reason"]))
        verdict = {"claims": f"checked by {ids}", "erratum": f"**erratum**: {ids}", "reason": reason}
        undefined = f" (uses {', '.join(f'`{n}`' for n in r['undefined'])} undefined)" if r["undefined"] else ""
        does = cell(figures.fill(r["does"]))
        out.append([r["lines"], cell(r["what"]), cell(r["says"]), does + undefined, verdict[r["verdict"]]])
    return out


def sources_page(registry, reports: Path, now: Optional[dict] = None) -> str:
    """The page; the figures its texts name are read from ``reports`` and dated against today's set ``now``."""
    figures = Figures(reports, now)
    by_id = {c.id: c for c in registry}
    rows: dict = {}  # file -> {(line, locator): [claims]}
    for c in registry:
        for s in c.sources:
            if isinstance(s, Seed):
                rows.setdefault(s.file, {}).setdefault((s.line, s.locator), []).append(c)
        for e in c.errata:
            rows.setdefault(e.file, {}).setdefault((e.line, f"{e.locator} (erratum)"), []).append(c)
    for u in UNCLAIMED:
        rows.setdefault(u.source.file, {})[(u.source.line, u.source.locator)] = u.reason
    intro = (
        "Each source document's code listings, replayed as the source calls them (`reference/programs/listings/`): "
        "what the text says each does, what it does when run, and the claims that check it, the erratum, or the "
        "reason (`spec/sources/listings.py`). Then its statements in the order they appear (by line of the file "
        "under `../shared/seeds/`), with the claims that check them, or, for the few left unchecked on purpose, "
        "the reason (`spec/sources/unclaimed.py`)."
    )
    parts = [f"# Sources\n\n{GENERATED}\n{intro}\n"]
    for file in sorted(rows):
        title = f'<span title="{html.escape(file)}">{md(TITLES.get(file, file))}</span>'
        parts.append(f"## {title}\n\nFile `{file}`.\n")
        code = listing_rows(by_id, file, figures)
        if code:
            head = ["lines", "listing", "the text says", "when run", "verdict"]
            parts.append("### Code listings\n\n" + table(head, code, "markdown"))
        parts.append(
            "### Statements\n\n"
            + table(
                ["line", "where in the document", "checked by"],
                statement_rows(registry, file, rows, figures),
                "markdown",
                "rll",
            )
        )
    return "\n".join(parts) + "\n"
