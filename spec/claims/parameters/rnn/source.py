"""003's weight layout against torch's: the ``rnn.parameters.source-*`` claims."""

from __future__ import annotations

import torch

from spec.helpers.api import api
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Seed, TorchDoc, claim
from spec.sources.seeds import S003


def source_step(x, h, w_xh, w_hh, b_h):
    """003's section 1.2 in its own layout: H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h), rows of X the examples,
    W_xh [inputs, hiddens], W_hh [hiddens, hiddens], b_h [1, hiddens]."""
    return torch.tanh(x @ w_xh + h @ w_hh + b_h)


@claim(
    id="rnn.parameters.source-weight-layout",
    scope=CONTRACT,
    statement=(
        "003 writes H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h) with W_xh of shape [inputs, hiddens], rows of X the "
        "examples; torch stores weight_ih_l0 as [hiddens, inputs] and computes x W^T, so 003's W_xh is "
        "weight_ih_l0.T, W_hh is weight_hh_l0.T and b_h is the sum of the two biases."
    ),
    modules=("RNN",),
    sources=(
        Seed(S003, "1.2: W_xh in R^{d x h}, W_hh in R^{h x h}, b_h in R^{1 x h}", line=33),
        TorchDoc("torch.nn.RNN", "Attributes", "weight_ih_l[k]"),
    ),
)
def test_source_weight_layout(device):
    torch.manual_seed(0)
    d, h, batch, steps = 5, 3, 4, 6
    layer = api.RNN(d, h).double().to(device)
    assert layer.weight_ih_l0.shape == (h, d) and layer.weight_hh_l0.shape == (h, h), (
        f"RNN({d}, {h}): weight_ih_l0 {tuple(layer.weight_ih_l0.shape)}, weight_hh_l0 "
        f"{tuple(layer.weight_hh_l0.shape)}, not ({h}, {d}), ({h}, {h})"
    )
    x = torch.randn(steps, batch, d, dtype=torch.float64, device=device)
    with torch.no_grad():
        out, _ = layer(x)
        w_xh, w_hh = layer.weight_ih_l0.T, layer.weight_hh_l0.T  # [d, h] and [h, h], 003's layout
        b_h = (layer.bias_ih_l0 + layer.bias_hh_l0).view(1, h)
        state, by_source = torch.zeros(batch, h, dtype=torch.float64, device=device), []
        for t in range(steps):
            state = source_step(x[t], state, w_xh, w_hh, b_h)
            by_source.append(state)
        assert_close(out, torch.stack(by_source), "003's X @ W_xh with W_xh = weight_ih_l0.T")
    square = api.RNN(h, h).double().to(device)  # square weights: the untransposed layout also runs, wrongly
    y = torch.randn(1, batch, h, dtype=torch.float64, device=device)
    with torch.no_grad():
        b = (square.bias_ih_l0 + square.bias_hh_l0).view(1, h)
        zero = torch.zeros(batch, h, dtype=torch.float64, device=device)
        wrong = source_step(y[0], zero, square.weight_ih_l0, square.weight_hh_l0, b)
        assert (wrong - square(y)[0][0]).abs().max() > 1e-3, "weight_ih_l0 used as W_xh untransposed should differ"
