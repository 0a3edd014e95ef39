"""Semantics of what is particular to nn.GRU (its reset and update gates)."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from spec.helpers.modules import gate_bias, torch_view
from spec.helpers.strategies import (
    batched,
    configs,
    describe,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Seed, TorchDoc, claim
from spec.sources.seeds import S003

one_layer_gru = configs(
    modes=st.just("GRU"),
    batch=batched,
    batch_first=st.just(False),
    num_layers=st.just(1),
    bidirectional=st.just(False),
    bias=st.just(True),
)


@claim(
    id="gru.semantics.update-gate-copies-state",
    scope=CONTRACT,
    statement="When the update gate z saturates at 1 a GRU copies its state: h_t = h_(t-1) at every step.",
    modules=("GRU",),
    sources=(
        TorchDoc("torch.nn.GRU", "Description", "to an input sequence"),
        Seed(S003, "2.1 Gate: reset helps short-term, update long-term dependencies", line=107),
    ),
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
    scope=CONTRACT,
    statement=(
        "When the reset gate r is 0 and the update gate z is 0 a GRU forgets its past: "
        "h_t = tanh(W_in x_t + b_in) whatever h_(t-1) was."
    ),
    modules=("GRU",),
    sources=(
        TorchDoc("torch.nn.GRU", "Description", "to an input sequence"),
        Seed(S003, "2.1 Gate: reset helps short-term, update long-term dependencies", line=107),
    ),
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
        w_in = torch_view(m).weight_ih_l0[2 * cfg.hidden_size :]
        b_in = torch_view(m).bias_ih_l0[2 * cfg.hidden_size :]
    assert_close(out, out_other, "h_0 no longer matters")
    assert_close(out, torch.tanh(x @ w_in.T + b_in), cfg.repro(device))


@claim(
    id="gru.semantics.state-bounded",
    scope=CONTRACT,
    statement=(
        "A GRU started from a state in [-1, 1] never leaves it, whatever its weights and the scale of its input "
        "(up to rounding): each step mixes the old state with a tanh candidate through a gate in (0, 1); "
        "started outside, the state is not clipped."
    ),
    modules=("GRU",),
    sources=(
        TorchDoc("torch.nn.GRU", "Description", "to an input sequence"),
        Seed(S003, "2.1 Gate: sigmoid gates in (0, 1), tanh keeps the candidate in (-1, 1)", line=101),
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
