"""Train the sources' language models at the sources' settings and compare with their published figures.

    python benchmarks/programs.py [--only hello char_lm lyrics] [--epochs N] [--device cuda --out reports/programs-cuda]
        [--resume]

Time Machine (003, d2l settings: first 10,000 characters, batch 32, 35 steps, hidden 256, SGD lr 1,
clip 1, sequential sampling, 500 epochs): RNN, GRU, LSTM and 2-layer LSTM. Lyrics (004: LSTM 256,
Adam lr 1e-2, clip 1e-2, consecutive sampling, 160 epochs). IMDB (000: embedding 100, 2-layer
bidirectional LSTM 256, dropout 0.5, Adam 1e-3, batch 30, the 10,000 most frequent words, 10 epochs,
packed batches; no GloVe vectors offline): 7-9 minutes an epoch on 2 CPU cores, so it runs only when named
(--only sentiment). Each program trains in its own folder under .runs/; when it ends, its JSON summary gets the
provenance of the run and, with its curve, replaces the stored one in reports/programs/ (the docs' program pages
show them): a run that fails or is stopped leaves the stored figures as they were, the exit status is 1, and
--resume continues it from its last finished epoch.
hello (001: Adam lr 0.1, 20 epochs, both versions) runs seeds 0-49 and stores how many end predicting 'ohlol' in
reports/hello_seeds.json, then each version's own run (seed 0) for its page (seconds on CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "programs"
sys.path.insert(0, str(ROOT))

from spec.tools.results import provenance, write_json  # noqa: E402

RUNS = {
    "char_lm": [
        ("rnn", 1, "1.3"),
        ("gru", 1, "1.0-1.1"),
        ("lstm", 1, "1.1-1.2"),
        ("lstm", 2, "1.0"),
    ],
    "lyrics": [("lstm", 1, "about 1.02")],
    "sentiment": [("bilstm", 2, "85-87 % (10 epochs, GloVe vectors)")],
    "hello": [("cell", 1, "'ohlol' in its one printed log"), ("rnn", 1, "'ohlol' in its one printed log")],
}
DEFAULT = ("hello", "char_lm", "lyrics")
#: the data file each program reads (hello needs none)
DATA = {"char_lm": "timemachine", "lyrics": "lyrics", "sentiment": "imdb"}
SEEDS = range(50)


def hello_seeds(version: str, published: str) -> None:
    """How many of the seeds 0-49 end predicting 'ohlol' at the source's settings, stored with provenance."""
    from figures import store_run

    from reference.programs import hello

    start = time.perf_counter()
    finals = [hello.train(version, 20, 0.1, seed)[1][-1][0] for seed in SEEDS]
    learned = sum(f == "ohlol" for f in finals)
    seconds = round(time.perf_counter() - start, 1)
    store_run(
        ROOT / "reports" / "hello_seeds.json",
        "hello_seeds",
        {"version": version},
        {"epochs": 20, "lr": 0.1, "seeds": len(SEEDS), "ohlol": learned, "published": published, "seconds": seconds},
    )
    print(f"{'hello':10} {version:8} {20:>6} {f'{learned}/{len(SEEDS)}':>10} {'ohlol':>10} {'':>9} {seconds:6.0f}")


#: Where a program trains (``.runs/<out folder>/<run>/``, ignored by git): its checkpoint stays there while the
#: run is unfinished, so ``--resume`` continues a stopped run (the IMDB one is 75 minutes).
WORK = ROOT / ".runs"


def work_folder(out: Path, stem: str) -> Path:
    """Where run ``stem`` bound for ``out`` trains, and stays while it is unfinished."""
    return WORK / out.name / stem


