"""The sources' data pipeline: corpora, tokenizing, vocabularies, samplers and the verified cache."""

from __future__ import annotations

import itertools
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import replace

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import datasets, sampling
from reference.programs.text import Vocab, tokenize
from spec.helpers.modules import data_file
from spec.registry import Erratum, Seed, claim
from spec.sources.seeds import S000, S003, S004

token_lists = st.lists(st.sampled_from("abcdeé "), min_size=0, max_size=60)


def windows(batches):
    """[(first token of each row of X)], checking Y = X shifted by one on the way (corpus = 0, 1, 2, ...)."""
    starts = []
    for x, y in batches:
        assert torch.equal(y, x + 1), "Y is not X shifted by one token"
        assert torch.equal(x[:, 1:], x[:, :-1] + 1), "a row of X is not a contiguous subsequence"
        starts.append(x[:, 0].tolist())
    return starts


sizes = dict(n=st.integers(20, 200), batch=st.integers(1, 5), steps=st.integers(1, 7), seed=st.integers(0, 99))


SAMPLING = (
    Seed(S003, "3.2 and 4.1: random sampling and sequential partitioning", line=158),
    Seed(S004, "consecutive sampling: adjacent minibatches are adjacent in the corpus", line=53),
)


@claim(
    id="text.data.time-machine-counts",
    statement=(
        "The Time Machine, reduced to lower-case letters and spaces line by line, is 170,580 character tokens "
        "over a vocabulary of 28: <unk>, the space and 26 letters (counted here with the source's pipeline: "
        "the source prints the vocabulary but neither number)."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "4.1: read_time_machine, tokenize(char), Vocab and load_corpus_time_machine", line=227),
        Seed(S003, "4.1: load_corpus_time_machine prints vocab.idx_to_token, the 28 tokens counted", line=299),
    ),
    erratum=Erratum(
        S003, "4.1: the DATA_HUB entry", "names the file's hash dataset_sha256; its 40 hex digits are a SHA-1", line=198
    ),
)
def test_time_machine_counts():
    path = data_file("timemachine")
    corpus, vocab = datasets.load_corpus_time_machine(path)
    assert (len(corpus), len(vocab)) == (170580, 28)
    assert set(vocab.idx_to_token) == {"<unk>", " "} | set("abcdefghijklmnopqrstuvwxyz")
    assert datasets.digest(path, "sha1") == "090b5e7e70c295757f55df93cb0a180b9691891a"
    assert len(datasets.digest(path, "sha256")) == 64  # a SHA-256 would have 64 digits, not 40


@claim(
    id="text.data.lyrics-vocabulary",
    statement="The lyrics' first 10,000 characters, line breaks turned into spaces, hold 1027 distinct characters.",
    modules=("data",),
    sources=(Seed(S004, "data preparation: vocab_size 1027 from the first 10000 characters", line=27),),
)
def test_lyrics_vocabulary():
    text = datasets.read_lyrics(data_file("lyrics"))
    idx_to_char, char_to_idx, corpus = datasets.char_indices(text)
    assert len(text) == 10000 and "\n" not in text
    assert len(idx_to_char) == len(set(text)) == 1027
    assert [idx_to_char[i] for i in corpus] == list(text)


@claim(
    id="text.data.vocabulary-order",
    statement=(
        "The vocabulary puts <unk> at 0, then the reserved tokens, then tokens by descending frequency (ties in "
        "order of first appearance); tokens rarer than min_freq, beyond max_size entries, or unseen map to <unk>."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "4.1: class Vocab (frequency-sorted, unknown token at index 0)", line=243),
        Seed(S003, "3.1: the vocabulary ordered by frequency, rare words replaced; word or character tokens", line=144),
        Seed(S000, "IMDB example: build_vocab(train_data, max_size=10000, ...)", line=30),
    ),
)
@given(
    tokens=token_lists,
    min_freq=st.integers(0, 4),
    reserved=st.sampled_from(((), ("<pad>",), ("<pad>", "<bos>"))),
    max_size=st.sampled_from((0, 3, 5)),
)
def test_vocabulary_order(tokens, min_freq, reserved, max_size):
    vocab = Vocab(tokens, min_freq=min_freq, reserved_tokens=reserved, max_size=max_size)
    counts = Counter(tokens)
    assert vocab.idx_to_token[: 1 + len(reserved)] == ["<unk>", *reserved]
    learned = vocab.idx_to_token[1 + len(reserved) :]
    first = {t: tokens.index(t) for t in counts}
    eligible = sorted(
        (t for t, n in counts.items() if n >= min_freq and t not in reserved), key=lambda t: (-counts[t], first[t])
    )
    room = max(0, max_size - 1 - len(reserved)) if max_size else len(eligible)
    assert learned == eligible[:room]
    for t in counts:
        assert vocab[t] == (vocab.token_to_idx[t] if t in learned else 0)
    assert vocab["never seen"] == 0 and vocab.to_tokens(vocab[list("ab")]) == [
        t if t in learned else "<unk>" for t in "ab"
    ]
    assert tokenize(["ab c"], "word") == [["ab", "c"]] and tokenize(["ab"], "char") == [["a", "b"]]


