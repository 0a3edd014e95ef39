"""IMDB sentiment with a 2-layer bidirectional LSTM (source 000).

    python -m reference.programs.sentiment [--epochs 10] [--batch 30] [--lr 1e-3] [--max-vocab 10000]
        [--max-len 500] [--packed] [--vectors GLOVE.txt] [--limit N] [--data PATH] [--download]
        [--device cpu] [--seed 0] [--out DIR [--name sentiment] [--overwrite | --resume]] [--smoke]

Words lower-cased, the 10,000 most frequent kept (plus <unk> and <pad>), reviews cut at --max-len
words. Embedding 100 -> LSTM(256, 2 layers, bidirectional, dropout 0.5) -> cat(h_n[-2], h_n[-1])
-> dropout -> one logit; Adam and BCE-with-logits. Training batches are bucketed by length as the
source's BucketIterator does (pools of 100 batches sorted by length, batches in random order), so
little padding is fed. --packed also stops each review at its own length, exactly, but on CPU its
backward pass grows far faster than the review length (25 s instead of 1.3 s for a batch of 30
reviews of about 400 words: benchmarks/packed_speed.py, pytorch/pytorch#149194), so the benchmark
trains padded, as 000 did. --vectors copies GloVe-format vectors into the embedding, the rows of
words the file lacks (<unk> and <pad> among them) zero, as torchtext left them for 000. One line per
epoch (loss, train and test accuracy); with --out, after every epoch: the accuracy curve (PNG), a
weights-only checkpoint, a JSON summary and the state --resume continues from (so a run stopped by
SIGINT or SIGTERM keeps the epochs it finished, and continues from there).
--data: the archive, or a folder that holds an extracted aclImdb/.
"""

from __future__ import annotations

import random
import re
import sys
import time
from pathlib import Path

import torch
from torch import nn

from reference.programs import datasets, runs
from reference.programs.char_lm import fail
from reference.programs.models import SentimentClassifier
from reference.programs.text import Vocab
from reference.programs.train import Progress, binary_accuracy

WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list:
    return WORD.findall(text.lower())


def vocabulary(train_words, max_vocab: int) -> Vocab:
    """The ``max_vocab`` most frequent words plus <unk> (index 0) and <pad> (1): 000's build_vocab(max_size=...)
    keeps max_size words and adds the two special tokens, so the embedding has max_vocab + 2 rows."""
    return Vocab(train_words, reserved_tokens=["<pad>"], max_size=max_vocab + 2)


def reviews_folder(data, download: bool) -> Path:
    if data is not None and Path(data).is_dir() and (Path(data) / "aclImdb").is_dir():
        return Path(data)
    archive = datasets.locate("imdb", data, download=download)
    return datasets.extract(archive, datasets.cache_dir() / f"aclImdb-{datasets.digest(archive, 'sha1')[:8]}")


