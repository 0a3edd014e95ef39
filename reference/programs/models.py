"""The sources' models, shape-checked: hello -> ohlol (001), the character language model (003, 004)
and the IMDB bidirectional-LSTM classifier (000)."""

from __future__ import annotations

import collections
from typing import Any, Optional

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence

from reference.common.shapecheck import Float, Int, Tensor, checked

# --- hello -> ohlol (001) ----------------------------------------------------------------------------------

HELLO_CHARS = ("e", "h", "l", "o")  # 001's idx2char
HELLO_X = (1, 0, 2, 2, 3)  # h e l l o
HELLO_Y = (3, 1, 2, 3, 2)  # o h l o l


def hello_data():
    """(inputs [5, 1, 4] one-hot, labels [5]) for 'hello' -> 'ohlol'."""
    inputs = F.one_hot(torch.tensor(HELLO_X), num_classes=4).float().view(-1, 1, 4)
    return inputs, torch.tensor(HELLO_Y)


class HelloCell(nn.Module):
    """001's first model: one RNNCell(4, 4) stepped by hand; its hidden state is the 4 logits."""

    def __init__(self, input_size: int = 4, hidden_size: int = 4, batch_size: int = 1):
        super().__init__()
        self.batch_size, self.hidden_size = batch_size, hidden_size
        self.rnncell = nn.RNNCell(input_size, hidden_size)

    def forward(self, x: Tensor, hidden: Tensor) -> Tensor:
        return self.rnncell(x, hidden)

    def init_hidden(self) -> Tensor:
        return torch.zeros(self.batch_size, self.hidden_size, device=self.rnncell.weight_ih.device)


class HelloRNN(nn.Module):
    """001's second model: nn.RNN(4, 4) over the whole word, outputs viewed as [seq*batch, hidden]."""

    def __init__(self, input_size: int = 4, hidden_size: int = 4, batch_size: int = 1, num_layers: int = 1):
        super().__init__()
        self.batch_size, self.hidden_size, self.num_layers = batch_size, hidden_size, num_layers
        self.rnn = nn.RNN(input_size, hidden_size, num_layers=num_layers)

    @checked
    def forward(self, x: Float[Tensor, "seq batch input"]) -> Float[Tensor, "seq*batch hidden"]:
        h0 = torch.zeros(self.num_layers, x.shape[1], self.hidden_size, device=x.device)
        out, _ = self.rnn(x, h0)
        return out.reshape(-1, self.hidden_size)


# --- the character language model (003, 004) ------------------------------------------------------------


class LanguageModel(nn.Module):
    """A recurrent layer between a one-hot (or embedding) input and a linear head over reshape(-1, D*H)."""

    def __init__(self, rnn: nn.Module, vocab_size: int, embedding_dim: Optional[int] = None):
        super().__init__()
        self.rnn, self.vocab_size = rnn, vocab_size
        self.dirs = 2 if rnn.bidirectional else 1
        self.out_size = getattr(rnn, "proj_size", 0) or rnn.hidden_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim) if embedding_dim else None
        self.linear = nn.Linear(self.dirs * self.out_size, vocab_size)

    @checked
    def forward(
        self, inputs: Int[Tensor, "batch steps"], state: Any = None
    ) -> tuple[Float[Tensor, "steps*batch {self.vocab_size}"], Any]:
        """Logits [steps*batch, vocab], rows step-major, and the new state (one shape check per call)."""
        x = inputs.T  # [steps, batch]: the layer is seq-first
        x = self.embedding(x) if self.embedding is not None else F.one_hot(x, self.vocab_size).float()
        y, state = self.rnn(x, state)
        return self.linear(y.reshape(-1, y.shape[-1])), state

    def begin_state(self, batch_size: int, device="cpu"):
        rows = self.dirs * self.rnn.num_layers
        h = torch.zeros(rows, batch_size, self.out_size, device=device)
        if isinstance(self.rnn, nn.LSTM):
            return h, torch.zeros(rows, batch_size, self.rnn.hidden_size, device=device)
        return h


def make_layer(kind: str, vocab_size: int, hidden: int, layers: int = 1, embedding_dim: Optional[int] = None):
    """rnn | gru | lstm, input width the vocabulary (one-hot) or the embedding."""
    cls = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind]
    return cls(embedding_dim or vocab_size, hidden, num_layers=layers)


# --- IMDB sentiment (000) ------------------------------------------------------------------------------------


class SentimentClassifier(nn.Module):
    """Embedding(vocab, 100) -> 2-layer bidirectional LSTM(256, dropout 0.5) -> cat(h_n[-2], h_n[-1])
    -> dropout -> Linear(512, 1): one logit per review."""

    def __init__(self, vocab_size: int, embedding_dim: int = 100, hidden: int = 256, dropout: float = 0.5):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = nn.LSTM(embedding_dim, hidden, num_layers=2, bidirectional=True, dropout=dropout)
        self.dropout = nn.Dropout(dropout)
        self.fc = nn.Linear(2 * hidden, 1)

    @checked
    def forward(
        self, x: Int[Tensor, "seq batch"], lengths: Optional[Int[Tensor, " batch"]] = None
    ) -> Float[Tensor, "batch 1"]:
        embedded = self.dropout(self.embedding(x))
        if lengths is not None:  # packed: each review stops at its own length
            embedded = pack_padded_sequence(embedded, lengths.cpu(), enforce_sorted=False)
        _, (h, _) = self.rnn(embedded)
        return self.fc(self.dropout(torch.cat([h[-2], h[-1]], dim=1)))

    def load_vectors(self, path, vocab) -> int:
        """000's pretrained embedding: the row of each vocabulary word found in a GloVe-format text file (token
        v1 v2 ...) becomes its vector and every other row, <unk> and <pad> included, zero (torchtext gives a
        word the file lacks its default unk_init, zeros); returns how many words were found. A line of another
        width is skipped. A line of the embedding's width that is not a token and numbers (every vocabulary
        word's line and the first of that width are read), a file that is not UTF-8, and a file that gives no
        vocabulary word a vector (empty, of another width, or of other words) raise ValueError saying which,
        and leave the embedding as it was."""
        dim, rows, widths, checked_one = self.embedding.embedding_dim, {}, collections.Counter(), False
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                token, *values = line.rstrip().split(" ")
                widths[len(values)] += 1
                if len(values) != dim:
                    continue
                idx = vocab.token_to_idx.get(token)
                if idx is not None or not checked_one:
                    try:
                        vector = torch.tensor([float(v) for v in values])
                    except ValueError as e:
                        raise ValueError(f"line {number}: not a token and numbers ({e})") from None
                    checked_one = True
                    if idx is not None:
                        rows[idx] = vector
        if not rows:
            if not widths:
                raise ValueError("no vectors in the file (it is empty)")
            if not widths[dim]:
                common = widths.most_common(1)[0][0]
                raise ValueError(
                    f"no line has {dim} numbers, the embedding's width: its vectors have {common} "
                    f"(--embedding {common} to use them)"
                )
            raise ValueError(f"none of the {len(vocab)} vocabulary words has a vector in the file")
        with torch.no_grad():
            self.embedding.weight.zero_()
            for idx, vector in rows.items():
                self.embedding.weight[idx] = vector
        return len(rows)
