"""Semantics: what the layers and cells compute, against the from-scratch reference, the equations and ONNX."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import given, note
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence

from reference.oracle import cells as ref
from reference.oracle.layers import forward as reference_forward
from spec.helpers import packing
from spec.helpers.modules import build_cell, cell_state, fixed_randn, hidden_of, map_state, step
from spec.helpers.onnx_oracle import MISSING, onnx_run
from spec.helpers.strategies import (
    CELL_NAMES,
    LAYERS,
    Config,
    batched,
    cell_configs,
    configs,
    describe,
    lengths_lists,
)
from spec.helpers.tolerances import assert_close, dropout_precision
from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import PACKING_DOC, S000, S001, S002, S003, S004


def copy_layer_weights(cell, module, layer=0):
    with torch.no_grad():
        for name, p in cell.named_parameters():
            p.copy_(getattr(module, f"{name}_l{layer}"))


EQUATIONS_DOC = tuple(TorchDoc(f"torch.nn.{m}", "class docstring: the equations") for m in LAYERS)


float_dtypes = st.sampled_from(("float64", "float32"))


def both(cfg: Config, device: str, x=None, hx=None):
    """(torch's result, the reference's result) for one configuration."""
    describe(cfg, device)
    m = cfg.build(device)
    x = cfg.input(device) if x is None else x
    with torch.no_grad():
        return m(x, hx), reference_forward(m, x, hx)


def gate_bias(module, gate: int, value: float) -> None:
    """Set one gate's block of bias_hh_l0 (torch stacks gate blocks along dim 0)."""
    h = module.hidden_size
    with torch.no_grad():
        module.bias_hh_l0[gate * h : (gate + 1) * h] = value
        module.bias_ih_l0[gate * h : (gate + 1) * h] = 0.0


one_layer_gru = configs(
    modes=st.just("GRU"),
    batch=batched,
    batch_first=st.just(False),
    num_layers=st.just(1),
    bidirectional=st.just(False),
    bias=st.just(True),
)


GRU_SOURCES = (
    TorchDoc("torch.nn.GRU", "class docstring: r_t, z_t, n_t, h_t"),
    Seed(S003, "2.1 Gate: reset helps short-term, update long-term dependencies", line=107),
)


DOCS = tuple(TorchDoc(f"torch.nn.{m}", "dropout") for m in LAYERS)


@claim(
    id="cells.semantics.equations",
    statement=(
        "RNNCell computes h' = act(W_ih x + b_ih + W_hh h + b_hh); LSTMCell stacks gates i, f, g, o "
        "with c' = f*c + i*g and h' = o*tanh(c'); GRUCell stacks r, z, n with b_hn inside r*(W_hn h + b_hn) "
        "and h' = (1-z)*n + z*h."
    ),
    modules=CELL_NAMES,
    sources=tuple(TorchDoc(f"torch.nn.{c}", "class docstring: the equations") for c in CELL_NAMES)
    + (
        Seed(S001, "1. RNNcell: the cell is a fully connected layer over input and hidden", line=6),
        Seed(S003, "2.1 Gate, 2.2 GRU, 2.3 LSTM", line=95),
        Seed(S004, "the LSTM gate equations", line=9),
        Seed(S000, "the LSTM memory cell: gates i, o, f; inputs x_t, h_t-1, c_t-1; outputs h_t and c_t", line=11),
    ),
)
@given(cfg=cell_configs)
def test_cell_equations(cfg, device):
    describe(cfg, device)
    cell = build_cell(cfg, device)
    x, state = cfg.input(device)[0], cell_state(cfg, device)
    params = dict(cell.named_parameters())
    with torch.no_grad():
        got = step(cell, x, state)
        if cfg.mode == "LSTM":
            want = ref.lstm_cell(x, state[0], state[1], params)
        elif cfg.mode == "GRU":
            want = ref.gru_cell(x, state, params)
        else:
            want = ref.rnn_cell(x, state, params, cfg.nonlinearity)
    assert_close(got, want, cfg.repro(device))


@claim(
    id="cells.semantics.loop-equals-layer",
    statement=(
        "Looping a cell over time with the weights of a one-layer module reproduces that module's "
        "output at every step and its final state."
    ),
    modules=CELL_NAMES + ("RNN", "LSTM", "GRU"),
    sources=(
        TorchDoc("torch.nn.RNNCell", "class docstring: the example loop"),
        Seed(S000, "'rnn by cell': RNNCell(100, 20) stepped over x", line=26),
        Seed(S000, "'one layer lstm': LSTMCell stepped over x", line=27),
        Seed(S001, "2. RNN: one nn.RNN runs several RNNCell steps at once", line=47),
        Seed(S000, "the opening notes: the same parameters W at every step", line=3),
        Seed(S003, "1.1: weights shared across time, one architecture for any length", line=17),
    ),
)
@given(cfg=cell_configs)
def test_loop_equals_layer(cfg, device):
    describe(cfg, device)
    module, cell = cfg.build(device), build_cell(cfg, device)
    copy_layer_weights(cell, module)
    x = cfg.input(device)
    state = cell_state(cfg, device)
    with torch.no_grad():
        out, final = module(x, map_state(lambda s: s.unsqueeze(0), state))
        steps = []
        for xt in x:
            state = step(cell, xt, state)
            steps.append(hidden_of(state))
    assert_close(out, torch.stack(steps), f"outputs: {cfg.repro(device)}")
    assert_close(final, map_state(lambda s: s.unsqueeze(0), state), f"final state: {cfg.repro(device)}")


@claim(
    id="cells.semantics.stacked-equal-multilayer",
    statement=(
        "Two cells stepped in lockstep, the second reading the first's new hidden state, equal a "
        "two-layer module whose layer-k weights are cell k's."
    ),
    modules=CELL_NAMES + ("RNN", "LSTM", "GRU"),
    sources=(
        Seed(S000, "RNNCell(100, 30) feeding RNNCell(30, 20)", line=26),
        Seed(S000, "'two layer lstm': LSTMCell(100, 30) feeding LSTMCell(30, 20)", line=28),
        TorchDoc("torch.nn.RNN", "num_layers"),
    ),
)
@given(cfg=cell_configs)
def test_stacked_cells(cfg, device):
    cfg = cfg.with_(num_layers=2)
    describe(cfg, device)
    module = cfg.build(device)
    cells = [build_cell(cfg, device), build_cell(cfg, device, input_size=cfg.hidden_size)]
    for k, cell in enumerate(cells):
        copy_layer_weights(cell, module, layer=k)
    x = cfg.input(device)
    with torch.no_grad():
        out, _ = module(x)
        states = [cell_state(cfg, device, zero=True) for _ in cells]
        tops = []
        for xt in x:
            inp = xt
            for k, cell in enumerate(cells):
                states[k] = step(cell, inp, states[k])
                inp = hidden_of(states[k])
            tops.append(inp)
    assert_close(out, torch.stack(tops), cfg.repro(device))


