"""One page per program of the sources: its usage, stored results and the claims about it."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

from spec.tools import results as res
from spec.tools.docs.common import GENERATED, check_function, link, made_with, md, outdated
from spec.tools.render import table

#: The columns of a program's results, and their alignment.
RESULTS = (["run", "epochs", "result", "published", "tokens/s", "seconds", "made with"], "lrllrrl")

PROGRAMS = ("hello", "char_lm", "lyrics", "sentiment")


def program_help(name: str) -> str:
    """The program's own --help, at a fixed width so the page does not depend on the terminal."""
    import contextlib
    import io
    import os

    module = importlib.import_module(f"reference.programs.{name}")
    out, old = io.StringIO(), os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "100"
    try:
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            module.main(["--help"])
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return out.getvalue().rstrip()


def epochs_cell(run: dict) -> str:
    """Epochs run, and of how many planned when a run stopped early (the IMDB run saves every epoch)."""
    done, planned = run.get("epochs", ""), run.get("epochs_planned")
    return f"{done} of {planned}" if planned and planned != done else str(done)


def seconds_cell(run: dict) -> str:
    """A run's seconds; of a resumed run, those of its last part (the parts before were stopped, untimed)."""
    seconds = run.get("seconds", "")
    return f"{seconds} (the resumed part)" if run.get("resumed") and seconds != "" else str(seconds)


def made(run: dict, current: dict) -> str:
    """What a stored run was made with (torch, Python, revision, date, today's claims it ran; † behind today's set),
    or that it does not say (†: a run stored before runs recorded their provenance)."""
    if not run.get("suite"):
        return "not recorded †"
    return made_with(run, current).lstrip(", ")


def cuda_figures(name: str, folder: Path, current: dict) -> str:
    """The same runs on a GPU, from ``reports/programs-cuda/`` (written by ``benchmarks/programs.py --device cuda``)."""
    stored = sorted(folder.glob(f"{name}*.json")) if folder.is_dir() else []
    if not stored:
        return ""
    rows = []
    for path in stored:
        r = res.load_json(path)
        result = f"perplexity {r['perplexity']:.3f}" if "perplexity" in r else f"test accuracy {r['test_accuracy']:.3f}"
        rows.append(
            [
                f"`{path.stem}`",
                epochs_cell(r),
                result,
                r.get("published", ""),
                f"{r['tokens_per_s']:.0f}",
                seconds_cell(r),
                made(r, current).replace("†", "‡"),  # remade on a GPU only
            ]
        )
    first = res.load_json(stored[0])
    torch_version = (first.get("environment") or {}).get("torch") or first.get("torch", "?")
    where = f"{first.get('device_name', 'a GPU')}, torch {torch_version}"
    curves = "".join(f"\n![{p.stem} on cuda](img/cuda-{p.name})\n" for p in sorted(folder.glob(f"{name}*.png")))
    return (
        f"\n### On a GPU\n\nThe same settings on {where}; stored in `reports/programs-cuda/`, produced by "
        f"`python benchmarks/programs.py --only {name} --device cuda --out reports/programs-cuda` (‡: made before "
        "today's claim set, or not saying what with; it is remade on a machine with a GPU).\n\n"
        + table(*RESULTS[:1], rows, "markdown", RESULTS[1]).rstrip("\n")
        + "\n"
        + curves
    )


def stale_banner(runs: dict, current: dict, command: str) -> str:
    """The warning over a program's figures when any stored run (name -> its JSON) is behind today's claim set (or
    does not say)."""
    behind = [name for name, r in runs.items() if not r.get("suite") or outdated(r, current)]
    if not behind:
        return ""
    return (
        f'!!! warning "Stale"\n    {", ".join(f"`{b}`" for b in behind)}: made before today\'s claim set, or not '
        f"saying what with; re-run `{command}`.\n\n"
    )


def program_page(name: str, claims: list, results: Path, current: dict) -> str:
    module = importlib.import_module(f"reference.programs.{name}")
    doc = inspect.getdoc(module) or ""
    title, _, body = doc.partition("\n")
    related = [
        c
        for c in claims
        if f"reference.programs.{name}" in inspect.getsource(check_function(c))
        or f"import {name}" in inspect.getsource(inspect.getmodule(check_function(c)))
        or c.id.startswith(name.split("_")[0] + ".")
    ]
    stored = sorted(results.glob(f"{name}*.json")) if results.is_dir() else []
    if stored:
        rows = []
        runs = {path.stem: res.load_json(path) for path in stored}
        for stem, r in runs.items():
            if "perplexity" in r:
                result = f"perplexity {r['perplexity']:.3f}"
            elif "test_accuracy" in r:
                result = f"test accuracy {r['test_accuracy']:.3f}"
            else:
                result = f"predicts {r['predictions'][-1]!r}, loss {r['losses'][-1]}"
            speed = f"{r['tokens_per_s']:.0f}" if "tokens_per_s" in r else ""
            rows.append(
                [
                    f"`{stem}`",
                    epochs_cell(r),
                    result,
                    r.get("published", ""),
                    speed,
                    seconds_cell(r),
                    made(r, current),
                ]
            )
        curves = "".join(f"\n![{p.stem}](img/{p.name})\n" for p in sorted(results.glob(f"{name}*.png")))
        command = f"python benchmarks/programs.py --only {name}"
        figures = (
            stale_banner(runs, current, command)
            + "Stored in `reports/programs/` (a JSON summary and a PNG curve per run); produced by "
            f"`{command}` (CPU, 2 cores).\n\n" + table(*RESULTS[:1], rows, "markdown", RESULTS[1]) + curves
        )
    else:
        figures = (
            "No stored full-length run yet. Produce one with "
            f"`python -m reference.programs.{name} --out reports/programs` (without --smoke); CI runs `--smoke` only.\n"
        )
    figures += cuda_figures(name, results.parent / "programs-cuda", current)
    checks = "\n".join(f"- {link(c, prefix='../')} — {md(c.statement)}" for c in related)
    return (
        f"# {title}\n\n{GENERATED}\n{body.strip()}\n\n## Usage\n\n```text\n{program_help(name)}\n```\n\n"
        f"## Results\n\n{figures}\n## Claims about it\n\n{checks or '- none yet'}\n"
    )
