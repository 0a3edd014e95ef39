"""Source 002's listings: the three constructors' signatures (lines 14-16), the call ``rnn(input, h)``
(lines 32-33) and the worked example LSTM(1, 5, 2, batch_first=True) on a [2, 3, 1] input (lines 38-121)."""

from __future__ import annotations

import inspect

import torch

from reference.common.shapecheck import Float, Tensor, checked

#: Lines 14-16: the keyword defaults the three constructors are listed with.
LISTED_DEFAULTS = {
    "RNN": {
        "num_layers": 1,
        "nonlinearity": "tanh",
        "bias": True,
        "batch_first": False,
        "dropout": 0,
        "bidirectional": False,
    },
    "LSTM": {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0, "bidirectional": False},
    "GRU": {"num_layers": 1, "bias": True, "batch_first": False, "dropout": 0, "bidirectional": False},
}


def defaults(name: str) -> dict:
    """The defaults the installed torch gives the listed arguments: read from the signature where it names
    them, else from a module built with only the two sizes (before torch 2.1 the signature is ``*args``)."""
    cls = getattr(torch.nn, name)
    params = inspect.signature(cls.__init__).parameters
    built = cls(3, 4)
    out = {}
    for arg in LISTED_DEFAULTS[name]:
        if arg in params and params[arg].default is not inspect.Parameter.empty:
            out[arg] = params[arg].default
        else:
            out[arg] = getattr(built, arg)
    return out


@checked
def lstm_example(a: Float[Tensor, "2 3 1"]):
    """Lines 38-64: ``rnn = LSTM(1, 5, 2, batch_first=True)``, then ``out, h = rnn(a)`` with no state given;
    returns (out, h) with h the (h_n, c_n) tuple the listing prints as ``h``."""
    rnn = torch.nn.LSTM(1, 5, 2, batch_first=True)
    out, h = rnn(a)
    return out, h


def run_example(seed: int = 0):
    """The example end to end: ``a = torch.rand(2, 3, 1)`` under ``seed``, then :func:`lstm_example`."""
    torch.manual_seed(seed)
    a = torch.rand(2, 3, 1)
    return (a, *lstm_example(a))
