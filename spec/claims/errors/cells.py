"""Errors of the cells, nn.RNNCell, nn.LSTMCell and nn.GRUCell."""

from __future__ import annotations

import pytest

from spec.helpers.api import api
from spec.helpers.modules import fixed_randn
from spec.helpers.outcomes import Case, Outcome, check, layer, refused
from spec.helpers.strategies import (
    CELLS,
)
from spec.registry import CONTRACT, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS

CELL = [
    Case(
        "cell-input-size",
        lambda d: layer("RNNCell", d, 3, 4)(fixed_randn(d, 2, 5)),
        (Outcome(raises=RuntimeError, match="input has inconsistent input_size: got 5,? expected 3"),),
    ),
    Case(
        "cell-hidden-size",
        lambda d: layer("GRUCell", d, 3, 4)(fixed_randn(d, 2, 3), fixed_randn(d, 2, 5)),
        (Outcome(raises=RuntimeError, match="hidden0? has inconsistent hidden_size: got 5, expected 4"),),
    ),
    Case(
        "cell-batch-mismatch",
        lambda d: layer("LSTMCell", d, 3, 4)(fixed_randn(d, 2, 3), (fixed_randn(d, 3, 4), fixed_randn(d, 3, 4))),
        (Outcome(raises=RuntimeError, match=r"Input batch size 2 doesn't match hidden(0|\[0\]) batch size 3"),),
    ),
    Case(
        "cell-3d-input",
        lambda d: layer("RNNCell", d, 3, 4)(fixed_randn(d, 1, 2, 3)),
        (
            Outcome(">=2.1", ValueError, "RNNCell: Expected input to be 1D or 2D, got 3D instead"),
            Outcome(">=1.11,<2.1", AssertionError, "RNNCell: Expected input to be 1-D or 2-D but received 3-D tensor"),
            Outcome("<1.11", RuntimeError),
        ),
    ),
]


@claim(
    id="cells.errors.inconsistent-sizes",
    scope=CONTRACT,
    statement=(
        "A cell rejects input of the wrong width, a state of the wrong width, a batch size that differs "
        "between input and state, and 3-D input."
    ),
    modules=tuple(CELLS.values()),  # the cells' names (iterating CELLS gave the layers' keys)
    sources=(
        *torch_docs(CELL_DOCS, "Args", "input_size", "hidden_size"),
        *torch_docs(CELL_DOCS, "Inputs", "input"),
        *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Inputs", "hidden"),
        TorchDoc("torch.nn.LSTMCell", "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTMCell", "Inputs", "c_0"),
    ),
)
@pytest.mark.parametrize("case", [c.param() for c in CELL])
def test_cell_errors(case, device):
    check(case, device)


# --- issue 17: RNNCell's nonlinearity, the packing functions' errors, clip_grad_norm_'s arguments by release ---


@claim(
    id="cells.errors.unknown-nonlinearity",
    scope=CONTRACT,
    statement=(
        "RNNCell takes nonlinearity 'tanh' (the default) or 'relu': another name is rejected, at construction "
        "or at the latest on the first call, with an error that names the nonlinearity."
    ),
    modules=("RNNCell",),
    sources=(TorchDoc("torch.nn.RNNCell", "Args", "nonlinearity"),),
)
def test_cell_unknown_nonlinearity(device):
    assert api.RNNCell(3, 4).nonlinearity == "tanh", (
        f"RNNCell's default nonlinearity is {api.RNNCell(3, 4).nonlinearity!r}, not 'tanh'"
    )
    with refused((ValueError, RuntimeError), match="nonlinearity.*sigmoid|sigmoid.*nonlinearity"):
        api.RNNCell(3, 4, nonlinearity="sigmoid").to(device)(fixed_randn(device, 2, 3))
