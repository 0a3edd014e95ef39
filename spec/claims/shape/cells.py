"""Shape of the cells, nn.RNNCell, nn.LSTMCell and nn.GRUCell."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from reference.common.states import map_state
from spec.helpers.api import api
from spec.helpers.modules import build_cell, cell_state, fixed_randn, step
from spec.helpers.strategies import (
    CELL_NAMES,
    CELLS,
    Config,
    cell_configs,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, S000, S001


@claim(
    id="cells.shape.batched",
    scope=CONTRACT,
    statement=(
        "A cell maps input [batch, input_size] and state [batch, hidden_size] to [batch, hidden_size] "
        "(LSTMCell: a pair (h', c'), both [batch, hidden_size])."
    ),
    modules=CELL_NAMES,
    sources=(
        *torch_docs(CELL_DOCS, "Inputs", "input"),
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Outputs", "h'"),
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Shape", "input", "hidden", "output"),
        TorchDoc("torch.nn.LSTMCell", "Outputs", "h_1"),
        TorchDoc("torch.nn.LSTMCell", "Outputs", "c_1"),
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
    assert shapes == [(cfg.batch, cfg.hidden_size)] * (2 if cfg.mode == "LSTM" else 1), (
        f"{cfg.mode}Cell({cfg.input_size}, {cfg.hidden_size}), batch {cfg.batch}: {shapes}"
    )


@claim(
    id="cells.shape.unbatched",
    scope=CONTRACT,
    statement="A cell also takes one unbatched example: input [input_size] and state [hidden_size] give [hidden_size].",
    modules=CELL_NAMES,
    sources=(
        *torch_docs(CELL_DOCS, "Inputs", "input"),
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Outputs", "h'"),
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Shape", "input", "hidden", "output"),
        TorchDoc("torch.nn.LSTMCell", "Outputs", "h_1"),
        TorchDoc("torch.nn.LSTMCell", "Outputs", "c_1"),
    ),
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
    assert {tuple(g.shape) for g in (got if mode == "LSTM" else (got,))} == {(cfg.hidden_size,)}, (
        f"{mode} unbatched: {[tuple(g.shape) for g in (got if mode == 'LSTM' else (got,))]}, not ({cfg.hidden_size},)"
    )
    assert_close(got, map_state(lambda b: b[0], batched), mode)


@claim(
    id="cells.shape.example-cell-loops",
    scope=CONTRACT,
    statement=(
        "Stepping RNNCell(100, 20) over the 10 steps of x [10, 3, 100] leaves h [3, 20], and so does "
        "RNNCell(100, 30) feeding RNNCell(30, 20); likewise LSTMCell(100, 20), given its state as a list "
        "[h, c], and LSTMCell(100, 30) feeding LSTMCell(30, 20) leave h and c [3, 20]."
    ),
    modules=("RNNCell", "LSTMCell"),
    sources=(
        *torch_docs(("torch.nn.RNNCell", "torch.nn.LSTMCell"), "Example", "Example"),
        Seed(S000, "'rnn by cell': one RNNCell, then RNNCell(100, 30) and RNNCell(30, 20)", line=26),
        Seed(S000, "'one layer lstm' and 'two layer lstm': LSTMCell loops with [h, c] lists", line=27),
    ),
)
@pytest.mark.parametrize("kind", ["RNNCell", "LSTMCell"])
@pytest.mark.parametrize("widths", [(20,), (30, 20)], ids=["one-cell", "two-cells"])
def test_cell_loops(kind, widths, device):
    sizes = (100,) + widths
    cells = [getattr(api, kind)(i, o).to(device) for i, o in zip(sizes, sizes[1:])]
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
    assert [tuple(t.shape) for t in top] == [(3, 20)] * len(top), (
        f"{kind}: the top cell's state {[tuple(t.shape) for t in top]}, not (3, 20)"
    )
