"""nn.RNNCell / nn.LSTMCell / nn.GRUCell: equations, shapes, and how they compose into layers."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference import cells as ref
from spec.registry import Seed, TorchDoc, claim
from spec.strategies import CELLS, GATES, Config, configs, describe
from spec.tolerances import assert_close

CELL_NAMES = tuple(CELLS.values())


def build_cell(cfg: Config, device: str, input_size=None, hidden_size=None) -> torch.nn.Module:
    kw = {"bias": cfg.bias}
    if cfg.mode == "RNN":
        kw["nonlinearity"] = cfg.nonlinearity
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(cfg.seed + 1)
        cell = getattr(torch.nn, CELLS[cfg.mode])(input_size or cfg.input_size, hidden_size or cfg.hidden_size, **kw)
    return cell.to(device=device, dtype=cfg.torch_dtype)


def cell_state(cfg: Config, device: str, zero=False):
    """A random (or zero) state: (h, c) for LSTMCell, h otherwise. Random makes W_hh matter."""
    shape = ((cfg.batch,) if cfg.batch is not None else ()) + (cfg.hidden_size,)
    make = (
        (lambda salt: torch.zeros(shape, dtype=cfg.torch_dtype, device=device))
        if zero
        else (lambda salt: cfg.randn(*shape, device=device, salt=salt))
    )
    return (make(10), make(11)) if cfg.mode == "LSTM" else make(10)


def map_state(fn, state):
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)


def hidden(state):
    return state[0] if isinstance(state, tuple) else state


def step(cell, x, state):
    """One call of a torch cell, with LSTMCell's state passed as a list (as source 000 does)."""
    return cell(x, list(state)) if isinstance(state, tuple) else cell(x, state)


def copy_layer_weights(cell, module, layer=0):
    with torch.no_grad():
        for name, p in cell.named_parameters():
            p.copy_(getattr(module, f"{name}_l{layer}"))


cell_configs = configs(
    num_layers=st.just(1),
    bidirectional=st.just(False),
    batch_first=st.just(False),
    proj=st.just(False),
    batch=st.integers(min_value=1, max_value=4),
)


@claim(
    id="cells.semantics.equations",
    statement=(
        "RNNCell computes h' = act(W_ih x + b_ih + W_hh h + b_hh); LSTMCell stacks gates i, f, g, o "
        "with c' = f*c + i*g and h' = o*tanh(c'); GRUCell stacks r, z, n with b_hn inside r*(W_hn h + b_hn) "
        "and h' = (1-z)*n + z*h."
    ),
    kind="semantics",
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
    describe(cfg)
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
    assert_close(got, want, cfg.repro())


@claim(
    id="cells.semantics.loop-equals-layer",
    statement=(
        "Looping a cell over time with the weights of a one-layer module reproduces that module's "
        "output at every step and its final state."
    ),
    kind="semantics",
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
    describe(cfg)
    module, cell = cfg.build(device), build_cell(cfg, device)
    copy_layer_weights(cell, module)
    x = cfg.input(device)
    state = cell_state(cfg, device)
    with torch.no_grad():
        out, final = module(x, map_state(lambda s: s.unsqueeze(0), state))
        steps = []
        for xt in x:
            state = step(cell, xt, state)
            steps.append(hidden(state))
    assert_close(out, torch.stack(steps), f"outputs: {cfg.repro()}")
    assert_close(final, map_state(lambda s: s.unsqueeze(0), state), f"final state: {cfg.repro()}")


@claim(
    id="cells.semantics.stacked-equal-multilayer",
    statement=(
        "Two cells stepped in lockstep, the second reading the first's new hidden state, equal a "
        "two-layer module whose layer-k weights are cell k's."
    ),
    kind="semantics",
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
    describe(cfg)
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
                inp = hidden(states[k])
            tops.append(inp)
    assert_close(out, torch.stack(tops), cfg.repro())


@claim(
    id="cells.shape.batched",
    statement=(
        "A cell maps input [batch, input_size] and state [batch, hidden_size] to [batch, hidden_size] "
        "(LSTMCell: a pair (h', c'), both [batch, hidden_size])."
    ),
    kind="shape",
    modules=CELL_NAMES,
    sources=tuple(TorchDoc(f"torch.nn.{c}", "Inputs / Outputs") for c in CELL_NAMES)
    + (
        Seed(
            "001_aeb7a07ab65f879f.txt", "RNNCell(4, 2) over a [3, 1, 4] dataset: each step's output is [1, 2]", line=15
        ),
        Seed("000_0803d243ad727e4b.txt", "'one layer lstm': h and c both [3, 20] after the loop", line=27),
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
    kind="shape",
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
    id="cells.parameters.names-shapes",
    statement=(
        "A cell has weight_ih [G*hidden, input], weight_hh [G*hidden, hidden], bias_ih and bias_hh "
        "[G*hidden] (none with bias=False), with G = 1, 4, 3 for RNNCell, LSTMCell, GRUCell."
    ),
    kind="parameters",
    modules=CELL_NAMES,
    sources=tuple(TorchDoc(f"torch.nn.{c}", "Variables") for c in CELL_NAMES)
    + (
        Seed(
            "001_aeb7a07ab65f879f.txt",
            "RNNCell(4, 2): weight_ih [2, 4], bias_ih [2], weight_hh [2, 2], bias_hh [2]",
            line=24,
        ),
    ),
)
@given(cfg=cell_configs)
def test_cell_parameters(cfg, device):
    cell = build_cell(cfg, device)
    gh = GATES[cfg.mode] * cfg.hidden_size
    want = [("weight_ih", (gh, cfg.input_size)), ("weight_hh", (gh, cfg.hidden_size))]
    if cfg.bias:
        want += [("bias_ih", (gh,)), ("bias_hh", (gh,))]
    assert [(n, tuple(p.shape)) for n, p in cell.named_parameters()] == want
