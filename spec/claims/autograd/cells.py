"""Autograd of the cells, nn.RNNCell, nn.LSTMCell and nn.GRUCell."""

from __future__ import annotations

import pytest
import torch

from reference.oracle import cells as ref
from spec.helpers.modules import build_cell, cell_state, step, torch_view, weighted_sum
from spec.helpers.strategies import CELL_NAMES, Config, describe
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, TorchDoc, claim


def reference_step(cfg: Config, cell):
    """One step of the from-scratch equations with ``cell``'s weights (read through its torch twin)."""
    params = dict(torch_view(cell).named_parameters())
    if cfg.mode == "LSTM":
        return lambda x, state: ref.lstm_cell(x, state[0], state[1], params)
    if cfg.mode == "GRU":
        return lambda x, state: ref.gru_cell(x, state, params)
    return lambda x, state: ref.rnn_cell(x, state, params, cfg.nonlinearity)


def both_orders(cfg: Config, device: str, by_reference: bool) -> list:
    """The first gradients (create_graph=True) of a random quadratic functional of one step's results, then the
    gradients of a random linear functional of them, each with respect to the input, the state and every parameter:
    what a gradient penalty through a cell differentiates. One step of the cell, or of the reference's equations
    with the same weights (``by_reference``)."""
    cell = build_cell(cfg, device, train=True)
    x = cfg.input(device)[0].requires_grad_(True)
    state = cell_state(cfg, device)
    states = list(state) if isinstance(state, tuple) else [state]
    for s in states:
        s.requires_grad_(True)
    # the implementation's own parameters on both sides (the reference reads them through the torch twin, in
    # torch's layout and order, whatever order the implementation keeps them in)
    leaves = [x, *states, *cell.parameters()]
    run = reference_step(cfg, cell) if by_reference else (lambda x, state: step(cell, x, state))
    result = run(x, tuple(states) if cfg.mode == "LSTM" else states[0])
    results = list(result) if isinstance(result, tuple) else [result]
    loss = weighted_sum([t * t for t in results], cfg, device)  # not linear in the results
    first = torch.autograd.grad(loss, leaves, create_graph=True)
    penalty = sum((g * cfg.randn(*g.shape, device=device, salt=300 + i)).sum() for i, g in enumerate(first))
    return [g.detach() for g in first] + list(torch.autograd.grad(penalty, leaves))


@claim(
    id="cells.autograd.double-backward",
    scope=CONTRACT,
    statement=(
        "Gradients through one step of RNNCell (tanh and relu), LSTMCell and GRUCell are themselves differentiable "
        "(create_graph=True), as through the layers: first- and second-order gradients with respect to the input, "
        "the state and every parameter equal those of the from-scratch cell equations."
    ),
    modules=CELL_NAMES,
    sources=(TorchDoc("torch.autograd.grad", "create_graph: the graph of the derivative is built for higher orders"),),
)
@pytest.mark.parametrize(
    "mode, nonlinearity", [("RNN", "tanh"), ("RNN", "relu"), ("LSTM", "tanh"), ("GRU", "tanh")], ids=str
)
def test_cell_double_backward(mode, nonlinearity, device):
    cfg = Config(mode=mode, nonlinearity=nonlinearity, num_layers=1, batch=3, seq=1)
    describe(cfg, device)
    with torch.backends.cudnn.flags(enabled=False):  # the cells never call cuDNN; the layers' note, kept alike
        got = both_orders(cfg, device, by_reference=False)
        want = both_orders(cfg, device, by_reference=True)
    n = len(got) // 2
    assert_close(got[:n], want[:n], f"{cfg.repro(device)}: first-order gradients against the reference's")
    assert_close(got[n:], want[n:], f"{cfg.repro(device)}: second-order gradients against the reference's")
