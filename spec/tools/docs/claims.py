"""The claim pages: one per kind and subject; each claim with its statement, sources, errata, status by report
and check."""

from __future__ import annotations

import importlib
import inspect

from spec.registry import Claim
from spec.tools.docs.common import GENERATED, KIND_TITLES, anchor, check_source, cite, md
from spec.tools.matrix import Matrix
from spec.tools.results import MARKS, WORDS


def status_line(cid: str, matrix: Matrix) -> str:
    """Per column group, the runs of releases with one status: "✓ holds on 1.8.1 to 2.0.1 (7 releases); ✗ fails on
    2.1.2". Read from the same matrix the matrix page shows."""
    if cid not in matrix.rows:
        return "no stored report covers it yet"
    row, parts = matrix.rows[cid], []
    for label, idx in matrix.groups():
        runs: list = []
        for i in idx:
            status = row[i]
            if status is None:
                continue
            if runs and runs[-1][0] == status:
                runs[-1][2] = i
                runs[-1][3] += 1
            else:
                runs.append([status, i, i, 1])
        if not runs:
            continue
        said = []
        for status, first, last, n in runs:
            a, b = matrix.columns[first].release, matrix.columns[last].release
            span = a if n == 1 else f"{a} to {b} ({n} releases)"
            said.append(f"{MARKS[status]} {WORDS[status]} on {span}")
        parts.append(f"    - {label}: " + "; ".join(said))
    return "\n" + "\n".join(parts) if parts else "no stored report covers it yet"


def claim_section(c: Claim, matrix: Matrix) -> str:
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
    rows += [f"- status by stored report: {status_line(c.id, matrix)}", "", "```python", check_source(c), "```", ""]
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


def kind_page(claims: list, matrix: Matrix) -> str:
    """One page per kind and subject: the kind's description, then each claim with its check."""
    title = KIND_TITLES[claims[0].kind] + (" (the sources' programs)" if claims[0].subject == "programs" else "")
    head = f"# {title}\n\n{GENERATED}\n{kind_intro(claims[0])}\n\n"
    toc = "\n".join(f"- [`{c.id}`](#{anchor(c.id)}) — {md(c.statement)}" for c in claims)
    return head + toc + "\n\n" + "\n".join(claim_section(c, matrix) for c in claims)
