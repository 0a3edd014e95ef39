"""Run the whole suite N times in random order, every other run under pytest-xdist, and count failures.

    python scripts/flake_check.py [--runs 20] [--workers 2] [--out reports/flake_check.json]

Needs the dev extra (pytest-randomly, pytest-xdist). Prints one line per run (seed, mode, outcome,
seconds), under a failed run the tests that failed, and a closing 'N passed, N failed' line; exits 1 if any
run failed. --out stores the runs, with their provenance, in the JSON the docs' benchmarks page shows
(benchmarks/figures.py).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, help="store the runs in this JSON figure file (e.g. reports/flake_check.json)")
    args = p.parse_args()
    for plugin in ("pytest_randomly", "xdist"):
        try:
            __import__(plugin)
        except ImportError:
            sys.exit(f"flake_check: {plugin} is not installed (pip install -e '.[dev]')")
    seeds = random.Random().sample(range(1, 2**31), args.runs)
    failed, runs = 0, []
    for i, seed in enumerate(seeds, 1):
        mode = ["-n", str(args.workers)] if i % 2 == 0 else []
        cmd = [sys.executable, "-m", "pytest", "-q", "-p", "randomly", f"--randomly-seed={seed}", *mode]
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "SPEC_PROFILE": "ci"})
        seconds = time.perf_counter() - start
        ok = proc.returncode == 0
        failed += not ok
        tail = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else proc.stderr.strip()[-200:]
        # which tests, from pytest's short summary: a failure is reproduced by its seed and mode, and named here
        failing = [ln[:300] for ln in proc.stdout.splitlines() if ln.startswith(("FAILED ", "ERROR "))][:10]
        label = f"xdist -n {args.workers}" if mode else "serial"
        status = "ok  " if ok else "FAIL"
        print(f"run {i:2d}  seed {seed:10d}  {label:10}  {status}  {seconds:5.1f} s  {tail}", flush=True)
        for line in failing:
            print(f"        {line}", flush=True)
        runs.append(
            {
                "run": i,
                "seed": seed,
                "mode": label,
                "ok": ok,
                "seconds": round(seconds, 1),
                "summary": tail,
                "failing": failing,
            }
        )
    print(f"{args.runs - failed} passed, {failed} failed")
    if args.out:
        sys.path.insert(0, str(ROOT / "benchmarks"))
        from figures import store_run

        store_run(args.out, "flake_check", {"workers": args.workers}, {"passed": args.runs - failed, "runs": runs})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
