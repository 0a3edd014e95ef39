"""Shapes: what nn.RNN / nn.LSTM / nn.GRU, their cells and packed sequences return, for every layout."""

from __future__ import annotations

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from spec.helpers.modules import build_cell, cell_state, fixed_randn, map_state, run, step
from spec.helpers.strategies import (
    CELL_NAMES,
    CELLS,
    LAYERS,
    Config,
    batched,
    cell_configs,
    configs,
    describe,
    lengths_lists,
    state_shapes,
)
from spec.helpers.tolerances import assert_close
from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S001, S002, S003, S004

OUTPUTS_DOC = tuple(TorchDoc(f"torch.nn.{m}", "Outputs") for m in LAYERS)


def expected_states(cfg: Config) -> tuple:
    """h_n is [L*D, N, H_out]; an LSTM also returns c_n, [L*D, N, H] (never projected)."""
    h = cfg.state_shape()
    return (h, cfg.state_shape(cfg.hidden_size)) if cfg.mode == "LSTM" else (h,)


@claim(
    id="rnn.shape.output-seq-first",
    statement=(
        "By default the output is [seq, batch, D*H_out] and h_n is [num_layers*D, batch, H_out], "
        "where D is 2 when bidirectional and H_out is proj_size when set, else hidden_size."
    ),
    modules=LAYERS,
    sources=OUTPUTS_DOC
    + (
        Seed(S000, "the x, h0/ht and out shape list under 'nn.RNN(input dim, hidden dim)'", line=16),
        Seed(
            S002,
            "the out.shape / hidden.shape breakdown after the LSTM(1, 5, 2) example",
            line=140,
        ),
    ),
    erratum=Erratum(
        S000,
        "the x, h0/ht and out shape list",
        "h0/ht is [num layers, b, h-dim] and out is [seq len, b, h-dim], with no factor for directions",
        line=17,
    ),
)
@given(cfg=configs(batch_first=st.just(False), batch=batched))
@example(cfg=Config("LSTM", input_size=1, hidden_size=3, num_layers=3, bidirectional=True, proj_size=2, batch=1, seq=1))
@example(cfg=Config("GRU", input_size=6, hidden_size=1, num_layers=1, bias=False, batch=4, seq=5))
def test_output_seq_first(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.seq, cfg.batch, cfg.dirs * cfg.out_size)
    assert state_shapes(h)[0] == (cfg.num_layers * cfg.dirs, cfg.batch, cfg.out_size)


@claim(
    id="rnn.shape.hn-batch-second",
    statement=(
        "batch_first=True makes input and output [batch, seq, ...] but leaves h_n (and c_n) "
        "as [num_layers*D, batch, H]."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "batch_first") for m in LAYERS)
    + (Seed(S002, "the closing note that the hidden state keeps batch in dim 1", line=145),),
    erratum=Erratum(
        S002,
        "the sentence before the LSTM(1, 5, 2) example",
        "under batch_first=True the current hidden state is (batch, seq_len, num_directions*hidden_size) "
        "and the previous one (batch, num_layers*num_directions, hidden_size)",
        line=35,
    ),
)
@given(cfg=configs(batch_first=st.just(True), batch=batched))
def test_hn_batch_second(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.batch, cfg.seq, cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)


@claim(
    id="lstm.shape.state-pair",
    statement=(
        "LSTM returns its state as a pair (h_n, c_n): h_n is [num_layers*D, batch, H_out] and c_n is "
        "[num_layers*D, batch, hidden_size], also when proj_size narrows h."
    ),
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Outputs: output, (h_n, c_n)"),
        TorchDoc("torch.nn.LSTM", "proj_size"),
        Seed(S000, "the 4-layer nn.LSTM example unpacking out, (h, c)", line=26),
        Seed(S004, "LSTM introduction: a memory cell shaped like the hidden state", line=9),
    ),
    erratum=Erratum(
        S003,
        "4.2: the comment in RNNmodel.begin_state",
        "nn.LSTM's hidden state is a dict; it is a tuple (h, c)",
        line=404,
    ),
)
@given(cfg=configs(modes=st.just("LSTM"), batch=batched))
def test_lstm_state_pair(cfg, device):
    _, state = run(cfg, device)
    assert isinstance(state, tuple) and len(state) == 2
    assert state_shapes(state) == expected_states(cfg)


