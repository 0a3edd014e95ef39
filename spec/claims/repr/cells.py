"""Repr of the cells, nn.RNNCell, nn.LSTMCell and nn.GRUCell."""

from __future__ import annotations

import pytest
import torch

from spec.registry import TorchDoc, TorchOwn, claim


# RNNCellBase.extra_repr (torch/nn/modules/rnn.py, undocumented; the same code from 1.8 to 2.15 but for quotes)
@claim(
    id="cells.repr.non-default-args",
    scope=TorchOwn("the printed form is torch's classes' own"),
    statement=(
        "A cell's repr shows input and hidden size, then bias=False when the cell has no bias and, for RNNCell, "
        "nonlinearity unquoted when it is not tanh: RNNCell(3, 4, bias=False, nonlinearity=relu)."
    ),
    modules=("RNNCell", "LSTMCell", "GRUCell"),
    sources=(
        TorchDoc("torch.nn.RNNCell.extra_repr", "the arguments it shows"),
        TorchDoc("torch.nn.LSTMCell.extra_repr", "the arguments it shows"),
        TorchDoc("torch.nn.GRUCell.extra_repr", "the arguments it shows"),
    ),
)
@pytest.mark.parametrize(
    "args, kwargs, printed",
    [
        (("RNNCell", 3, 4), {}, "RNNCell(3, 4)"),
        (("RNNCell", 3, 4), {"nonlinearity": "tanh", "bias": True}, "RNNCell(3, 4)"),
        (("RNNCell", 3, 4), {"bias": False, "nonlinearity": "relu"}, "RNNCell(3, 4, bias=False, nonlinearity=relu)"),
        (("RNNCell", 5, 2), {"nonlinearity": "relu"}, "RNNCell(5, 2, nonlinearity=relu)"),
        (("LSTMCell", 3, 4), {}, "LSTMCell(3, 4)"),
        (("LSTMCell", 3, 4), {"bias": False}, "LSTMCell(3, 4, bias=False)"),
        (("GRUCell", 7, 1), {}, "GRUCell(7, 1)"),
        (("GRUCell", 3, 4), {"bias": False}, "GRUCell(3, 4, bias=False)"),
    ],
)
def test_cell_repr(args, kwargs, printed):
    cell, *sizes = args
    assert repr(getattr(torch.nn, cell)(*sizes, **kwargs)) == printed, (
        f"{cell}{tuple(sizes)} {kwargs}: {repr(getattr(torch.nn, cell)(*sizes, **kwargs))} against {printed}"
    )
