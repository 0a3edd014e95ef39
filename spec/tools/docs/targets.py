"""The targets page: what each target is, target x release (how many claims hold), then per target the
claims x releases, from the same matrix model as the matrix page (its target column groups)."""

from __future__ import annotations

from spec.tools import results as res
from spec.tools.docs.common import GENERATED, SUBJECT_PAGES, WIDE_PAGE, link
from spec.tools.matrix import Matrix, summary
from spec.tools.render import legend, matrix_html, table


def targets_page(registry, reports: list) -> str:
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
    per = summary(ran)
    columns = sorted(
        {key for cells in per.values() for key in cells}, key=lambda k: [r.release for r in ran].index(k[0])
    )
    rows = []
    for target, cells in per.items():
        row = [f"<code>{target}</code>"]
        for key in columns:
            held, failed, count, na = cells.get(key, (0, 0, 0, 0))
            text = f"{held}/{count}" + (f" <b class='st-failed'>{failed} ✗</b>" if failed else "")
            row.append(text + (f"<br><small>{na} n/a</small>" if na else ""))
        rows.append(row)
    head_row = ["target"] + [k[0] for k in columns]
    parts = [
        head,
        "## Claims held, per target and release\n\nheld/run (failures), and the claims not applicable there "
        "(outside their torch range, a case the target cannot take, or the target does not exist on that release); "
        "from `reports/matrix/` (the matrix runs `--target all`).\n\n" + table(head_row, rows, "html"),
    ]
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
            f"## {target}\n\n{len(sections['failing'])} claims fail somewhere, listed first; {legend()}.\n\n"
            + matrix_html(sub, ordered, lambda cid: link(by_id[cid]))
        )
    return "\n".join(parts)
