"""Reading stored reports together: what changed between two, and the claims x releases matrix."""

from __future__ import annotations

from pathlib import Path

from packaging.version import Version

from spec.tools import report as rpt

#: One character per status, for the matrix.
MARKS = {"passed": "✓", "failed": "✗", "not-applicable": "–", "skipped": "·", "xfailed": "x"}


def devices_of(data: dict) -> str:
    """Which devices a report's cases ran on: ``cpu``, ``cuda`` or ``cpu+cuda`` (``--device all`` on a
    machine without a GPU ran cpu only: its cuda cases skipped)."""
    env = data["environment"]
    chosen = env.get("devices", "all")
    if chosen == "all":
        return "cpu+cuda" if env.get("cuda_available") else "cpu"
    return chosen


def label(data: dict, with_devices: bool = True) -> str:
    """A report's column name: its torch version, and which devices ran."""
    env = data["environment"]
    release = env["torch"].split("+")[0]  # the build tag (+cpu, +cu121) stays in the report
    return release + (f" [{devices_of(data)}]" if with_devices else "")


def _order(data: dict):
    env = data["environment"]
    try:
        return (Version(env["torch"]), env.get("devices", "all"))
    except Exception:  # an unparsable version sorts last
        return (Version("9999"), env["torch"])


def load_many(paths) -> list:
    """Load reports, sorted by torch version; ReportError (one line, naming the file) if any is bad."""
    reports = [(Path(p), rpt.load(Path(p))) for p in paths]
    return sorted(reports, key=lambda pr: _order(pr[1]))


#: What two reports must share for their claim statuses to be comparable one for one.
CONDITIONS = (("devices", "devices"), ("selection", "selection"), ("hypothesis_profile", "profile"))


def conditions(old: dict, new: dict) -> list:
    """One line per run condition (devices, selection, hypothesis profile) in which the two reports differ."""
    a, b = old.get("environment") or {}, new.get("environment") or {}
    return [
        f"the reports differ in {name}: {_show(a.get(key))} -> {_show(b.get(key))}"
        for key, name in CONDITIONS
        if a.get(key) != b.get(key)
    ]


def _show(value) -> str:
    if value is None:
        return "none recorded"
    if isinstance(value, dict):
        return " ".join(f"{k}={v!r}" for k, v in sorted(value.items()))
    return str(value)


def compare(old: dict, new: dict) -> dict:
    """Claims whose status changed, grouped.

    ``regressions``: failing now, not before. ``lost``: lost coverage: passed before and now skipped, xfailed or
    not-applicable, or (``removed``) not in the new report at all. ``notes``: run conditions that differ.
    """
    a, b = old["claims"], new["claims"]
    both = sorted(set(a) & set(b))
    changed = {c: (a[c]["status"], b[c]["status"]) for c in both if a[c]["status"] != b[c]["status"]}
    return {
        "regressions": {c: s for c, s in changed.items() if s[1] == "failed"},
        "lost": {c: s for c, s in changed.items() if s[0] == "passed" and s[1] != "failed"},
        "fixed": {c: s for c, s in changed.items() if s[0] == "failed"},
        "other": {c: s for c, s in changed.items() if "failed" not in s and s[0] != "passed"},
        "added": {c: b[c]["status"] for c in sorted(set(b) - set(a))},
        "removed": {c: a[c]["status"] for c in sorted(set(a) - set(b))},
        "failing_added": sorted(c for c in set(b) - set(a) if b[c]["status"] == "failed"),
        "notes": conditions(old, new),
    }


def exit_code(diff: dict, allow_lost: bool = False) -> int:
    """1 on a regression, a failing new claim, or (unless ``allow_lost``) lost coverage; else 0."""
    if diff["regressions"] or diff["failing_added"]:
        return 1
    return 1 if (diff["lost"] or diff["removed"]) and not allow_lost else 0


def format_comparison(old: dict, new: dict, diff: dict) -> str:
    lines = [f"{label(old)} -> {label(new)}"]
    lines += [f"note: {n}" for n in diff.get("notes", ())]
    sections = (
        ("new failures", diff["regressions"]),
        ("lost coverage (held before, not now)", diff["lost"]),
        ("fixed", diff["fixed"]),
        ("other changes", diff["other"]),
    )
    for title, items in sections:
        if items:
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {cid}: {before} -> {after}" for cid, (before, after) in items.items()]
            if title == "new failures":
                messages = (new["claims"][c]["first_failure"] for c in items)
                lines += [f"    {m}" for m in messages if m]
    for title, items in (("claims only in the new report", diff["added"]), ("claims only in the old", diff["removed"])):
        if items:
            lines.append(f"{title} ({len(items)}): " + ", ".join(f"{c} ({s})" for c, s in items.items()))
    if len(lines) == 1 + len(diff.get("notes", ())):
        lines.append("no claim changed status")
    return "\n".join(lines)


