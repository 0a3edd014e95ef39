"""Character language model on the Time Machine (source 003): RNN, GRU, LSTM or deep LSTM.

    python -m reference.programs.char_lm [--model rnn|gru|lstm] [--layers 1] [--hidden 256] [--steps 35]
        [--batch 32] [--epochs 500] [--lr 1] [--clip 1] [--sampling random|sequential]
        [--max-tokens 10000] [--data PATH] [--download] [--device cpu] [--seed 0]
        [--out DIR [--name STEM] [--overwrite | --resume]] [--smoke]

One-hot characters into the recurrent layer, a linear head over every step, SGD with the sources'
global-norm clipping. One line per epoch (perplexity, tokens/s); a greedy continuation of the prefix
every tenth of the run; with --out, after every epoch: the perplexity curve (PNG), a weights-only
checkpoint, a JSON summary and the state --resume continues from (also when stopped by SIGINT/SIGTERM).
Data: ``--data``, else ``$RNN_SPEC_DATA``, else the cache, else ``--download``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import torch

from reference.programs import datasets, runs, sampling
from reference.programs.models import LanguageModel, make_layer
from reference.programs.train import Progress, predict, train_epoch


def parser(name: str, doc: str, smoke: dict, **defaults) -> runs.Parser:
    """The options both language-model programs share; ``defaults`` are each program's settings."""
    model, optimizer = defaults.pop("model", "rnn"), defaults.pop("optimizer")
    settings = {"layers": 1, "hidden": 256, "steps": 35, "batch": 32}
    p = runs.Parser(name, doc, smoke=smoke, defaults={**settings, **defaults})
    p.add_argument("--model", choices=("rnn", "gru", "lstm"), default=model)
    for key, value in {**settings, "epochs": defaults["epochs"]}.items():
        p.add_argument(f"--{key}", type=runs.positive_int, help=f"default {value}")
    p.add_argument("--lr", type=runs.positive_float, help=f"default {defaults['lr']}")
    clip = f"global gradient-norm bound theta (default {defaults['clip']})"
    p.add_argument("--clip", type=runs.positive_float, help=clip)
    p.add_argument("--optimizer", choices=("sgd", "adam"), default=optimizer)
    p.add_argument("--prefix", action="append", type=runs.text, help="text to continue (repeatable)")
    p.add_argument("--data", type=Path, help="the data file or its folder")
    p.add_argument("--download", action="store_true", help="download (and verify) the data if not found")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=runs.seed, default=0)
    p.add_output_options(f"{name}-MODELLAYERS, e.g. {name}-{model}1")
    return p


def fail(prog: str, message: str) -> int:
    print(f"{prog}: error: {message}", file=sys.stderr)
    return 2


def named(args, name: str):
    """``args`` with the run's name filled in (``--name``, else ``NAME-MODELLAYERS``)."""
    args.name = f"{name}-{args.model}{args.layers}" if args.name is None else args.name
    return args


def prepare(args, out: runs.Run) -> None:
    """Checks that need no data, before any is read: the device and what --out will receive."""
    problem = runs.device_problem(args.device)
    if problem:
        raise runs.UsageError(problem)
    out.check()


def run(args, name: str, out: runs.Run, corpus, tokens, to_index, to_token, batches_of) -> int:
    """Train, report each epoch, generate, save after each epoch. ``tokens`` is the vocabulary (index ->
    token), ``batches_of(rng)`` gives one epoch's minibatches."""
    vocab_size = len(tokens)
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    model = LanguageModel(make_layer(args.model, vocab_size, args.hidden, args.layers), vocab_size).to(args.device)
    make = torch.optim.SGD if args.optimizer == "sgd" else torch.optim.Adam
    optimizer = make(model.parameters(), lr=args.lr)
    prefixes = args.prefix or [to_token(corpus[0])]
    curve, speeds, start = [], [], 0
    settings = runs.settings_of(args, runs.vocabulary_setting(tokens))
    if args.resume:

        def restore(state):
            curve[:] = [float(v) for v in state["curve"]]
            speeds[:] = [float(v) for v in state["speeds"]]
            runs.set_python_rng_state(rng, state["python_rng"])
            torch.set_rng_state(state["torch_rng"])

        try:
            start = out.load(model, optimizer, settings, restore)["epoch"]
        except runs.UsageError as e:
            return fail(name, str(e))
    print(f"{name}: {args.model} x{args.layers}, hidden {args.hidden}, vocab {vocab_size}, {len(corpus)} tokens")

    def step(epoch):
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

    def save(epoch):
        summary = {
            "perplexity": curve[-1] if curve else None,
            "tokens_per_s": sum(speeds) / len(speeds) if speeds else None,
            "epochs": epoch,
            "epochs_planned": args.epochs,
            "settings": {k: str(v) for k, v in vars(args).items()},
        }
        state = {
            "curve": curve,
            "speeds": speeds,
            "python_rng": runs.python_rng_state(rng),
            "torch_rng": torch.get_rng_state(),
            "settings": settings,
        }
        out.save(model, optimizer, epoch, state, summary, curve, "perplexity")

    return runs.loop(name, out, start, args.epochs, step, save)


@runs.program("char_lm")
def main(argv=None) -> int:
    smoke = {"epochs": 2, "hidden": 32, "max_tokens": 2000, "batch": 8, "steps": 20}
    p = parser("char_lm", __doc__, smoke, epochs=500, lr=1.0, clip=1.0, optimizer="sgd", max_tokens=10000)
    p.add_argument("--sampling", choices=("random", "sequential"), default="sequential")
    p.add_argument("--max-tokens", type=runs.count, help="the first N characters (default 10000; 0: all)")
    args = named(p.parse(argv), "char_lm")
    with runs.Signals() as signals, runs.Run(args, signals) as out:
        try:
            prepare(args, out)
            path = datasets.locate("timemachine", args.data, download=args.download)
            corpus, vocab = datasets.load_corpus_time_machine(path, max_tokens=args.max_tokens)
        except (runs.UsageError, datasets.DataError) as e:
            return fail("char_lm", str(e))
        except runs.Stopped as e:
            return runs.stopped_early("char_lm", e)
        if len(corpus) < 2 * args.batch * args.steps:
            return fail("char_lm", f"{len(corpus)} tokens are too few for batch {args.batch} x {args.steps} steps")
        iterate = sampling.random_iter if args.sampling == "random" else sampling.sequential_iter
        args.prefix = args.prefix or ["time traveller"]
        return run(
            args,
            "char_lm",
            out,
            corpus,
            vocab.idx_to_token,
            vocab.__getitem__,
            vocab.to_tokens,
            lambda rng: iterate(corpus, args.batch, args.steps, rng),
        )


if __name__ == "__main__":
    sys.exit(main())