@claim(
    id="rnn.semantics.matches-reference",
    statement=(
        "For every configuration (layers, directions, batch_first, bias, relu, proj_size; float64 and "
        "float32) output, h_n and c_n equal a from-scratch implementation of the documented equations."
    ),
    modules=LAYERS,
    sources=EQUATIONS_DOC
    + (
        Seed(
            S003,
            "0x02: GRU and LSTM gate equations; 2.4 deep RNN; 2.5 bidirectional RNN",
            line=83,
        ),
        Seed(S000, "RNN, LSTM and GRU cell diagrams at the top", line=9),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
@given(data=st.data())
def test_matches_reference(mode, data, device):
    # one hypothesis run per module kind: the thorough profile compares 250 configurations of each
    cfg = data.draw(configs(modes=st.just(mode), batch=batched, dtype=float_dtypes), label="cfg")
    actual, expected = both(cfg, device)
    assert_close(actual, expected, cfg.repro(device))


@claim(
    id="rnn.semantics.unbatched-matches-reference",
    statement="An unbatched 2-D input computes exactly what the same sequence computes as a batch of one.",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: input (unbatched)") for m in LAYERS),
    torch=">=1.11",
)
@given(cfg=configs(batch=st.none()))
def test_unbatched_matches_reference(cfg, device):
    actual, expected = both(cfg, device)
    assert_close(actual, expected, cfg.repro(device))


@claim(
    id="rnn.semantics.output-is-last-layer-states",
    statement=(
        "output holds the last layer's hidden state at every step: output[-1] equals h_n[-1] "
        "one-directional, and bidirectional output[-1, :, :H] equals h_n[-2] while output[0, :, H:] "
        "equals h_n[-1]."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Outputs: output, h_n") for m in LAYERS)
    + (
        Seed(S000, "IMDB classifier: cat of hidden[-2] and hidden[-1]", line=30),
        Seed(S002, "printed out[:, -1] rows equal the last layer's h rows", line=110),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)))
def test_output_is_last_layer_states(cfg, device):
    m = cfg.build(device)
    with torch.no_grad():
        out, state = m(cfg.input(device))
    h_n = state[0] if isinstance(state, tuple) else state
    H = cfg.out_size
    if cfg.bidirectional:
        assert torch.equal(out[-1, :, :H], h_n[-2])
        assert torch.equal(out[0, :, H:], h_n[-1])
    else:
        assert torch.equal(out[-1], h_n[-1])


@claim(
    id="rnn.semantics.output-excludes-initial-state",
    statement=(
        "output[t] is the last layer's state after input t: output has one entry per input step, output[t] "
        "equals h_n[-1] of the run over the first t + 1 inputs, and the initial state h0 is not among them."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.nn.RNN", "Outputs: output, h_n"),),
    erratum=Erratum(
        S000,
        "the out shape line under nn.RNN",
        "lists out as the hidden states h0, h1, ..., h0 being its name one line earlier for the initial state; "
        "out holds the states after each word, and not the initial one",
        line=19,
    ),
    targets=("eager",),  # runs over prefixes of the sequence: an exported or ONNX graph has one static length
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), bidirectional=st.just(False), seq=st.integers(2, 4)))
def test_output_excludes_initial_state(cfg, device):
    describe(cfg, device)
    m, x = cfg.build(device), cfg.input(device)
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    state0 = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if cfg.mode == "LSTM" else h0
    with torch.no_grad():
        out, _ = m(x, state0)
        assert out.shape[0] == cfg.seq
        for t in range(cfg.seq):
            _, state = m(x[: t + 1], state0)
            assert_close(out[t], hidden_of(state)[-1], f"step {t}: {cfg.repro(device)}")
            assert not torch.allclose(out[t], h0[-1]), f"output[{t}] is the initial state"


@claim(
    id="rnn.semantics.bidirectional-is-two-passes",
    statement=(
        "A bidirectional layer equals a forward layer on the sequence concatenated with a second layer "
        "(the _reverse weights) run over the reversed sequence and flipped back."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "bidirectional"),
        Seed(S003, "2.5 bidirectional RNN", line=128),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), bidirectional=st.just(True), num_layers=st.just(1)))
def test_bidirectional_is_two_passes(cfg, device):
    describe(cfg, device)
    bi = cfg.build(device)
    one = cfg.with_(bidirectional=False)
    fwd, bwd = one.build(device), one.build(device)
    with torch.no_grad():
        for name, p in bi.named_parameters():
            target = bwd if name.endswith("_reverse") else fwd
            getattr(target, name.replace("_reverse", "")).copy_(p)
        x = cfg.input(device)
        out, _ = bi(x)
        out_f, _ = fwd(x)
        out_b, _ = bwd(x.flip(0))
    assert_close(out, torch.cat([out_f, out_b.flip(0)], dim=-1), cfg.repro(device))


@claim(
    id="packed.semantics.matches-reference",
    statement=(
        "On a PackedSequence with unsorted lengths each sequence is processed only up to its own "
        "length, and h_n holds each sequence's last valid step in the original batch order."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "enforce_sorted"),
        TorchDoc("torch.nn.LSTM", "Inputs: input (packed variable length sequence)"),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)), lengths=lengths_lists)
def test_packed_matches_reference(cfg, lengths, device):
    cfg = cfg.with_(batch=len(lengths), seq=max(lengths))
    note(f"lengths={lengths}")
    packed = pack_padded_sequence(cfg.input(device), torch.tensor(lengths), enforce_sorted=False)
    actual, expected = both(cfg, device, x=packed)
    assert_close(actual, expected, f"{cfg.repro(device)} lengths={lengths}")
    # and h_n of the last layer's forward direction is the output at each sequence's last step
    padded, got_lengths = pad_packed_sequence(actual[0])
    assert got_lengths.tolist() == lengths
    h_n = actual[1][0] if isinstance(actual[1], tuple) else actual[1]
    last = torch.stack([padded[n - 1, b, : cfg.out_size] for b, n in enumerate(lengths)])
    assert torch.equal(last, h_n[-cfg.dirs])