def matrix(reports: list, only=None) -> dict:
    """{'columns': [...], 'rows': {claim: [status or None per column]}, 'changes': {claim: [column index, ...]}}.

    The status is the eager one: a report that ran other targets too (``--target all``) gives its eager column
    here and the others to :func:`target_matrix`. ``only``: the claim IDs to keep (the docs tabulate claims
    about torch apart from claims about the programs).
    """
    devices = {devices_of(d) for _, d in reports}
    # cpu is the matrix's default: only a report that ran elsewhere too says so in its column
    columns = [label(d, with_devices=len(devices) > 1 and devices_of(d) != "cpu") for _, d in reports]
    ids = sorted({cid for _, d in reports for cid in d["claims"] if only is None or cid in only})
    rows, changes = {}, {}
    for cid in ids:
        row = [target_status(d["claims"][cid], "eager") if cid in d["claims"] else None for _, d in reports]
        rows[cid] = row
        flips = [i for i in range(1, len(row)) if None not in row[i - 1 : i + 1] and row[i] != row[i - 1]]
        if flips:
            changes[cid] = flips
    return {"columns": columns, "rows": rows, "changes": changes}


def format_matrix_markdown(table: dict, link=None) -> str:
    """Markdown table; a cell whose status differs from the release before it is bold."""
    cols = table["columns"]
    out = [
        "| claim | " + " | ".join(cols) + " |",
        "| --- | " + " | ".join(":-:" for _ in cols) + " |",
    ]
    for cid, row in table["rows"].items():
        flips = set(table["changes"].get(cid, ()))
        cells = []
        for i, status in enumerate(row):
            mark = MARKS.get(status, " ") if status else " "
            cells.append(f"**{mark}**" if i in flips else mark)
        name = link(cid) if link else f"`{cid}`"
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    legend = ", ".join(f"{m} {s}" for s, m in MARKS.items())
    note = "blank: the claim is not in that report; bold: changed from the release before"
    return "\n".join(out) + f"\n\n{legend}; {note}.\n"


# --- the target dimension: the same claims run eagerly, compiled, exported, scripted, through ONNX ----------------
def target_status(entry: dict, target: str):
    """A claim's status under ``target`` in one report (None: not run there). A report from before targets
    were recorded ran everything eagerly."""
    if "targets" not in entry:
        return entry["status"] if target == "eager" else None
    return entry["targets"].get(target)


def targets_of(reports: list) -> list:
    """The targets the reports ran, in the registry's order."""
    from spec.registry import TARGETS

    seen = {t for _, d in reports for e in d["claims"].values() for t in (e.get("targets") or {"eager": 0})}
    return [t for t in TARGETS if t in seen]


def target_matrix(reports: list, target: str, only=None) -> dict:
    """:func:`matrix` for one target: the claims run through it, x releases."""
    columns = [label(d, with_devices=False) for _, d in reports]
    ids = sorted(
        {
            cid
            for _, d in reports
            for cid, e in d["claims"].items()
            if target_status(e, target) is not None and (only is None or cid in only)
        }
    )
    rows, changes = {}, {}
    for cid in ids:
        row = [target_status(d["claims"][cid], target) if cid in d["claims"] else None for _, d in reports]
        rows[cid] = row
        flips = [i for i in range(1, len(row)) if None not in row[i - 1 : i + 1] and row[i] != row[i - 1]]
        if flips:
            changes[cid] = flips
    return {"columns": columns, "rows": rows, "changes": changes}


def target_summary(reports: list) -> dict:
    """Target x release: per cell the claims that held, failed, were run, and were not applicable there
    (held, failed, ran, n/a); a claim skipped or not applicable under a target is not counted as run."""
    columns = [label(d, with_devices=False) for _, d in reports]
    rows = {}
    for target in targets_of(reports):
        cells = []
        for _, d in reports:
            statuses = [target_status(e, target) for e in d["claims"].values()]
            held, failed = statuses.count("passed"), statuses.count("failed")
            cells.append((held, failed, held + failed + statuses.count("xfailed"), statuses.count("not-applicable")))
        rows[target] = cells
    return {"columns": columns, "rows": rows}


def format_target_summary(summary: dict, markdown: bool = True) -> str:
    """One screen: a row per target, a column per release: "held/ran", the failures, the claims not applicable."""

    def cell(c):
        held, failed, ran, na = c
        return f"{held}/{ran}" + (f" ({failed} ✗)" if failed else "") + (f", {na} n/a" if na else "")

    head = ["target"] + summary["columns"]
    rows = [[t] + [cell(c) for c in cells] for t, cells in summary["rows"].items()]
    if markdown:
        out = ["| " + " | ".join(head) + " |", "| --- | " + " | ".join("--:" for _ in summary["columns"]) + " |"]
        return "\n".join(out + ["| " + " | ".join(r) + " |" for r in rows]) + "\n"
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join(["  ".join(h.ljust(w) for h, w in zip(head, widths))] + lines) + "\n"
