"""``python -m spec refresh``: make every stored result again that this machine can make, at today's claim set.

The steps are read from what is stored (nothing to keep in step with a list here): each release report in
``reports/matrix/`` (``scripts/matrix.sh <env>``, every target), each implementation report (``verify --impl``, the
adapter the report names), the coverage measurement, the mutants, every stored figure run by the command it records
(the benchmarks, the listings, the flake check), the programs' figures, and last the docs. A step this machine
cannot make says why and is left as it is (the GPU reports without a GPU, the matrix without tox).

Resumable: each finished step is recorded in ``reports/refresh.json`` (its exit status, seconds, the date, and
the claim set it was made at); a step recorded as made at today's claim set is not run again (``--again`` runs
it anyway), so a stopped refresh goes on where it stopped. Progress: one line per step, with its time.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from spec.tools import claimset
from spec.tools import results as res

#: Where the progress of a refresh is recorded (resumable), under the reports folder.
STATE = "refresh.json"


@dataclass
class Step:
    name: str  # "matrix/torch213", "implementations/opacus", "figure/loop_speed.json#1", "docs"
    argv: list
    makes: str  # what it writes, for the listing
    env: dict = field(default_factory=dict)
    cannot: str = ""  # why this machine cannot make it ("" : it can)
    long: bool = False  # hours, not minutes: run only when named with --only
    writes: Optional[Path] = None  # the one file it must rewrite: a step that ends 0 without doing so failed

    def line(self) -> str:
        return " ".join(shlex.quote(a) for a in ([f"{k}={v}" for k, v in self.env.items()] + self.argv))


def _python(argv: list) -> list:
    return [sys.executable if a == "python" else a for a in argv]


def _command_step(name: str, command: str, path: Path) -> Step:
    """A stored figure's recorded command line (``K=V python benchmarks/x.py ...``) as a step that must rewrite
    ``path``."""
    words = shlex.split(command)
    env = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        k, _, v = words.pop(0).partition("=")
        env[k] = v
    return Step(name, _python(words), f"reports/{path.name}", env, writes=path)


def steps(reports: Path, has_tox: Optional[bool] = None, has_gpu: Optional[bool] = None) -> list:
    """Every step that remakes a stored result under ``reports``, in the order they run (docs last)."""
    import shutil

    has_tox = shutil.which("tox") is not None if has_tox is None else has_tox
    if has_gpu is None:
        import torch

        has_gpu = torch.cuda.is_available()
    out = []
    for path in sorted((reports / "matrix").glob("*.json"), key=_release_order):
        out.append(
            Step(
                f"matrix/{path.stem}",
                ["scripts/matrix.sh", path.stem],
                f"reports/matrix/{path.name}",
                cannot="" if has_tox else "needs tox and tox-uv (pip install -e '.[dev]')",
                writes=path,
            )
        )
    for path in sorted((reports / "implementations").glob("*.json")):
        impl = res.load_json(path).get("environment", {}).get("implementation", {})
        adapter = impl.get("adapter") or impl.get("name") or path.stem
        argv = ["python", "-m", "spec", "verify", "--device", "cpu", "-q", "--impl", adapter, "--report", str(path)]
        out.append(
            Step(f"implementations/{path.stem}", _python(argv), f"reports/implementations/{path.name}", writes=path)
        )
    for path in sorted((reports / "cuda").glob("*.json")):
        argv = ["python", "-m", "spec", "verify", "--device", "all", "--target", "all", "-q", "--report", str(path)]
        out.append(
            Step(
                f"cuda/{path.stem}", _python(argv), f"reports/cuda/{path.name}", cannot="" if has_gpu else "needs a GPU"
            )
        )
    if (reports / "coverage").is_dir():
        out.append(Step("coverage", _python(["python", "-m", "spec", "coverage"]), "reports/coverage/"))
    if (reports / "mutants.json").exists():
        argv = ["python", "-m", "spec", "mutants", "--out", str(reports / "mutants.json")]
        out.append(Step("mutants", _python(argv), "reports/mutants.json", writes=reports / "mutants.json"))
    for path in sorted(reports.glob("*.json")):
        data = res.load_json(path)
        if not isinstance(data, dict) or "schema" in data or path.name in (STATE, "mutants.json"):
            continue
        if data.get("command"):
            out.append(_command_step(f"figure/{path.name}", data["command"], path))
        for i, run in enumerate(data.get("runs") or []):
            if isinstance(run, dict) and run.get("command"):
                out.append(_command_step(f"figure/{path.name}#{i + 1}", run["command"], path))
    if (reports / "programs").is_dir():
        # --resume: a run stopped before it ended (a refresh stopped, a session over) continues from its last epoch
        out.append(Step("programs", _python(["python", "benchmarks/programs.py", "--resume"]), "reports/programs/"))
        argv = ["python", "benchmarks/programs.py", "--only", "sentiment", "--resume"]
        out.append(Step("programs/sentiment", _python(argv), "reports/programs/sentiment.json", long=True))
    if (reports / "programs-cuda").is_dir():
        argv = ["python", "benchmarks/programs.py", "--device", "cuda", "--out", str(reports / "programs-cuda")]
        cannot = "" if has_gpu else "needs a GPU"
        out.append(Step("programs-cuda", _python(argv), "reports/programs-cuda/", cannot=cannot))
    out.append(Step("docs", _python(["python", "-m", "spec", "docs"]), "docs/"))
    seen: set = set()
    unique = []
    for s in out:  # one step per command (a figure's runs made by one command line, hello's seeds by programs.py)
        key = (tuple(s.argv[1:] if s.argv[:1] == [sys.executable] else s.argv), tuple(sorted(s.env.items())))
        if key not in seen:
            seen.add(key)
            unique.append(s)
    return unique


def _release_order(path: Path):
    """A release report's torch release (a report that cannot say sorts first)."""
    from spec.registry import release_of

    try:
        return release_of(res.load_json(path)["environment"]["torch"])
    except (res.ReportError, KeyError, TypeError, ValueError):
        return release_of("0")


