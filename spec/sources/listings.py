"""Every code listing of the five source documents: where it is, what the text says it does, what it does when
run (replayed as the source calls it in ``reference/programs/listings/``), and the verdict.

A listing's verdict is exactly one of:

- ``claims``: it does what the text says; these claim IDs check it (the replay's own claims are the
  ``listings.*`` family, beside the claims about torch and about our rewrites);
- ``erratum``: it does not; these claim IDs carry an :class:`~spec.registry.Erratum` on a line of the listing
  and assert what holds;
- ``reason``: not checked by a claim, and why (the listing cannot run here, or what it does is not about
  torch's recurrent layers or the programs' behaviour).

``undefined`` names what a listing uses that the document never defines (so it cannot run as printed);
``tests/test_listings.py`` checks each of those against the document's text, and the table itself (known files,
lines inside them, claim IDs that exist, errata on the listing's lines, no statement also in
``spec/sources/unclaimed.py``). ``spec.tools.docs`` renders :func:`rows` into ``docs/sources.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Tuple

from spec.sources.seeds import S000, S001, S002, S003, S004


@dataclass(frozen=True)
class Listing:
    file: str
    first: int  # 1-based lines of the file under ../shared/seeds, inclusive
    last: int
    what: str  # the part of the listing, as a reader would find it
    says: str  # what the text (comments, printed output, prose) says it does
    does: str  # what it does when run, as replayed
    claims: Tuple[str, ...] = ()
    erratum: Tuple[str, ...] = ()
    reason: str = ""
    undefined: Tuple[str, ...] = ()
    replay: str = ""  # where the replay is (module:function), "" when it cannot run here

    @property
    def verdict(self) -> str:
        return "claims" if self.claims else "erratum" if self.erratum else "reason" if self.reason else ""


L = Listing
R000, R001, R002, R003, R004 = (f"reference.programs.listings.s00{i}" for i in range(5))

LISTINGS = (
    # --- 000 ------------------------------------------------------------------------------------------------
    L(
        S000,
        22,
        24,
        "main(): nn.RNN(100, 20) over x [10, 3, 100] from a zero [1, 3, 20] state",
        "prints RNN(100, 20), then out [10, 3, 20] (every step's state) and h [1, 3, 20] (the last)",
        "as said: repr RNN(100, 20), out [10, 3, 20], h [1, 3, 20]",
        claims=("listings.shape.s000-main", "rnn.shape.example-rnn-100-20", "rnn.repr.non-default-args"),
        replay=f"{R000}:shapes_main",
    ),
    L(
        S000,
        25,
        26,
        "main(): the same with num_layers=4 and a [4, 3, 20] state",
        "prints RNN(100, 20, num_layers=4), out [10, 3, 20], h [4, 3, 20]",
        "as said",
        claims=("listings.shape.s000-main", "rnn.shape.example-rnn-100-20"),
        replay=f"{R000}:shapes_main",
    ),
    L(
        S000,
        26,
        26,
        "main(): 'rnn by cell', one RNNCell(100, 20), then RNNCell(100, 30) feeding RNNCell(30, 20)",
        "a cell is stepped by hand over x; both loops end with a [3, 20] state",
        "as said; iterating x yields its 10 steps of [3, 100]",
        claims=(
            "listings.shape.s000-main",
            "cells.shape.example-cell-loops",
            "cells.semantics.stacked-equal-multilayer",
        ),
        replay=f"{R000}:shapes_main",
    ),
    L(
        S000,
        26,
        27,
        "main(): nn.LSTM(100, 20, num_layers=4) called without a state",
        "prints out [10, 3, 20], h and c [4, 3, 20]",
        "as said; the state starts at zeros",
        claims=("listings.shape.s000-main", "lstm.shape.example-lstm-100-20-4", "lstm.shape.state-pair"),
        replay=f"{R000}:shapes_main",
    ),
    L(
        S000,
        27,
        28,
        "main(): LSTMCell(100, 20) with the state passed as a list [h, c]; then two LSTMCells",
        "h and c [3, 20] after each loop",
        "as said: a list is accepted where the signature names a tuple",
        claims=("listings.shape.s000-main", "cells.shape.example-cell-loops", "cells.semantics.loop-equals-layer"),
        replay=f"{R000}:shapes_main",
    ),
    L(
        S000,
        30,
        30,
        "IMDB: pip installs, spacy, torchtext's Field / LabelField / IMDB.splits, the printed sizes",
        "loads the reviews, prints the split sizes and review 15 with its label",
        "cannot run on current torchtext: the legacy API was removed in 0.12; the document shows none of the "
        "printed output",
        reason="torchtext's legacy API is not part of torch; the reference reads the reviews itself "
        "(reference.programs.datasets.read_imdb) and prints the sizes it finds",
    ),
    L(
        S000,
        30,
        30,
        "IMDB: torch.manual_seed(123) at the top",
        "makes the run repeatable",
        "seeds torch's generator before the model is built",
        claims=("rnn.parameters.seeded-init",),
    ),
    L(
        S000,
        30,
        30,
        "IMDB: TEXT.build_vocab(max_size=10000, vectors='glove.6B.100d'), then an Embedding of "
        "len(TEXT.vocab) rows and the printed pretrained_embedding shape",
        "rows [0-10001]: the 10,000 most frequent words and two specials",
        "the legacy vocabulary puts <unk> and <pad> before max_size words (ties alphabetical), 10,002 rows; the "
        "vectors printed as [10002, 100]",
        claims=("sentiment.data.embedding-rows", "text.data.vocabulary-order"),
        replay=f"{R000}:legacy_vocab",
    ),
    L(
        S000,
        30,
        30,
        "IMDB: rnn.embedding.weight.data.copy_(TEXT.vocab.vectors)",
        "initialises the embedding with GloVe",
        "each word's row becomes its vector, words GloVe lacks get zeros; "
        "the file itself (glove.6B.100d) cannot be fetched offline, so this is checked on a made-up file",
        claims=("sentiment.training.pretrained-vectors",),
    ),
    L(
        S000,
        30,
        30,
        "IMDB: BucketIterator.splits(batch_size=30, device=torch.device('cuda'))",
        "batches of reviews of similar length on the GPU",
        "padded [seq, b] batches; on a machine without CUDA the hard-coded device fails at rnn.to(device)",
        claims=("sentiment.semantics.packed-versus-padded",),
    ),
    L(
        S000,
        30,
        30,
        "IMDB: class RNN (Embedding 100, LSTM 256 x 2 bidirectional, cat(hidden[-2], hidden[-1]), "
        "Linear(512, 1), dropout 0.5)",
        "one logit per review from the last layer's two final states",
        "as said; our SentimentClassifier builds the same parameters in the same order, so one seed gives both "
        "the same weights and logits",
        claims=(
            "listings.training.s000-classifier",
            "lstm.semantics.example-imdb-bilstm-head",
            "rnn.semantics.output-is-last-layer-states",
        ),
        replay=f"{R000}:Classifier",
    ),
    L(
        S000,
        30,
        30,
        "IMDB: optim.Adam(rnn.parameters()) before rnn.to(device); BCEWithLogitsLoss on squeeze(1)",
        "trains the moved model",
        "as said: to() keeps the Parameter objects the optimizer holds",
        claims=(
            "sentiment.training.optimizer-before-to",
            "sentiment.training.bce-with-logits",
            "sentiment.training.float-labels",
        ),
    ),
    L(
        S000,
        30,
        30,
        "IMDB: binary_acc(preds, y)",
        "the share of rounded sigmoids equal to the labels",
        "as said, rounding half to even",
        claims=("sentiment.training.binary-accuracy",),
        replay=f"{R000}:binary_acc",
    ),
    L(
        S000,
        30,
        30,
        "IMDB: train() and eval(), printing every 10th batch's accuracy and the mean over batches",
        "the epoch's accuracy",
        "the mean of per-batch accuracies, in which a short last batch weighs as much as a "
        "full one; eval() switches dropout off and gradients off",
        claims=("listings.training.s000-classifier", "rnn.semantics.dropout-eval-off"),
        replay=f"{R000}:train",
    ),
    L(
        S000,
        30,
        30,
        "IMDB: for epoch in range(10): eval, then train (on a K80 GPU for 12 hours)",
        "the test accuracy after each epoch (issue 23's statement list: 85-88 %)",
        "the first printed test accuracy is the untrained model's; the document prints no accuracy at all",
        reason="no accuracy is printed in the document, so there is nothing to compare a run with, and 10 "
        "epochs on the 25,000 reviews are {programs/sentiment.json:seconds:,.0f} s on 2 CPU cores; the stored "
        "benchmark run of our rewrite (10 epochs, no GloVe, trains then evaluates) reaches a test accuracy of "
        "{programs/sentiment.json:test_accuracy:.1%}",
        replay=f"{R000}:epochs",
    ),
    # --- 001 ------------------------------------------------------------------------------------------------
    L(
        S001,
        10,
        44,
        "1. RNNCell(4, 2) stepped over a [3, 1, 4] dataset, printing the shapes",
        "input [1, 4], weight_ih [2, 4], bias_ih [2], output [1, 2], weight_hh [2, 2], bias_hh [2]; the output "
        "printed with grad_fn=<TanhBackward0>",
        "as said",
        claims=("listings.shape.s001-shapes", "cells.parameters.names-shapes", "rnn.autograd.grad-fn-names"),
        replay=f"{R001}:cell_shapes",
    ),
    L(
        S001,
        55,
        77,
        "2. nn.RNN(4, 2, num_layers=1) over [3, 1, 4] from a zero [1, 1, 2] state",
        "out [3, 1, 2], hidden [1, 1, 2], both printed with grad_fn=<StackBackward0>, the last out row equal to hidden",
        "as said (on CPU; cuDNN names its own node)",
        claims=("listings.shape.s001-shapes", "rnn.semantics.example-rnn-4-2", "rnn.autograd.output-grad-fn-names"),
        replay=f"{R001}:rnn_shapes",
    ),
    L(
        S001,
        85,
        101,
        "3. the data: idx2char, x_data (hello), y_data (ohlol), a one-hot lookup table turned into "
        "torch.Tensor(...).view(-1, 1, 4), labels LongTensor(...).view(-1, 1)",
        "the word as one-hot vectors, the labels as int64",
        "float32 one-hot rows [5, 1, 4] equal to F.one_hot's, labels [5, 1] int64, each step's label of shape [1]",
        claims=("hello.data.one-hot", "training.training.class-index-targets"),
        replay=f"{R001}:hello_tensors",
    ),
    L(
        S001,
        103,
        159,
        "3. the RNNCell model, Adam lr 0.1, 20 epochs of a summed per-step loss, and the log",
        "learns 'ohlol' (printed from epoch 9), the loss falling from 7.42 to 1.95",
        "our rewrite reproduces it loss for loss; over seeds (benchmarks/listings.py), 'ohlol' first shows at "
        "epoch {listings.json:s001-hello-cell.median_when_reached:d} (the median, where it shows at all), and not "
        "within 20 epochs for {listings.json:s001-hello-cell.never:d} of "
        "{listings.json:s001-hello-cell.seeds:d} seeds",
        claims=(
            "hello.training.listings-replayed",
            "hello.training.printed-logs",
            "hello.training.learns-ohlol",
            "hello.training.hidden-reset-each-epoch",
            "hello.training.tanh-logit-floor",
        ),
        replay=f"{R001}:train_cell",
    ),
    L(
        S001,
        161,
        230,
        "4. the nn.RNN model (outputs viewed as [5, 4]), Adam lr 0.1, 20 epochs of the mean loss",
        "learns 'ohlol' (printed from epoch 4), the loss falling from 1.43 to 0.40",
        "the same run as 3. for the same seed (same initial weights; Adam ignores the loss's scale): the same "
        "predictions, a loss 5 times smaller",
        claims=("hello.training.listings-replayed", "hello.training.printed-logs", "hello.training.learns-ohlol"),
        replay=f"{R001}:train_rnn",
    ),
    # --- 002 ------------------------------------------------------------------------------------------------
    L(
        S002,
        14,
        16,
        "the three constructor signatures",
        "RNN has nonlinearity='tanh'; the rest share "
        "num_layers=1, bias=True, batch_first=False, dropout=0, bidirectional=False",
        "as said (dropout's default is the float 0.0)",
        claims=("rnn.parameters.signature-defaults", "rnn.parameters.nonlinearity-only-rnn"),
        replay=f"{R002}:defaults",
    ),
    L(
        S002,
        32,
        33,
        "rnn = RNN(input_size, hidden_size); output, hidden_current = rnn(input, hidden_previous)",
        "a layer takes the input and the previous state, returns the output and the current state",
        "as said; under batch_first the state stays [layers * directions, batch, hidden]",
        claims=("rnn.state.default-zeros", "rnn.state.chunks-continue"),
    ),
    L(
        S002,
        38,
        121,
        "LSTM(1, 5, 2, batch_first=True) on a = torch.rand(2, 3, 1), printed out and h",
        "out [2, 3, 5] (grad_fn=<TransposeBackward0>), h[0] [2, 2, 5] (StackBackward); out[:, -1] equal to "
        "the last layer's rows of h_n",
        "as said, the names being those before torch 1.10 (StackBackward0 after); 2 and 5 are the layers and the "
        "hidden size, not what the introducing sentence calls them",
        claims=(
            "lstm.semantics.example-lstm-1-5-2",
            "rnn.semantics.output-is-last-layer-states",
            "rnn.autograd.output-grad-fn-names",
            "rnn.autograd.grad-fn-names-before-1-10",
        ),
        replay=f"{R002}:lstm_example",
    ),
    # --- 003 ------------------------------------------------------------------------------------------------
    L(
        S003,
        189,
        199,
        "4.1: imports and the DATA_HUB entry with dataset_sha256",
        "the file's SHA-256",
        "40 hex digits: the file's SHA-1, which download() computes",
        erratum=("text.data.time-machine-counts",),
    ),
    L(
        S003,
        206,
        224,
        "4.1: download()",
        "a cached file is used when its hash matches, else fetched",
        "as said (sha1 over 1 MiB blocks)",
        claims=("text.data.cache-verified",),
        replay=f"{R003}:cached_file",
    ),
    L(
        S003,
        227,
        305,
        "4.1: read_time_machine, tokenize, Vocab, count_corpus, load_corpus_time_machine",
        "character tokens over a frequency-ordered vocabulary, <unk> at 0; the token list printed",
        "28 tokens (<unk>, space, 26 letters), 170,580 characters, 10,000 when max_tokens is",
        claims=("listings.data.s003-pipeline", "text.data.time-machine-counts", "text.data.vocabulary-order"),
        replay=f"{R003}:load_corpus_time_machine",
    ),
    L(
        S003,
        307,
        363,
        "4.1: seq_data_iter_random, seq_data_iter_sequential, SeqDataLoader, load_data_time_machine",
        "random sampling and sequential partitioning from a random offset",
        "as said, drawing from the random module's global generator, a new offset every epoch",
        claims=(
            "listings.data.s003-pipeline",
            "sampling.data.random-offset",
            "sampling.data.minibatches",
            "sampling.data.minibatch-count",
        ),
        replay=f"{R003}:seq_data_iter_random",
    ),
    L(
        S003,
        367,
        372,
        "4.2: rnn_layer = nn.RNN(len(vocab), num_hiddens); state = torch.zeros((1, batch_size, num_hiddens))",
        "the layer and its initial state",
        "a NameError as printed: neither vocab nor batch_size exists yet; the state is never used",
        reason="a listing that cannot run as printed (the names are defined nowhere before it); the replay takes "
        "them from load_data_time_machine, as d2l does",
    ),
    L(
        S003,
        375,
        399,
        "4.2: RNNmodel.__init__ and forward",
        "one-hot of inputs.T into the layer, a linear head over (num_steps * batch, hidden)",
        "as said; the one-hot is cast to float32",
        claims=(
            "listings.training.s003-loop",
            "training.shape.lm-output-rows",
            "training.shape.bidirectional-head",
            "training.shape.time-major-by-transpose",
        ),
        replay=f"{R003}:RNNmodel",
    ),
    L(
        S003,
        400,
        412,
        "4.2: RNNmodel.begin_state",
        "the comment: nn.LSTM's state is a dict",
        "a tuple (h, c) for an LSTM, one tensor otherwise",
        erratum=("lstm.shape.state-pair",),
    ),
    L(
        S003,
        416,
        423,
        "4.3: try_gpu(i), net = RNNmodel(rnn_layer, vocab_size=len(vocab)).to(device)",
        "the i-th GPU if there is one, else the CPU",
        "as said",
        reason="device selection; every device-dependent claim runs on cpu and on cuda",
    ),
    L(
        S003,
        425,
        442,
        "4.3: predict_ch8 and its call on the untrained net",
        "warms up on the prefix, then 10 argmax characters",
        "as said (the untrained net's characters are noise)",
        claims=("training.semantics.predict-greedy",),
        replay=f"{R003}:predict_ch8",
    ),
    L(
        S003,
        446,
        448,
        "4.3: the first three model choices (RNN, GRU, 2-layer LSTM, hidden 256)",
        "any of them can be trained",
        "each trains through the listing's loop",
        claims=("listings.training.s003-loop", "lstm.semantics.example-lstm-1-5-2"),
        replay=f"{R003}:make_net",
    ),
    L(
        S003,
        449,
        449,
        "4.3: the fourth choice, nn.LSTM with num_layers=32",
        "a deep model, not necessarily better (4.5)",
        "benchmarks/listings.py (deep), 30 epochs of 003's own loop at lr 0.5: the 32-layer LSTM ends at perplexity "
        "{listings.json:s003-deep-lstm.perplexity:.2f}, the 2-layer LSTM at {listings.json:s003-lstm.perplexity:.2f}, "
        "against the characters' unigram perplexity of {listings.json:s003-lstm.unigram_perplexity:.2f} (a model "
        "that learnt nothing of order); the RNN reached {listings.json:s003-rnn.perplexity:.2f} and the GRU "
        "{listings.json:s003-gru.perplexity:.2f}",
        reason="the 32-layer LSTM's 30 epochs take {listings.json:s003-deep-lstm.seconds:.0f} s on one CPU core "
        "(the 2-layer's {listings.json:s003-lstm.seconds:.0f} s), beyond a fast claim; the comparison is the "
        "stored benchmark",
        replay=f"{R003}:make_net",
    ),
    L(
        S003,
        450,
        450,
        "4.3: num_epochs, lr = 5000, 0.5",
        "the settings of the runs shown",
        "SGD at lr 0.5 for 5000 epochs",
        reason="5000 epochs are beyond the CPU budget; the listing's loop at "
        "lr 0.5 is listings.training.s003-loop, and benchmarks/programs.py trains at d2l's 500 epochs and lr 1",
    ),
    L(
        S003,
        452,
        479,
        "4.3: the loss, sgd(params, lr, batch_size), the updater, grad_clipping(net, theta)",
        "minibatch SGD (torch's or by hand) and global-norm clipping",
        "as said: torch.optim.SGD is chosen, since "
        "net is a Module; clipping takes a list of the parameters, so both of its passes see them all",
        claims=(
            "training.training.sgd-step",
            "training.training.sgd-divides-by-batch",
            "clip.training.sources-formula",
        ),
        replay=f"{R003}:grad_clipping",
    ),
    L(
        S003,
        485,
        488,
        "4.3: for epoch in range(num_epoches): ... for X, Y in train_iter",
        "the training loop",
        "a NameError as printed: num_epoches is a typo for num_epochs, and train_iter is never defined",
        reason="a listing that cannot run as printed; the replay supplies num_epochs and "
        "train_iter = load_data_time_machine(...)[0]",
        undefined=("num_epoches", "train_iter"),
    ),
    L(
        S003,
        483,
        515,
        "4.3: the training loop and its print",
        "prints the perplexity (困惑度)",
        "a fresh state at each epoch's start, detach_() in place after; the "
        "print shows the last minibatch's mean cross-entropy as a tensor with grad_fn=<MeanBackward0>, not its "
        "exp; our rewrite gives the same losses",
        erratum=("training.training.perplexity",),
        replay=f"{R003}:training_run",
    ),
    # --- 004 ------------------------------------------------------------------------------------------------
    L(
        S004,
        26,
        29,
        "the settings: vocab 1027, hidden 256, num_epochs 160, num_steps 35, batch 32, lr 1e2, clipping_theta 1e-2",
        "Adam (line 95) at lr 1e2",
        "Adam at lr 1e2 drives the loss up; 1e2 and 1e-2 are the settings of the book's from-scratch LSTM "
        "(minibatch SGD), which benchmarks/listings.py (scratch) trains for the 160 epochs: perplexity "
        "{listings.json:s004-scratch-lstm.curve.40:.0f} at epoch 40, {listings.json:s004-scratch-lstm.curve.80:.1f} "
        "at 80, {listings.json:s004-scratch-lstm.curve.120:.1f} at 120 and "
        "{listings.json:s004-scratch-lstm.curve.160:.2f} at 160 (about 4.27 by issue 23's account), in "
        "{listings.json:s004-scratch-lstm.seconds:.0f} s",
        erratum=("lyrics.training.adam-lr",),
    ),
    L(
        S004,
        31,
        36,
        "data preparation: line breaks to spaces, the first 10,000 characters, list(set(...)), "
        "char_to_idx, corpus_indices",
        "1027 distinct characters",
        "1027, numbered in an order that changes with the process's hash seed",
        claims=("text.data.lyrics-vocabulary", "text.data.numbering-stable"),
        replay=f"{R004}:corpus",
    ),
    L(
        S004,
        53,
        65,
        "data_iter_consecutive",
        "adjacent minibatches adjacent in the corpus",
        "as said, 8 minibatches an epoch; X and Y are float32 (exact below 2^24), cast back by y.long()",
        claims=("sampling.data.minibatch-count", "sampling.data.minibatches", "lyrics.training.clipping-generator"),
        replay=f"{R004}:data_iter_consecutive",
    ),
    L(
        S004,
        73,
        91,
        "lstm_layer = nn.LSTM(vocab_size, num_hiddens); class RNNModel",
        "a one-layer LSTM of 256 under a linear layer of 1027",
        "as said, with to_onehot (never defined in the "
        "document) a list of [batch, 1027] float32 tensors stacked into [steps, batch, 1027]",
        claims=("lyrics.shape.model-sizes", "training.shape.bidirectional-head", "training.shape.lm-output-rows"),
        undefined=("to_onehot",),
        replay=f"{R004}:RNNModel",
    ),
    L(
        S004,
        93,
        93,
        "model = RNNModel(lstm_layer)",
        "builds the model",
        "a TypeError: vocab_size is not passed",
        reason="a listing that cannot run as printed; reference.programs.lyrics passes the vocabulary size",
    ),
    L(
        S004,
        97,
        135,
        "train_and_predict_rnn_pytorch",
        "consecutive sampling with the state detached, gradient clipping (梯度裁剪), Adam, the epoch's perplexity",
        "the state carried across epochs; grad_clipping(model.parameters(), ...) walks a generator twice and "
        "never scales a gradient: no clipping happens",
        erratum=("training.state.per-epoch-and-per-sampling", "lyrics.training.clipping-generator"),
        undefined=("grad_clipping", "time", "math"),
        replay=f"{R004}:train_and_predict",
    ),
    L(
        S004,
        136,
        142,
        "a report every pred_period epochs with predict_rnn_pytorch for each prefix",
        "the perplexity and a generated line",
        "as said, once predict_rnn_pytorch is supplied",
        reason="a choice of the loop; greedy generation is training.semantics.predict-greedy",
        undefined=("predict_rnn_pytorch",),
        replay=f"{R004}:predict_rnn_pytorch",
    ),
)


def rows() -> list:
    """One dict per listing, in file and line order: file, lines ("a-b"), what, says, does, verdict, and the
    claim IDs (claims or erratum) or the reason."""
    out = []
    for x in sorted(LISTINGS, key=lambda x: (x.file, x.first, x.last)):
        out.append(
            {
                "file": x.file,
                "lines": f"{x.first}" if x.first == x.last else f"{x.first}-{x.last}",
                "what": x.what,
                "says": x.says,
                "does": x.does,
                "verdict": x.verdict,
                "ids": list(x.claims or x.erratum),
                "reason": x.reason,
                "undefined": list(x.undefined),
                "replay": x.replay,
            }
        )
    return out
