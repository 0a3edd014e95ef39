"""The sources' listings run as written, where a run is too long for a claim; each stored with its provenance.

    python benchmarks/listings.py [--only scratch deep hello] [--epochs N] [--out reports/listings.json]

- ``scratch``: the from-scratch LSTM of Dive-into-DL-PyTorch, where 004 says its code comes from (line 3),
  at the hyper-parameters 004's line 29 copies from it (160 epochs, 35 steps, batch 32, SGD lr 1e2, clipping
  at 1e-2, hidden 256) on the lyrics' first 10,000 characters (reference.programs.listings.s004): the
  perplexity of every epoch, against the about 4.27 after 160 epochs that issue 23 attributes to that run.
- ``deep``: 003's four models (RNN, GRU, 2-layer LSTM, 32-layer LSTM; hidden 256) through 003's own loop
  (SGD lr 0.5, clipping at 1, sequential sampling, the first 10,000 characters) for the same number of
  epochs (default 30: 003's 5000 is days on a CPU): the perplexity each reaches, for 003's remark that the
  deep model is not necessarily better; beside them, the corpus' unigram perplexity (what a model that has
  learnt nothing about order reaches).
- ``hello``: 001's two listings over seeds 0-49: the epoch at which each first prints 'ohlol' (0: never in
  20 epochs), beside the printed logs' 9 (RNNCell) and 4 (nn.RNN).

Single-threaded (torch.set_num_threads(1)) so that a run on a shared machine is not slowed by contention.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

OUT = ROOT / "reports" / "listings.json"
#: the data file each listing reads (hello needs none)
NEEDS = {"scratch": "lyrics", "deep": "timemachine"}


def data(name: str) -> Path:
    from reference.programs import datasets

    return datasets.locate(name)


def scratch(epochs: int, out: Path) -> None:
    from figures import store_run

    from reference.programs.listings import s004

    idx_to_char, _, vocab_size, corpus = s004.corpus(data(NEEDS["scratch"]))
    torch.manual_seed(0)
    start = time.perf_counter()
    curve = s004.train_scratch(
        corpus, vocab_size, num_epochs=epochs, log=lambda n, p: print(f"scratch epoch {n:3d} perplexity {p:.3f}")
    )
    seconds = round(time.perf_counter() - start, 1)
    run = {"epochs": epochs, "vocab": vocab_size, "perplexity": curve[-1], "curve": curve, "seconds": seconds}
    store_run(out, "listings", {"run": "s004-scratch-lstm"}, {**run, "published": "about 4.27 after 160 epochs"})
    print(f"scratch: perplexity {curve[-1]:.3f} after {epochs} epochs, {seconds} s")


def deep(epochs: int, out: Path, kinds=("rnn", "gru", "lstm", "deep-lstm")) -> None:
    from figures import store_run

    from reference.programs.listings import s003

    for kind in kinds:
        random.seed(0)
        train_iter, vocab = s003.load_data_time_machine(data(NEEDS["deep"]), 32, 35)
        torch.manual_seed(0)
        net = s003.make_net(kind, len(vocab))
        start = time.perf_counter()
        _, losses = s003.training_run(net, train_iter, epochs)
        seconds = round(time.perf_counter() - start, 1)
        per_epoch = len(losses) // epochs
        # the epoch's perplexity: exp of the mean of its minibatch losses (every minibatch has 32 x 35 tokens)
        curve = [math.exp(sum(losses[i : i + per_epoch]) / per_epoch) for i in range(0, len(losses), per_epoch)]
        run = {"epochs": epochs, "perplexity": curve[-1], "curve": curve, "seconds": seconds}
        run["unigram_perplexity"] = unigram_perplexity(train_iter.corpus)
        store_run(out, "listings", {"run": f"s003-{kind}"}, run)
        print(f"deep: {kind:9} perplexity {curve[-1]:.3f} after {epochs} epochs, {seconds} s", flush=True)


def unigram_perplexity(corpus) -> float:
    """The perplexity of predicting every character by its frequency in ``corpus`` alone (exp of the entropy of
    the character distribution): a model at this perplexity has learnt nothing about order."""
    from collections import Counter

    counts = Counter(corpus)
    total = sum(counts.values())
    return math.exp(-sum(n / total * math.log(n / total) for n in counts.values()))


def hello(out: Path) -> None:
    from figures import store_run

    from reference.programs.listings import s001

    for version, train, printed in (("cell", s001.train_cell, 9), ("rnn", s001.train_rnn, 4)):
        start = time.perf_counter()
        firsts = [s001.first_ohlol(train(seed)) for seed in range(50)]
        seconds = round(time.perf_counter() - start, 1)
        reached = sorted(f for f in firsts if f)
        run = {"seeds": 50, "first_ohlol": firsts, "never": firsts.count(0), "printed": printed, "seconds": seconds}
        run["median_when_reached"] = reached[len(reached) // 2] if reached else None
        run["share_at_or_before_printed"] = sum(0 < f <= printed for f in firsts) / 50
        store_run(out, "listings", {"run": f"s001-hello-{version}"}, run)
        print(f"hello {version}: first 'ohlol' {firsts}, {seconds} s")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", nargs="+", choices=("scratch", "deep", "hello"), default=["hello", "scratch", "deep"])
    p.add_argument("--epochs", type=int, help="epochs of scratch (default 160) and deep (default 30)")
    p.add_argument("--kinds", nargs="+", default=["rnn", "gru", "lstm", "deep-lstm"], help="deep: which models")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args()
    from reference.programs import datasets

    try:  # the data each listing reads, found and verified before any work: a missing file is one line, exit 2
        for what in args.only:
            if what in NEEDS:
                data(NEEDS[what])
    except datasets.DataError as e:
        print(f"listings: {e}", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    for what in args.only:
        if what == "scratch":
            scratch(args.epochs or 160, args.out)
        elif what == "deep":
            deep(args.epochs or 30, args.out, tuple(args.kinds))
        else:
            hello(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
