"""Statements of the source documents that are deliberately not claims, each with the reason.

The per-source page (docs/sources.md) lists these beside the claims, so that a reader can tell a
statement the spec chose not to check from one it missed. An entry belongs here only when the
statement is not about torch's recurrent layers or the examples' behaviour (background, opinion, a
remark on the author's setup), is a typo in the source's code, or needs what this project cannot
run (a file that is not available offline, a training run beyond the CPU budget); everything else
is a claim.
"""

from __future__ import annotations

from dataclasses import dataclass

from spec.registry import SEED_FILES, Seed

S000, S001, S002, S003, S004 = SEED_FILES


@dataclass(frozen=True)
class Unclaimed:
    source: Seed
    reason: str


def note(file: str, locator: str, reason: str, line: int = 0) -> Unclaimed:
    return Unclaimed(Seed(file, locator, line), reason)


UNCLAIMED = (
    # --- 000 ---
    note(
        S000,
        "the opening notes: training an RNN is hard",
        "a judgement; the mechanism it names (products of W_R in backpropagation) is rnn.autograd.vanishing-exploding",
        line=8,
    ),
    # --- 001 ---
    note(S001, "the opening: RNNs are for data ordered in time, typically language", "background", line=2),
    # --- 002 ---
    note(
        S002,
        "the opening: a network is y = activation(RNN(x)); RNN, LSTM and GRU as the three implementations",
        "background; the three classes' shared signature is rnn.parameters.signature-defaults",
        line=7,
    ),
    # --- 003 ---
    note(
        S003,
        "1.1: applications of sequence models; sequence data is not independent and identically distributed",
        "background",
        line=9,
    ),
    note(
        S003,
        "1.3: regularizing the information flow has been found ineffective",
        "a finding cited from the literature, not checkable against torch",
        line=62,
    ),
    note(
        S003,
        "1.4: recursive networks, encoder-decoder, echo state networks, liquid state machines",
        "outside torch's recurrent layers",
        line=65,
    ),
    note(S003, "1.5: autoregressive, latent autoregressive and Markov models", "background", line=75),
    note(S003, "0x02: the three effects of long-term dependencies", "background", line=85),
    note(
        S003,
        "4.5: all four models train",
        "checked by the benchmark, not by a CI claim: the four stored runs "
        "reach d2l's perplexities (docs/programs/char_lm.md)",
        line=519,
    ),
    note(
        S003,
        "4.5: word-level training takes much longer than character-level",
        "a timing; timings belong in benchmarks and no word-level run is stored",
        line=525,
    ),
    note(
        S003,
        "4.5: a deep RNN is not necessarily better (the 32-layer LSTM's result)",
        "a comparison, stored as a benchmark (benchmarks/listings.py deep): after 30 epochs of 003's own loop the "
        "32-layer LSTM's perplexity is {listings.json:s003-deep-lstm.perplexity:.2f} and the 2-layer one's "
        "{listings.json:s003-lstm.perplexity:.2f}, against the characters' unigram perplexity of "
        "{listings.json:s003-lstm.unigram_perplexity:.2f}; the RNN reached {listings.json:s003-rnn.perplexity:.2f}",
        line=539,
    ),
    note(
        S003,
        "4.5: the continuation generated from 'time traveller'",
        "one trained model's sample; "
        "reference.programs.char_lm prints its own (greedy generation is training.semantics.predict-greedy)",
        line=533,
    ),
    note(S003, "0x05 discussion", "the author's opinions", line=545),
    # --- 004 ---
    note(
        S004, "the introduction: the LSTM figure and why an LSTM suits lyrics", "illustration and motivation", line=10
    ),
    note(S004, "generator construction", "Python generators, not torch", line=40),
)
