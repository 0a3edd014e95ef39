"""Repr of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from spec.helpers.strategies import LAYERS, Config, configs
from spec.registry import Seed, TorchDoc, TorchOwn, claim
from spec.sources.seeds import S000


def expected_repr(cfg: Config) -> str:
    """torch's documented repr: positional sizes, then only the arguments that differ from defaults."""
    parts = [str(cfg.input_size), str(cfg.hidden_size)]
    for name, value, default in (
        ("proj_size", cfg.proj_size, 0),
        ("num_layers", cfg.num_layers, 1),
        ("bias", cfg.bias, True),
        ("batch_first", cfg.batch_first, False),
        ("dropout", cfg.dropout, 0.0),
        ("bidirectional", cfg.bidirectional, False),
    ):
        if value != default:
            parts.append(f"{name}={value}")
    return f"{cfg.mode}({', '.join(parts)})"


@claim(
    id="rnn.repr.non-default-args",
    scope=TorchOwn("the printed form is torch's classes' own"),
    statement=(
        "repr shows input and hidden size, then only the non-default proj_size, num_layers, bias, "
        "batch_first, dropout and bidirectional, in that order (e.g. RNN(100, 20, num_layers=4))."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN.extra_repr", "the arguments it shows"),
        Seed(S000, "print(rnn) gives RNN(100, 20) and RNN(100, 20, num_layers=4)", line=22),
    ),
)
@given(cfg=configs(batch=st.just(1)), dropout=st.sampled_from((0.0, 0.25, 0.5)))
def test_repr(cfg, dropout):
    cfg = cfg.with_(dropout=dropout if cfg.num_layers > 1 else 0.0)
    assert repr(cfg.build()) == expected_repr(cfg), f"{cfg.build()!r} against {expected_repr(cfg)}"


@claim(
    id="rnn.repr.hides-nonlinearity",
    scope=TorchOwn("the printed form is torch's classes' own"),
    statement="nn.RNN's repr does not show nonlinearity: RNN(3, 4, nonlinearity='relu') prints as RNN(3, 4).",
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),),
)
def test_repr_hides_nonlinearity():
    m = torch.nn.RNN(3, 4, nonlinearity="relu")
    assert repr(m) == "RNN(3, 4)", f"prints as {m!r}"
    assert m.nonlinearity == "relu" and m.mode == "RNN_RELU", (
        f"nonlinearity {m.nonlinearity!r}, mode {m.mode!r}: not 'relu', 'RNN_RELU'"
    )
