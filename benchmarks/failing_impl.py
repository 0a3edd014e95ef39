"""How long `verify` takes on an implementation that fails, against torch's own run on the same machine.

    python benchmarks/failing_impl.py [--repeat N] [--out reports/failing_impl.json]

Runs `python -m spec verify --device cpu -q` (the ci profile, verify's default workers) on: torch; the worked
third-party example with a planted bug (tests/thirdparty: the gate order read as i, g, f, o); opacus with its
known file replaced by an empty one (every divergence then fails); and, for scale, opacus with its known file.
Each row is the median of --repeat runs (3 by default) with the run's exit status and its claims by status, and
its ratio to torch's median. The budget (issue #29): a failing implementation within 3x torch's time, which
verdicts per case make possible (no shrinking, the first failure of each case kept, every case run once).
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

RUNS = (
    ("torch", None, None),
    ("fusedlstm, gate order planted (tests/thirdparty)", "tests.thirdparty.fusedlstm_spec:GateOrderSpec", None),
    ("opacus, known file removed", "opacus", "empty"),
    ("opacus, with its known file", "opacus", None),
)
BUDGET = 3.0


def one(impl, known, tmp: Path) -> tuple:
    report = tmp / "r.json"
    cmd = [sys.executable, "-m", "spec", "verify", "--device", "cpu", "-q", "--report", str(report)]
    if impl:
        cmd += ["--impl", impl]
    if known == "empty":
        empty = tmp / "empty.json"
        empty.write_text('{"divergences": {}}\n', encoding="utf-8")
        cmd += ["--known", str(empty)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"failing_impl: verify exited {proc.returncode}: {proc.stderr.strip().splitlines()[-1:]}")
    claims = json.loads(report.read_text(encoding="utf-8"))["claims"]
    statuses: dict = {}
    for c in claims.values():
        statuses[c["status"]] = statuses.get(c["status"], 0) + 1
    return seconds, proc.returncode, statuses


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    rows = []
    print(f"{'run':<52} {'seconds':>8} {'x torch':>8} exit  claims by status")
    with tempfile.TemporaryDirectory() as tmp:
        for label, impl, known in RUNS:
            runs = [one(impl, known, Path(tmp)) for _ in range(args.repeat)]
            seconds = sorted(r[0] for r in runs)[len(runs) // 2]
            _, code, statuses = runs[0]
            ratio = seconds / rows[0]["seconds"] if rows else 1.0
            rows.append(
                {
                    "run": label,
                    "seconds": round(seconds, 2),
                    "each": [round(r[0], 2) for r in runs],
                    "ratio": round(ratio, 2),
                    "exit": code,
                    "statuses": statuses,
                }
            )
            print(f"{label:<52} {seconds:8.1f} {ratio:8.2f} {code:4d}  {statuses}", flush=True)
    worst = max(r["ratio"] for r in rows)
    print(f"worst ratio {worst:.2f} (budget {BUDGET}); cores: {os.cpu_count()}")
    if args.out:
        from spec.tools.results import provenance, write_json

        data = {"rows": rows, "budget": BUDGET, "machine": f"{os.cpu_count()} cores"}
        data["command"] = "python benchmarks/failing_impl.py " + " ".join(sys.argv[1:])
        write_json(args.out, {**data, **provenance()})
    return 0 if worst <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
