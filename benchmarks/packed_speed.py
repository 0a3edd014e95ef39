"""Training speed of the IMDB classifier on padded against packed batches, by review length (CPU).

    python benchmarks/packed_speed.py [--lengths 50 100 200 400] [--batch 30] [--threads 2] [--out F]

Each row times forward + backward + Adam step of 000's model (embedding 100, 2-layer bidirectional
LSTM 256) on one batch of made-up reviews whose lengths lie within 10 words of L (as length-bucketed
batches do), fed padded and fed packed (pack_padded_sequence, enforce_sorted=False). Both compute the
same function of the valid words (sentiment.semantics.packed-versus-padded says how they differ on
the padding); the figures show what exactness costs in time where the fused kernels do not take packed
input (reported upstream as pytorch/pytorch#149194, "LSTM slow on PackedSequence"). --out stores the rows,
with their provenance, in the JSON the docs' benchmarks page shows (e.g. reports/packed_speed.json).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reference.programs.models import SentimentClassifier  # noqa: E402


def seconds_per_batch(model, optimizer, x, lengths, repeats: int) -> float:
    y = torch.ones(x.shape[1])
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x, lengths).squeeze(1), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200, 400])
    p.add_argument("--batch", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--out", type=Path, help="store the rows in this JSON figure file (e.g. reports/packed_speed.json)")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = SentimentClassifier(10002)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"torch {torch.__version__}, {args.threads} threads, batch {args.batch}, best of {args.repeats}")
    print(f"{'length':>6} {'padded s':>9} {'packed s':>9} {'packed/padded':>14}")
    rows = []
    for length in args.lengths:
        lengths = torch.randint(max(1, length - 10), length + 1, (args.batch,))
        lengths[0] = length
        x = torch.randint(2, 10002, (length, args.batch))
        padded = seconds_per_batch(model, optimizer, x, None, args.repeats)
        packed = seconds_per_batch(model, optimizer, x, lengths, args.repeats)
        print(f"{length:6d} {padded:9.3f} {packed:9.3f} {packed / padded:13.1f}x", flush=True)
        rows.append({"length": length, "padded_s": round(padded, 3), "packed_s": round(packed, 3)})
    if args.out:
        from figures import store_run

        key = {"threads": args.threads, "batch": args.batch}
        store_run(args.out, "packed_speed", key, {"repeats": args.repeats, "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())