@claim(
    id="gru.semantics.update-gate-copies-state",
    statement="When the update gate z saturates at 1 a GRU copies its state: h_t = h_(t-1) at every step.",
    modules=("GRU",),
    sources=GRU_SOURCES,
)
@given(cfg=one_layer_gru)
def test_gru_update_gate_copies_state(cfg, device):
    describe(cfg, device)
    m = cfg.build(device)
    gate_bias(m, gate=1, value=1e4)  # z = sigmoid(>= 1e4 - |...|) == 1 in float64
    h0 = cfg.randn(1, cfg.batch, cfg.hidden_size, device=device, salt=3)
    with torch.no_grad():
        out, h_n = m(cfg.input(device), h0)
    # torch computes h' = n + z*(h - n): exact in exact arithmetic at z = 1, within rounding in floats
    assert_close(h_n, h0, cfg.repro(device))
    assert_close(out, h0.expand_as(out).contiguous(), cfg.repro(device))


@claim(
    id="gru.semantics.reset-gate-drops-history",
    statement=(
        "When the reset gate r is 0 and the update gate z is 0 a GRU forgets its past: "
        "h_t = tanh(W_in x_t + b_in) whatever h_(t-1) was."
    ),
    modules=("GRU",),
    sources=GRU_SOURCES,
)
@given(cfg=one_layer_gru)
def test_gru_reset_gate_drops_history(cfg, device):
    describe(cfg, device)
    m = cfg.build(device)
    gate_bias(m, gate=0, value=-1e4)  # r = 0
    gate_bias(m, gate=1, value=-1e4)  # z = 0
    x = cfg.input(device)
    h0 = cfg.randn(1, cfg.batch, cfg.hidden_size, device=device, salt=3)
    with torch.no_grad():
        out, _ = m(x, h0)
        out_other, _ = m(x, -h0)
        w_in = m.weight_ih_l0[2 * cfg.hidden_size :]
        b_in = m.bias_ih_l0[2 * cfg.hidden_size :]
    assert_close(out, out_other, "h_0 no longer matters")
    assert_close(out, torch.tanh(x @ w_in.T + b_in), cfg.repro(device))


@claim(
    id="rnn.semantics.relu-nonnegative-unbounded",
    statement=(
        "nonlinearity='relu' makes every output non-negative and unbounded (it grows with the input), "
        "where tanh keeps every output strictly inside (-1, 1)."
    ),
    modules=("RNN",),
    sources=(
        TorchDoc("torch.nn.RNN", "nonlinearity"),
        Seed(S002, "nonlinearity: tanh or relu", line=18),
    ),
)
@given(cfg=configs(modes=st.just("RNN"), batch=batched, bias=st.just(False)))
def test_relu_unbounded(cfg, device):
    describe(cfg, device)
    x = cfg.input(device)
    with torch.no_grad():
        relu = cfg.with_(nonlinearity="relu").build(device)
        tanh = cfg.with_(nonlinearity="tanh").build(device)
        small, _ = relu(x)
        big, _ = relu(1000 * x)
        bounded, _ = tanh(1000 * x)
    assert small.min() >= 0 and big.min() >= 0
    assert bounded.abs().max() <= 1  # |tanh| < 1 in exact arithmetic; 1.0 after rounding
    # without bias relu is positively homogeneous, so scaling the input scales the output
    assert_close(big, 1000 * small, cfg.repro(device))


@claim(
    id="lstm.semantics.h-bounded-c-unbounded",
    statement=(
        "Without projection an LSTM's |h| <= |tanh(c)| < 1 elementwise, while the cell state c is unbounded: "
        "with the forget and input gates open it accumulates past 1."
    ),
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "class docstring: c_t and h_t"),
        Seed(S004, "the LSTM gate equations: memory cell and hidden state", line=9),
        Seed(S003, "2.3 LSTM", line=116),
    ),
)
@given(
    cfg=configs(
        modes=st.just("LSTM"),
        batch=batched,
        num_layers=st.just(1),
        bidirectional=st.just(False),
        proj=st.just(False),
        seq=st.just(5),
        bias=st.just(True),
    )
)
def test_lstm_h_bounded(cfg, device):
    describe(cfg, device)
    m = cfg.build(device)
    with torch.no_grad():
        _, (h, c) = m(cfg.input(device))
        assert (h.abs() <= torch.tanh(c).abs()).all()
        for gate, value in ((0, 1e4), (1, 1e4), (2, 1e4)):  # i = f = 1, g = 1: c_t = c_(t-1) + 1
            gate_bias(m, gate=gate, value=value)
        _, (h, c) = m(cfg.input(device))
    assert_close(c, torch.full_like(c, float(cfg.seq)), "c counts the steps")
    assert (h.abs() < 1).all()


@claim(
    id="gru.semantics.state-bounded",
    statement=(
        "A GRU started from a state in [-1, 1] never leaves it, whatever its weights and the scale of its input "
        "(up to rounding): each step mixes the old state with a tanh candidate through a gate in (0, 1); "
        "started outside, the state is not clipped."
    ),
    modules=("GRU",),
    sources=(
        Seed(
            S003,
            "2.1 Gate: sigmoid gates in (0, 1), tanh keeps the candidate in (-1, 1)",
            line=101,
        ),
        TorchDoc("torch.nn.GRU", "class docstring: h_t = (1 - z_t) * n_t + z_t * h_(t-1)"),
    ),
)
@given(cfg=configs(modes=st.just("GRU"), batch=batched), scale=st.sampled_from((1.0, 50.0)))
def test_gru_state_bounded(cfg, scale, device):
    describe(cfg, device)
    m = cfg.build(device)
    rows = cfg.num_layers * (2 if cfg.bidirectional else 1)
    h0 = torch.tanh(cfg.randn(rows, cfg.batch, cfg.hidden_size, device=device, salt=3))  # inside [-1, 1]
    with torch.no_grad():
        out, h_n = m(cfg.input(device) * scale, h0)
    slack = 1 + 4 * torch.finfo(out.dtype).eps  # n + z*(h - n) in floating point: a few roundings
    assert out.abs().max() <= slack and h_n.abs().max() <= slack, cfg.repro(device)
    if cfg.num_layers == 1 and not cfg.bidirectional and cfg.bias:
        gate_bias(m, gate=1, value=1e4)  # z = 1: the state is copied, so one started at 5 stays at 5
        with torch.no_grad():
            _, h_n = m(cfg.input(device), torch.full_like(h0, 5.0))
        assert_close(h_n, torch.full_like(h_n, 5.0), cfg.repro(device))


