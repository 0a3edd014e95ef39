"""Semantics: what the layers and cells compute, against the from-scratch reference, the equations and ONNX."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given, note
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from reference.oracle import cells as ref
from reference.oracle.layers import forward as reference_forward
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
from spec.helpers.tolerances import assert_close
from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S001, S002


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
    Seed("003_d1ec100167748cfb.txt", "2.1 Gate: reset helps short-term, update long-term dependencies", line=107),
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
        Seed(
            "001_aeb7a07ab65f879f.txt", "1. RNNcell: the cell is a fully connected layer over input and hidden", line=6
        ),
        Seed("003_d1ec100167748cfb.txt", "2.1 Gate, 2.2 GRU, 2.3 LSTM", line=95),
        Seed("004_465858781a221de8.txt", "the LSTM gate equations", line=9),
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
        Seed("000_0803d243ad727e4b.txt", "'rnn by cell': RNNCell(100, 20) stepped over x", line=26),
        Seed("000_0803d243ad727e4b.txt", "'one layer lstm': LSTMCell stepped over x", line=27),
        Seed("001_aeb7a07ab65f879f.txt", "2. RNN: one nn.RNN runs several RNNCell steps at once", line=47),
        Seed("000_0803d243ad727e4b.txt", "the opening notes: the same parameters W at every step", line=3),
        Seed("003_d1ec100167748cfb.txt", "1.1: weights shared across time, one architecture for any length", line=17),
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
        Seed("000_0803d243ad727e4b.txt", "RNNCell(100, 30) feeding RNNCell(30, 20)", line=26),
        Seed("000_0803d243ad727e4b.txt", "'two layer lstm': LSTMCell(100, 30) feeding LSTMCell(30, 20)", line=28),
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
            "003_d1ec100167748cfb.txt",
            "0x02: GRU and LSTM gate equations; 2.4 deep RNN; 2.5 bidirectional RNN",
            line=83,
        ),
        Seed("000_0803d243ad727e4b.txt", "RNN, LSTM and GRU cell diagrams at the top", line=9),
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
        Seed("000_0803d243ad727e4b.txt", "IMDB classifier: cat of hidden[-2] and hidden[-1]", line=30),
        Seed("002_10f18caa03c370d0.txt", "printed out[:, -1] rows equal the last layer's h rows", line=110),
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
    id="rnn.semantics.bidirectional-is-two-passes",
    statement=(
        "A bidirectional layer equals a forward layer on the sequence concatenated with a second layer "
        "(the _reverse weights) run over the reversed sequence and flipped back."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "bidirectional"),
        Seed("003_d1ec100167748cfb.txt", "2.5 bidirectional RNN", line=128),
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
        Seed("002_10f18caa03c370d0.txt", "nonlinearity: tanh or relu", line=18),
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
        Seed("004_465858781a221de8.txt", "the LSTM gate equations: memory cell and hidden state", line=9),
        Seed("003_d1ec100167748cfb.txt", "2.3 LSTM", line=116),
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
            "003_d1ec100167748cfb.txt",
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


@claim(
    id="rnn.semantics.dropout-eval-off",
    statement="In eval mode dropout does nothing: the module equals the reference without dropout, call after call.",
    modules=LAYERS,
    sources=DOCS
    + (Seed("000_0803d243ad727e4b.txt", "IMDB model: LSTM(..., dropout=0.5) evaluated with rnn.eval()", line=30),),
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
    sources=DOCS + (Seed("002_10f18caa03c370d0.txt", "the dropout argument of the three constructors", line=14),),
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
        Seed("003_d1ec100167748cfb.txt", "2.2 GRU and 2.3 LSTM", line=110),
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