def run_program(cmd: list, stem: str, out: Path, fields: dict, resume: bool = False) -> tuple:
    """Run one program (``cmd`` without ``--out``) in its own work folder (:data:`WORK`); with ``resume`` and a run
    stopped there, continue it. When it ends, its JSON summary gets ``fields``, the run's seconds and its provenance
    (taken on the checkout as the run found it: the program's own writes land elsewhere), then its JSON and curve
    replace the stored ones in ``out``, each atomically, and the work folder goes. A run that fails or is stopped
    leaves the stored figures as they were, and its work folder to resume. (exit code, seconds, summary or None,
    stderr)."""
    work = work_folder(out, stem)
    again = resume and (work / f"{stem}.state.pt").exists()
    if not again:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    flags = ["--resume"] if again else []
    proc = subprocess.run([*cmd, "--out", str(work), "--name", stem, *flags], cwd=ROOT, capture_output=True, text=True)
    seconds = round(time.perf_counter() - start, 1)
    if proc.returncode != 0:
        return proc.returncode, seconds, None, proc.stderr
    summary = json.loads((work / f"{stem}.json").read_text()) | fields
    summary["seconds"] = seconds
    if again:  # the seconds are this last part's: the parts before it were timed by runs that did not end
        summary["resumed"] = True
    summary |= provenance()
    write_json(work / f"{stem}.json", summary)
    out.mkdir(parents=True, exist_ok=True)
    for name in (f"{stem}.png", f"{stem}.json"):  # the summary last: it is what says the run is there
        if (work / name).exists():
            shutil.copyfile(work / name, out / f".{name}.part")
            os.replace(out / f".{name}.part", out / name)
    shutil.rmtree(work, ignore_errors=True)
    return 0, seconds, summary, proc.stderr


def hello_run(version: str, out: Path, device: str) -> bool:
    """The program's own run at the source's settings (seed 0), as its page shows it: its curve and JSON summary,
    with the provenance of the run (the program itself, in ``reference/``, knows nothing of the suite)."""
    cmd = [sys.executable, "-m", "reference.programs.hello", "--version", version, "--device", device]
    code, _, _, err = run_program(cmd, f"hello-{version}", out, {"device": device})
    if code != 0:
        print(f"hello {version}: failed: {err.strip().splitlines()[-1:]}", file=sys.stderr)
    return code == 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=sorted(RUNS), default=DEFAULT)
    p.add_argument("--epochs", type=int, help="override the sources' epoch counts (a shorter check)")
    p.add_argument("--device", default="cpu", help="where to train (cuda figures go beside the cpu ones)")
    p.add_argument("--out", type=Path, default=OUT, help=f"folder for the results (default {OUT.relative_to(ROOT)})")
    p.add_argument("--resume", action="store_true", help="continue a run stopped before it ended (same settings)")
    args = p.parse_args()
    out = args.out
    from reference.programs import datasets

    try:  # the data of every program named, found and verified before any training: one line and exit 2, not
        for program in args.only:  # one failure per program after the others have run
            if program in DATA:
                datasets.locate(DATA[program])
    except datasets.DataError as e:
        print(f"programs: {e}", file=sys.stderr)
        return 2
    print(f"{'program':10} {'model':8} {'epochs':>6} {'result':>10} {'published':>10} {'tokens/s':>9} {'s':>6}")
    failed = 0  # a run that failed leaves its stored figures as they were, and the exit status says so
    for program in args.only:
        for model, layers, published in RUNS[program]:
            if program == "hello":
                hello_seeds(model, published)
                failed += not hello_run(model, out, args.device)
                continue
            if program == "sentiment":
                stem = "sentiment"
                cmd = [sys.executable, "-m", "reference.programs.sentiment"]
            else:
                stem = f"{program}-{model}{layers}"
                cmd = [sys.executable, "-m", f"reference.programs.{program}", "--model", model, "--layers", str(layers)]
            cmd += ["--device", args.device]
            if args.epochs:
                cmd += ["--epochs", str(args.epochs)]
            fields = {"published": published, "device": args.device}
            if args.device != "cpu":
                import torch

                fields["device_name"] = torch.cuda.get_device_name(0)
            code, seconds, summary, err = run_program(cmd, stem, out, fields, resume=args.resume)
            if code != 0:
                print(f"{program} {model}{layers}: failed: {err.strip().splitlines()[-1:]}", file=sys.stderr)
                kept = work_folder(out, stem)
                if (kept / f"{stem}.state.pt").exists():
                    print(f"{program} {model}{layers}: kept in {kept}: --resume continues it", file=sys.stderr)
                failed += 1
                continue
            result = summary.get("perplexity", summary.get("test_accuracy"))
            print(
                f"{program:10} {model + str(layers):8} {summary['epochs']:>6} {result:10.3f} "
                f"{published:>10} {summary['tokens_per_s']:9.0f} {seconds:6.0f}",
                flush=True,
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