@claim(
    id="rnn.shape.unbatched",
    statement=(
        "A 2-D input [seq, input_size] is one unbatched sequence: output is [seq, D*H_out], "
        "h_n is [num_layers*D, H_out], and batch_first is ignored: the shapes the same sequence gets as a "
        "batch of one, less the batch dimension."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: input (unbatched)") for m in LAYERS),
    torch=">=1.11",
)
@given(cfg=configs(batch=st.none()))
def test_unbatched(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.seq, cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)
    one = cfg.with_(batch=1)
    out1, h1 = run(one, device)
    assert tuple(out1.shape) == one.input_shape()[:2] + (cfg.dirs * cfg.out_size,)
    assert state_shapes(h1) == expected_states(one)


@claim(
    id="rnn.shape.empty-batch",
    statement="A batch of zero sequences is accepted: output is [seq, 0, D*H_out] and h_n [num_layers*D, 0, H_out].",
    modules=LAYERS,
    sources=OUTPUTS_DOC,
)
@given(cfg=configs(batch=st.just(0), batch_first=st.just(False)))
def test_empty_batch(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.seq, 0, cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)


@claim(
    id="packed.shape.output",
    statement=(
        "Given a PackedSequence, a module returns a PackedSequence with the same batch_sizes and data "
        "[sum(lengths), D*H_out]; h_n and c_n keep their batched shapes."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Outputs: output (packed sequence)") for m in LAYERS),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)), lengths=lengths_lists)
def test_packed_shapes(cfg, lengths, device):
    cfg = cfg.with_(batch=len(lengths), seq=max(lengths))
    describe(cfg, device)
    packed = pack_padded_sequence(cfg.input(device), torch.tensor(lengths), enforce_sorted=False)
    with torch.no_grad():
        out, h = cfg.build(device)(packed)
    assert isinstance(out, PackedSequence)
    assert torch.equal(out.batch_sizes, packed.batch_sizes)
    assert tuple(out.data.shape) == (sum(lengths), cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)


@claim(
    id="cells.shape.batched",
    statement=(
        "A cell maps input [batch, input_size] and state [batch, hidden_size] to [batch, hidden_size] "
        "(LSTMCell: a pair (h', c'), both [batch, hidden_size])."
    ),
    modules=CELL_NAMES,
    sources=tuple(TorchDoc(f"torch.nn.{c}", "Inputs / Outputs") for c in CELL_NAMES)
    + (
        Seed(S001, "RNNCell(4, 2) over a [3, 1, 4] dataset: each step's output is [1, 2]", line=15),
        Seed(S000, "'one layer lstm': h and c both [3, 20] after the loop", line=27),
    ),
)
@given(cfg=cell_configs)
def test_cell_shapes(cfg, device):
    cell = build_cell(cfg, device)
    with torch.no_grad():
        got = step(cell, cfg.input(device)[0], cell_state(cfg, device))
    shapes = [tuple(t.shape) for t in (got if isinstance(got, tuple) else (got,))]
    assert shapes == [(cfg.batch, cfg.hidden_size)] * (2 if cfg.mode == "LSTM" else 1)


@claim(
    id="cells.shape.unbatched",
    statement="A cell also takes one unbatched example: input [input_size] and state [hidden_size] give [hidden_size].",
    modules=CELL_NAMES,
    sources=tuple(TorchDoc(f"torch.nn.{c}", "Inputs: input (unbatched)") for c in CELL_NAMES),
    torch=">=1.11",
)
@pytest.mark.parametrize("mode", sorted(CELLS))
def test_cell_unbatched(mode, device):
    cfg = Config(mode=mode, batch=None)
    cell = build_cell(cfg, device)
    x, state = cfg.input(device)[0], cell_state(cfg, device)
    with torch.no_grad():
        got = step(cell, x, state)
        batched = step(cell, x.unsqueeze(0), map_state(lambda s: s.unsqueeze(0), state))
    assert {tuple(g.shape) for g in (got if mode == "LSTM" else (got,))} == {(cfg.hidden_size,)}
    assert_close(got, map_state(lambda b: b[0], batched), mode)


@claim(
    id="rnn.shape.example-rnn-100-20",
    statement=(
        "nn.RNN(100, 20) over x [10, 3, 100] with h0 = zeros(1, 3, 20) returns out [10, 3, 20] and h [1, 3, 20]; "
        "with num_layers=4 and h0 = zeros(4, 3, 20) out is still [10, 3, 20] and h is [4, 3, 20]."
    ),
    modules=("RNN",),
    sources=(Seed(S000, "the nn.RNN(input_size=100, hidden_size=20) example and its num_layers=4 variant", line=22),),
)
@pytest.mark.parametrize("layers", [1, 4])
def test_rnn_100_20(layers, device):
    rnn = nn.RNN(input_size=100, hidden_size=20, num_layers=layers).to(device)
    out, h = rnn(fixed_randn(device, 10, 3, 100, seed=7), torch.zeros(layers, 3, 20, device=device))
    assert (tuple(out.shape), tuple(h.shape)) == ((10, 3, 20), (layers, 3, 20))


@claim(
    id="cells.shape.example-cell-loops",
    statement=(
        "Stepping RNNCell(100, 20) over the 10 steps of x [10, 3, 100] leaves h [3, 20], and so does "
        "RNNCell(100, 30) feeding RNNCell(30, 20); likewise LSTMCell(100, 20), given its state as a list "
        "[h, c], and LSTMCell(100, 30) feeding LSTMCell(30, 20) leave h and c [3, 20]."
    ),
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
    for xt in fixed_randn(device, 10, 3, 100, seed=7):
        inp = xt
        for k, cell in enumerate(cells):
            states[k] = cell(inp, states[k])
            inp = states[k][0] if kind == "LSTMCell" else states[k]
    top = states[-1] if kind == "LSTMCell" else (states[-1],)
    assert [tuple(t.shape) for t in top] == [(3, 20)] * len(top)


@claim(
    id="lstm.shape.example-lstm-100-20-4",
    statement="nn.LSTM(100, 20, num_layers=4) over x [10, 3, 100] returns out [10, 3, 20] and h, c both [4, 3, 20].",
    modules=("LSTM",),
    sources=(Seed(S000, "the nn.LSTM(input_size=100, hidden_size=20, num_layers=4) example", line=26),),
)
def test_lstm_100_20_4(device):
    out, (h, c) = nn.LSTM(input_size=100, hidden_size=20, num_layers=4).to(device)(
        fixed_randn(device, 10, 3, 100, seed=7)
    )
    assert [tuple(t.shape) for t in (out, h, c)] == [(10, 3, 20), (4, 3, 20), (4, 3, 20)]


@claim(
    id="rnn.shape.example-batch-first-layout",
    statement=(
        "Under batch_first=True the LSTM(1, 5, 2) example's out is (batch, seq_len, num_directions*hidden_size) "
        "while h is (num_layers*num_directions, batch, hidden_size)."
    ),
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


@claim(
    id="packed.shape.cuda-batch-sizes-on-cpu",
    statement=(
        "A PackedSequence of cuda data keeps batch_sizes on the cpu as int64, while sorted_indices and "
        "unsorted_indices follow the data onto cuda."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.PackedSequence", "batch_sizes"),),
    devices=("cuda",),
)
def test_cuda_batch_sizes_on_cpu(device):
    packed = pack_padded_sequence(fixed_randn(device, 4, 3, 2), torch.tensor([2, 4, 1]), enforce_sorted=False)
    assert packed.data.device.type == "cuda"
    assert (packed.batch_sizes.device.type, packed.batch_sizes.dtype) == ("cpu", torch.int64)
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1]  # lengths 4, 2, 1 by hand
    for indices in (packed.sorted_indices, packed.unsorted_indices):
        assert (indices.device.type, indices.dtype) == ("cuda", torch.int64)
    assert packed.sorted_indices.tolist() == [1, 0, 2]


# --- issue 17: what a PackedSequence's tensors are ---


@claim(
    id="packed.shape.index-tensors",
    statement=(
        "A PackedSequence's data keeps the input's device and dtype (integers included), its sorted_indices and "
        "unsorted_indices are int64 on data's device, and batch_sizes is an int64 tensor on the CPU."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note: devices and dtypes of data and the indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes"),
    ),
)
@pytest.mark.parametrize("dtype", (torch.float32, torch.float64, torch.int64), ids=str)
def test_packed_index_tensors(dtype, device):
    from torch.nn.utils.rnn import pack_padded_sequence

    x = torch.arange(12, device=device).reshape(4, 3).to(dtype)
    packed = pack_padded_sequence(x, torch.tensor([2, 4, 3]), enforce_sorted=False)
    assert (packed.data.device.type, packed.data.dtype) == (device, dtype)
    for idx in (packed.sorted_indices, packed.unsorted_indices):
        assert (idx.device.type, idx.dtype) == (device, torch.int64)
    assert (packed.batch_sizes.device.type, packed.batch_sizes.dtype) == ("cpu", torch.int64)