@claim(
    id="lstm.semantics.example-imdb-bilstm-head",
    statement=(
        "In the IMDB classifier's LSTM(100, 256, num_layers=2, bidirectional=True, dropout=0.5), output is "
        "[seq, b, 512], h and c are [4, b, 256], and cat(h[-2], h[-1]) is [b, 512]: the last layer's forward "
        "state at the last step beside its backward state at the first step."
    ),
    modules=("LSTM",),
    sources=(Seed(S000, "IMDB sentiment model: forward() comments and torch.cat([hidden[-2], hidden[-1]])", line=30),),
)
def test_imdb_bilstm_head(device):
    lstm = nn.LSTM(100, 256, num_layers=2, bidirectional=True, dropout=0.5).to(device).eval()
    with torch.no_grad():
        output, (h, c) = lstm(fixed_randn(device, 7, 5, 100, seed=7))
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
    modules=("RNN",),
    sources=(
        Seed(S001, "2. RNN: the RNN(input_size=4, hidden_size=2) example and its printed out and hidden", line=64),
    ),
)
def test_rnn_4_2(device):
    rnn = nn.RNN(input_size=4, hidden_size=2).to(device)
    out, hidden = rnn(fixed_randn(device, 3, 1, 4, seed=7), torch.zeros(1, 1, 2, device=device))
    assert (tuple(out.shape), tuple(hidden.shape)) == ((3, 1, 2), (1, 1, 2))
    assert torch.equal(out[-1], hidden[0])


