"""What gating keeps of the gradient over many steps: the ``rnn.autograd.gating-*`` claims."""

from __future__ import annotations

import torch
from torch import nn

from spec.helpers.api import api
from spec.registry import CONTRACT, Seed, claim
from spec.sources.seeds import S003


def jacobian_norm(layer: nn.Module, steps: int, lstm: bool = False) -> float:
    """The spectral norm of d h_T / d h_0 (an LSTM's d c_T / d c_0) for a zero input over ``steps`` steps
    (``lstm``: the layer is an LSTM, whatever its class: another implementation's need not subclass nn.LSTM)."""
    h0 = torch.zeros(1, 1, layer.hidden_size, dtype=torch.float64)
    x = torch.zeros(steps, 1, layer.input_size, dtype=torch.float64)

    def last(s):
        if lstm:  # the memory is the cell state: d c_T / d c_0
            return layer(x, (torch.zeros_like(s), s))[1][1].reshape(-1)
        return layer(x, s)[1].reshape(-1)

    j = torch.autograd.functional.jacobian(last, h0).reshape(layer.hidden_size, layer.hidden_size)
    return torch.svd(j)[1][0].item()  # the spectral norm (torch.linalg.matrix_norm arrived in 1.9)


@claim(
    id="rnn.autograd.gating-keeps-gradient",
    scope=CONTRACT,
    statement=(
        "Over 60 steps the gradient of a tanh RNN's state with respect to its initial state is at most "
        "||W_hh||^60 (tanh' <= 1; 1.5e-6 for a norm of 0.8), while a GRU whose update gate is open to the past "
        "(z near 1) or an LSTM whose forget gate is (f near 1) passes it on almost whole: gating keeps what a "
        "plain RNN loses."
    ),
    modules=("RNN", "GRU", "LSTM"),
    sources=(
        Seed(S003, "1.3: long-term dependencies make the gradient vanish or explode", line=53),
        Seed(S003, "1.3: gated units such as LSTM and GRU against vanishing gradients", line=62),
    ),
)
def test_gating_keeps_gradient():
    torch.manual_seed(0)
    hidden, steps = 8, 60
    rnn = api.RNN(3, hidden).double()
    with torch.no_grad():  # a contracting recurrence: spectral norm 0.8
        rnn.weight_hh_l0.mul_(0.8 / torch.svd(rnn.weight_hh_l0)[1][0])  # spectral norm 1 (svd: every release)
    bound = 0.8**steps  # 1.5e-6
    kept = {}
    for mode, gate in (("GRU", slice(hidden, 2 * hidden)), ("LSTM", slice(hidden, 2 * hidden))):
        layer = getattr(api, mode)(3, hidden).double()
        with torch.no_grad():  # GRU gates r, z, n: z is the second block; LSTM gates i, f, g, o: f is the second
            layer.bias_ih_l0[gate] = 10.0  # sigmoid(10) = 1 - 4.5e-5 per step: 0.997 after 60 steps
            if mode == "LSTM":
                layer.bias_ih_l0[:hidden] = -10.0  # the input gate shut: nothing new written over the memory
        kept[mode] = jacobian_norm(layer, steps, lstm=mode == "LSTM")
    lost = jacobian_norm(rnn, steps)
    assert lost <= bound * (1 + 1e-9), (lost, bound)
    assert kept["GRU"] > 0.99 and kept["LSTM"] > 0.99, kept
