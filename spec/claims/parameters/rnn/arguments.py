"""The constructor arguments of the layers and cells kept as attributes: the ``rnn.parameters.arguments-*`` claims."""

from __future__ import annotations

import pytest
import torch

from spec import registry
from spec.helpers.api import POSITIONAL, api
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
)
from spec.registry import CONTRACT, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS

# The attributes user code reads back: every documented constructor argument (hidden_size, num_layers, bidirectional
# size an initial state, batch_first says how to pack, proj_size is h_0's width; the rest describe and rebuild a
# model). Left out: ``mode`` (undocumented, the kernel's dispatch key, absent where there is no RNNBase) and the
# private _flat_weights & co. Two sets of values, none a default, each pair of booleans told apart in one of them.
ARGUMENTS = {
    "RNN": dict(num_layers=3, nonlinearity="relu", dropout=0.25),
    "LSTM": dict(num_layers=3, dropout=0.25, proj_size=2),
    "GRU": dict(num_layers=3, dropout=0.25),
    "RNNCell": dict(nonlinearity="relu"),
    "LSTMCell": {},
    "GRUCell": {},
}


FLAGS = (dict(bias=False, batch_first=True, bidirectional=True), dict(bias=True, batch_first=True, bidirectional=False))


@claim(
    id="rnn.parameters.arguments-as-attributes",
    scope=CONTRACT,
    statement=(
        "Every layer and cell keeps each constructor argument, given by keyword or by position in the documented "
        "order, as the attribute of its name with the value and type given: input_size, hidden_size, bias, and for "
        "the layers num_layers, batch_first, dropout, bidirectional, with proj_size (LSTM) and nonlinearity (RNN, "
        "RNNCell)."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(*torch_docs(LAYER_DOCS + CELL_DOCS, "Args", "input_size", "hidden_size", "bias"),),
)
@pytest.mark.parametrize("flags", (0, 1), ids=("set-a", "set-b"))
@pytest.mark.parametrize("how", ("keyword", "position"))
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_arguments_as_attributes(module, how, flags):
    names = ("input_size", "hidden_size") + POSITIONAL[module]
    given = dict(ARGUMENTS[module], input_size=3, hidden_size=5, **FLAGS[flags])
    given = {k: given[k] for k in names if k in given}  # (the cells take only bias of the flags)
    if how == "position" and module == "RNN" and registry.release_of(torch.__version__) < registry.release_of("2.3"):
        registry.not_applicable("RNN takes nonlinearity 4th by position from 2.3 (its positional-nonlinearity)")
    if how == "keyword":
        m = getattr(api, module)(**given)
    else:
        m = getattr(api, module)(*(given[k] for k in names))
    got = {k: getattr(m, k, "(no such attribute)") for k in given}
    assert {k: (v, type(v)) for k, v in got.items()} == {k: (v, type(v)) for k, v in given.items()}, (
        f"{module} built by {how} from {given}: its attributes are {got}"
    )
