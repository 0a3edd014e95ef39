"""Jay Chou lyrics character LSTM (source 004): nn.LSTM(1027 -> 256), consecutive sampling, Adam.

    python -m reference.programs.lyrics [--epochs 160] [--lr 1e-2] [--clip 1e-2] [--hidden 256] [--steps 35]
        [--batch 32] [--data PATH] [--download] [--device cpu] [--seed 0]
        [--out DIR [--name STEM] [--overwrite | --resume]] [--smoke]

The first 10,000 characters, line breaks as spaces, numbered by first appearance (1027 of them).
Adjacent minibatches are adjacent in the text, so the state is carried over, detached. The learning
rate defaults to 1e-2: the source's line sets Adam's to 1e2, under which the loss rises (claim
lyrics.training.adam-lr). Generates 50 characters after '分开' and '不分开'.
"""

from __future__ import annotations

import sys

from reference.programs import datasets, runs, sampling
from reference.programs.char_lm import fail, named, parser, prepare, run


@runs.program("lyrics")
def main(argv=None) -> int:
    smoke = {"epochs": 2, "hidden": 32, "batch": 8, "steps": 20}
    p = parser("lyrics", __doc__, smoke, model="lstm", epochs=160, lr=1e-2, clip=1e-2, optimizer="adam")
    args = named(p.parse(argv), "lyrics")
    args.sampling = "consecutive"
    with runs.Signals() as signals, runs.Run(args, signals) as out:
        try:
            prepare(args, out)
            text = datasets.read_lyrics(datasets.locate("lyrics", args.data, download=args.download))
        except (runs.UsageError, datasets.DataError) as e:
            return fail("lyrics", str(e))
        except runs.Stopped as e:
            return runs.stopped_early("lyrics", e)
        if args.smoke:
            text = text[:2000]
        idx_to_char, char_to_idx, corpus = datasets.char_indices(text)
        if len(corpus) < 2 * args.batch * args.steps:
            return fail("lyrics", f"{len(corpus)} characters are too few for batch {args.batch} x {args.steps} steps")
        args.prefix = args.prefix or ["分开", "不分开"]
        return run(
            args,
            "lyrics",
            out,
            corpus,
            idx_to_char,
            lambda c: char_to_idx.get(c, 0),
            lambda i: idx_to_char[i],
            lambda rng: sampling.consecutive_iter(corpus, args.batch, args.steps),
        )


if __name__ == "__main__":
    sys.exit(main())
