"""Character language model on the Time Machine (source 003): RNN, GRU, LSTM or deep LSTM.

    python -m reference.programs.char_lm [--model rnn|gru|lstm] [--layers 1] [--hidden 256] [--steps 35]
        [--batch 32] [--epochs 500] [--lr 1] [--clip 1] [--sampling random|sequential]
        [--max-tokens 10000] [--data PATH] [--download] [--device cpu] [--seed 0] [--out DIR] [--smoke]

One-hot characters into the recurrent layer, a linear head over every step, SGD with the sources'
global-norm clipping. One line per epoch (perplexity, tokens/s); a greedy continuation of the prefix
every tenth of the run; with --out, the perplexity curve (PNG) and a weights-only checkpoint.
Data: ``--data``, else ``$RNN_SPEC_DATA``, else the cache, else ``--download``.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import torch

from reference.programs import datasets, sampling
from reference.programs.models import LanguageModel, make_layer
from reference.programs.train import Progress, predict, save_curve, train_epoch


def parser(prog: str, doc: str, **defaults) -> argparse.ArgumentParser:
    """The options both language-model programs share; ``defaults`` are each program's settings."""
    p = argparse.ArgumentParser(prog=prog, description=doc.splitlines()[0])
    p.add_argument("--model", choices=("rnn", "gru", "lstm"), default=defaults.get("model", "rnn"))
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--steps", type=int, default=35)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--epochs", type=int, default=defaults["epochs"])
    p.add_argument("--lr", type=float, default=defaults["lr"])
    p.add_argument("--clip", type=float, default=defaults["clip"], help="global gradient-norm bound theta")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default=defaults["optimizer"])
    p.add_argument("--prefix", action="append", help="text to continue (repeatable)")
    p.add_argument("--data", type=Path, help="the data file or its folder")
    p.add_argument("--download", action="store_true", help="download (and verify) the data if not found")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="folder for the curve, the checkpoint and a JSON summary")
    p.add_argument("--smoke", action="store_true", help="a run of seconds: 2 epochs, hidden 32, batch 8, 20 steps")
    return p


def fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def run(args, prog: str, corpus, vocab_size: int, to_index, to_token, batches_of) -> int:
    """Train, report each epoch, generate, save. ``batches_of(rng)`` gives one epoch's minibatches."""
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        return fail(prog, "--device cuda but no CUDA device is available")
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = LanguageModel(make_layer(args.model, vocab_size, args.hidden, args.layers), vocab_size).to(args.device)
    make = torch.optim.SGD if args.optimizer == "sgd" else torch.optim.Adam
    optimizer = make(model.parameters(), lr=args.lr)
    prefixes = args.prefix or [to_token(corpus[0])]
    curve, speeds = [], []
    print(f"{prog}: {args.model} x{args.layers}, hidden {args.hidden}, vocab {vocab_size}, {len(corpus)} tokens")
    for epoch in range(1, args.epochs + 1):
        batches = list(batches_of(rng))
        bar = Progress(len(batches), f"epoch {epoch}")
        ppl, speed = train_epoch(
            model, batches, optimizer, args.clip, args.device, random_sampling=args.sampling == "random", progress=bar
        )
        bar.close()
        curve.append(ppl)
        speeds.append(speed)
        print(f"epoch {epoch:4d}  perplexity {ppl:10.3f}  {speed:9.0f} tokens/s", flush=True)
        if epoch % max(1, args.epochs // 10) == 0 or epoch == args.epochs:
            for prefix in prefixes:
                print("  " + predict(prefix, 50, model, to_index, to_token, args.device))
    if args.out:
        from reference.programs.checkpoint import save_and_reload

        args.out.mkdir(parents=True, exist_ok=True)
        stem = f"{prog.split('.')[-1]}-{args.model}{args.layers}"
        note = save_curve(curve, "perplexity", args.out / f"{stem}.png", f"{stem}: perplexity by epoch")
        print(note or f"curve: {args.out / f'{stem}.png'}")
        print(f"checkpoint: {save_and_reload(model, args.out / f'{stem}.pt')}")
        summary = {
            "perplexity": curve[-1],
            "tokens_per_s": sum(speeds) / len(speeds),
            "epochs": args.epochs,
            "settings": {k: str(v) for k, v in vars(args).items()},
        }
        (args.out / f"{stem}.json").write_text(json.dumps(summary, indent=1))
    return 0


def main(argv=None) -> int:
    prog = "python -m reference.programs.char_lm"
    p = parser(prog, __doc__, epochs=500, lr=1.0, clip=1.0, optimizer="sgd")
    p.add_argument("--sampling", choices=("random", "sequential"), default="sequential")
    p.add_argument("--max-tokens", type=int, default=10000)
    args = p.parse_args(argv)
    if args.smoke:
        args.epochs, args.hidden, args.max_tokens, args.batch, args.steps = 2, 32, 2000, 8, 20
    try:
        path = datasets.locate("timemachine", args.data, download=args.download)
    except datasets.DataError as e:
        return fail("char_lm", str(e))
    corpus, vocab = datasets.load_corpus_time_machine(path, max_tokens=args.max_tokens)
    if len(corpus) < 2 * args.batch * args.steps:
        return fail("char_lm", f"{len(corpus)} tokens are too few for batch {args.batch} x {args.steps} steps")
    iterate = sampling.random_iter if args.sampling == "random" else sampling.sequential_iter
    args.prefix = args.prefix or ["time traveller"]
    return run(
        args,
        "char_lm",
        corpus,
        len(vocab),
        vocab.__getitem__,
        vocab.to_tokens,
        lambda rng: iterate(corpus, args.batch, args.steps, rng),
    )


if __name__ == "__main__":
    sys.exit(main())