def bucketed(lengths: list, batch: int, rng: random.Random, pool: int = 100) -> list:
    """Index batches of similar lengths: shuffle, sort each pool of ``pool`` batches by length, cut it
    into batches, shuffle the batches (what torchtext's BucketIterator did for source 000)."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    for start in range(0, len(order), pool * batch):
        chunk = sorted(order[start : start + pool * batch], key=lengths.__getitem__)
        out += [chunk[i : i + batch] for i in range(0, len(chunk), batch)]
    rng.shuffle(out)
    return out


def batches(encoded, labels, groups, pad: int):
    for idx in groups:
        lengths = torch.tensor([len(encoded[j]) for j in idx])
        x = torch.full((int(lengths.max()), len(idx)), pad, dtype=torch.long)  # [seq, batch], as 000
        for col, j in enumerate(idx):
            x[: len(encoded[j]), col] = torch.tensor(encoded[j])
        yield x, lengths, torch.tensor([float(labels[j]) for j in idx])


@runs.program("sentiment")
def main(argv=None) -> int:
    smoke = {"epochs": 1, "limit": 50, "embedding": 16, "hidden": 16, "max_len": 100}
    defaults = {"epochs": 10, "batch": 30, "lr": 1e-3, "max_vocab": 10000, "max_len": 500, "embedding": 100}
    p = runs.Parser("sentiment", __doc__, smoke=smoke, defaults={**defaults, "hidden": 256})
    for key, value in {**defaults, "hidden": 256}.items():
        kind = runs.positive_float if key == "lr" else runs.positive_int
        p.add_argument(f"--{key.replace('_', '-')}", type=kind, help=f"default {value}")
    p.add_argument(
        "--packed",
        action="store_true",
        help="pack each batch so a review stops at its own length (slow to train on CPU)",
    )
    p.add_argument("--vectors", type=Path, help="GloVe-format text file for the embedding")
    p.add_argument("--limit", type=runs.positive_int, help="reviews per class and split (default: all)")
    p.add_argument("--data", type=Path)
    p.add_argument("--download", action="store_true")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=runs.seed, default=0)
    p.add_output_options("sentiment")
    args = p.parse(argv)
    args.name = "sentiment" if args.name is None else args.name
    with runs.Signals() as signals, runs.Run(args, signals) as out:
        try:
            problem = runs.device_problem(args.device)
            if problem:
                raise runs.UsageError(problem)
            out.check()
            if args.vectors is not None and not args.vectors.is_file():
                raise runs.UsageError(f"{args.vectors}: no such vectors file")
            folder = reviews_folder(args.data, args.download)
            train_texts, train_labels = datasets.read_imdb(folder, "train", args.limit)
            test_texts, test_labels = datasets.read_imdb(folder, "test", args.limit)
        except (runs.UsageError, datasets.DataError) as e:
            return fail("sentiment", str(e))
        except runs.Stopped as e:
            return runs.stopped_early("sentiment", e)
        return train(args, out, train_texts, train_labels, test_texts, test_labels)


def train(args, out: runs.Run, train_texts, train_labels, test_texts, test_labels) -> int:
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    train_words = [words(t)[: args.max_len] for t in train_texts]
    vocab = vocabulary(train_words, args.max_vocab)
    pad = vocab["<pad>"]
    encode = [vocab.encode(ws) or [pad] for ws in train_words]
    encode_test = [vocab.encode(words(t)[: args.max_len]) or [pad] for t in test_texts]
    model = SentimentClassifier(len(vocab), args.embedding, args.hidden).to(args.device)
    if args.vectors:
        try:
            found = model.load_vectors(args.vectors, vocab)
        except (OSError, ValueError) as e:  # ValueError: not GloVe-format, another width, not UTF-8
            return fail("sentiment", f"{args.vectors}: {getattr(e, 'strerror', None) or e}")
        print(f"vectors: {found} of {len(vocab)} words found in {args.vectors}")
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    history, start = [], 0
    counters = {"seconds": 0.0, "tokens": 0}
    settings = runs.settings_of(args, runs.vocabulary_setting(vocab.idx_to_token))
    if args.resume:

        def restore(state):
            history[:] = [tuple(float(v) for v in r) for r in state["history"]]
            counters.update(seconds=float(state["seconds"]), tokens=int(state["tokens"]))
            runs.set_python_rng_state(rng, state["python_rng"])
            torch.set_rng_state(state["torch_rng"])

        try:
            start = out.load(model, optimizer, settings, restore)["epoch"]
        except runs.UsageError as e:
            return fail("sentiment", str(e))
    loss_fn = nn.BCEWithLogitsLoss()
    print(f"sentiment: {len(train_texts)} train / {len(test_texts)} test reviews, vocabulary {len(vocab)}")
    train_lengths = [len(e) for e in encode]
    by_length = sorted(range(len(encode_test)), key=lambda i: len(encode_test[i]))
    test_groups = [by_length[i : i + 250] for i in range(0, len(by_length), 250)]  # eval: batch size is moot

    def step(epoch):
        model.train()
        total, seen, correct = 0.0, 0, 0.0
        groups = bucketed(train_lengths, args.batch, rng)
        bar = Progress(len(groups), f"epoch {epoch}")
        start = time.perf_counter()
        for x, lengths, y in batches(encode, train_labels, groups, pad):
            x, y = x.to(args.device), y.to(args.device)
            logits = model(x, lengths if args.packed else None).squeeze(1)
            loss = loss_fn(logits, y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(y)
            correct += binary_accuracy(logits.detach(), y) * len(y)
            seen += len(y)
            counters["tokens"] += int(lengths.sum())
            bar()
        counters["seconds"] += time.perf_counter() - start
        bar.close()
        model.eval()
        test_correct = 0.0
        with torch.no_grad():
            for x, lengths, y in batches(encode_test, test_labels, test_groups, pad):
                logits = model(x.to(args.device), lengths if args.packed else None).squeeze(1)
                test_correct += binary_accuracy(logits, y.to(args.device)) * len(y)
        history.append((total / seen, correct / seen, test_correct / len(encode_test)))
        loss_, train_acc, test_acc = history[-1]
        print(f"epoch {epoch:3d}  loss {loss_:.4f}  train accuracy {train_acc:.4f}  test accuracy {test_acc:.4f}")

    def save(epoch):
        summary = {
            "test_accuracy": history[-1][2] if history else None,
            "epochs": epoch,
            "epochs_planned": args.epochs,
            "reviews": len(train_texts),
            "test_reviews": len(test_texts),
            "history": [dict(zip(("loss", "train_accuracy", "test_accuracy"), r)) for r in history],
            "tokens_per_s": counters["tokens"] / counters["seconds"] if counters["seconds"] else None,
            "settings": {k: str(v) for k, v in vars(args).items()},
        }
        state = {
            "history": [list(r) for r in history],
            **counters,
            "python_rng": runs.python_rng_state(rng),
            "torch_rng": torch.get_rng_state(),
            "settings": settings,
        }
        out.save(model, optimizer, epoch, state, summary, [r[2] for r in history], "test accuracy")

    return runs.loop("sentiment", out, start, args.epochs, step, save)


if __name__ == "__main__":
    sys.exit(main())
