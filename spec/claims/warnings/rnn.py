"""Warnings of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import warnings

import pytest
from torch import nn

from spec.helpers.strategies import LAYERS
from spec.registry import PAST_RELEASE, TorchDoc, TorchOwn, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS


@claim(
    id="rnn.warnings.dropout-one-layer",
    scope=TorchOwn("a warning's wording and when torch chooses to warn"),
    statement="A non-zero dropout with num_layers=1 is accepted with a UserWarning, since dropout acts between layers.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "dropout"),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_dropout_one_layer_warns(mode):
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        m = getattr(nn, mode)(3, 4, dropout=0.5)
    assert m.dropout == 0.5, f"{mode}(dropout=0.5).dropout is {m.dropout!r}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(nn, mode)(3, 4, num_layers=2, dropout=0.5)  # between two layers: no warning


# --- issue 24: TorchScript deprecated (pytorch/pytorch#173015) ---
def script_warnings() -> list:
    """(category, message) of every warning torch.jit.script raises on a module holding an LSTM (the layer nn.RNN
    aside scripts on every release: rnn.targets.script-rnn-refused), each shown ("always")."""
    import torch

    from spec.helpers import targets

    m = nn.LSTM(3, 4)
    x = torch.zeros(2, 1, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.script(targets.script_host(m, (x,)))
    return [(w.category, str(w.message)) for w in caught]


def deprecation_notices(found: list) -> list:
    """The warnings that say torch.jit.script is deprecated."""
    return [(c, msg) for c, msg in found if "torch.jit.script" in msg and "deprecated" in msg]


SCRIPT_DOC = (TorchDoc("torch.jit.script", "scripting an nn.Module"),)


# Measured: no such warning on 1.9.1, 1.11.0, 2.1.2 and 2.9.1; a DeprecationWarning on 2.10.0 and 2.13.0
# (pytorch/pytorch#173015); a FutureWarning on 2.14.1 and 2.15.0. A DeprecationWarning is shown by default only
# when raised from __main__, so scripts miss it while test suites that turn warnings into errors (pytest -W error)
# fail on it.
@claim(
    id="rnn.warnings.jit-script-deprecated",
    scope=TorchOwn("a warning's wording and when torch chooses to warn"),
    statement=(
        "From torch 2.10 torch.jit.script of a module holding a recurrent layer raises a DeprecationWarning that "
        "torch.jit.script is deprecated and names torch.compile and torch.export instead."
    ),
    modules=("LSTM",),
    sources=SCRIPT_DOC,
    torch=">=2.10,<2.14",
)
def test_jit_script_deprecated():
    notices = deprecation_notices(script_warnings())
    assert notices and all(c is DeprecationWarning for c, _ in notices), notices
    assert all("torch.compile" in msg and "torch.export" in msg for _, msg in notices), notices


@claim(
    id="rnn.warnings.jit-script-future-warning",
    scope=TorchOwn("a warning's wording and when torch chooses to warn"),
    statement=(
        "From torch 2.14 the notice that torch.jit.script is deprecated (naming torch.compile and torch.export) is "
        "a FutureWarning, shown to every user by default, no longer a DeprecationWarning."
    ),
    modules=("LSTM",),
    sources=SCRIPT_DOC,
    torch=">=2.14",
)
def test_jit_script_future_warning():
    notices = deprecation_notices(script_warnings())
    assert notices and all(c is FutureWarning for c, _ in notices), notices
    assert all("torch.compile" in msg and "torch.export" in msg for _, msg in notices), notices


@claim(
    id="rnn.warnings.jit-script-not-deprecated",
    scope=PAST_RELEASE,
    statement="Before torch 2.10 torch.jit.script of a module holding a recurrent layer warns of no deprecation.",
    modules=("LSTM",),
    sources=SCRIPT_DOC,
    torch="<2.10",
)
def test_jit_script_not_deprecated():
    found = [(c, m) for c, m in script_warnings() if "deprecat" in m.lower() and "jit" in m.lower()]
    assert not found, f"torch.jit.script warns of deprecation: {found}"
