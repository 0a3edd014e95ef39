"""The sources page: each source document's code listings and statements in order, with the claim, erratum or
reason."""

from __future__ import annotations

import html

from spec.registry import Seed
from spec.sources import listings
from spec.sources.seeds import TITLES
from spec.sources.unclaimed import UNCLAIMED
from spec.tools.docs.common import GENERATED, cell, link, md
from spec.tools.render import table


def statement_rows(registry, file: str, rows: dict) -> list:
    out = []
    for (line, locator), what in sorted(rows[file].items()):
        if isinstance(what, str):
            checked = f"not claimed: {cell(what)}"
        else:
            checked = ", ".join(dict.fromkeys(link(c) for c in what))
        out.append([line or "", cell(locator), checked])
    return out


def listing_rows(by_id: dict, file: str) -> list:
    """The document's code listings (``spec/sources/listings.py``): what the text says, what it does when run,
    and the claims, erratum or reason."""
    out = []
    for r in listings.rows():
        if r["file"] != file:
            continue
        ids = ", ".join(link(by_id[cid]) for cid in r["ids"] if cid in by_id)
        verdict = {"claims": f"checked by {ids}", "erratum": f"**erratum**: {ids}", "reason": cell(r["reason"])}
        undefined = f" (uses {', '.join(f'`{n}`' for n in r['undefined'])} undefined)" if r["undefined"] else ""
        out.append([r["lines"], cell(r["what"]), cell(r["says"]), cell(r["does"]) + undefined, verdict[r["verdict"]]])
    return out


def sources_page(registry) -> str:
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
        code = listing_rows(by_id, file)
        if code:
            head = ["lines", "listing", "the text says", "when run", "verdict"]
            parts.append("### Code listings\n\n" + table(head, code, "markdown"))
        parts.append(
            "### Statements\n\n"
            + table(
                ["line", "where in the document", "checked by"], statement_rows(registry, file, rows), "markdown", "rll"
            )
        )
    return "\n".join(parts) + "\n"
