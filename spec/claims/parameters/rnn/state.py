"""The state_dict of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.parameters.state-*`` claims."""

from __future__ import annotations

import pytest
import torch

from reference.oracle.layers import forward as reference_forward
from spec.helpers.strategies import (
    LAYERS,
    Config,
    param_layout,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TorchDoc, TorchOwn, claim


@claim(
    id="rnn.parameters.state-dict-references",
    scope=TorchOwn("torch.nn.Module's copy, pickle and state_dict machinery"),
    statement=(
        "A layer's state_dict() holds references, not copies: each entry is its parameter's data (the same memory, "
        "under the parameter's name, in named_parameters order); load_state_dict copies values into the receiving "
        "layer's own parameters in place, keeping the Parameter objects its optimizer holds, and its next forward "
        "uses them."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.Module.state_dict", "references to the whole state of the module"),
        TorchDoc("torch.nn.Module.load_state_dict", "copy parameters and buffers from state_dict"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_state_dict_references(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True)
    m, x = cfg.build(device), cfg.input(device)
    state = m.state_dict()
    want = [name for name, _ in param_layout(cfg)]  # hand-derived names and order
    assert list(state) == want, f"{mode}: state_dict keys {list(state)} against {want}"
    for name, p in m.named_parameters():
        assert state[name].data_ptr() == p.data_ptr() and state[name].shape == p.shape, name
    other = cfg.with_(seed=cfg.seed + 1).build(device)
    held = [(p, p.data_ptr()) for p in other.parameters()]  # what an optimizer of `other` holds
    other.load_state_dict(state)
    for (p, ptr), q in zip(held, other.parameters()):
        assert q is p and q.data_ptr() == ptr, "load_state_dict replaced a parameter instead of copying into it"
    with torch.no_grad():
        assert_close(other(x), reference_forward(m, x), f"{mode}: the next forward uses the loaded values")
        for p in other.parameters():
            p.add_(1)  # and the copy is a copy: the original is untouched
        assert_close(m(x), reference_forward(m, x), mode)
        assert all(torch.equal(state[n], p) for n, p in m.named_parameters()), (
            f"{mode}: the state_dict taken before follows the parameters, not "
            f"{[n for n, p in m.named_parameters() if not torch.equal(state[n], p)]}"
        )
