"""Where one epoch of a source's program spends its time: cProfile, grouped into what a reader can act on.

    python benchmarks/profile_epoch.py [--device cuda] [--limit N] [--out reports/profile-sentiment-cuda.json]

Runs ``reference.programs.sentiment`` (source 000's IMDB classifier, at the source's settings) for one epoch
under cProfile and prints, for each group (the recurrent forward, backward, the optimizer, the data pipeline,
the shape checks, ...), the seconds spent inside it, and the functions that took longest themselves. With
``--out`` the figures are stored as JSON with their provenance (torch, python, device, git revision).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: (group, predicate on (file, function name)), first match wins. A function's own time (not what it calls)
#: goes to its group, so nested groups (a shape-checked forward calling torch.lstm) are not counted twice.
GROUPS = (
    ("backward (autograd engine, all backward kernels)", lambda f, n: "run_backward" in n),
    ("recurrent forward (torch.lstm: cuDNN or the CPU kernel)", lambda f, n: n == "<built-in method torch.lstm>"),
    ("host-device sync (.item())", lambda f, n: n.startswith("<method 'item' of")),
    ("shape checks (jaxtyping + beartype)", lambda f, n: any(k in f for k in ("shapecheck", "jaxtyping", "beartype"))),
    ("reading and numbering the reviews", lambda f, n: any(k in f for k in ("datasets.py", "text.py", "tarfile"))),
    ("optimizer step", lambda f, n: "optim" in f),
)


def group_of(key) -> str:
    file, _, name = key
    for label, match in GROUPS:
        if match(file, name):
            return label
    return "everything else (start-up, Python glue, other kernels)"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="cpu")
    p.add_argument("--limit", type=int, help="reviews per class and split (default: all)")
    p.add_argument("--top", type=int, default=12, help="how many functions to list by own time")
    p.add_argument("--out", type=Path, help="store the figures as JSON")
    args = p.parse_args()
    from reference.programs import sentiment

    argv = ["--epochs", "1", "--device", args.device] + (["--limit", str(args.limit)] if args.limit else [])
    profile = cProfile.Profile()
    start = time.perf_counter()
    profile.enable()
    rc = sentiment.main(argv)
    profile.disable()
    wall = time.perf_counter() - start
    if rc != 0:
        return rc
    stats = pstats.Stats(profile, stream=io.StringIO())
    groups: dict = {}
    for key, (_, _, own_time, _, _) in stats.stats.items():
        label = group_of(key)
        groups[label] = groups.get(label, 0.0) + own_time
    own = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[: args.top]
    rows = [{"function": f"{Path(k[0]).name}:{k[1]} {k[2]}", "own_seconds": round(v[2], 2)} for k, v in own]
    print(f"one epoch of sentiment on {args.device}: {wall:.1f} s")
    for label, seconds in sorted(groups.items(), key=lambda kv: -kv[1]):
        print(f"  {label:<58} {seconds:7.1f} s")
    print("by own time:")
    for r in rows:
        print(f"  {r['own_seconds']:7.2f} s  {r['function']}")
    if args.out:
        from spec.tools.results import provenance, write_json

        write_json(
            args.out,
            {
                "program": "sentiment",
                "epochs": 1,
                "argv": argv,
                "wall_seconds": round(wall, 1),
                "groups": {k: round(v, 1) for k, v in groups.items()},
                "own_time": rows,
                "shape_checks": os.environ.get("REFERENCE_SHAPE_CHECKS", "1"),
                **provenance(),
            },
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