@claim(
    id="sampling.data.minibatches",
    statement=(
        "Every sampler yields X and Y of shape [batch, num_steps] with Y the next tokens of X, and no token "
        "position is in two X windows of an epoch (windows never overlap); sequential and consecutive "
        "minibatches continue row by row where the previous one stopped, random ones need not."
    ),
    modules=("data",),
    sources=SAMPLING,
)
@given(**sizes)
def test_minibatches(n, batch, steps, seed):
    corpus = list(range(n))
    samplers = {
        "random": lambda: sampling.random_iter(corpus, batch, steps, random.Random(seed)),
        "sequential": lambda: sampling.sequential_iter(corpus, batch, steps, random.Random(seed)),
        "consecutive": lambda: sampling.consecutive_iter(corpus, batch, steps),
    }
    for name, sample in samplers.items():
        check_epoch(list(sample()), batch, steps, adjacent=name != "random", name=name)


def check_epoch(batches, batch: int, steps: int, adjacent: bool, name: str = "") -> None:
    """One epoch of (X, Y) from a corpus 0, 1, 2, ...: shapes, Y = X + 1, windows that never overlap, and
    (``adjacent``) each minibatch's rows continuing where the previous one's stopped."""
    assert all(x.shape == (batch, steps) for x, _ in batches), name
    starts = windows(batches)
    covered = [p for row in starts for s in row for p in range(s, s + steps)]
    assert len(covered) == len(set(covered)), f"{name}: two windows share a token position"
    if adjacent:
        for before, after in zip(starts, starts[1:]):
            assert after == [s + steps for s in before], f"{name}: minibatches are not adjacent"


@claim(
    id="sampling.data.random-not-adjacent",
    statement=(
        "Random sampling shuffles the subsequences: over 10,000 tokens (batch 32, 35 steps) no two consecutive "
        "minibatches are adjacent in the corpus."
    ),
    modules=("data",),
    sources=SAMPLING,
)
def test_random_not_adjacent():
    corpus = list(range(10000))  # the length the sources train on
    starts = windows(sampling.random_iter(corpus, 32, 35, random.Random(0)))
    adjacent = sum(after == [s + 35 for s in before] for before, after in zip(starts, starts[1:]))
    assert len(starts) > 1 and adjacent == 0


