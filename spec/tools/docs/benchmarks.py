"""The benchmarks page: every figure read from a stored JSON file that says how it was made."""

from __future__ import annotations

from pathlib import Path

from spec.registry import release_of
from spec.tools import results as res
from spec.tools.claimset import short_revision
from spec.tools.docs import provenance as prov
from spec.tools.docs.common import GENERATED, banner, how_made, made_with, md, stored_figures
from spec.tools.docs.programs import epochs_cell
from spec.tools.render import GLYPHS, table


def benchmarks_page(reports: Path, current: dict) -> str:
    head = f"# Benchmarks\n\n{GENERATED}\n"
    figures = stored_figures(reports)
    text = head + (
        "Every figure here is read from a JSON file in `reports/` that says how it was made: the command, and "
        "the suite and environment it ran with (`spec.tools.results.provenance`), or, for figures converted from "
        "an older text file, that the environment was not recorded. `python benchmarks/figures.py` lists them.\n"
    )
    text += (
        "\n† after a figure's provenance: it was made with fewer of today's claims, or older checks, than the "
        "registry has now (or it does not say which); the command beside it makes it again.\n"
    )
    text += failing_impl_section(figures.get("failing_impl.json"), current)
    budget = figures.get("suite_budget.json")
    if budget:
        rows = [(r["run"], f"{r['seconds']:.1f}", r.get("claims") or "", r.get("rate") or "") for r in budget["rows"]]
        text += (
            f"\n## Suite budget\n{banner(budget, current, budget['command'])}\n"
            f"On {budget['machine']}{made_with(budget, current)}, produced by `{budget['command']}`.\n\n"
            + table(("run", "seconds", "claims", "claims/s"), rows, "markdown")
            + "\nTargets on 2 cores: `verify --profile ci` <= 15 s; quick <= 10 s; the fast tier (spec + tests, ci) "
            "<= 60 s; thorough <= 10 min.\n"
        )
    loop = figures.get("loop_speed.json")
    if loop:
        rows = [
            (  # the answer (the ratio) first, the command that makes the row last but one
                r["key"]["model"],
                r["key"]["shape_checks"],
                f"{r['ratio']:.3f}x",
                r["ours_tokens_per_s"],
                r["source_tokens_per_s"],
                f"`{r['command']}`",
                how_made(r, current),
            )
            for r in loop["runs"]
        ]
        text += (
            "\n## Training loop speed: ours against a straight port of source 003's loop\n\n"
            "Tokens per second (median epoch, best repeat; one thread per loop; target: ours >= 1.0x).\n\n"
            + table(
                ("model", "shape checks", "ratio", "ours tokens/s", "source tokens/s", "command", "made"),
                rows,
                "markdown",
            )
        )
    packed = figures.get("packed_speed.json")
    if packed:
        text += "\n## Training on packed against padded batches (IMDB classifier, CPU)\n"
        for run in packed["runs"]:
            rows = [
                (r["length"], f"{r['padded_s']:.3f}", f"{r['packed_s']:.3f}", f"{r['packed_s'] / r['padded_s']:.1f}x")
                for r in run["rows"]
            ]
            text += (
                f"\n`{run['command']}`: {run['key']['threads']} threads, batch {run['key']['batch']}; "
                f"{how_made(run, current)}.\n\n"
                + table(("length", "padded s", "packed s", "packed/padded"), rows, "markdown")
            )
    flake = figures.get("flake_check.json")
    if flake:
        text += "\n## Flake check\n"
        for run in flake["runs"]:
            rows = [
                (r["run"], r["seed"], r["mode"], "ok" if r["ok"] else "FAILED", r["seconds"], r["summary"])
                for r in run["runs"]
            ]
            text += (
                f"\n`{run['command']}`: {run['passed']} of {len(run['runs'])} runs passed; "
                f"{how_made(run, current)}.\n\n"
                + table(("run", "seed", "mode", "outcome", "seconds", "pytest says"), rows, "markdown")
            )
    text += programs_section(reports, figures.get("hello_seeds.json"), current)
    text += timings_section(reports, current)
    return text


