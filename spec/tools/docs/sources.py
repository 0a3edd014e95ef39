"""The sources page: each source document's statements in order, with the claim, erratum or reason."""

from __future__ import annotations

import html

from spec.registry import Seed
from spec.sources.seeds import TITLES
from spec.sources.unclaimed import UNCLAIMED
from spec.tools.docs.common import GENERATED, cell, link, md


def sources_page(registry) -> str:
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
        "Each source document's statements in the order they appear (by line of the file under "
        "`../shared/seeds/`), with the claims that check them, or, for the few left unchecked on purpose, "
        "the reason (`spec/sources/unclaimed.py`)."
    )
    parts = [f"# Sources\n\n{GENERATED}\n{intro}\n"]
    for file in sorted(rows):
        title = f'<span title="{html.escape(file)}">{md(TITLES.get(file, file))}</span>'
        parts.append(
            f"## {title}\n\nFile `{file}`.\n\n| line | where in the document | checked by |\n| --: | --- | --- |"
        )
        for (line, locator), what in sorted(rows[file].items()):
            if isinstance(what, str):
                checked = f"not claimed: {cell(what)}"
            else:
                checked = ", ".join(dict.fromkeys(link(c) for c in what))
            parts.append(f"| {line or ''} | {cell(locator)} | {checked} |")
        parts.append("")
    return "\n".join(parts) + "\n"
