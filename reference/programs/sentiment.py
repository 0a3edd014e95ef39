"""IMDB sentiment with a 2-layer bidirectional LSTM (source 000).

    python -m reference.programs.sentiment [--epochs 10] [--batch 30] [--lr 1e-3] [--max-vocab 10000]
        [--max-len 500] [--packed] [--vectors GLOVE.txt] [--limit N] [--data PATH] [--download]
        [--device cpu] [--seed 0] [--out DIR] [--name sentiment] [--smoke]

Words lower-cased, the 10,000 most frequent kept (plus <unk> and <pad>), reviews cut at --max-len
words. Embedding 100 -> LSTM(256, 2 layers, bidirectional, dropout 0.5) -> cat(h_n[-2], h_n[-1])
-> dropout -> one logit; Adam and BCE-with-logits. Training batches are bucketed by length as the
source's BucketIterator does (pools of 100 batches sorted by length, batches in random order), so
little padding is fed. --packed also stops each review at its own length, exactly, but on CPU its
backward pass grows far faster than the review length (25 s instead of 1.3 s for a batch of 30
reviews of about 400 words: benchmarks/packed_speed.py, pytorch/pytorch#149194), so the benchmark
trains padded, as 000 did. --vectors copies GloVe-format vectors into the embedding. One line per
epoch (loss, train and test accuracy); with --out, after every epoch: the accuracy curve (PNG), a
weights-only checkpoint and a JSON summary (so an interrupted run keeps the epochs it finished).
--data: the archive, or a folder that holds an extracted aclImdb/.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

import torch
from torch import nn

from reference.programs import datasets
from reference.programs.char_lm import fail
from reference.programs.models import SentimentClassifier
from reference.programs.text import Vocab
from reference.programs.train import Progress, binary_accuracy, save_curve, write_json

WORD = re.compile(r"[a-z0-9']+")


def words(text: str) -> list:
    return WORD.findall(text.lower())


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


def save_epoch(args, model, history, summary) -> None:
    """Curve, weights-only checkpoint and JSON summary, each replaced atomically."""
    from reference.programs.checkpoint import save_and_reload

    args.out.mkdir(parents=True, exist_ok=True)
    stem = args.out / args.name
    note = save_curve([r[2] for r in history], "test accuracy", stem.with_suffix(".png"), f"{args.name}: IMDB BiLSTM")
    save_and_reload(model, stem.with_suffix(".pt"))
    write_json(stem.with_suffix(".json"), summary)
    if len(history) == args.epochs:
        print(note or f"curve: {stem.with_suffix('.png')}")
        print(f"checkpoint: {stem.with_suffix('.pt')}\nsummary: {stem.with_suffix('.json')}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m reference.programs.sentiment", description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=30)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--max-vocab", type=int, default=10000)
    p.add_argument("--max-len", type=int, default=500)
    p.add_argument("--embedding", type=int, default=100)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument(
        "--packed",
        action="store_true",
        help="pack each batch so a review stops at its own length (slow to train on CPU)",
    )
    p.add_argument("--vectors", type=Path, help="GloVe-format text file for the embedding")
    p.add_argument("--limit", type=int, help="reviews per class and split (default: all)")
    p.add_argument("--data", type=Path)
    p.add_argument("--download", action="store_true")
    p.add_argument("--device", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, help="folder for the curve, the checkpoint and a JSON summary")
    p.add_argument("--name", default="sentiment", help="file stem of what --out receives")
    p.add_argument("--smoke", action="store_true", help="a run of seconds: 50 reviews a class, 1 epoch, small model")
    args = p.parse_args(argv)
    if args.smoke:
        args.epochs, args.limit, args.embedding, args.hidden, args.max_len = 1, args.limit or 50, 16, 16, 100
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        return fail("sentiment", "--device cuda but no CUDA device is available")
    if args.vectors is not None and not args.vectors.is_file():
        return fail("sentiment", f"{args.vectors}: no such vectors file")
    try:
        folder = reviews_folder(args.data, args.download)
        train_texts, train_labels = datasets.read_imdb(folder, "train", args.limit)
        test_texts, test_labels = datasets.read_imdb(folder, "test", args.limit)
    except datasets.DataError as e:
        return fail("sentiment", str(e))
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    train_words = [words(t)[: args.max_len] for t in train_texts]
    vocab = Vocab(train_words, reserved_tokens=["<pad>"], max_size=args.max_vocab + 2)
    pad = vocab["<pad>"]
    encode = [vocab.encode(ws) or [pad] for ws in train_words]
    encode_test = [vocab.encode(words(t)[: args.max_len]) or [pad] for t in test_texts]
    model = SentimentClassifier(len(vocab), args.embedding, args.hidden).to(args.device)
    if args.vectors:
        print(f"vectors: {model.load_vectors(args.vectors, vocab)} of {len(vocab)} words found in {args.vectors}")
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.BCEWithLogitsLoss()
    print(f"sentiment: {len(train_texts)} train / {len(test_texts)} test reviews, vocabulary {len(vocab)}")
    history, seconds, tokens = [], 0.0, 0
    train_lengths = [len(e) for e in encode]
    by_length = sorted(range(len(encode_test)), key=lambda i: len(encode_test[i]))
    test_groups = [by_length[i : i + 250] for i in range(0, len(by_length), 250)]  # eval: batch size is moot
    for epoch in range(1, args.epochs + 1):
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
            tokens += int(lengths.sum())
            bar()
        seconds += time.perf_counter() - start
        bar.close()
        model.eval()
        test_correct = 0.0
        with torch.no_grad():
            for x, lengths, y in batches(encode_test, test_labels, test_groups, pad):
                logits = model(x.to(args.device), lengths if args.packed else None).squeeze(1)
                test_correct += binary_accuracy(logits, y.to(args.device)) * len(y)
        row = (total / seen, correct / seen, test_correct / len(encode_test))
        history.append(row)
        loss_, train_acc, test_acc = row
        print(f"epoch {epoch:3d}  loss {loss_:.4f}  train accuracy {train_acc:.4f}  test accuracy {test_acc:.4f}")
        if args.out:
            summary = {
                "test_accuracy": test_acc,
                "epochs": epoch,
                "epochs_planned": args.epochs,
                "reviews": len(train_texts),
                "test_reviews": len(test_texts),
                "history": [dict(zip(("loss", "train_accuracy", "test_accuracy"), r)) for r in history],
                "tokens_per_s": tokens / seconds,
                "settings": {k: str(v) for k, v in vars(args).items()},
            }
            save_epoch(args, model, history, summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
