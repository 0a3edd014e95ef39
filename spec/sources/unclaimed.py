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
    note(
        S000,
        "IMDB example: torchtext's Field, LabelField, BucketIterator, datasets.IMDB and the spacy tokenizer",
        "torchtext's legacy API is not part of torch (torchtext 0.12 removed it); reference/programs/sentiment.py "
        "has its own loader, tokenizer and length-bucketed batches",
        line=30,
    ),
    note(
        S000,
        "IMDB example: the glove.6B.100d file itself",
        "not available offline here, so the stored benchmark run trains its embedding from scratch; the copy "
        "of a GloVe-format file into the embedding is sentiment.training.pretrained-vectors, on a made-up file",
        line=30,
    ),
    note(
        S000,
        "IMDB example: the printed sizes of the two splits and of review 15 with its label",
        "the source shows none of this output, so there is nothing to compare with; the reference reads its "
        "reviews with reference.programs.datasets.read_imdb and prints the split sizes it found",
        line=30,
    ),
    note(
        S000,
        "IMDB example: the printed accuracy, a mean of per-batch accuracies",
        "reporting arithmetic, not torch: it weights a short last batch as much as a full one; "
        "reference.programs.sentiment counts the reviews classified right over all reviews",
        line=30,
    ),
    note(
        S000, "IMDB example: the comment on a K80 GPU for 12 hours", "a remark on the author's Colab session", line=30
    ),
    note(
        S000,
        "IMDB example: each epoch evaluates, then trains",
        "an ordering choice (the first printed test "
        "accuracy is the untrained model's); reference.programs.sentiment trains, then evaluates",
        line=30,
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
        "1.3: computing the gradient in full, or with randomized truncation",
        "no source program does "
        "either; full backpropagation is what an undetached chain of minibatches computes "
        "(rnn.autograd.detach-cuts-graph shows the chain)",
        line=55,
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
    note(S003, "4.3: try_gpu(i)", "device selection; every device-dependent claim runs on cpu and on cuda", line=416),
    note(
        S003,
        "4.3: num_epochs, lr = 5000, 0.5",
        "benchmarks/programs.py trains at d2l's 500 epochs and lr 1, the "
        "settings whose published perplexities it compares with; 003 prints no figure for its own",
        line=450,
    ),
    note(
        S003,
        "4.3: for epoch in range(num_epoches)",
        "a typo for num_epochs (a NameError as written); reference.programs.char_lm takes --epochs",
        line=485,
    ),
    note(
        S003,
        "4.3: the fourth choice, nn.LSTM with num_layers=32",
        "not benchmarked: 32 layers for 500 epochs is "
        "beyond the CPU budget; the 2-layer LSTM is (docs/programs/char_lm.md)",
        line=449,
    ),
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
        "not benchmarked (see num_layers=32 above)",
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
    note(
        S004,
        "data_iter_consecutive: indices held as float32 and turned back with y.long()",
        "exact, as float32 "
        "holds every integer below 2^24 and the vocabulary has 1027 entries; "
        "reference.programs.sampling keeps integers",
        line=56,
    ),
    note(
        S004,
        "model = RNNModel(lstm_layer), without vocab_size",
        "a typo (a TypeError as written); reference.programs.lyrics passes the vocabulary size",
        line=93,
    ),
    note(S004, "train_and_predict_rnn_pytorch: a report every pred_period epochs", "a choice of the loop", line=136),
)
