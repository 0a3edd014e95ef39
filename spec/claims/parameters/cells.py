"""Parameters of the cells, nn.RNNCell, nn.LSTMCell and nn.GRUCell."""

from __future__ import annotations

import pytest
from hypothesis import given

from spec.helpers.api import api
from spec.helpers.modules import build_cell
from spec.helpers.strategies import (
    CELL_NAMES,
    GATES,
    cell_configs,
)
from spec.registry import CONTRACT, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, S001


@claim(
    id="cells.parameters.names-shapes",
    scope=CONTRACT,
    statement=(
        "A cell has weight_ih [G*hidden, input], weight_hh [G*hidden, hidden], bias_ih and bias_hh "
        "[G*hidden] (none with bias=False), with G = 1, 4, 3 for RNNCell, LSTMCell, GRUCell."
    ),
    modules=CELL_NAMES,
    sources=(
        *torch_docs(CELL_DOCS, "Args", "input_size", "hidden_size", "bias"),
        *torch_docs(CELL_DOCS, "Attributes", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
        Seed(S001, "RNNCell(4, 2): weight_ih [2, 4], bias_ih [2], weight_hh [2, 2], bias_hh [2]", line=24),
    ),
)
@given(cfg=cell_configs)
def test_cell_parameters(cfg, device):
    cell = build_cell(cfg, device)
    gh = GATES[cfg.mode] * cfg.hidden_size
    want = [("weight_ih", (gh, cfg.input_size)), ("weight_hh", (gh, cfg.hidden_size))]
    if cfg.bias:
        want += [("bias_ih", (gh,)), ("bias_hh", (gh,))]
    assert [(n, tuple(p.shape)) for n, p in cell.named_parameters()] == want, (
        f"{cfg.mode}Cell({cfg.input_size}, {cfg.hidden_size}, bias={cfg.bias}): "
        f"{[(n, tuple(p.shape)) for n, p in cell.named_parameters()]} against {want}"
    )


@claim(
    id="cells.parameters.defaults",
    scope=CONTRACT,
    statement=(
        "The cells default to bias=True (bias_ih and bias_hh present), and RNNCell to nonlinearity='tanh'; "
        "bias=False leaves only the two weights."
    ),
    modules=CELL_NAMES,
    sources=(*torch_docs(CELL_DOCS, "Args", "bias"), TorchDoc("torch.nn.RNNCell", "Args", "nonlinearity")),
)
@pytest.mark.parametrize("cell", CELL_NAMES)
def test_cell_defaults(cell):
    default = getattr(api, cell)(3, 4)
    assert default.bias is True, f"{cell}(3, 4).bias is {default.bias!r}, not True"
    assert [n for n, _ in default.named_parameters()] == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"], (
        f"{cell}(3, 4): {[n for n, _ in default.named_parameters()]}"
    )
    assert [n for n, _ in getattr(api, cell)(3, 4, bias=False).named_parameters()] == ["weight_ih", "weight_hh"], (
        f"{cell}(3, 4, bias=False): {[n for n, _ in getattr(api, cell)(3, 4, bias=False).named_parameters()]}"
    )
    if cell == "RNNCell":
        assert default.nonlinearity == "tanh", f"RNNCell's default nonlinearity is {default.nonlinearity!r}, not 'tanh'"
