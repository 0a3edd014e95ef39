"""Data of the IMDB sentiment program (S000)."""

from __future__ import annotations

from collections import Counter

import pytest
import torch

from spec.registry import Seed, claim
from spec.sources.seeds import S000


@claim(
    id="sentiment.data.embedding-rows",
    statement=(
        "000's embedding has a row for every vocabulary entry: the max_size most frequent words plus <unk> "
        "(row 0) and <pad> (row 1), so max_size 10,000 makes 10,002 rows, indices 0-10001, in torchtext's legacy "
        "rule and in ours (which keeps the same words but at a tie at the cut: torchtext breaks it "
        "alphabetically, ours by first appearance); the <pad> row is no padding_idx, so a padded batch trains it "
        "while a packed batch gives it no gradient."
    ),
    modules=("data", "LSTM", "PackedSequence"),
    sources=(
        Seed(S000, "IMDB example: build_vocab(max_size=10000), then nn.Embedding(len(TEXT.vocab), 100)", line=30),
        Seed(S000, "IMDB model: the comment that indices [0-10001] map to 100-d vectors", line=30),
    ),
)
def test_embedding_rows(device):
    from reference.programs import sentiment
    from reference.programs.listings import s000
    from reference.programs.models import SentimentClassifier

    # made up: 10,050 distinct words, word i seen 1 + i % 7 times; the cut at 10,000 falls inside a tie
    many = [[f"w{i}" for i in range(10050) for _ in range(1 + i % 7)]]
    legacy = s000.legacy_vocab(many, 10000)  # torchtext's legacy rule, restated independently of ours
    ours = sentiment.vocabulary(many, 10000)
    # the rows counted apart: the made-up words kept (each named w<i>) and the entries that are no word
    for name, itos in (("ours", ours.idx_to_token), ("torchtext's", legacy)):
        words, others = [t for t in itos if t.startswith("w")], [t for t in itos if not t.startswith("w")]
        assert len(set(words)) == len(words) == 10000, f"{name}: {len(words)} distinct words kept of max_size 10000"
        assert others == itos[:2] == ["<unk>", "<pad>"], f"{name}: the entries that are no word: {others}"
        assert len(itos) == len(words) + len(others), f"{name}: {len(itos)} entries"
    counts = Counter(many[0])
    tied = counts[legacy[-1]]  # the count at the cut: every word seen more often is kept by both rules
    assert {t for t in ours.idx_to_token[2:] if counts[t] > tied} == {t for t in legacy[2:] if counts[t] > tied}, (
        f"words seen more than {tied} times kept by one rule only: "
        f"{ {t for t in ours.idx_to_token[2:] if counts[t] > tied} ^ {t for t in legacy[2:] if counts[t] > tied} }"
    )
    assert set(ours.idx_to_token) != set(legacy), "ties at the cut: first seen (ours) against alphabetical"
    distinct = len(set(many[0]))  # 10,050: max_size 20,000 keeps them all, and the two specials
    got = len(sentiment.vocabulary(many, 20000)), len(s000.legacy_vocab(many, 20000))
    assert got[0] == got[1] == distinct + 2, f"max_size 20000: ours, torchtext's {got}, not {distinct} + 2 each"
    rows = SentimentClassifier(len(ours), 2, 2).embedding  # as the program builds it: len(vocab) rows
    assert rows(torch.tensor([10001])).shape == (1, 2), "the last index the comment names, 10001, is a row"
    with pytest.raises(IndexError):
        rows(torch.tensor([10000 + 2]))  # and the next is none
    reviews = [["a"] * 5 + ["b"] * 4 + ["c"] * 3 + ["d"] * 2 + ["e"]]  # frequencies 5, 4, 3, 2, 1
    vocab = sentiment.vocabulary(reviews, 3)
    # by hand: 3 words and the 2 specials
    assert vocab.idx_to_token == ["<unk>", "<pad>", "a", "b", "c"], f"max_size 3: {vocab.idx_to_token}"
    assert vocab.encode(["c", "d", "e", "a"]) == [4, 0, 0, 2], f"encoded {vocab.encode(['c', 'd', 'e', 'a'])}"
    torch.manual_seed(0)
    model = SentimentClassifier(len(vocab), embedding_dim=4, hidden=3).to(device).eval()  # eval: no dropout
    assert model.embedding.weight.shape == (5, 4) and model.embedding.padding_idx is None, (
        f"embedding {tuple(model.embedding.weight.shape)}, padding_idx {model.embedding.padding_idx}: not (5, 4), None"
    )
    with pytest.raises(IndexError):
        model.embedding(torch.tensor([len(vocab)]))  # one row per entry, no more
    encoded = [vocab.encode(["a", "b", "c", "a"]), vocab.encode(["b"])]
    x, lengths, _ = next(sentiment.batches(encoded, [1, 0], [[0, 1]], vocab["<pad>"]))
    # [seq, batch], the short review padded with 1
    assert x.tolist() == [[2, 3], [3, 1], [4, 1], [2, 1]], f"batch {x.tolist()}"
    grads = {}
    for name, lens in (("padded", None), ("packed", lengths)):
        model.zero_grad()
        model(x.to(device), lens).sum().backward()
        grads[name] = model.embedding.weight.grad.abs().sum(dim=1)
    assert grads["padded"][1] > 0, "padding should train the <pad> row"
    assert grads["packed"][1] == 0, "a packed batch should leave the <pad> row alone"
    assert grads["padded"][0] == grads["packed"][0] == 0, (
        f"<unk> was not fed, yet its row got gradients {grads['padded'][0].item()}, {grads['packed'][0].item()}"
    )
