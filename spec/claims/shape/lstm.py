"""Shape of what is particular to nn.LSTM (its cell state, projections, gates)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spec.helpers.api import api
from spec.helpers.modules import expected_states, fixed_randn, run
from spec.helpers.strategies import (
    batched,
    configs,
    state_shapes,
)
from spec.registry import CONTRACT, Erratum, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S003, S004


@claim(
    id="lstm.shape.state-pair",
    scope=CONTRACT,
    statement=(
        "LSTM returns its state as a pair (h_n, c_n): h_n is [num_layers*D, batch, H_out] and c_n is "
        "[num_layers*D, batch, hidden_size], also when proj_size narrows h."
    ),
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Args", "proj_size"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        TorchDoc("torch.nn.LSTM", "Description", "If ``proj_size > 0``"),
        Seed(S000, "the 4-layer nn.LSTM example unpacking out, (h, c)", line=26),
        Seed(S004, "LSTM introduction: a memory cell shaped like the hidden state", line=9),
    ),
    erratum=Erratum(
        Seed(S003, "4.2: the comment in RNNmodel.begin_state", line=404),
        says="nn.LSTM's hidden state is a dict; it is a tuple (h, c)",
    ),
)
@given(cfg=configs(modes=st.just("LSTM"), batch=batched))
def test_lstm_state_pair(cfg, device):
    _, state = run(cfg, device)
    assert isinstance(state, tuple) and len(state) == 2, (
        f"LSTM's state is a {type(state).__name__} of {len(state)}, not a pair"
    )
    assert state_shapes(state) == expected_states(cfg), (
        f"state {state_shapes(state)} against {expected_states(cfg)}: {cfg.repro(device)}"
    )


@claim(
    id="lstm.shape.example-lstm-100-20-4",
    scope=CONTRACT,
    statement="nn.LSTM(100, 20, num_layers=4) over x [10, 3, 100] returns out [10, 3, 20] and h, c both [4, 3, 20].",
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Example", "Example"),
        Seed(S000, "the nn.LSTM(input_size=100, hidden_size=20, num_layers=4) example", line=26),
    ),
)
def test_lstm_100_20_4(device):
    out, (h, c) = api.LSTM(input_size=100, hidden_size=20, num_layers=4).to(device)(
        fixed_randn(device, 10, 3, 100, seed=7)
    )
    assert [tuple(t.shape) for t in (out, h, c)] == [(10, 3, 20), (4, 3, 20), (4, 3, 20)], (
        f"out, h, c {[tuple(t.shape) for t in (out, h, c)]}"
    )
