"""The worked examples of the source documents, run as written (sizes, calls) and checked.

Each example's printed shapes are derived from the documented shape rules, not copied; where a source
also prints values, the relation between them (e.g. the last output row equals the last layer's h_n)
is what is checked, since the printed numbers came from an unseeded run.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.tolerances import assert_close

S000 = "000_0803d243ad727e4b.txt"
S001 = "001_aeb7a07ab65f879f.txt"
S002 = "002_10f18caa03c370d0.txt"


def seeded(device, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(7)).to(device)


@claim(
    id="rnn.shape.example-rnn-100-20",
    statement=(
        "nn.RNN(100, 20) over x [10, 3, 100] with h0 = zeros(1, 3, 20) returns out [10, 3, 20] and h [1, 3, 20]; "
        "with num_layers=4 and h0 = zeros(4, 3, 20) out is still [10, 3, 20] and h is [4, 3, 20]."
    ),
    kind="shape",
    modules=("RNN",),
    sources=(Seed(S000, "the nn.RNN(input_size=100, hidden_size=20) example and its num_layers=4 variant", line=22),),
)
@pytest.mark.parametrize("layers", [1, 4])
def test_rnn_100_20(layers, device):
    rnn = nn.RNN(input_size=100, hidden_size=20, num_layers=layers).to(device)
    out, h = rnn(seeded(device, 10, 3, 100), torch.zeros(layers, 3, 20, device=device))
    assert (tuple(out.shape), tuple(h.shape)) == ((10, 3, 20), (layers, 3, 20))


@claim(
    id="cells.shape.example-cell-loops",
    statement=(
        "Stepping RNNCell(100, 20) over the 10 steps of x [10, 3, 100] leaves h [3, 20], and so does "
        "RNNCell(100, 30) feeding RNNCell(30, 20); likewise LSTMCell(100, 20), given its state as a list "
        "[h, c], and LSTMCell(100, 30) feeding LSTMCell(30, 20) leave h and c [3, 20]."
    ),
    kind="shape",
    modules=("RNNCell", "LSTMCell"),
    sources=(
        Seed(S000, "'rnn by cell': one RNNCell, then RNNCell(100, 30) and RNNCell(30, 20)", line=26),
        Seed(S000, "'one layer lstm' and 'two layer lstm': LSTMCell loops with [h, c] lists", line=27),
    ),
)
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell"])
@pytest.mark.parametrize("widths", [(20,), (30, 20)], ids=["one-cell", "two-cells"])
def test_cell_loops(kind, widths, device):
    sizes = (100,) + widths
    cells = [getattr(nn, kind)(i, o).to(device) for i, o in zip(sizes, sizes[1:])]
    states = [
        [torch.zeros(3, w, device=device), torch.zeros(3, w, device=device)]
        if kind == "LSTMCell"
        else torch.zeros(3, w, device=device)
        for w in widths
    ]
    for xt in seeded(device, 10, 3, 100):
        inp = xt
        for k, cell in enumerate(cells):
            states[k] = cell(inp, states[k])
            inp = states[k][0] if kind == "LSTMCell" else states[k]
    top = states[-1] if kind == "LSTMCell" else (states[-1],)
    assert [tuple(t.shape) for t in top] == [(3, 20)] * len(top)


@claim(
    id="lstm.shape.example-lstm-100-20-4",
    statement="nn.LSTM(100, 20, num_layers=4) over x [10, 3, 100] returns out [10, 3, 20] and h, c both [4, 3, 20].",
    kind="shape",
    modules=("LSTM",),
    sources=(Seed(S000, "the nn.LSTM(input_size=100, hidden_size=20, num_layers=4) example", line=26),),
)
def test_lstm_100_20_4(device):
    out, (h, c) = nn.LSTM(input_size=100, hidden_size=20, num_layers=4).to(device)(seeded(device, 10, 3, 100))
    assert [tuple(t.shape) for t in (out, h, c)] == [(10, 3, 20), (4, 3, 20), (4, 3, 20)]


@claim(
    id="lstm.semantics.example-imdb-bilstm-head",
    statement=(
        "In the IMDB classifier's LSTM(100, 256, num_layers=2, bidirectional=True, dropout=0.5), output is "
        "[seq, b, 512], h and c are [4, b, 256], and cat(h[-2], h[-1]) is [b, 512]: the last layer's forward "
        "state at the last step beside its backward state at the first step."
    ),
    kind="semantics",
    modules=("LSTM",),
    sources=(Seed(S000, "IMDB sentiment model: forward() comments and torch.cat([hidden[-2], hidden[-1]])", line=30),),
)
def test_imdb_bilstm_head(device):
    lstm = nn.LSTM(100, 256, num_layers=2, bidirectional=True, dropout=0.5).to(device).eval()
    with torch.no_grad():
        output, (h, c) = lstm(seeded(device, 7, 5, 100))
    assert [tuple(t.shape) for t in (output, h, c)] == [(7, 5, 512), (4, 5, 256), (4, 5, 256)]
    head = torch.cat([h[-2], h[-1]], dim=1)
    assert tuple(head.shape) == (5, 512)
    assert torch.equal(head, torch.cat([output[-1, :, :256], output[0, :, 256:]], dim=1))


@claim(
    id="rnn.semantics.example-rnn-4-2",
    statement=(
        "nn.RNN(4, 2) over a [3, 1, 4] sequence with zeros(1, 1, 2) returns out [3, 1, 2] and hidden "
        "[1, 1, 2], and the last row of out is hidden."
    ),
    kind="semantics",
    modules=("RNN",),
    sources=(
        Seed(S001, "2. RNN: the RNN(input_size=4, hidden_size=2) example and its printed out and hidden", line=64),
    ),
)
def test_rnn_4_2(device):
    rnn = nn.RNN(input_size=4, hidden_size=2).to(device)
    out, hidden = rnn(seeded(device, 3, 1, 4), torch.zeros(1, 1, 2, device=device))
    assert (tuple(out.shape), tuple(hidden.shape)) == ((3, 1, 2), (1, 1, 2))
    assert torch.equal(out[-1], hidden[0])


@claim(
    id="lstm.semantics.example-lstm-1-5-2",
    statement=(
        "nn.LSTM(1, 5, 2, batch_first=True) takes input_size 1, hidden_size 5 and 2 layers: over rand(2, 3, 1) "
        "it returns out [2, 3, 5] and h, c [2, 2, 5], and out[:, -1] equals the last layer's h, h[0][-1]."
    ),
    kind="semantics",
    modules=("LSTM",),
    sources=(Seed(S002, "the LSTM(1, 5, 2, batch_first=True) example and its printed out and h", line=38),),
    erratum=Erratum(
        S002,
        "the sentence introducing LSTM(1, 5, 2)",
        "(1, 5, 2) is read as one data point per batch, 5 features per data point and two hidden layers",
        line=35,
    ),
)
def test_lstm_1_5_2(device):
    lstm = nn.LSTM(1, 5, 2, batch_first=True).to(device)
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers) == (1, 5, 2)
    out, (h, c) = lstm(torch.rand(2, 3, 1, generator=torch.Generator().manual_seed(3)).to(device))
    assert [tuple(t.shape) for t in (out, h, c)] == [(2, 3, 5), (2, 2, 5), (2, 2, 5)]
    assert_close(out[:, -1], h[-1], "out[:, -1] against h[-1]")


def grad_fn_names(mode: str) -> tuple:
    """(h_n's grad_fn name for the 002 example run on CPU, RNNCell's output grad_fn name)."""
    _, state = getattr(nn, mode)(1, 5, 2, batch_first=True)(torch.rand(2, 3, 1))
    h = state[0] if isinstance(state, tuple) else state
    return type(h.grad_fn).__name__, type(nn.RNNCell(4, 2)(torch.randn(1, 4)).grad_fn).__name__


@claim(
    id="rnn.autograd.grad-fn-names",
    statement=(
        "On CPU, h_n of nn.RNN/LSTM/GRU has grad_fn StackBackward0 and RNNCell's (tanh) output TanhBackward0; "
        "since torch 1.10 autograd node names carry a numeric suffix."
    ),
    kind="autograd",
    modules=("RNN", "LSTM", "GRU", "RNNCell"),
    sources=(
        Seed(S001, "the printed RNNCell output (TanhBackward0) and nn.RNN out/hidden (StackBackward0)", line=44),
        Seed(S002, "the printed h and c of the LSTM example (StackBackward)", line=115),
    ),
    torch=">=1.10",
)
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_grad_fn_names(mode):
    assert grad_fn_names(mode) == ("StackBackward0", "TanhBackward0")


@claim(
    id="rnn.autograd.grad-fn-names-before-1-10",
    statement="Before torch 1.10 the same nodes print without a suffix: StackBackward and TanhBackward.",
    kind="autograd",
    modules=("RNN", "LSTM", "GRU", "RNNCell"),
    sources=(Seed(S002, "the printed h and c of the LSTM example (StackBackward)", line=115),),
    torch="<1.10",
)
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_grad_fn_names_before_1_10(mode):
    assert grad_fn_names(mode) == ("StackBackward", "TanhBackward")


@claim(
    id="rnn.shape.example-batch-first-layout",
    statement=(
        "Under batch_first=True the LSTM(1, 5, 2) example's out is (batch, seq_len, num_directions*hidden_size) "
        "while h is (num_layers*num_directions, batch, hidden_size)."
    ),
    kind="shape",
    modules=("LSTM",),
    sources=(
        Seed(S002, "the shape breakdown after the example", line=140),
        TorchDoc("torch.nn.LSTM", "batch_first"),
    ),
    erratum=Erratum(
        S002,
        "the closing note on internal layout",
        "inside the RNN the tensor layout is (input_size, batch, hidden_size); it is (seq_len, batch, features)",
        line=145,
    ),
)
def test_batch_first_layout(device):
    lstm = nn.LSTM(1, 5, 2, batch_first=True).to(device)
    seq_first = nn.LSTM(1, 5, 2).to(device)
    seq_first.load_state_dict(lstm.state_dict())
    xb = torch.rand(2, 3, 1, generator=torch.Generator().manual_seed(3)).to(device)
    with torch.no_grad():
        out_b, (h_b, _) = lstm(xb)
        out_s, (h_s, _) = seq_first(xb.transpose(0, 1))  # the same data laid out (seq_len, batch, input_size)
    assert tuple(out_b.shape) == (2, 3, 5) and tuple(h_b.shape) == (2, 2, 5)
    assert_close(out_b, out_s.transpose(0, 1), "batch_first output is the seq-first output transposed")
    assert_close(h_b, h_s, "h_n is the same tensor either way")
