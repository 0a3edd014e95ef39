"""Data of the sources' text pipeline (reading, tokenising, the vocabulary)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference.programs import datasets
from reference.programs.listings import s003
from reference.programs.text import Vocab, tokenize
from spec.helpers.modules import data_file
from spec.registry import Erratum, Seed, claim
from spec.sources.seeds import S000, S003, S004

token_lists = st.lists(st.sampled_from("abcdeé "), min_size=0, max_size=60)


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
        Seed(S003, "4.1: the DATA_HUB entry", line=198),
        says="names the file's hash dataset_sha256; its 40 hex digits are a SHA-1",
    ),
)
def test_time_machine_counts():
    path = data_file("timemachine")
    corpus, vocab = datasets.load_corpus_time_machine(path)
    tokens, alphabet = letters_and_spaces(path.read_bytes())
    assert (len(corpus), len(vocab)) == (tokens, len(alphabet) + 1) == (170580, 28), (  # + 1: <unk>
        f"corpus, vocabulary {(len(corpus), len(vocab))}; by hand {(tokens, len(alphabet) + 1)}; not (170580, 28)"
    )
    want = {"<unk>", " "} | set("abcdefghijklmnopqrstuvwxyz")
    assert set(vocab.idx_to_token) == {"<unk>"} | alphabet == want, (
        f"vocabulary {sorted(vocab.idx_to_token)}, by hand {sorted(alphabet)}: not <unk>, space and a-z"
    )
    listed = s003.DATASET_HASH  # the 40 digits 003 stores as dataset_sha256 (typed from the document)
    data = path.read_bytes()
    assert hashlib.sha1(data).hexdigest() == listed, "the stored hash is the file's SHA-1"
    sizes = {name: 2 * hashlib.new(name).digest_size for name in ("sha1", "sha256")}  # hex digits: 40 and 64
    assert len(listed) == sizes["sha1"] != sizes["sha256"], f"{len(listed)} hex digits; a SHA-256 has 64"
    assert datasets.FILES["timemachine"].digests == (("sha1", listed),), "our loader checks it as a SHA-1"


def letters_and_spaces(data: bytes):
    """(characters, the set of them) of the text with every line's runs of non-letters made one space, its
    ends stripped and letters lower-cased, counted byte by byte without a regular expression or a Vocab."""
    total, seen = 0, set()
    for line in data.split(b"\n"):
        words = bytes(c | 0x20 if 65 <= c <= 90 or 97 <= c <= 122 else 32 for c in line).split()
        text = b" ".join(words).decode("ascii")
        total += len(text)
        seen.update(text)
    return total, seen


@claim(
    id="text.data.lyrics-vocabulary",
    statement="The lyrics' first 10,000 characters, line breaks turned into spaces, hold 1027 distinct characters.",
    modules=("data",),
    sources=(Seed(S004, "data preparation: vocab_size 1027 from the first 10000 characters", line=27),),
)
def test_lyrics_vocabulary():
    text = datasets.read_lyrics(data_file("lyrics"))
    idx_to_char, char_to_idx, corpus = datasets.char_indices(text)
    assert len(text) == 10000 and "\n" not in text, (
        f"{len(text)} characters, line breaks: {chr(10) in text}; not 10000 and none"
    )
    assert len(idx_to_char) == len(set(text)) == 1027, (
        f"{len(idx_to_char)} indexed, {len(set(text))} distinct characters, not 1027"
    )
    assert [idx_to_char[i] for i in corpus] == list(text), "the corpus does not index the text back"


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
    assert vocab.idx_to_token[: 1 + len(reserved)] == ["<unk>", *reserved], (
        f"{vocab.idx_to_token[: 1 + len(reserved)]}, not <unk> then {list(reserved)}"
    )
    learned = vocab.idx_to_token[1 + len(reserved) :]
    first = {t: tokens.index(t) for t in counts}
    eligible = sorted(
        (t for t, n in counts.items() if n >= min_freq and t not in reserved), key=lambda t: (-counts[t], first[t])
    )
    room = max(0, max_size - 1 - len(reserved)) if max_size else len(eligible)
    assert learned == eligible[:room], (
        f"min_freq={min_freq}, max_size={max_size}: learned {learned} against {eligible[:room]}"
    )
    for t in counts:
        assert vocab[t] == (vocab.token_to_idx[t] if t in learned else 0), (
            f"vocab[{t!r}] is {vocab[t]}, not {vocab.token_to_idx[t] if t in learned else 0}"
        )
    assert vocab["never seen"] == 0 and vocab.to_tokens(vocab[list("ab")]) == [
        t if t in learned else "<unk>" for t in "ab"
    ], f"unknown tokens: vocab['never seen'] {vocab['never seen']}, to_tokens {vocab.to_tokens(vocab[list('ab')])}"
    assert tokenize(["ab c"], "word") == [["ab", "c"]] and tokenize(["ab"], "char") == [["a", "b"]], (
        f"tokenize: {tokenize(['ab c'], 'word')}, {tokenize(['ab'], 'char')}"
    )


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
    assert all(sorted(o) == sorted(set(text)) for o in orders), f"orders {orders} are not all the text's characters"
    idx_to_char, char_to_idx, corpus = datasets.char_indices(text)
    # first appearance: a function of the text alone
    assert idx_to_char == list(dict.fromkeys(text)), f"{''.join(idx_to_char)!r}: not in order of first appearance"
    assert [idx_to_char[i] for i in corpus] == list(text), "the corpus does not index the text back"


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
    got = datasets.locate("made-up", download=True)
    assert got == cached and cached.read_text() == "made-up corpus\n", (
        f"downloaded to {got}: {cached.exists() and cached.read_text()!r}"
    )
    cached.write_text("damaged")
    with pytest.raises(datasets.DataError, match=entry.digests[0][1]):
        datasets.locate("made-up")  # downloads off: the mismatch is an error naming the expected hash
    got = datasets.locate("made-up", download=True)
    assert got == cached and cached.read_text() == "made-up corpus\n", (
        f"downloaded again to {got}: {cached.exists() and cached.read_text()!r}"
    )
    cached.unlink()
    published.write_text("tampered upstream\n")
    with pytest.raises(datasets.DataError, match="does not match"):
        datasets.locate("made-up", download=True)
    assert list(cached.parent.iterdir()) == [], "a refused download left a file in the cache"