def failing_impl_section(data, now: dict) -> str:
    """``reports/failing_impl.json`` (``benchmarks/failing_impl.py``): a failing implementation's verify time
    against torch's, each run's exit status and claims by status."""
    command = "python benchmarks/failing_impl.py --out reports/failing_impl.json"
    head = "\n## A failing implementation's verify time, against torch's\n"
    if not data:
        return head + f"\nNot measured: no stored `reports/failing_impl.json` yet (`{command}` makes it).\n"
    order = ("passed", "failed", "xfailed", "not-applicable", "skipped")
    rows = []
    for r in data["rows"]:
        statuses = r.get("statuses") or {}
        said = " · ".join(f"{statuses[s]} {GLYPHS[s]}" for s in order if statuses.get(s))
        each = ", ".join(f"{x:.1f}" for x in r.get("each") or [])
        rows.append((md(r["run"]), f"{r['seconds']:.1f}", each, f"{r['ratio']:.2f}x", r["exit"], said))
    budget = data.get("budget")
    worst = max((r["ratio"] for r in data["rows"]), default=0.0)
    verdict = f"; worst ratio {worst:.2f}x against a budget of {budget}x" if budget else ""
    return (
        head
        + prov.banner(prov.of_figure(data, now, data.get("command") or command))
        + f"\nOn {data.get('machine', 'an unrecorded machine')}{made_with(data, now)}, produced by "
        f"`{data.get('command') or command}`: the median of the runs (each run's seconds listed){verdict}.\n\n"
        + table(("run", "seconds", "each run", "x torch", "exit", "claims by status"), rows, "markdown")
    )


def timings_section(reports: Path, now: dict) -> str:
    """The latest timing of each release (``reports/matrix/timings.tsv``, newest release first), with the date and
    revision of the report it made (its stored report's provenance)."""
    timings = reports / "matrix" / "timings.tsv"
    if not timings.exists():
        return ""
    latest: dict = {}
    for line in timings.read_text(encoding="utf-8").splitlines():
        if line.strip():
            env, rc, sec, *made = line.split("\t")
            latest[env] = (rc, sec, made)  # the last line of an environment is its latest run
    rows = []
    for env, (rc, sec, made) in latest.items():
        path = reports / "matrix" / f"{env}.json"
        r = res.Report.load(path) if path.exists() else None
        p = prov.of_report(r, now) if r is not None else None
        release = r.release if r is not None else "no stored report"
        date = (r.suite.get("date") if r is not None else "") or "not recorded"
        revision = (p.standing.revision if p else "") or "not recorded"
        if len(made) >= 2:  # the run's own date and revision (scripts/matrix.sh writes them since they are read)
            own = short_revision(made[1])
            if (made[0], own) != (date, revision):
                date, revision = f"{made[0]} (its report: {date})", f"{own} (its report: {revision})"
        else:
            date, revision = f"{date} (its report's)", f"{revision} (its report's)"
        ran = f"{p.standing.same}/{p.standing.today}{prov.mark(p)}" if p else ""
        verdict = "0 (held)" if rc == "0" else f"{rc} (a claim failed)"
        rows.append((release, env, verdict, sec, date, revision, ran, r))
    rows.sort(key=lambda row: release_of(row[7].torch) if row[7] is not None else release_of("0"), reverse=True)
    return (
        "\n## One release, installed from a warm cache and verified\n\n`scripts/matrix.sh` (tox-uv; target <= 3 "
        "min a release): each release's latest run, newest release first, with its date and revision (a run timed "
        "before the timings recorded them shows its stored report's; a report made by another run says so) and the "
        "claims of today's set its report ran († behind it).\n\n"
        + table(
            ("release", "environment", "verify", "seconds", "date", "revision", "ran"),
            [r[:7] for r in rows],
            "markdown",
        )
    )


def programs_section(reports: Path, hello: dict, now: dict) -> str:
    """The sources' programs at the sources' settings: one row per stored summary, and the hello seed count."""
    rows = []
    for run in (hello or {}).get("runs", []):
        result = f"'ohlol' for {run['ohlol']} of {run['seeds']} seeds"
        rows.append(
            (f"hello {run['key']['version']}", f"{run['epochs']}", result, run["published"], how_made(run, now))
        )
    for path in sorted((reports / "programs").glob("*.json")):
        r = res.load_json(path)
        if path.stem.startswith("hello"):
            continue  # one seed each: the seed count above is the figure
        result = f"perplexity {r['perplexity']:.3f}" if "perplexity" in r else f"test accuracy {r['test_accuracy']:.3f}"
        rows.append((f"`{path.stem}`", epochs_cell(r), result, r.get("published", ""), how_made(r, now)))
    if not rows:
        return ""
    return (
        "\n## The sources' programs at the sources' settings\n\nProduced by `python benchmarks/programs.py` "
        "(`--only sentiment` for the IMDB classifier); each program's page has its curves.\n\n"
        + table(("run", "epochs", "result", "the source says", "made"), rows, "markdown")
    )
