"""The compatibility matrix page: the matrix model (``spec.tools.matrix``) in HTML, failures first.

Sections, per subject: the claims that fail somewhere (the bands a reader must see); the claims whose status
changes for another reason (a claim that began to skip); the claims that change only at range edges (a range
starting or ending, sibling claims ``X`` / ``X-before-N`` shown as one row); the claims with one status wherever
reported, grouped. Every cell is the status the CLI's ``python -m spec matrix`` prints for that claim and column.
"""

from __future__ import annotations

import html

from spec.tools.docs import provenance as prov
from spec.tools.docs import scoreboard
from spec.tools.docs.common import GENERATED, SUBJECT_PAGES, WIDE_PAGE, column_name, link
from spec.tools.docs.implementations import _slug, own_version
from spec.tools.matrix import Matrix
from spec.tools.render import GLYPHS, legend_html, matrix_html
from spec.tools.results import WORDS


def uniform_grid(m: Matrix, ids: list, linker) -> str:
    parts = []
    for (status, first, last, n), members in m.uniform_groups(ids):
        title = f"{GLYPHS[status]} {WORDS[status]} on {span(m, first, last, n)}: {plural(len(members), 'claim')}"
        items = "\n".join(
            f'<li markdown="span" data-claim="{cid}" data-status="{status}">{linker(cid)}</li>' for cid in members
        )
        parts.append(
            f'<p class="grid-title">{html.escape(title)}</p>\n<ul class="spec-grid" markdown="1">\n{items}\n</ul>'
        )
    return "\n".join(parts) + "\n"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def span(m: Matrix, first: int, last: int, n: int) -> str:
    """Columns ``first`` to ``last`` in words, a release range per group of columns (cpu eager, a GPU run, ...):
    "23 columns: 1.8.1 to 2.15.0 (cpu · eager) and 2.11.0 (cpu+cuda · eager)"."""
    groups: list = []
    for col in m.columns[first : last + 1]:
        if groups and groups[-1][0] == col.group:
            groups[-1][2] = col
        else:
            groups.append([col.group, col, col])
    ranges = " and ".join(f"{a.release}{'' if a is b else f' to {b.release}'} ({a.group_label})" for _, a, b in groups)
    return f"{plural(n, 'column')}: {ranges}" if n > 1 else ranges


def known_list(m: Matrix, ids: list, linker) -> str:
    """Each expected failure named, with the releases it was seen on, its reason and its link or repro (the entry
    of ``spec/implementations/known/``, as the reports recorded it)."""
    lines = [
        "\nExpected failures, each listed with its reason in `spec/implementations/known/`: the claim states what "
        "torch promises, and these releases break it (a run flags an entry as stale when it starts passing).\n"
    ]
    for cid in ids:
        entries = m.known[cid]
        releases = ", ".join(m.columns[i].release for i in sorted(entries))
        entry = next(iter(entries.values()))
        where = f" ({html.escape(entry['link'], quote=False)})" if entry.get("link") else ""
        declared = f", declared for torch{html.escape(entry['torch'], quote=False)}" if entry.get("torch") else ""
        lines.append(f"- {linker(cid)}: on {releases}{declared}. {html.escape(entry['reason'], quote=False)}{where}")
    return "\n".join(lines) + "\n"


def headlines(reports: list, impls: list, now: dict, prefix: str = "") -> str:
    """The scoreboard: per release (newest first), then per implementation."""
    releases = scoreboard.headline_table(scoreboard.release_rows(reports, column_name), now, "torch release")
    others = scoreboard.headline_table(
        scoreboard.implementation_rows(
            impls, lambda r: f"{prefix}implementations/{_slug(r.implementation)}/", own_version
        ),
        now,
        "implementation",
    )
    return f"{releases}\n{others}\n{scoreboard.key()}\n"


def headline_rows(reports: list, impls: list) -> list:
    """The scoreboard's rows (label, link, report), releases then implementations: what the history records."""
    rows = scoreboard.release_rows(reports, column_name)
    return rows + scoreboard.implementation_rows(impls, lambda r: "", own_version)


def provenance_section(reports: list, now: dict) -> str:
    """Per column: the report it reads, what it ran against today's set, and the command that makes it again."""
    rows = [(column_name(r), prov.of_report(r, now)) for r in scoreboard.newest_first(reports)]
    return (
        "## Where each column comes from\n\n"
        + prov.summary([p for _, p in rows])
        + " A column behind today's set is marked in the grids' heads; its command makes it again.\n\n"
        + prov.columns_table(rows)
    )


def stale_notes(reports: list, now: dict) -> dict:
    """report source -> (mark, title) for the grids' column heads."""
    out = {}
    for r in reports:
        p = prov.of_report(r, now)
        out[prov.source(r)] = (prov.mark(p), p.line())
    return out


def matrix_page(registry, m: Matrix, reports: list, impls: list, now: dict) -> str:
    by_id = {c.id: c for c in registry}
    notes = stale_notes(reports, now)

    def linker(cid):
        return link(by_id[cid])

    groups = m.groups()
    shape = "; ".join(f"{label}: {len(idx)} report{'s' * (len(idx) != 1)}" for label, idx in groups)
    parts = [
        f"{WIDE_PAGE}# Compatibility matrix\n\n{GENERATED}\n" + headlines(reports, impls, now, "../") + "\n"
        "Every stored report's claims, run eagerly (the [targets page](targets.md) has the other ways of running "
        f"the layers, the [implementations](implementations/index.md) other libraries). Column groups — {shape}.\n\n"
        "First the claims that fail somewhere, then the known regressions of a release (expected failures, each "
        "named with its reason), then those whose status changes for another reason, then those that "
        "change only where a claim's declared torch range starts or ends (a claim and its `-before-` sibling on one "
        "row), then the claims that read the same wherever reported. A framed cell changed from the release before "
        f"in its group; † after a release: its report is behind today's claim set (see [where each column comes "
        f"from](#where-each-column-comes-from)).\n\n{legend_html()}\n"
    ]
    for subject, (_, heading) in SUBJECT_PAGES.items():
        ids = [cid for cid in m.rows if by_id[cid].subject == subject]
        sections = m.sections(ids)
        unreported = [link(c) for c in registry if c.subject == subject and c.id not in m.rows]
        parts.append(f"## {heading}\n")
        for key, title, merge in (
            ("failing", "Failing somewhere", False),
            ("known", "Known regressions of a release", False),
            ("changing", "Changing status", False),
            ("edges", "Changing only at a range edge", True),
        ):
            rows = sections[key]
            parts.append(f"### {title} ({len(rows)})\n")
            parts.append(matrix_html(m, rows, linker, merge_siblings=merge, notes=notes) if rows else "None.\n")
            if key == "known" and rows:
                parts.append(known_list(m, rows, linker))
        parts.append(f"### The same wherever reported ({len(sections['uniform'])})\n")
        parts.append(uniform_grid(m, sections["uniform"], linker) if sections["uniform"] else "None.\n")
        if unreported:
            parts.append("### In no stored report yet\n\n" + "\n".join(f"- {u}" for u in sorted(unreported)) + "\n")
    parts.append(provenance_section(reports, now))
    return "\n".join(parts)
