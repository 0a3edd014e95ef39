"""The benchmarks page: every figure read from a stored JSON file that says how it was made."""

from __future__ import annotations

from pathlib import Path

from spec.tools import results as res
from spec.tools.docs.common import GENERATED, banner, how_made, made_with, stored_figures
from spec.tools.docs.programs import epochs_cell
from spec.tools.render import table


def benchmarks_page(reports: Path, current: dict) -> str:
    head = f"# Benchmarks\n\n{GENERATED}\n"
    figures = stored_figures(reports)
    text = head + (
        "Every figure here is read from a JSON file in `reports/` that says how it was made: the command, and "
        "the suite and environment it ran with (`spec.tools.results.provenance`), or, for figures converted from "
        "an older text file, that the environment was not recorded. `python benchmarks/figures.py` lists them.\n"
    )
    budget = figures.get("suite_budget.json")
    if budget:
        rows = [(r["run"], f"{r['seconds']:.1f}", r.get("claims") or "", r.get("rate") or "") for r in budget["rows"]]
        text += (
            f"\n## Suite budget\n{banner(budget, current, budget['command'])}\n"
            f"On {budget['machine']}{made_with(budget)}, produced by `{budget['command']}`.\n\n"
            + table(("run", "seconds", "claims", "claims/s"), rows, "markdown")
            + "\nTargets on 2 cores: `verify --profile ci` <= 15 s; quick <= 10 s; the fast tier (spec + tests, ci) "
            "<= 60 s; thorough <= 10 min.\n"
        )
    loop = figures.get("loop_speed.json")
    if loop:
        rows = [
            (
                f"`{r['command']}`",
                r["key"]["model"],
                r["key"]["shape_checks"],
                r["ours_tokens_per_s"],
                r["source_tokens_per_s"],
                f"{r['ratio']:.3f}x",
                how_made(r),
            )
            for r in loop["runs"]
        ]
        text += (
            "\n## Training loop speed: ours against a straight port of source 003's loop\n\n"
            "Tokens per second (median epoch, best repeat; one thread per loop; target: ours >= 1.0x).\n\n"
            + table(
                ("command", "model", "shape checks", "ours tokens/s", "source tokens/s", "ratio", "made"),
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
                f"{how_made(run)}.\n\n" + table(("length", "padded s", "packed s", "packed/padded"), rows, "markdown")
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
                f"\n`{run['command']}`: {run['passed']} of {len(run['runs'])} runs passed; {how_made(run)}.\n\n"
                + table(("run", "seed", "mode", "outcome", "seconds", "pytest says"), rows, "markdown")
            )
    text += programs_section(reports, figures.get("hello_seeds.json"))
    timings = reports / "matrix" / "timings.tsv"
    if timings.exists():
        lines = [line.split("\t") for line in timings.read_text(encoding="utf-8").split("\n") if line.strip()]
        rows = [(env, "held" if rc == "0" else "a claim failed", sec) for env, rc, sec in lines]
        text += (
            "\n## One release, installed from a warm cache and verified\n\n`scripts/matrix.sh` "
            "(tox-uv; target <= 3 min a release; the script does not record its environment):\n\n"
            + table(("environment", "verify", "seconds"), rows, "markdown")
        )
    return text


def programs_section(reports: Path, hello: dict) -> str:
    """The sources' programs at the sources' settings: one row per stored summary, and the hello seed count."""
    rows = []
    for run in (hello or {}).get("runs", []):
        result = f"'ohlol' for {run['ohlol']} of {run['seeds']} seeds"
        rows.append((f"hello {run['key']['version']}", f"{run['epochs']}", result, run["published"], how_made(run)))
    for path in sorted((reports / "programs").glob("*.json")):
        r = res.load_json(path)
        if path.stem.startswith("hello"):
            continue  # one seed each: the seed count above is the figure
        result = f"perplexity {r['perplexity']:.3f}" if "perplexity" in r else f"test accuracy {r['test_accuracy']:.3f}"
        rows.append((f"`{path.stem}`", epochs_cell(r), result, r.get("published", ""), how_made(r)))
    if not rows:
        return ""
    return (
        "\n## The sources' programs at the sources' settings\n\nProduced by `python benchmarks/programs.py` "
        "(`--only sentiment` for the IMDB classifier); each program's page has its curves.\n\n"
        + table(("run", "epochs", "result", "the source says", "made"), rows, "markdown")
    )
