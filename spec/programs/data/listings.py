"""The sources' data listings replayed as written, against our rewrites of them."""

from __future__ import annotations

import random

import torch

from reference.programs import datasets, sampling
from reference.programs.listings import s003
from spec.helpers.modules import data_file
from spec.registry import Seed, claim
from spec.sources.seeds import S003


@claim(
    id="listings.data.s003-pipeline",
    statement=(
        "003's data listings run as written on the real file give the corpus, vocabulary and minibatches of our "
        "rewrite: the printed token list is <unk>, the space and the 26 letters by falling frequency, the first "
        "10,000 indices agree, and its samplers, drawing from the random module's global generator, yield the "
        "same X and Y as ours given a random.Random of the same seed."
    ),
    modules=("data",),
    sources=(
        Seed(S003, "4.1: read_time_machine to load_corpus_time_machine, the printed token list", line=227),
        Seed(S003, "4.1: seq_data_iter_random and seq_data_iter_sequential, SeqDataLoader", line=307),
    ),
)
def test_s003_pipeline():
    path = data_file("timemachine")
    corpus, vocab, printed = s003.load_corpus_time_machine(path, 10000)
    ours, our_vocab = datasets.load_corpus_time_machine(path, max_tokens=10000)
    assert printed[:2] == ["<unk>", " "] and sorted(printed[2:]) == list("abcdefghijklmnopqrstuvwxyz"), (
        f"vocabulary {printed}: not <unk>, space, then a-z"
    )
    freqs = dict(vocab.token_freqs)
    assert [freqs[t] for t in printed[1:]] == sorted((freqs[t] for t in printed[1:]), reverse=True), (
        f"not by decreasing frequency: {[(t, freqs[t]) for t in printed[1:]]}"
    )
    assert printed == our_vocab.idx_to_token and corpus == ours, (
        f"003's vocabulary or corpus differs from ours: {printed} against {our_vocab.idx_to_token}, "
        f"corpus equal: {corpus == ours}"
    )
    for theirs, mine in (
        (s003.seq_data_iter_random, sampling.random_iter),
        (s003.seq_data_iter_sequential, sampling.sequential_iter),
    ):
        for seed in range(3):
            random.seed(seed)
            replayed = list(theirs(corpus, 32, 35))
            rewritten = list(mine(corpus, 32, 35, random.Random(seed)))
            assert len(replayed) == len(rewritten) > 0, (theirs.__name__, seed)
            differ = [
                k
                for k, ((a, b), (c, d)) in enumerate(zip(replayed, rewritten))
                if not torch.equal(a, c) or not torch.equal(b, d)
            ]
            assert not differ, f"{theirs.__name__}, seed {seed}: minibatches {differ} (X or Y) differ from ours"
            assert replayed[0][0].dtype == torch.int64, f"{theirs.__name__}: X is {replayed[0][0].dtype}, not int64"
