"""Semantics of the cells, nn.RNNCell, nn.LSTMCell and nn.GRUCell."""

from __future__ import annotations

import torch
from hypothesis import given

from reference.common.states import map_state
from reference.oracle import cells as ref
from spec import implementations
from spec.helpers.modules import build_cell, cell_state, hidden_of, step, torch_view
from spec.helpers.strategies import (
    CELL_NAMES,
    cell_configs,
    describe,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS, S000, S001, S003, S004


def copy_layer_weights(cell, module, layer=0):
    """Layer ``layer``'s weights into the cell, by torch's names (through both torch twins: the implementation
    under test may name them otherwise)."""
    layer_weights = torch_view(module)
    with torch.no_grad():
        for name, p in torch_view(cell).named_parameters():
            p.copy_(getattr(layer_weights, f"{name}_l{layer}"))
    implementations.refresh(cell)


@claim(
    id="cells.semantics.equations",
    scope=CONTRACT,
    statement=(
        "RNNCell computes h' = act(W_ih x + b_ih + W_hh h + b_hh); LSTMCell stacks gates i, f, g, o "
        "with c' = f*c + i*g and h' = o*tanh(c'); GRUCell stacks r, z, n with b_hn inside r*(W_hn h + b_hn) "
        "and h' = (1-z)*n + z*h."
    ),
    modules=CELL_NAMES,
    sources=(
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Inputs", "hidden"),
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Outputs", "h'"),
        *torch_docs(CELL_DOCS, "Description", " cell"),
        TorchDoc("torch.nn.RNNCell", "Description", "then ReLU is used"),
        TorchDoc("torch.nn.RNNCell", "Args", "nonlinearity"),
        TorchDoc("torch.nn.LSTMCell", "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTMCell", "Inputs", "c_0"),
        TorchDoc("torch.nn.LSTMCell", "Outputs", "h_1"),
        TorchDoc("torch.nn.LSTMCell", "Outputs", "c_1"),
        *torch_docs(("torch.nn.LSTMCell", "torch.nn.GRUCell"), "Description", "sigmoid function"),
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
    params = dict(torch_view(cell).named_parameters())
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
    scope=CONTRACT,
    statement=(
        "Looping a cell over time with the weights of a one-layer module reproduces that module's "
        "output at every step and its final state."
    ),
    modules=CELL_NAMES + ("RNN", "LSTM", "GRU"),
    sources=(
        *torch_docs(CELL_DOCS, "Example", "Example"),
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
    scope=CONTRACT,
    statement=(
        "Two cells stepped in lockstep, the second reading the first's new hidden state, equal a "
        "two-layer module whose layer-k weights are cell k's."
    ),
    modules=CELL_NAMES + ("RNN", "LSTM", "GRU"),
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "num_layers"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "In a multilayer"),
        Seed(S000, "RNNCell(100, 30) feeding RNNCell(30, 20)", line=26),
        Seed(S000, "'two layer lstm': LSTMCell(100, 30) feeding LSTMCell(30, 20)", line=28),
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
    id="cells.semantics.default-state-zeros",
    scope=CONTRACT,
    statement="A cell called without a state starts from zeros: cell(x) is cell(x, zeros), h and c for LSTMCell.",
    modules=CELL_NAMES,
    sources=(
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Inputs", "hidden"),
        TorchDoc("torch.nn.LSTMCell", "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTMCell", "Inputs", "c_0"),
    ),
)
@given(cfg=cell_configs)
def test_cell_default_state(cfg, device):
    describe(cfg)
    cell = build_cell(cfg, device)
    x = cfg.input(device)[0]
    params = dict(torch_view(cell).named_parameters())
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
