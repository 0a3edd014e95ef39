"""Warnings of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import warnings

import pytest
from torch import nn

from spec.helpers.strategies import LAYERS
from spec.registry import claim, torch_docs
from spec.sources.seeds import LAYER_DOCS


@claim(
    id="rnn.warnings.dropout-one-layer",
    statement="A non-zero dropout with num_layers=1 is accepted with a UserWarning, since dropout acts between layers.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "dropout"),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_dropout_one_layer_warns(mode):
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        m = getattr(nn, mode)(3, 4, dropout=0.5)
    assert m.dropout == 0.5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(nn, mode)(3, 4, num_layers=2, dropout=0.5)  # between two layers: no warning