@claim(
    id="text.data.numbering-stable",
    statement=(
        "Numbering characters by first appearance gives the same indices in every Python process, unlike "
        "004's list(set(text)), whose order follows the process's string-hash seed, so indices (and a model "
        "trained on them) need not carry over from one run to the next."
    ),
    modules=("data",),
    sources=(Seed(S004, "data preparation: idx_to_char = list(set(corpus_chars)) and char_to_idx", line=33),),
)
def test_numbering_stable():
    text = "the time traveller (for so it will be convenient to speak of him) was expounding 1234567890"
    code = "import sys; print(''.join(list(set(sys.stdin.read()))))"
    orders = set()
    for seed in range(4):  # four hash seeds, fixed so the check is deterministic
        env = {**os.environ, "PYTHONHASHSEED": str(seed)}
        run = subprocess.run([sys.executable, "-c", code], input=text, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        orders.add(run.stdout.rstrip("\n"))
    assert len(orders) > 1, "list(set(text)) came out in one order under four hash seeds"
    assert all(sorted(o) == sorted(set(text)) for o in orders)
    idx_to_char, char_to_idx, corpus = datasets.char_indices(text)
    assert idx_to_char == list(dict.fromkeys(text))  # first appearance: a function of the text alone
    assert [idx_to_char[i] for i in corpus] == list(text)


@claim(
    id="text.data.cache-verified",
    statement=(
        "A data file is used only when its hash matches: a cached copy that matches is used as it is, one "
        "that does not is downloaded again (or, with downloads off, reported), and a download that does not "
        "match is refused without leaving a file behind."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "4.1: download(), a cached file is returned when its sha1 matches, else fetched again", line=206),
    ),
)
def test_cache_verified(tmp_path, monkeypatch):
    published = tmp_path / "published" / "corpus.txt"
    published.parent.mkdir()
    published.write_text("made-up corpus\n")
    entry = datasets.DataFile("made-up", "corpus.txt", (("sha1", datasets.digest(published, "sha1")),), "")
    monkeypatch.setitem(datasets.FILES, "made-up", replace(entry, url=published.as_uri()))  # file:// download
    monkeypatch.setenv("RNN_SPEC_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("RNN_SPEC_DATA", raising=False)
    cached = tmp_path / "cache" / "corpus.txt"
    with pytest.raises(datasets.DataError, match="not found"):
        datasets.locate("made-up")
    assert datasets.locate("made-up", download=True) == cached and cached.read_text() == "made-up corpus\n"
    cached.write_text("damaged")
    with pytest.raises(datasets.DataError, match=entry.digests[0][1]):
        datasets.locate("made-up")  # downloads off: the mismatch is an error naming the expected hash
    assert datasets.locate("made-up", download=True) == cached and cached.read_text() == "made-up corpus\n"
    cached.unlink()
    published.write_text("tampered upstream\n")
    with pytest.raises(datasets.DataError, match="does not match"):
        datasets.locate("made-up", download=True)
    assert list(cached.parent.iterdir()) == [], "a refused download left a file in the cache"


@claim(
    id="sentiment.data.embedding-rows",
    statement=(
        "000's embedding has a row for every vocabulary entry: the max_size most frequent words plus <unk> "
        "(row 0) and <pad> (row 1), so max_size 10,000 makes 10,002 rows, indices 0-10001; the <pad> row is "
        "no padding_idx, so a padded batch trains it while a packed batch gives it no gradient."
    ),
    modules=("data", "LSTM", "PackedSequence"),
    sources=(
        Seed(S000, "IMDB example: build_vocab(max_size=10000), then nn.Embedding(len(TEXT.vocab), 100)", line=30),
        Seed(S000, "IMDB model: the comment that indices [0-10001] map to 100-d vectors", line=30),
    ),
)
def test_embedding_rows(device):
    from reference.programs import sentiment
    from reference.programs.models import SentimentClassifier

    many = [[f"w{i}" for i in range(10050)]]  # made up: 10,050 distinct words
    assert len(sentiment.vocabulary(many, 10000)) == 10002
    assert SentimentClassifier(10002, 2, 2).embedding.num_embeddings == 10002
    reviews = [["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e"]]  # frequencies 5, 4, 3, 2, 1
    vocab = sentiment.vocabulary(reviews, 3)
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b", "c"]  # by hand: 3 words and the 2 specials
    assert vocab.encode(["c", "d", "e", "a"]) == [4, 0, 0, 2]
    torch.manual_seed(0)
    model = SentimentClassifier(len(vocab), embedding_dim=4, hidden=3).to(device).eval()  # eval: no dropout
    assert model.embedding.weight.shape == (5, 4) and model.embedding.padding_idx is None
    with pytest.raises(IndexError):
        model.embedding(torch.tensor([len(vocab)]))  # one row per entry, no more
    encoded = [vocab.encode(["a", "b", "c", "a"]), vocab.encode(["b"])]
    x, lengths, _ = next(sentiment.batches(encoded, [1, 0], [[0, 1]], vocab["<pad>"]))
    assert x.tolist() == [[2, 3], [3, 1], [4, 1], [2, 1]]  # [seq, batch], the short review padded with 1
    grads = {}
    for name, lens in (("padded", None), ("packed", lengths)):
        model.zero_grad()
        model(x.to(device), lens).sum().backward()
        grads[name] = model.embedding.weight.grad.abs().sum(dim=1)
    assert grads["padded"][1] > 0, "padding should train the <pad> row"
    assert grads["packed"][1] == 0, "a packed batch should leave the <pad> row alone"
    assert grads["padded"][0] == grads["packed"][0] == 0  # <unk> was not fed


def offsets(batches, name: str) -> int:
    """The number of leading tokens a sampler skipped, from its windows over a corpus 0, 1, 2, ..."""
    starts = [s for row in windows(batches) for s in row]
    return min(starts) if name == "sequential" else min(starts) % len(batches[0][0][0])


@claim(
    id="sampling.data.random-offset",
    statement=(
        "Both of 003's samplers start at a random offset, random sampling in [0, num_steps - 1] and sequential "
        "in [0, num_steps], every value coming up over 200 seeds; random sampling then uses all but fewer than "
        "batch_size of the num_steps-long windows after the offset, and sequential sampling cuts batch_size "
        "consecutive equal rows, each read from its start to its last whole window."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "4.1: seq_data_iter_random, a random offset up to num_steps - 1, then shuffled windows", line=309),
        Seed(S003, "4.1: seq_data_iter_sequential, a random offset up to num_steps, rows read in order", line=333),
    ),
)
@pytest.mark.parametrize("n, batch, steps", [(200, 3, 5), (97, 2, 7), (60, 4, 1)])
def test_random_offset(n, batch, steps):
    corpus = list(range(n))
    seen = {"random": set(), "sequential": set()}
    for seed in range(200):
        batches = list(sampling.random_iter(corpus, batch, steps, random.Random(seed)))
        o = offsets(batches, "random")
        seen["random"].add(o)
        grid = set(range(o, o + ((n - o - 1) // steps) * steps, steps))  # every window after the offset
        used = [s for row in windows(batches) for s in row]
        assert set(used) <= grid and len(grid) - len(used) < batch, f"seed {seed}"
        batches = list(sampling.sequential_iter(corpus, batch, steps, random.Random(seed)))
        o = offsets(batches, "sequential")
        seen["sequential"].add(o)
        row = (n - o - 1) // batch  # tokens per row
        covered = sorted(p for x, _ in batches for p in x.flatten().tolist())
        assert covered == sorted(o + i * row + j for i in range(batch) for j in range(row // steps * steps))
    assert seen == {"random": set(range(steps)), "sequential": set(range(steps + 1))}


def count(name: str, n: int, batch: int, steps: int, offset: int) -> int:
    """003's minibatches per epoch after ``offset``: whole windows, then whole batches of them (random), or
    whole rows, then whole windows of them (sequential)."""
    if name == "random":
        return ((n - offset - 1) // steps) // batch
    return ((n - offset - 1) // batch) // steps


@claim(
    id="sampling.data.minibatch-count",
    statement=(
        "An epoch has (len(corpus) // batch_size - 1) // num_steps minibatches under 004's consecutive "
        "sampling (8 for the lyrics' 10,000 characters at batch 32 and 35 steps), and, after an offset o, "
        "((len - o - 1) // num_steps) // batch_size under 003's random and ((len - o - 1) // batch_size) "
        "// num_steps under its sequential sampling."
    ),
    modules=("data",),
    sources=(
        Seed(S004, "data_iter_consecutive: epoch_size = (batch_len - 1) // num_steps", line=60),
        Seed(S003, "4.1: num_batches = num_subseqs // batch_size in the random sampler", line=323),
        Seed(S003, "4.1: num_batches = Xs.shape[1] // num_steps in the sequential sampler", line=339),
    ),
)
def test_minibatch_count():
    for n, batch, steps, seed in itertools.product((20, 57, 200), range(1, 6), range(1, 8), range(3)):
        corpus = list(range(n))
        assert len(list(sampling.consecutive_iter(corpus, batch, steps))) == max(0, (n // batch - 1) // steps)
        for name, drawn in (("random", range(steps)), ("sequential", range(steps + 1))):  # the offsets it may draw
            batches = list(getattr(sampling, f"{name}_iter")(corpus, batch, steps, random.Random(seed)))
            where = f"{name}: n={n}, batch={batch}, steps={steps}, seed={seed}"
            if batches:
                assert len(batches) == count(name, n, batch, steps, offsets(batches, name)), where
            else:  # no window to read the offset back from: some offset it may draw must give none
                assert any(count(name, n, batch, steps, o) <= 0 for o in drawn), where
    text = datasets.read_lyrics(data_file("lyrics"))  # last: the case skips here when the file is missing
    corpus = datasets.char_indices(text)[2]
    assert len(corpus) == 10000 and len(list(sampling.consecutive_iter(corpus, 32, 35))) == 8  # (312 - 1) // 35
