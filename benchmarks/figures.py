"""Stored figures: each benchmark stores its runs as JSON, every run with the provenance it was made with.

    python benchmarks/figures.py [FILE ...]    how each stored run was made (default: every reports/*.json figure)

A run carries the suite (version, git revision, claim count, claim-set digest) and the environment (torch,
python, device) from ``spec.tools.results.provenance``; figures converted from an older text file say so
instead ("converted from reports/x.txt, environment not recorded"). The docs' benchmarks page renders these
files, and ``python -m spec docs --check`` says which were made with another claim set than the registry's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
sys.path.insert(0, str(ROOT))


def store_run(path: Path, figure: str, key: dict, run: dict) -> None:
    """Add ``run`` to the figure file at ``path`` with its provenance, replacing a stored run with the same
    ``key`` (the settings that make two runs the same measurement)."""
    from spec.tools.results import load_json, provenance, write_json

    data = load_json(path) if path.exists() else {"figure": figure, "runs": []}
    runs = [r for r in data["runs"] if r.get("key") != key]
    runs.append({"key": key, "command": command(), **run, **provenance()})
    write_json(path, {**data, "runs": runs})


def command() -> str:
    """The command line that made a run, with the environment variables that change what it measures."""
    import os

    env = [f"{k}={os.environ[k]}" for k in ("REFERENCE_SHAPE_CHECKS", "SPEC_PROFILE") if k in os.environ]
    return " ".join([*env, "python", *sys.argv])


def made(run: dict) -> str:
    """How a stored run was made, in one line."""
    if run.get("made"):
        return run["made"]
    env, suite = run.get("environment") or {}, run.get("suite") or {}
    parts = [f"torch {env.get('torch')}", f"Python {env.get('python')}", env.get("device_name") or "cpu"]
    parts += [f"revision {str(suite.get('git'))[:7]}", f"{suite.get('claims')} claims ({suite.get('claim_set')})"]
    return ", ".join(parts)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("files", nargs="*", type=Path)
    args = p.parse_args()
    from spec.tools.results import ReportError, load_json

    files = args.files or sorted(f for f in REPORTS.glob("*.json") if "runs" in load_json(f))
    for f in files:
        try:
            data = load_json(f)
        except ReportError as e:
            sys.exit(f"figures: {e}")
        for run in data.get("runs", []):
            print(f"{f.name}: {run.get('command', '?')}: {made(run)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
