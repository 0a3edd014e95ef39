"""Wall time of the suite under each hypothesis profile, and claims per second.

    python benchmarks/suite_budget.py [--profiles quick ci thorough] [--subset NAME=-k EXPRESSION ...] [--targets]
        [--no-pytest] [--repeat N] [--out F]

Prints one row per run: `python -m spec verify --profile P` (the median of --repeat runs, 3 by default), the ci
profile on each subset (by default the claims about torch, `spec/claims/`, and the claims about the sources'
programs, `spec/programs/`),
with --targets `verify --target all` and the seconds spent per target, then `pytest` (the fast tier: spec +
tests) and `pytest -m e2e` under the ci profile. Budgets on 2 cores: `verify --profile ci` <= 15 s, quick
<= 10 s, the fast tier <= 60 s, thorough <= 10 min. With --out the figures are stored as JSON with the
environment they came from (torch, python, machine, git revision, claim count), for the docs' benchmarks page.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


sys.path.insert(0, str(ROOT))


def timed(cmd, env=None):
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - start, proc


def verify(profile: str, keyword: str | None, *extra: str):
    """(seconds, claims, the report) of one `python -m spec verify` run."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        cmd = [sys.executable, "-m", "spec", "verify", "-q", "--profile", profile, "--report", str(report), *extra]
        if keyword:
            cmd += ["-k", keyword]
        seconds, proc = timed(cmd)
        if proc.returncode not in (0, 1):
            sys.exit(f"verify failed to run: {proc.stderr.strip().splitlines()[-1:]}")
        data = json.loads(report.read_text())
    return seconds, len(data["claims"]), data


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profiles", nargs="+", default=["quick", "ci"])
    p.add_argument(
        "--subset",
        action="append",
        metavar="NAME=EXPRESSION",
        help="also time the ci profile on the claims a -k expression selects (repeatable; default: "
        "'claims about torch=claims' and 'claims about the programs=programs')",
    )
    p.add_argument("--no-pytest", action="store_true", help="skip the pytest runs (the fast tier, then -m e2e)")
    p.add_argument("--targets", action="store_true", help="also time verify --target all, and each target's share")
    p.add_argument("--out", type=Path, help="also store the figures as JSON (for the docs' benchmarks page)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each profile's verify; its row is the median")
    args = p.parse_args()
    subsets = args.subset or ["claims about torch=claims", "claims about the programs=programs"]
    rows = []

    def row(label, seconds, claims=None, note=""):
        rows.append(
            {
                "run": label + (f" ({note})" if note else ""),
                "seconds": seconds,
                "claims": claims,
                "rate": round(claims / seconds, 1) if claims else None,
            }
        )
        rate = f"{claims / seconds:9.1f}" if claims else " " * 9
        print(f"{label:<58} {seconds:8.1f} {claims or '':>7} {rate}  {note}", flush=True)

    print(f"{'run':<58} {'seconds':>8} {'claims':>7} {'claims/s':>9}")
    from spec.tools.cli import jobs

    processes = f"{jobs(None)} pytest process{'es' if jobs(None) > 1 else ''}"  # verify's default --jobs here
    for profile in args.profiles:
        runs = [verify(profile, None) for _ in range(args.repeat)]
        seconds = sorted(r[0] for r in runs)[len(runs) // 2]  # the median: a first run may meet a cold file cache
        each = ", ".join(f"{r[0]:.1f}" for r in runs)
        row(f"verify --profile {profile}", seconds, runs[0][1], note=f"{processes}; median of {each} s")
    for subset in subsets:
        name, sep, expression = subset.partition("=")
        if not sep or not expression:
            p.error(f"--subset {subset!r}: expected NAME=EXPRESSION")
        seconds, claims, _ = verify("ci", expression)
        row(f"verify --profile ci, {name} (-k {expression})", seconds, claims)
    if args.targets:
        seconds, claims, data = verify("ci", None, "--target", "all")
        row("verify --profile ci --target all", seconds, claims)
        for target, spent in data["target_durations"].items():  # seconds in the claims' cases, per target
            ran = sum(1 for e in data["claims"].values() if (e.get("targets") or {}).get(target) == "passed")
            row(f"  of which the cases run through {target}", spent, ran)
    if not args.no_pytest:
        tiers = (
            ("pytest -n auto --maxprocesses 4: the fast tier, spec + tests, ci", ["-n", "auto", "--maxprocesses", "4"]),
            ("pytest -m e2e: the end-to-end tier", ["-m", "e2e"]),
        )
        for label, extra in tiers:
            seconds, proc = timed(
                [sys.executable, "-m", "pytest", "-q", *extra], env={**os.environ, "SPEC_PROFILE": "ci"}
            )
            tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()
            row(label, seconds, note=tail.strip("= "))
    print(f"cores: {os.cpu_count()}")
    if args.out:
        from spec.tools.results import provenance, write_json

        command = "python benchmarks/suite_budget.py " + " ".join(f"'{a}'" if " " in a else a for a in sys.argv[1:])
        data = {"rows": rows, "machine": f"{os.cpu_count()} cores", "command": command.strip()}
        write_json(args.out, {**data, **provenance()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
