"""Semantics of what is particular to nn.LSTM (its cell state, projections, gates)."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from spec.helpers.api import api
from spec.helpers.modules import fixed_randn, gate_bias
from spec.helpers.strategies import (
    batched,
    configs,
    describe,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S002, S003, S004


@claim(
    id="lstm.semantics.h-bounded-c-unbounded",
    scope=CONTRACT,
    statement=(
        "Without projection an LSTM's |h| <= |tanh(c)| < 1 elementwise, while the cell state c is unbounded: "
        "with the forget and input gates open it accumulates past 1."
    ),
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        Seed(S004, "the LSTM gate equations: memory cell and hidden state", line=9),
        Seed(S003, "2.3 LSTM", line=116),
    ),
)
@given(
    cfg=configs(
        modes=st.just("LSTM"),
        batch=batched,
        num_layers=st.just(1),
        bidirectional=st.just(False),
        proj=st.just(False),
        seq=st.just(5),
        bias=st.just(True),
    )
)
def test_lstm_h_bounded(cfg, device):
    describe(cfg, device)
    m = cfg.build(device)
    with torch.no_grad():
        _, (h, c) = m(cfg.input(device))
        assert (h.abs() <= torch.tanh(c).abs()).all(), (
            f"|h| exceeds |tanh(c)| by up to {(h.abs() - torch.tanh(c).abs()).max().item():.3g}"
        )
        for gate, value in ((0, 1e4), (1, 1e4), (2, 1e4)):  # i = f = 1, g = 1: c_t = c_(t-1) + 1
            gate_bias(m, gate=gate, value=value)
        _, (h, c) = m(cfg.input(device))
    assert_close(c, torch.full_like(c, float(cfg.seq)), "c counts the steps")
    assert (h.abs() < 1).all(), f"|h| reaches {h.abs().max().item()}, not below 1"


@claim(
    id="lstm.semantics.example-imdb-bilstm-head",
    scope=CONTRACT,
    statement=(
        "In the IMDB classifier's LSTM(100, 256, num_layers=2, bidirectional=True, dropout=0.5), output is "
        "[seq, b, 512], h and c are [4, b, 256], and cat(h[-2], h[-1]) is [b, 512]: the last layer's forward "
        "state at the last step beside its backward state at the first step."
    ),
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Note", "is not equivalent to the last element"),
        Seed(S000, "IMDB sentiment model: forward() comments and torch.cat([hidden[-2], hidden[-1]])", line=30),
    ),
)
def test_imdb_bilstm_head(device):
    lstm = api.LSTM(100, 256, num_layers=2, bidirectional=True, dropout=0.5).to(device).eval()
    with torch.no_grad():
        output, (h, c) = lstm(fixed_randn(device, 7, 5, 100, seed=7))
    assert [tuple(t.shape) for t in (output, h, c)] == [(7, 5, 512), (4, 5, 256), (4, 5, 256)], (
        f"output, h, c {[tuple(t.shape) for t in (output, h, c)]}"
    )
    head = torch.cat([h[-2], h[-1]], dim=1)
    assert tuple(head.shape) == (5, 512), f"cat(h[-2], h[-1]) {tuple(head.shape)} against (5, 512)"
    ends = torch.cat([output[-1, :, :256], output[0, :, 256:]], dim=1)
    assert torch.equal(head, ends), (
        f"cat(h[-2], h[-1]) differs from the output's ends by {(head - ends).abs().max():.3g}"
    )


@claim(
    id="lstm.semantics.example-lstm-1-5-2",
    scope=CONTRACT,
    statement=(
        "nn.LSTM(1, 5, 2, batch_first=True) takes input_size 1, hidden_size 5 and 2 layers: over rand(2, 3, 1) "
        "it returns out [2, 3, 5] and h, c [2, 2, 5], and out[:, -1] equals the last layer's h, h[0][-1]."
    ),
    modules=("LSTM",),
    sources=(
        Seed(S002, "the LSTM(1, 5, 2, batch_first=True) example and its printed out and h", line=38),
        Seed(S003, "4.3: the third choice, nn.LSTM(num_inputs, num_hiddens, num_layers) by position", line=448),
    ),
    erratum=Erratum(
        Seed(S002, "the sentence introducing LSTM(1, 5, 2)", line=35),
        says="(1, 5, 2) is read as one data point per batch, 5 features per data point and two hidden layers",
    ),
)
def test_lstm_1_5_2(device):
    lstm = api.LSTM(1, 5, 2, batch_first=True).to(device)
    assert (lstm.input_size, lstm.hidden_size, lstm.num_layers) == (1, 5, 2), (
        f"(input_size, hidden_size, num_layers) {(lstm.input_size, lstm.hidden_size, lstm.num_layers)}"
    )
    out, (h, c) = lstm(torch.rand(2, 3, 1, generator=torch.Generator().manual_seed(3)).to(device))
    assert [tuple(t.shape) for t in (out, h, c)] == [(2, 3, 5), (2, 2, 5), (2, 2, 5)], (
        f"out, h, c {[tuple(t.shape) for t in (out, h, c)]}"
    )
    assert_close(out[:, -1], h[-1], "out[:, -1] against h[-1]")
