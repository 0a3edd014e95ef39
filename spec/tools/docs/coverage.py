"""The coverage pages: which lines and branches of torch's recurrent code the claims run."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from spec.tools import results as res
from spec.tools.docs.common import GENERATED, banner, cell, made_with
from spec.tools.render import table

#: the command that makes a measurement again (its stale banner names it)
COMMAND = "python -m spec coverage"


def coverage_page(data: dict, now: Optional[dict] = None) -> str:
    """One stored measurement: the figures per file, then every missed line and branch with its reason or a to-do;
    against today's claim set ``now``, how many of today's claims it ran, and a banner when it is behind."""
    from spec.tools import coverage as cov

    env = data["environment"]
    head = f"# Coverage of torch's recurrent code — torch {env['torch']}\n\n{GENERATED}\n"
    stale = banner(data, now, COMMAND) if now is not None else ""
    intro = (
        f"`{COMMAND}` ran {data['selection']} on cpu (profile `{env.get('hypothesis_profile', '?')}`"
        f"{made_with(data, now)}; pytest: {data['pytest']}) under "
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
    return head + stale + intro + summary + "\n" + "\n".join(parts)


def coverage_pages(folder: Path, now: Optional[dict] = None) -> dict:
    """``coverage/index.md`` and one page per stored measurement (``reports/coverage/<torch>.json``), each dated
    against today's claim set ``now``."""
    stored = sorted(Path(folder).glob("*.json")) if Path(folder).is_dir() else []
    pages, rows = {}, []
    for path in stored:
        data = res.load_json(path)
        if data.get("schema") != 1 or "files" not in data:
            raise res.ReportError(f"{path}: not a coverage measurement (schema 1)")
        name = f"coverage/{path.stem}.md"
        pages[name] = coverage_page(data, now)
        made = made_with(data, now).lstrip(", ")
        for rel, f in data["files"].items():
            percent = f"{f['percent']:.1f} %" if f["measured"] else "not measured"
            rows.append([f"[{path.stem}]({path.stem}.md)", f"`{rel}`", percent, made])
    intro = (
        "Which lines and branches of torch's Python code for these layers the claims run, one page per measured "
        "release (`python -m spec coverage` writes `reports/coverage/<torch>.json`)."
    )
    body = (
        table(["torch", "file", "percent", "made with"], rows, "markdown", "llrl").rstrip("\n")
        if stored
        else ("No stored measurement yet: `python -m spec coverage`.")
    )
    pages["coverage/index.md"] = f"# Coverage of torch's recurrent code\n\n{GENERATED}\n{intro}\n\n{body}\n"
    return pages
