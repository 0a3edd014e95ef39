"""The targets page: what each target is, target x release (how many claims hold), then per target the
claims x releases, from the same matrix model as the matrix page (its target column groups)."""

from __future__ import annotations

from typing import Optional

from spec.tools import results as res
from spec.tools.docs import provenance as prov
from spec.tools.docs import scoreboard
from spec.tools.docs.common import GENERATED, SUBJECT_PAGES, WIDE_PAGE, link
from spec.tools.matrix import Matrix, summary
from spec.tools.render import GLYPHS, legend_html, matrix_html, table


def targets_page(registry, reports: list, now: Optional[dict] = None) -> str:
    """``now``: today's claim set (:func:`spec.tools.claimset.today`; computed from ``registry`` when not given)."""
    by_id = {c.id: c for c in registry}
    about = res.target_descriptions()
    intro = "\n".join(f"- `{name}`: {' '.join(text.split())}" for name, text in about.items())
    head = (
        f"{WIDE_PAGE}# Targets\n\n{GENERATED}\n{intro}\n\nEvery claim of the kinds shape, semantics and state runs "
        "through each target with `python -m spec verify --target all` (a claim may name its own `targets=`); the "
        f"claims about the targets themselves are on [their page]({SUBJECT_PAGES['torch'][0]}/targets.md). A case "
        "the target cannot take for a known reason (onnxruntime has no float64 kernel, ...) is not applicable, with "
        "the reason.\n"
    )
    ran = [r for r in reports if len(r.targets_run) > 1 and r.implementation == "torch"]
    if not ran:
        command = "python -m spec verify --target all --report reports/matrix/<env>.json"
        return head + f"\nNo stored run yet: `{command}`.\n"
    now = prov.today_of(registry) if now is None else now
    per = summary(ran)
    notes = {prov.source(r): prov.of_report(r, now) for r in ran}
    newest = scoreboard.newest_first(ran)
    rows = []
    for target, cells in per.items():
        row = [f"<code>{target}</code>"]
        for r in newest:
            key = (r.release, r.devices, r.implementation)
            if key not in cells:
                row.append('<span class="st-none" title="this release has no such target">·</span>')
                continue
            held, failed, count, na = cells[key]
            known = count - held - failed
            text = f'<span data-target="{target}" data-report="{prov.source(r)}" data-held="{held}" '
            text += f'data-ran="{count}" data-failed="{failed}" data-known="{known}" data-na="{na}">{held}/{count}'
            text += f' <b class="st-failed">{failed} {GLYPHS["failed"]}</b>' if failed else ""
            text += f' <b class="st-xfailed">{known} {GLYPHS["xfailed"]}</b>' if known else ""
            row.append(text + (f"<br><small>{na} n/a</small>" if na else "") + "</span>")
        rows.append(row)
    head_row = ["target"] + [r.release + prov.mark(notes[prov.source(r)]) for r in newest]
    parts = [
        head,
        "## Claims held, per target and release\n\nNewest release first. held/ran: the claims that held, of those "
        f"run through the target to a verdict (held, failed {GLYPHS['failed']}, or a known divergence "
        f"{GLYPHS['xfailed']}: a known regression of that release); n/a: not applicable there (outside their torch "
        "range, a case the target cannot take, or the target does not exist on that release); from "
        "`reports/matrix/` (the matrix runs `--target all`). † after a release: its report is behind today's "
        "claim set ([the matrix page](matrix.md#where-each-column-comes-from) says how).\n\n"
        + table(head_row, rows, "html"),
    ]
    stale = {src: (prov.mark(p), p.line()) for src, p in notes.items()}
    m = Matrix.build(ran, targets=None, only={c.id for c in registry if c.subject == "torch"})
    for target in per:
        if target == "eager":
            continue
        idx = [i for i, col in enumerate(m.columns) if col.target == target]
        sub = Matrix([m.columns[i] for i in idx], {cid: [row[i] for i in idx] for cid, row in m.rows.items()})
        ids = [cid for cid, row in sub.rows.items() if any(s is not None for s in row)]
        sub.rows = {cid: sub.rows[cid] for cid in ids}
        sections = sub.sections(ids)
        ordered = [cid for key in ("failing", "known", "changing", "edges", "uniform") for cid in sections[key]]
        parts.append(
            f"## {target}\n\n{len(sections['failing'])} claims fail somewhere, listed first.\n\n{legend_html()}\n\n"
            + matrix_html(sub, ordered, lambda cid: link(by_id[cid]), notes=stale)
        )
    return "\n".join(parts)
