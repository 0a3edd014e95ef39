"""The errata page: what the sources get wrong, and what holds instead."""

from __future__ import annotations

from spec.tools.docs.common import GENERATED, cite, link, md


def errata_page(registry) -> str:
    rows = []
    errata = [(e, c) for c in registry for e in c.errata]
    for e, c in sorted(errata, key=lambda pair: (pair[0].file, pair[0].line)):
        rows.append(
            f"## {e.file[:3]}, line {e.line} — {md(e.locator)}\n\n- where: {cite(e.seed)}\n"
            f"- the source says: *{md(e.says)}*\n"
            f"- what holds: {md(c.statement)}\n- checked by {link(c)}\n"
        )
    intro = "Statements of the source tutorials that torch does not bear out, in the order they appear."
    return f"# Errata\n\n{GENERATED}\n{intro}\n\n" + "\n".join(rows)
