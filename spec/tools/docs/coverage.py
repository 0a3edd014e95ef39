"""The coverage pages: which lines and branches of torch's recurrent code the claims run."""

from __future__ import annotations

from pathlib import Path

from spec.tools import results as res
from spec.tools.docs.common import GENERATED, cell
from spec.tools.render import table


def coverage_page(data: dict) -> str:
    """One stored measurement: the figures per file, then every missed line and branch with its reason or a to-do."""
    from spec.tools import coverage as cov

    env, suite = data["environment"], data["suite"]
    head = f"# Coverage of torch's recurrent code — torch {env['torch']}\n\n{GENERATED}\n"
    intro = (
        f"`python -m spec coverage` ran {data['selection']} on cpu (profile `{env.get('hypothesis_profile', '?')}`, "
        f"suite {suite['version']} at `{suite['git']}`, {suite['claims']} claims; pytest: {data['pytest']}) under "
        "`coverage run --branch`, measuring torch's own Python files only. Each line or branch the claims do not "
        "reach is listed with the reason it is left, or as **to do** (a claim to write).\n\n"
    )
    rows = []
    parts = []
    for rel, f in data["files"].items():
        if not f["measured"]:
            rows.append([f"`{rel}`", "not measured", "", ""])
            continue
        lines = f"{f['covered_lines']}/{f['statements']}"
        rows.append([f"`{rel}`", lines, f"{f['covered_branches']}/{f['branches']}", f"{f['percent']:.1f} %"])
        missed = []
        for m in f["missing_lines"]:
            why = cov.reason_for(rel, m) or "**to do**"
            missed.append([m["line"], f"`{cell(m['code'])}`", f"`{m['function']}`", cell(why)])
        branches = []
        for m in f["missing_branches"]:
            why = cov.reason_for(rel, m) or "**to do**"
            to = "exit" if m["to"] < 0 else m["to"]
            branches.append([f"{m['line']} → {to}", f"`{cell(m['code'])}`", f"`{m['function']}`", cell(why)])
        parts.append(
            f"## `{rel}`\n\n### Lines not reached\n\n"
            + table(["line", "code", "in", "why it is not reached"], missed, "markdown", "rlll")
            + "\n### Branches not taken\n\n"
            + table(["branch", "code", "in", "why it is not taken"], branches, "markdown")
        )
    summary = table(["file", "lines", "branches", "percent (lines and branches)"], rows, "markdown", "lrrr")
    return head + intro + summary + "\n" + "\n".join(parts)


def coverage_pages(folder: Path) -> dict:
    """``coverage/index.md`` and one page per stored measurement (``reports/coverage/<torch>.json``)."""
    stored = sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []
    pages, rows = {}, []
    for path in stored:
        data = res.load_json(path)
        if data.get("schema") != 1 or "files" not in data:
            raise res.ReportError(f"{path}: not a coverage measurement (schema 1)")
        name = f"coverage/{path.stem}.md"
        pages[name] = coverage_page(data)
        for rel, f in data["files"].items():
            percent = f"{f['percent']:.1f} %" if f["measured"] else "not measured"
            rows.append([f"[{path.stem}]({path.stem}.md)", f"`{rel}`", percent])
    intro = (
        "Which lines and branches of torch's Python code for these layers the claims run, one page per measured "
        "release (`python -m spec coverage` writes `reports/coverage/<torch>.json`)."
    )
    body = (
        table(["torch", "file", "percent"], rows, "markdown", "llr").rstrip("\n")
        if stored
        else ("No stored measurement yet: `python -m spec coverage`.")
    )
    pages["coverage/index.md"] = f"# Coverage of torch's recurrent code\n\n{GENERATED}\n{intro}\n\n{body}\n"
    return pages
