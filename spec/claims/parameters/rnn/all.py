"""all_weights of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.parameters.all-*`` claims."""

from __future__ import annotations

import torch
from hypothesis import example, given
from hypothesis import strategies as st

from spec.helpers.strategies import (
    LAYERS,
    Config,
    configs,
    param_layout,
)
from spec.registry import CONTRACT, TorchDoc, claim

# --- issue 17 (coverage): all_weights, and nonlinearity given by position ---


# RNNBase.all_weights is undocumented (no docstring; torch/nn/modules/rnn.py builds it from _all_weights, the
# same code from 1.8 to 2.15); it is what code written against torch's own tests and older tutorials reads.
@claim(
    id="rnn.parameters.all-weights",
    scope=CONTRACT,
    statement=(
        "all_weights lists the parameters grouped by layer and direction (l0, l0_reverse, l1, ...), each group "
        "in named_parameters order, as the module's own Parameter objects read at the time of access."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN.all_weights", "the property"),
        TorchDoc("torch.nn.LSTM.all_weights", "the property"),
        TorchDoc("torch.nn.GRU.all_weights", "the property"),
    ),
)
# the ci profile's random draws miss some classes the statement names (tests/test_strategy_reach.py): given here
@example(cfg=Config(mode="RNN", num_layers=2, bidirectional=True, nonlinearity="relu", batch=1))
@example(cfg=Config(mode="LSTM", hidden_size=4, num_layers=2, bidirectional=True, proj_size=2, batch=1))
@example(cfg=Config(mode="GRU", num_layers=2, bidirectional=True, batch=1))
@example(cfg=Config(mode="GRU", bias=False, batch=1))
@given(cfg=configs(batch=st.just(1)))
def test_all_weights(cfg, device):
    m = cfg.build(device)
    groups: dict = {}
    for name, _ in param_layout(cfg):  # hand-derived names: weight_ih_l{k}{s}, ..., grouped by l{k}{s}
        groups.setdefault(name.rpartition("_l")[2], []).append(name)
    want = [[getattr(m, n) for n in names] for names in groups.values()]
    got = m.all_weights
    assert [len(g) for g in got] == [len(g) for g in want], cfg.repro(device)
    assert all(a is b for ga, gb in zip(got, want) for a, b in zip(ga, gb)), cfg.repro(device)
    m.weight_ih_l0 = torch.nn.Parameter(torch.zeros_like(m.weight_ih_l0))
    # a replaced parameter shows at the next access
    assert m.all_weights[0][0] is m.weight_ih_l0, "all_weights[0][0] is not the weight_ih_l0 just assigned"
