"""The constructors' defaults of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.parameters.signature-*`` claims."""

from __future__ import annotations

import pytest

from spec.helpers.api import api
from spec.helpers.strategies import (
    LAYERS,
)
from spec.registry import CONTRACT, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS, S002


@claim(
    id="rnn.parameters.signature-defaults",
    scope=CONTRACT,
    statement=(
        "The constructors default to num_layers=1, bias=True, batch_first=False, dropout=0, "
        "bidirectional=False (proj_size=0 for LSTM, nonlinearity='tanh' for RNN)."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "num_layers", "bias", "batch_first", "bidirectional"),
        TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),
        TorchDoc("torch.nn.LSTM", "Args", "proj_size"),
        Seed(S002, "the three constructor signatures near the top", line=14),
    ),
)
@pytest.mark.parametrize("module", LAYERS)
def test_signature_defaults(module):
    m = getattr(api, module)(3, 4)
    got = {k: getattr(m, k) for k in ("num_layers", "bias", "batch_first", "dropout", "bidirectional")}
    assert got == dict(num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False), (
        f"{module}(3, 4): {got}"
    )
    if module == "LSTM":
        assert m.proj_size == 0, f"LSTM(3, 4).proj_size is {m.proj_size!r}, not 0"
    if module == "RNN":
        assert m.nonlinearity == "tanh", f"RNN(3, 4).nonlinearity is {m.nonlinearity!r}, not 'tanh'"
