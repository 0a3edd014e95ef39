"""nn.RNN's nonlinearity given by position: the ``rnn.parameters.positional-*`` claims."""

from __future__ import annotations

import torch

from spec.helpers.api import api
from spec.helpers.modules import fixed_randn
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, PAST_RELEASE, TorchDoc, claim


# RNN.__init__ reads a 4th positional argument as nonlinearity from 2.3 (the `if len(args) > 3` branch, absent
# from 2.2.2's rnn.py, present in 2.3.1's); before, RNN(*args) went to RNNBase.__init__(mode, input_size,
# hidden_size, num_layers, bias, ...), so the 4th lands in bias (measured on 1.10.2, 1.11.0, 2.0.1, 2.2.2).
@claim(
    id="rnn.parameters.positional-nonlinearity",
    scope=CONTRACT,
    statement=(
        "nn.RNN takes nonlinearity as its 4th positional argument, as its signature lists it: RNN(3, 4, 2, 'relu', "
        "False) is RNN(3, 4, num_layers=2, nonlinearity='relu', bias=False)."
    ),
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),),
    torch=">=2.3",
)
def test_positional_nonlinearity(device):
    by_position = api.RNN(3, 4, 2, "relu", False).to(device)
    by_keyword = api.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False).to(device)
    assert (by_position.nonlinearity, by_position.mode, by_position.bias) == ("relu", "RNN_RELU", False), (
        f"RNN(3, 4, 2, 'relu', False): (nonlinearity, mode, bias) "
        f"{(by_position.nonlinearity, by_position.mode, by_position.bias)}"
    )
    by_keyword.load_state_dict(by_position.state_dict())
    x = fixed_randn(device, 5, 2, 3)
    with torch.no_grad():
        out, h_n = by_position(x)
        assert_close((out, h_n), by_keyword(x), "positional and keyword nonlinearity compute the same")
        assert (out >= 0).all(), f"output down to {out.min().item()}: relu is never negative, tanh is"


@claim(
    id="rnn.parameters.positional-nonlinearity-before-2-3",
    scope=PAST_RELEASE,
    statement=(
        "Before torch 2.3 nn.RNN's 4th positional argument is taken as bias: RNN(3, 4, 2, 'relu', False) keeps "
        "nonlinearity 'tanh', stores bias='relu' and batch_first=False, and prints as RNN(3, 4, num_layers=2, "
        "bias=relu)."
    ),
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),),
    torch="<2.3",
)
def test_positional_nonlinearity_before_2_3():
    m = torch.nn.RNN(3, 4, 2, "relu", False)
    assert (m.nonlinearity, m.mode, m.bias, m.batch_first) == ("tanh", "RNN_TANH", "relu", False), (
        f"RNN(3, 4, 2, 'relu', False): (nonlinearity, mode, bias, batch_first) "
        f"{(m.nonlinearity, m.mode, m.bias, m.batch_first)}"
    )
    assert repr(m) == "RNN(3, 4, num_layers=2, bias=relu)", f"prints as {m!r}"
