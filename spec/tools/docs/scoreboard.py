"""The headline: per release and per implementation, how many of today's claims hold, fail, diverge as known, are
not applicable, skipped or not run, and the held share of those that ran to a verdict; newest release first.

Each count is of today's claims (the registry's), by the claim's status in the stored report (every target it
ran); "not run" counts today's claims the report holds no result for. The held share is held / (held + failed +
known): of the claims that apply there and ran to a verdict, how many hold. Each row names the claim set and
revision its report was made at (:mod:`spec.tools.docs.provenance`).
"""

from __future__ import annotations

import html

from spec.registry import release_of
from spec.tools.docs import provenance as prov
from spec.tools.render import GLYPHS

#: The columns of a headline, after its name: (status or None for not run, heading).
COUNTS = (
    ("failed", "failed"),
    ("xfailed", "known"),
    ("passed", "held"),
    ("not-applicable", "n/a"),
    ("skipped", "skipped"),
    (None, "not run"),
)


def counts(report, now: dict) -> dict:
    """status (None: not run) -> how many of today's claims, in one report."""
    out = {status: 0 for status, _ in COUNTS}
    for cid in now:
        entry = report.claims.get(cid)
        out[entry.status if entry is not None else None] += 1
    return out


def share(c: dict) -> str:
    ran = c["passed"] + c["failed"] + c["xfailed"]
    return f"{100 * c['passed'] / ran:.1f} %" if ran else "–"


def newest_first(reports: list) -> list:
    return sorted(reports, key=lambda r: (release_of(r.torch), r.devices), reverse=True)


def headline_table(rows: list, now: dict, what: str) -> str:
    """``rows``: [(label, link or '', report)]: one HTML table, the answer (held share, failures) first."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in [what, "held share"] + [h for _, h in COUNTS] + ["ran"])
    body = []
    for label, href, r in rows:
        c = counts(r, now)
        p = prov.of_report(r, now)
        name = f'<a href="{href}">{html.escape(label)}</a>' if href else html.escape(label)
        cells = [f'<th class="name">{name}</th>', f'<td class="share">{share(c)}</td>']
        for status, _ in COUNTS:
            cls = f"st-{status or 'none'}" + (" zero" if not c[status] else "")
            cells.append(f'<td class="{cls}" data-count="{status or "not-run"}">{c[status]}</td>')
        mark = prov.mark(p)
        ran = f"{p.standing.same}/{p.standing.today}{mark}"
        cells.append(f'<td class="ran" title="{html.escape(p.line())}">{ran}</td>')
        opening = f'<tr data-headline="{html.escape(label)}" data-report="{html.escape(prov.source(r))}">'
        body.append(opening + "".join(cells) + "</tr>")
    return (
        '<div class="spec-scroll spec-headline">\n<table class="headline">\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n" + "\n".join(body) + "\n</tbody>\n</table>\n</div>\n"
    )


def key() -> str:
    marks = " · ".join(f"{GLYPHS[s]} {h}" for s, h in COUNTS)
    return (
        f"Counts of today's claims by status ({marks}); held share: held / (held + failed + known); ran: "
        "today's claims the report ran with today's check († behind today's set, ‡ a GPU run behind it)."
    )


def release_rows(reports: list, column_name) -> list:
    return [(column_name(r), "", r) for r in newest_first([r for r in reports if r.implementation == "torch"])]


def implementation_rows(impls: list, href, version) -> list:
    """[(label, link, report)]: each implementation with its own library's version."""
    return [(f"{r.implementation} · {version(r)}", href(r), r) for r in sorted(impls, key=lambda r: r.implementation)]