@claim(
    id="lstm.semantics.example-lstm-1-5-2",
    statement=(
        "nn.LSTM(1, 5, 2, batch_first=True) takes input_size 1, hidden_size 5 and 2 layers: over rand(2, 3, 1) "
        "it returns out [2, 3, 5] and h, c [2, 2, 5], and out[:, -1] equals the last layer's h, h[0][-1]."
    ),
    modules=("LSTM",),
    sources=(
        Seed(S002, "the LSTM(1, 5, 2, batch_first=True) example and its printed out and h", line=38),
        Seed(S003, "4.3: the third choice, nn.LSTM(num_inputs, num_hiddens, num_layers) by position", line=448),
    ),
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


@claim(
    id="rnn.semantics.dropout-eval-off",
    statement="In eval mode dropout does nothing: the module equals the reference without dropout, call after call.",
    modules=LAYERS,
    sources=DOCS + (Seed(S000, "IMDB model: LSTM(..., dropout=0.5) evaluated with rnn.eval()", line=30),),
)
@given(cfg=configs(batch=batched, num_layers=st.integers(2, 3)), p=st.sampled_from((0.3, 0.5, 1.0)))
def test_eval_off(cfg, p, device):
    cfg = cfg.with_(dropout=p)
    describe(cfg, device)
    m, x = cfg.build(device).eval(), cfg.input(device)
    with torch.no_grad():
        first, second, ref = m(x), m(x), reference_forward(m, x)
    assert_close(first, ref, cfg.repro(device))
    assert_close(second, first, "a second eval call")


@claim(
    id="rnn.semantics.dropout-one-layer-inert",
    statement="With one layer there is nowhere to drop: train mode with dropout gives exactly the eval result.",
    modules=LAYERS,
    sources=DOCS,
)
@pytest.mark.parametrize("mode", LAYERS)
def test_one_layer_inert(mode, device):
    cfg = Config(mode=mode, num_layers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the one-layer warning, claimed in errors.py
        m = cfg.with_(dropout=0.9).build(device)
    x = cfg.input(device)
    with torch.no_grad():
        train = m.train()(x)
        evaluated = m.eval()(x)
    assert_close(train, evaluated, mode)


@claim(
    id="rnn.semantics.dropout-between-layers",
    statement=(
        "In train mode dropout acts on what each layer passes to the next: with p=1 the second layer sees "
        "zeros, while the first layer's outputs and final state are untouched."
    ),
    modules=LAYERS,
    sources=DOCS + (Seed(S002, "the dropout argument of the three constructors", line=14),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_between_layers(mode, device):
    cfg = Config(mode=mode, num_layers=2, dropout=1.0, seq=4)
    m, x = cfg.build(device).train(), cfg.input(device)
    first = cfg.with_(num_layers=1, dropout=0.0).build(device)
    second = cfg.with_(num_layers=1, dropout=0.0, input_size=cfg.hidden_size).build(device)
    with torch.no_grad():
        for k, single in enumerate((first, second)):
            for name, p in single.named_parameters():
                p.copy_(getattr(m, name.replace("_l0", f"_l{k}")))
        out, state = m(x)
        _, state1 = first(x)
        out2, state2 = second(torch.zeros(cfg.seq, cfg.batch, cfg.hidden_size, dtype=x.dtype, device=device))
    h = state if mode != "LSTM" else state[0]
    h1 = state1 if mode != "LSTM" else state1[0]
    h2 = state2 if mode != "LSTM" else state2[0]
    assert_close(out, out2, "the top layer ran on zeros")
    assert_close(h[1:], h2, "the top layer's final state")
    assert_close(h[:1], h1, "the first layer is untouched")


@claim(
    id="rnn.semantics.onnx-oracle",
    statement=(
        "An ONNX LSTM or GRU node built from a one-layer module's weights (gates reordered to ONNX's i, o, f, c "
        "and z, r, h; linear_before_reset=1 for the GRU) computes the module's output and state, and so does "
        "the from-scratch reference."
    ),
    modules=("LSTM", "GRU"),
    sources=(
        TorchDoc("torch.nn.LSTM", "class docstring: the equations"),
        TorchDoc("torch.nn.GRU", "class docstring: the equations (r applied to W_hn h + b_hn)"),
        Seed(S003, "2.2 GRU and 2.3 LSTM", line=110),
    ),
)
@pytest.mark.skipif(MISSING is not None, reason=str(MISSING))
@given(
    cfg=configs(
        modes=st.sampled_from(("LSTM", "GRU")),
        num_layers=st.just(1),
        batch_first=st.just(False),
        batch=batched,
        bias=st.just(True),
        proj=st.just(False),
        dtype=st.just("float32"),
    )
)
def test_onnx_oracle(cfg):
    describe(cfg)
    m, x = cfg.build("cpu"), cfg.input("cpu")
    with torch.no_grad():
        by_torch, by_reference = m(x), reference_forward(m, x)
    by_onnx = onnx_run(m, x)
    assert_close(by_onnx, by_torch, f"onnxruntime against torch: {cfg.repro()}")
    assert_close(by_onnx, by_reference, f"onnxruntime against the reference: {cfg.repro()}")


# --- issue 17: the packing functions, dropout's rate, non-zero initial states, packed input with a state ---

#: Trailing shapes of the sequences: none (a sequence of scalars), features, features x channels.
TRAILING = ((), (2,), (2, 3))


def on(device, tensors):
    return [t.to(device) for t in tensors]


@claim(
    id="packed.semantics.pad-sequence",
    statement=(
        "pad_sequence stacks sequences [L_b, *] into [T, B, *] (or [B, T, *] with batch_first=True), T the "
        "longest length, each sequence at the start of its column and padding_value (default 0) after it."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "pad_sequence", "batch_first"),
        TorchDoc(PACKING_DOC + "pad_sequence", "padding_value"),
        TorchDoc(PACKING_DOC + "pad_sequence", "Returns"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pad_sequence(trailing, batch_first, device):
    seqs = on(device, packing.sequences([2, 4, 1], *trailing))
    want = packing.padded([s.cpu() for s in seqs], batch_first, value=-1.5).to(device)
    assert torch.equal(pad_sequence(seqs, batch_first=batch_first, padding_value=-1.5), want)
    default = packing.padded([s.cpu() for s in seqs], batch_first).to(device)
    assert torch.equal(pad_sequence(seqs, batch_first=batch_first), default)
    if not batch_first:
        assert torch.equal(pad_sequence(seqs), default)  # batch_first defaults to False


# pad_sequence's padding_side: pytorch/pytorch#131884 merged on 2024-08-07, after the 2.4 release (2024-07-24)
# and before the 2.5 branch cut (pytorch/pytorch#135506, 2024-09-09): first released in 2.5.
@claim(
    id="packed.semantics.pad-sequence-left",
    statement=(
        "pad_sequence(padding_side='left') puts each sequence at the end of its column and the padding "
        "before it; the default is 'right', and another side is a RuntimeError."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc(PACKING_DOC + "pad_sequence", "padding_side"),),
    torch=">=2.5",
)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pad_sequence_left(batch_first, device):
    seqs = on(device, packing.sequences([2, 4, 1], 3))
    for side in ("left", "right"):
        want = packing.padded([s.cpu() for s in seqs], batch_first, value=7.0, side=side).to(device)
        got = pad_sequence(seqs, batch_first=batch_first, padding_value=7.0, padding_side=side)
        assert torch.equal(got, want), side
    assert torch.equal(pad_sequence(seqs, batch_first), pad_sequence(seqs, batch_first, padding_side="right"))
    with pytest.raises(RuntimeError, match="padding_side"):
        pad_sequence(seqs, batch_first, padding_side="middle")


@claim(
    id="packed.semantics.pack-sequence",
    statement=(
        "pack_sequence packs a list of sequences [L_b, *] step by step, longest first: sorted input keeps its "
        "order (no indices), enforce_sorted=False sorts by decreasing length and records the permutation, and "
        "either way it equals pad_sequence followed by pack_padded_sequence."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "pack_sequence", "class docstring"),
        TorchDoc(PACKING_DOC + "pack_sequence", "enforce_sorted"),
        TorchDoc(PACKING_DOC + "PackedSequence", "Note: batch sizes are not lengths"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("lengths", ([4, 2, 2, 1], [1, 4, 2]), ids=("sorted", "unsorted"))
def test_pack_sequence(trailing, lengths, device):
    seqs = on(device, packing.sequences(lengths, *trailing))
    is_sorted = lengths == sorted(lengths, reverse=True)
    order = packing.decreasing_order(lengths)
    data, sizes = packing.packed_data([s.cpu() for s in seqs], order)
    packed = pack_sequence(seqs, enforce_sorted=is_sorted)
    assert torch.equal(packed.data, data.to(device)) and torch.equal(packed.batch_sizes, sizes)
    if is_sorted:
        assert packed.sorted_indices is None and packed.unsorted_indices is None
    else:
        assert packed.sorted_indices.tolist() == order
        assert packed.unsorted_indices.tolist() == sorted(range(len(order)), key=order.__getitem__)
    via_padding = pack_padded_sequence(pad_sequence(seqs), torch.tensor(lengths), enforce_sorted=is_sorted)
    assert torch.equal(via_padding.data, packed.data) and torch.equal(via_padding.batch_sizes, packed.batch_sizes)


@claim(
    id="packed.semantics.pack-padded-options",
    statement=(
        "pack_padded_sequence takes input of any rank >= 2 as [T, B, *] (or [B, T, *] with batch_first=True) and "
        "lengths as a list or a CPU tensor alike; on lengths already sorted, enforce_sorted=True and False give "
        "the same data and batch_sizes (indices None against the identity permutation)."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "input"),
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "lengths"),
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "batch_first"),
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "enforce_sorted"),
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "Note: any input of at least two dimensions"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pack_padded_options(trailing, batch_first, device):
    lengths = [4, 3, 1]
    seqs = packing.sequences(lengths, *trailing)
    x = packing.padded(seqs, batch_first, value=float("nan")).to(device)  # padding never reaches the data
    data, sizes = packing.packed_data(seqs)
    for as_given in (lengths, torch.tensor(lengths)):
        for enforce in (True, False):
            packed = pack_padded_sequence(x, as_given, batch_first=batch_first, enforce_sorted=enforce)
            assert torch.equal(packed.data, data.to(device)) and torch.equal(packed.batch_sizes, sizes)
            if enforce:
                assert packed.sorted_indices is None
            else:
                assert packed.sorted_indices.tolist() == [0, 1, 2] == packed.unsorted_indices.tolist()


@claim(
    id="packed.semantics.pad-packed-options",
    statement=(
        "pad_packed_sequence returns (padded, lengths) in the original batch order, [T, B, *] or [B, T, *] with "
        "batch_first=True, padding_value in the padding, and T the longest length unless total_length is given: "
        "without it a batch padded to more steps comes back shorter (the DataParallel pitfall)."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "pad_packed_sequence", "batch_first"),
        TorchDoc(PACKING_DOC + "pad_packed_sequence", "padding_value"),
        TorchDoc(PACKING_DOC + "pad_packed_sequence", "total_length"),
        TorchDoc(PACKING_DOC + "pad_packed_sequence", "Note: total_length and DataParallel"),
        TorchDoc(PACKING_DOC + "pad_packed_sequence", "Returns"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pad_packed_options(trailing, batch_first, device):
    lengths = [2, 4, 1]  # unsorted: the result comes back in this order
    seqs = on(device, packing.sequences(lengths, *trailing))
    packed = pack_sequence(seqs, enforce_sorted=False)
    cpu = [s.cpu() for s in seqs]
    for total in (None, 6):
        kw = {} if total is None else {"total_length": total}
        out, got_lengths = pad_packed_sequence(packed, batch_first=batch_first, padding_value=-3.0, **kw)
        assert torch.equal(out, packing.padded(cpu, batch_first, value=-3.0, total=total).to(device)), total
        assert got_lengths.tolist() == lengths
    out, _ = pad_packed_sequence(packed)  # defaults: seq-first, zeros
    assert torch.equal(out, packing.padded(cpu).to(device))
    # padded to 6 steps, packed and unpacked without total_length: 4 steps come back
    x = packing.padded(cpu, total=6).to(device)
    back, _ = pad_packed_sequence(pack_padded_sequence(x, lengths, enforce_sorted=False))
    assert back.shape[0] == max(lengths) < x.shape[0]


@claim(
    id="packed.semantics.pad-inverts-pack",
    statement=(
        "pad_packed_sequence(pack_padded_sequence(x, lengths), total_length=T) gives x back with zeros past "
        "each sequence's length, in the original batch order."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "class docstring: inverse of pad_packed_sequence"),
        TorchDoc(PACKING_DOC + "pad_packed_sequence", "class docstring: inverse of pack_padded_sequence"),
    ),
)
@given(lengths=lengths_lists, batch_first=st.booleans())
def test_pad_inverts_pack(lengths, batch_first, device):
    note(f"lengths={lengths}")
    t = max(lengths) + 1
    x = fixed_randn(device, len(lengths), t, 2, dtype=torch.float64, seed=sum(lengths))
    mask = (torch.arange(t).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)).to(device).unsqueeze(-1)
    x = x if batch_first else x.transpose(0, 1)
    mask = mask if batch_first else mask.transpose(0, 1)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    back, got = pad_packed_sequence(packed, batch_first=batch_first, total_length=t)
    assert torch.equal(back, x * mask) and got.tolist() == lengths


# unpad_sequence and unpack_sequence: asked for in pytorch/pytorch#66549 (2021-10-13), after the 1.10 branch
# cut (1.10.0 released 2021-10-21), and present in torch/nn/utils/rnn.py's __all__ from 1.11 on.
@claim(
    id="packed.semantics.unpad-unpack",
    statement=(
        "unpad_sequence(padded, lengths, batch_first) and unpack_sequence(packed) return the list of "
        "variable-length sequences in the original order: they invert pad_sequence and pack_sequence."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "unpad_sequence", "padded_sequences"),
        TorchDoc(PACKING_DOC + "unpad_sequence", "lengths"),
        TorchDoc(PACKING_DOC + "unpad_sequence", "batch_first"),
        TorchDoc(PACKING_DOC + "unpack_sequence", "packed_sequences"),
    ),
    torch=">=1.11",
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_unpad_unpack(trailing, batch_first, device):
    from torch.nn.utils.rnn import unpack_sequence, unpad_sequence

    lengths = [2, 4, 1]
    seqs = on(device, packing.sequences(lengths, *trailing))
    padded = packing.padded([s.cpu() for s in seqs], batch_first).to(device)
    for got in (
        unpad_sequence(padded, torch.tensor(lengths), batch_first=batch_first),
        unpack_sequence(pack_sequence(seqs, enforce_sorted=False)),
    ):
        assert len(got) == len(seqs) and all(torch.equal(g, s) for g, s in zip(got, seqs))


@claim(
    id="rnn.semantics.initial-state-matches-reference",
    statement=(
        "A non-zero h_0 (and c_0) on multi-layer bidirectional modules, with and without projections, is read "
        "row k*D + d for layer k and direction d, the order of h_n: output and state equal the reference's."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: h_0") for m in LAYERS)
    + (TorchDoc("torch.nn.LSTM", "Inputs: c_0"),),
)
@pytest.mark.parametrize(
    "cfg",
    [
        Config(mode="RNN", num_layers=3, bidirectional=True, nonlinearity="relu"),
        Config(mode="GRU", num_layers=2, bidirectional=True, batch_first=True),
        Config(mode="LSTM", num_layers=2, bidirectional=True),
        Config(mode="LSTM", num_layers=3, bidirectional=True, proj_size=2, hidden_size=5),
    ],
    ids=repr,
)
def test_initial_state_matches_reference(cfg, device):
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    hx = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if cfg.mode == "LSTM" else h0
    actual, expected = both(cfg, device, hx=hx)
    assert_close(actual, expected, cfg.repro())
    # row 1 is layer 0's backward direction: changing it leaves layer 0's forward half of a 1-layer output alone
    one = cfg.with_(num_layers=1)
    m, x = one.build(device), one.input(device)
    h = map_state(lambda s: s[:2].clone(), hx)
    bumped = map_state(lambda s: torch.cat([s[:1], s[1:] + 1]), h)
    with torch.no_grad():
        out, out_bumped = m(x, h)[0], m(x, bumped)[0]
    first_step = (slice(None), 0) if one.batch_first else (0,)
    assert torch.equal(out[..., : one.out_size], out_bumped[..., : one.out_size])
    assert not torch.equal(out[first_step][..., one.out_size :], out_bumped[first_step][..., one.out_size :])


@claim(
    id="packed.semantics.state-in-original-order",
    statement=(
        "With an unsorted PackedSequence a user-given h_0 (and c_0) is read in the original batch order: "
        "column b is sequence b's initial state, as h_n's column b is its final state."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "pack_padded_sequence", "enforce_sorted"),
        TorchDoc("torch.nn.LSTM", "Inputs: input (packed variable length sequence)"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_state_in_original_order(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, batch=3, seq=4)
    lengths = [2, 4, 3]  # sorting permutes the batch: a state read in sorted order lands on another sequence
    packed = pack_padded_sequence(cfg.input(device), lengths, enforce_sorted=False)
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    hx = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if mode == "LSTM" else h0
    actual, expected = both(cfg, device, x=packed, hx=hx)
    assert_close(actual, expected, cfg.repro())
    m = cfg.build(device)
    with torch.no_grad():  # and sequence b alone, from column b of the state, ends where column b of h_n says
        for b, n in enumerate(lengths):
            column = slice(b, b + 1)
            alone = pack_padded_sequence(cfg.input(device)[:n, column], [n])
            _, state = m(alone, map_state(lambda s, c=column: s[:, c].contiguous(), hx))
            assert_close(state, map_state(lambda s, c=column: s[:, c], actual[1]), f"sequence {b}")


@claim(
    id="packed.semantics.ignores-batch-first",
    statement=(
        "A module built with batch_first=True treats a PackedSequence like one built with batch_first=False: "
        "a packed input has no batch dimension to put first, and the output is packed the same way."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=tuple(TorchDoc(f"torch.nn.{m}", "batch_first") for m in LAYERS),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_packed_ignores_batch_first(mode, device):
    cfg = Config(mode=mode, num_layers=2, batch=3, seq=4)
    packed = pack_padded_sequence(cfg.input(device), [2, 4, 3], enforce_sorted=False)
    with torch.no_grad():
        seq_first = cfg.build(device)(packed)
        batch_first = cfg.with_(batch_first=True).build(device)(packed)  # same seed: same weights
    assert torch.equal(seq_first[0].batch_sizes, batch_first[0].batch_sizes)
    assert_close(batch_first, seq_first, mode)


#: For the dropout probe: the gate blocks (LSTM i, f, g, o; GRU r, z, n) whose bias saturates them, and the block
#: that carries the signal. i = o = 1 and f = 0 make an LSTM step h = tanh(tanh(a)); z = 0 makes a GRU step
#: h = tanh(a); a relu RNN step is h = relu(a) = a for a >= 0 (a: the signal block's pre-activation).
PROBE = {
    "RNN": ({}, 0, lambda v: v),
    "GRU": ({1: -1e4}, 2, torch.tanh),
    "LSTM": ({0: 1e4, 1: -1e4, 3: 1e4}, 2, lambda v: torch.tanh(torch.tanh(v))),
}


def dropout_probe(mode: str, p: float, hidden: int, device: str):
    """A 2-layer module whose outputs are phi(dropout(c)) elementwise, for a known map phi with phi(0) = 0.

    Every weight is zero but layer 1's signal block of weight_ih, the identity; layer 0's signal bias is 0.5, so
    layer 0 emits the constant c = phi(0.5) at every step and layer 1 emits phi of what dropout let through.
    """
    saturated, signal, phi = PROBE[mode]
    kw = {"nonlinearity": "relu"} if mode == "RNN" else {}
    m = getattr(nn, mode)(hidden, hidden, num_layers=2, dropout=p, **kw).to(device=device, dtype=torch.float64)
    with torch.no_grad():
        for w in m.parameters():
            w.zero_()
        for k in (0, 1):
            for gate, value in saturated.items():
                getattr(m, f"bias_ih_l{k}")[gate * hidden : (gate + 1) * hidden] = value
        m.bias_ih_l0[signal * hidden : (signal + 1) * hidden] = 0.5
        m.weight_ih_l1[signal * hidden : (signal + 1) * hidden] = torch.eye(hidden)
    return m.train(), phi


@claim(
    id="rnn.semantics.dropout-rate",
    statement=(
        "In train mode with 0 < p < 1 each element a layer passes to the next is zeroed with probability p and "
        "the others are scaled by 1/(1 - p), so the expectation is unchanged."
    ),
    modules=LAYERS,
    sources=DOCS + (TorchDoc("torch.nn.LSTM", "class docstring: dropout delta is a Bernoulli variable"),),
)
@pytest.mark.parametrize("mode", LAYERS)
@pytest.mark.parametrize("p", (0.2, 0.5, 0.8))
def test_dropout_rate(mode, p, device):
    hidden, seq, batch = 40, 10, 20
    m, phi = dropout_probe(mode, p, hidden, device)
    x = torch.zeros(seq, batch, hidden, dtype=torch.float64, device=device)
    with torch.random.fork_rng(devices=[] if device == "cpu" else [torch.device(device)]):
        torch.manual_seed(17)
        with torch.no_grad():
            out, _ = m(x)
    kept = out != 0
    # the survivors carry phi(c / (1 - p)), c = phi(0.5) the constant layer 0 emits
    c = phi(torch.tensor(0.5, dtype=torch.float64))
    precision = dropout_precision(device, out.dtype)  # cuDNN scales in float32
    expected = torch.full_like(out[kept], phi(c / (1 - p)).item())
    assert_close(out[kept].to(precision), expected.to(precision), f"{mode} p={p}", tf32=False)
    # n = 8,000 independent Bernoulli(p) drops: the zero fraction lies within 6 standard deviations of p
    # (sd = sqrt(p(1-p)/n) <= 0.0056) except with probability < 2e-9; the seed makes the run repeatable
    n = out.numel()
    frac = 1 - kept.double().mean().item()
    assert abs(frac - p) <= 6 * math.sqrt(p * (1 - p) / n), f"p={p}: dropped {frac:.4f}"


@claim(
    id="rnn.semantics.dropout-seeded",
    statement=(
        "Dropout in train mode draws from torch's global generator: the same torch.manual_seed before the call "
        "gives the same output, another seed a different one."
    ),
    modules=LAYERS,
    sources=DOCS,
)
@pytest.mark.parametrize("mode", LAYERS)
def test_dropout_seeded(mode, device):
    cfg = Config(mode=mode, num_layers=2, dropout=0.5, hidden_size=6, seq=4)
    m, x = cfg.build(device).train(), cfg.input(device)

    def call(seed):
        with torch.random.fork_rng(devices=[] if device == "cpu" else [torch.device(device)]):
            torch.manual_seed(seed)
            with torch.no_grad():
                return m(x)

    first, again, other = call(5), call(5), call(6)
    assert_close(again, first, "the same seed")
    assert not torch.equal(other[0], first[0])


@claim(
    id="cells.semantics.default-state-zeros",
    statement="A cell called without a state starts from zeros: cell(x) is cell(x, zeros), h and c for LSTMCell.",
    modules=CELL_NAMES,
    sources=(
        TorchDoc("torch.nn.RNNCell", "Inputs: hidden"),
        TorchDoc("torch.nn.LSTMCell", "Inputs: h_0, c_0"),
        TorchDoc("torch.nn.GRUCell", "Inputs: hidden"),
    ),
)
@given(cfg=cell_configs)
def test_cell_default_state(cfg, device):
    describe(cfg)
    cell = build_cell(cfg, device)
    x = cfg.input(device)[0]
    params = dict(cell.named_parameters())
    zeros = cell_state(cfg, device, zero=True)
    with torch.no_grad():
        got = cell(x)
        if cfg.mode == "LSTM":
            want = ref.lstm_cell(x, zeros[0], zeros[1], params)
        elif cfg.mode == "GRU":
            want = ref.gru_cell(x, zeros, params)
        else:
            want = ref.rnn_cell(x, zeros, params, cfg.nonlinearity)
    assert_close(got, want, cfg.repro())


@claim(
    id="packed.semantics.docstring-examples",
    statement=(
        "The packing functions' docstring examples hold as printed: [1, 2, 3], [4, 5], [6] pack to data "
        "[1, 4, 6, 2, 5, 3] with batch_sizes [3, 2, 1]; the unsorted [[1, 2, 0], [3, 0, 0], [4, 5, 6]] with "
        "lengths [2, 1, 3] packs to [4, 1, 3, 5, 2, 6] with sorted_indices [2, 0, 1] and unpads back; 'abc' and "
        "'x' pack to 'axbc' with batch_sizes [2, 1, 1]; and unpacking or unpadding gives the sequences back."
    ),
    modules=("PackedSequence",),
    sources=tuple(
        TorchDoc(PACKING_DOC + f, "Example")
        for f in ("pad_packed_sequence", "pack_sequence", "pad_sequence", "unpad_sequence", "unpack_sequence")
    )
    + (TorchDoc(PACKING_DOC + "PackedSequence", "Note: batch sizes are not lengths"),),
)
def test_docstring_examples(device):
    a, b, c = (torch.tensor(v, device=device) for v in ([1, 2, 3], [4, 5], [6]))
    packed = pack_sequence([a, b, c])
    assert packed.data.tolist() == [1, 4, 6, 2, 5, 3] and packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.sorted_indices is None and packed.unsorted_indices is None
    seq = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]], device=device)
    packed = pack_padded_sequence(seq, [2, 1, 3], batch_first=True, enforce_sorted=False)
    assert packed.data.tolist() == [4, 1, 3, 5, 2, 6] and packed.batch_sizes.tolist() == [3, 2, 1]
    assert packed.sorted_indices.tolist() == [2, 0, 1] and packed.unsorted_indices.tolist() == [1, 2, 0]
    back, lengths = pad_packed_sequence(packed, batch_first=True)
    assert torch.equal(back, seq) and lengths.tolist() == [2, 1, 3]
    abc_x = pack_sequence([torch.tensor([ord(ch) for ch in s], device=device) for s in ("abc", "x")])
    assert "".join(map(chr, abc_x.data.tolist())) == "axbc" and abc_x.batch_sizes.tolist() == [2, 1, 1]
    ones = [torch.ones(n, 300, device=device) for n in (25, 22, 15)]
    assert tuple(pad_sequence(ones).shape) == (25, 3, 300)
    if hasattr(torch.nn.utils.rnn, "unpad_sequence"):  # torch >= 1.11: packed.semantics.unpad-unpack
        unpadded = torch.nn.utils.rnn.unpad_sequence(pad_sequence(ones), torch.tensor([25, 22, 15]))
        assert all(torch.equal(u, o) for u, o in zip(unpadded, ones))
        unpacked = torch.nn.utils.rnn.unpack_sequence(pack_sequence([a, b, c]))
        assert [u.tolist() for u in unpacked] == [[1, 2, 3], [4, 5], [6]]


@claim(
    id="packed.semantics.conversions",
    statement=(
        "PackedSequence's double(), float(), half(), long(), int(), short(), char(), byte() and to(dtype) convert "
        "data only, keeping batch_sizes and both index tensors; to() the dtype and device it already has returns "
        "the same object, and on the CPU is_cuda and is_pinned() are False and cpu() returns it unchanged."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc(PACKING_DOC + "PackedSequence", "Note: devices and dtypes of data and the indices"),
        TorchDoc(PACKING_DOC + "PackedSequence", "Attributes"),
    ),
    devices=("cpu",),
)
def test_packed_conversions():
    packed = pack_sequence(packing.sequences([2, 3, 1], 2), enforce_sorted=False)
    conversions = {
        "double": torch.float64,
        "float": torch.float32,
        "half": torch.float16,
        "long": torch.int64,
        "int": torch.int32,
        "short": torch.int16,
        "char": torch.int8,
        "byte": torch.uint8,
    }
    for name, dtype in conversions.items():
        for converted in (getattr(packed, name)(), packed.to(dtype)):
            assert converted.data.dtype == dtype, name
            assert torch.equal(converted.data, packed.data.to(dtype)), name
            assert torch.equal(converted.batch_sizes, packed.batch_sizes)
            assert torch.equal(converted.sorted_indices, packed.sorted_indices)
            assert torch.equal(converted.unsorted_indices, packed.unsorted_indices)
    # (double() on float64 data is another object before torch 2.1, where it became to(dtype=torch.double))
    assert packed.to(torch.float64) is packed and packed.cpu() is packed
    assert not packed.is_cuda and not packed.is_pinned()


@claim(
    id="rnn.semantics.unbatched-state",
    statement=(
        "An unbatched 2-D input takes a 2-D initial state [num_layers*D, H_out] (for LSTM a pair with c_0 "
        "[num_layers*D, hidden_size]) and computes what the batch of one computes from it; a 3-D state with "
        "unbatched input is a RuntimeError."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: h_0 (unbatched)") for m in LAYERS),
    torch=">=1.11",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_unbatched_state(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, batch=None, proj_size=2 if mode == "LSTM" else 0)
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    hx = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if mode == "LSTM" else h0
    actual, expected = both(cfg, device, hx=hx)
    assert_close(actual, expected, cfg.repro())
    with pytest.raises(RuntimeError, match="2-D"):
        cfg.build(device)(cfg.input(device), map_state(lambda s: s.unsqueeze(1), hx))
