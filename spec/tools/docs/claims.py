"""The claim pages: one per kind and subject; each claim with its statement, sources, errata, status by report
and check."""

from __future__ import annotations

import html
import importlib
import inspect

from spec.registry import Claim, release_of
from spec.tools.docs import provenance as prov
from spec.tools.docs.common import GENERATED, KIND_TITLES, anchor, check_source, cite, md
from spec.tools.matrix import Matrix
from spec.tools.render import GLYPHS, STATE_WORDS, STATES, html_cell, legend_html


class Cards:
    """Each claim's status as a card (caniuse's feature card): a row of cells per device and target, a cell per
    stored release (the release reports: ``reports/matrix/``, ``reports/cuda/``), then a cell per implementation
    (``reports/implementations/``, torch's own run there among them, never as a second release). A release is one
    cell of a row, whatever its report says: a status, "not run" (its report holds no result for the claim, or did
    not run it through that target) or nothing (no report of that release for that row). A cell whose report ran
    an older check of the claim is marked."""

    def __init__(self, reports: list, impls: list, now: dict):
        self.releases = Matrix.build(reports, targets=None)
        self.impls = Matrix.build(impls, targets=("eager",))
        provs = [(r, prov.of_report(r, now)) for r in reports + impls]
        self.older = {prov.source(r): set(p.standing.changed) for r, p in provs}
        self.marks = {prov.source(r): (prov.mark(p), p.line()) for r, p in provs if prov.mark(p)}
        order: list = []
        for col in self.releases.columns:
            if col.release not in order:
                order.append(col.release)
        self.order = sorted(order, key=release_of)

    def _cell(self, m: Matrix, i: int, cid: str, change=None) -> str:
        col = m.columns[i]
        status = m.rows[cid][i] if cid in m.rows else None
        cell = html_cell(status, cid if status is None else cid, change, column=col)
        if cid in self.older.get(col.source, ()):
            cell = cell.replace('<td class="', '<td class="behind ', 1).replace('title="', 'title="an older check: ', 1)
        return cell

    def _row_head(self, m: Matrix, idx: list, label: str) -> str:
        """A row's name, with the mark of its reports behind today's claim set (‡ a GPU run, † another), as the
        matrix page marks their columns."""
        marks = [self.marks[m.columns[i].source] for i in idx if m.columns[i].source in self.marks]
        if not marks:
            return f'<th class="row">{html.escape(label)}</th>'
        mark = "".join(sorted({k for k, _ in marks}))  # † and ‡ both where a row reads both kinds
        why = "; ".join(dict.fromkeys(line for _, line in marks))
        return f'<th class="row" title="{html.escape(why)}">{html.escape(label)} {mark}</th>'

    def card(self, cid: str) -> str:
        m = self.releases
        rows = []
        for label, idx in m.groups():
            if cid not in m.rows or all(m.rows[cid][i] is None for i in idx):
                continue  # never run in this group (another target, a claim newer than every report of it)
            by_release: dict = {}
            for i in idx:
                by_release.setdefault(m.columns[i].release, i)  # one cell per release in a row
            changes = m.changes(cid)  # framed as on the matrix page: a change from the release before in the row
            tds = "".join(
                self._cell(m, by_release[rel], cid, changes.get(by_release[rel]))
                if rel in by_release
                else '<td class="st-noreport"></td>'
                for rel in self.order
            )
            rows.append(f'<tr data-row="{html.escape(label)}">{self._row_head(m, idx, label)}{tds}</tr>')
        heads = "".join(f'<th class="release"><span>{html.escape(r)}</span></th>' for r in self.order)
        grid = ""
        if rows:
            grid = (
                '<div class="spec-card spec-scroll">\n<table class="card">\n'
                f'<thead><tr><th class="row">torch release</th>{heads}</tr></thead>\n<tbody>\n'
                + "\n".join(rows)
                + "\n</tbody>\n</table>\n</div>\n"
            )
        i_m = self.impls
        if i_m.columns:
            names = "".join(f'<th class="impl">{html.escape(c.implementation)}</th>' for c in i_m.columns)
            tds = "".join(self._cell(i_m, i, cid) for i in range(len(i_m.columns)))
            grid += (
                '<div class="spec-card spec-scroll">\n<table class="card impls">\n'
                f'<thead><tr><th class="row">implementation</th>{names}</tr></thead>\n<tbody>\n'
                f'<tr data-row="implementations"><th class="row">eager</th>{tds}</tr>\n</tbody>\n</table>\n</div>\n'
            )
        return grid + self.summary(cid) + "\n"

    def summary(self, cid: str) -> str:
        """Counts, never spans: on how many stored releases (cpu, eager) each state was recorded."""
        m = self.releases
        idx = next((idx for _, idx in m.groups() if m.columns[idx[0]].group == ("torch", "cpu", "", "eager")), [])
        row = m.rows.get(cid, [None] * len(m.columns))
        seen: dict = {}
        for i in idx:
            seen[row[i]] = seen.get(row[i], 0) + 1
        parts = [f"{GLYPHS[s]} {STATE_WORDS[s]} on {seen[s]}" for s in STATES if seen.get(s)]
        n = len({m.columns[i].release for i in idx})
        return f"On the {n} stored releases (cpu, eager): " + ", ".join(parts) + "." if parts else ""


def claim_section(c: Claim, cards: Cards) -> str:
    rows = [
        f"**{md(c.statement)}**",
        "{: .statement }",
        "",
        f"- kind: {c.kind}; modules: {', '.join(c.modules)}; torch: {c.torch or 'all releases'}"
        + ("" if set(c.devices) == {"cpu", "cuda"} else f"; devices: {' and '.join(c.devices)} only"),
        "- sources:",
        *(f"    - {cite(s)}" for s in c.sources),
    ]
    for e in c.errata:
        rows.append(f"- **erratum** — {cite(erratum_source(e))} says: *{md(e.says)}*")
    rows += ["", cards.card(c.id), "```python", check_source(c), "```", ""]
    return f"## {c.id} {{#{anchor(c.id)}}}\n\n" + "\n".join(rows) + "\n"


def erratum_source(e):
    """The source document an erratum names (a :class:`~spec.registry.Seed`)."""
    return e.seed


def kind_intro(c: Claim) -> str:
    """The kind's description: the docstring of its package (``spec/claims/<kind>/__init__.py``), or of its module."""
    module = c.where.partition(":")[0]
    parts = module.split(".")
    name = ".".join(parts[:3]) if len(parts) > 3 and parts[2] == c.kind else module  # spec.<subject>.<kind>
    return inspect.getdoc(importlib.import_module(name)) or ""


def kind_page(claims: list, cards: Cards, stored: str) -> str:
    """One page per kind and subject: the kind's description, then each claim with its card and its check."""
    title = KIND_TITLES[claims[0].kind] + (" (the sources' programs)" if claims[0].subject == "programs" else "")
    head = (
        f"# {title}\n\n{GENERATED}\n{kind_intro(claims[0])}\n\nEach claim's card: its status per stored release, "
        f"device and target, and per implementation. {stored}\n\n{legend_html()}\n\n"
    )
    toc = "\n".join(f"- [`{c.id}`](#{anchor(c.id)}) — {md(c.statement)}" for c in claims)
    return head + toc + "\n\n" + "\n".join(claim_section(c, cards) for c in claims)