def set_key(now: dict) -> str:
    """Today's claim set in one digest (the IDs and each claim's digest)."""
    return claimset.ids_digest(f"{cid}={d}" for cid, d in now.items())


def load_state(path: Path) -> dict:
    return res.load_json(path) if path.exists() else {"steps": {}}


def run(
    selected: list,
    state_path: Path,
    key: str,
    again: bool = False,
    execute: Optional[Callable[[Step], int]] = None,
    say: Callable[[str], None] = print,
) -> int:
    """Run the steps not yet made at claim set ``key``; record each as it ends. 0: every step made; 1: one failed."""
    execute = execute or _execute
    state = load_state(state_path)
    failed = 0
    for n, step in enumerate(selected, 1):
        head = f"[{n}/{len(selected)}] {step.name}"
        done = state["steps"].get(step.name) or {}
        if step.cannot:
            say(f"{head}: not here ({step.cannot}); left as stored")
            continue
        if not again and done.get("exit") == 0 and done.get("claim_set") == key:
            say(f"{head}: made at today's claim set on {done.get('date')} ({done.get('seconds')} s); skipped")
            continue
        say(f"{head}: {step.line()}")
        before = _stamp(step.writes)
        revision = res.git_revision()  # the suite that ran the step (taken before: the step may change the checkout)
        start = time.perf_counter()
        code = execute(step)
        seconds = round(time.perf_counter() - start, 1)
        if code == 0 and step.writes is not None and _stamp(step.writes) in (None, before):
            say(f"{head}: ended 0 but did not rewrite {step.makes} (does its command store it? --out)")
            code = 1
        state["steps"][step.name] = {
            "exit": code,
            "seconds": seconds,
            "date": res.today(),
            "claim_set": key,
            "git": revision,
            "command": step.line(),
        }
        res.write_json(state_path, state)  # after every step: a stopped refresh resumes here
        say(f"{head}: {'made' if code == 0 else f'FAILED (exit {code})'} in {seconds} s")
        failed += code != 0
    return 1 if failed else 0


def _stamp(path: Optional[Path]):
    """A file's modification time in ns (None: no such file, or no file asked about)."""
    if path is None or not path.exists():
        return None
    return path.stat().st_mtime_ns


def _execute(step: Step) -> int:
    root = Path(__file__).resolve().parents[2]
    return subprocess.run(step.argv, cwd=root, env={**os.environ, **step.env}).returncode


def command(args) -> int:
    """The CLI command (``spec.tools.cli`` parses ``--list``, ``--only``, ``--again``, ``--reports``)."""
    import fnmatch

    import spec
    from spec.tools.cli import UsageError

    if not args.reports.is_dir():
        raise UsageError(f"no reports folder {args.reports}")
    every = steps(args.reports)
    chosen = [s for s in every if not args.only or any(fnmatch.fnmatch(s.name, p) for p in args.only)]
    if args.only and not chosen:
        raise UsageError(f"--only {' '.join(args.only)} selects no step (python -m spec refresh --list names them)")
    if not args.only:
        chosen = [s for s in chosen if not s.long]  # hours each: only when named
    if args.list:
        for s in every:
            note = f"  [not here: {s.cannot}]" if s.cannot else "  [long: only with --only]" if s.long else ""
            print(f"{s.name:<40} {s.makes:<40} {s.line()}{note}")
        return 0
    key = set_key(claimset.today(spec.load_all()))
    return run(chosen, args.reports / STATE, key, again=args.again)
