"""Which of nn.RNN, nn.LSTM and nn.GRU takes nonlinearity: the ``rnn.parameters.nonlinearity-*`` claims."""

from __future__ import annotations

import pytest

from spec.helpers.api import api
from spec.helpers.strategies import (
    LAYERS,
)
from spec.registry import CONTRACT, Seed, claim
from spec.sources.seeds import S002


@claim(
    id="rnn.parameters.nonlinearity-only-rnn",
    scope=CONTRACT,
    statement="Only nn.RNN takes nonlinearity ('tanh' or 'relu'); nn.LSTM and nn.GRU raise TypeError for it.",
    modules=LAYERS,
    sources=(Seed(S002, "the remark that RNN alone has the nonlinearity argument", line=18),),
)
@pytest.mark.parametrize("module", ("LSTM", "GRU"))
def test_nonlinearity_only_rnn(module):
    assert api.RNN(3, 4, nonlinearity="relu").nonlinearity == "relu", (
        f"RNN(nonlinearity='relu').nonlinearity is {api.RNN(3, 4, nonlinearity='relu').nonlinearity!r}"
    )
    with pytest.raises(TypeError):
        getattr(api, module)(3, 4, nonlinearity="relu")
