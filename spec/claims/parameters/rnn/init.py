"""The initial values of the parameters of nn.RNN, nn.LSTM and nn.GRU (and of the cells): the
``rnn.parameters.init-*`` claims."""

from __future__ import annotations

import math

import pytest
import torch

from spec.claims.parameters.rnn import REVERSE_ATTRIBUTES
from spec.helpers.api import api
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
    Config,
    param_layout,
)
from spec.registry import CONTRACT, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS


@claim(
    id="rnn.parameters.init-uniform",
    scope=CONTRACT,
    statement=(
        "Every weight and bias of the layers and cells starts drawn from U(-k, k) with k = 1/sqrt(hidden_size): "
        "never outside the bound, spread out to it, with the uniform's variance k^2/3."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        *torch_docs(
            LAYER_DOCS + CELL_DOCS,
            "Note",
            "initialized from",
        ),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
        *torch_docs(CELL_DOCS, "Attributes", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
    ),
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_init_uniform(module, device):
    hidden = 64  # 64*64*G entries per weight: enough for the moments to be tight
    torch.manual_seed(1234)
    m = getattr(api, module)(32, hidden).to(device)
    k = 1 / math.sqrt(hidden)
    for name, p in m.named_parameters():
        p = p.detach().double().cpu()
        assert p.abs().max() <= k, f"{name} leaves [-k, k]"
        n = p.numel()
        # spread to the bound: P(max|w| < (1 - 14/n) k) = (1 - 14/n)^n < e^-14 for a true U(-k, k)
        assert p.abs().max() >= (1 - 14 / n) * k, f"{name} does not reach the bound"
        # mean 0 and variance k^2/3, each within 5 standard errors (sd of the variance ~ 0.3 k^2/sqrt(n))
        assert abs(p.mean()) <= 5 * k / math.sqrt(3 * n), f"{name} mean {p.mean():.4g}"
        assert abs(p.var() - k * k / 3) <= 5 * 0.3 * k * k / math.sqrt(n), f"{name} variance {p.var():.4g}"


# --- issue 17: initial bounds on every parameter; the cells' defaults ---


@claim(
    id="rnn.parameters.init-bounds-every-parameter",
    scope=CONTRACT,
    statement=(
        "On multi-layer bidirectional modules every parameter, of every layer and direction and the projections "
        "weight_hr_l{k} included, starts inside [-k, k] with k = 1/sqrt(hidden_size) and reaches out to it."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        *torch_docs(LAYER_DOCS, "Note", "initialized from"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
    ),
)
@pytest.mark.parametrize("module,kw", [("RNN", {}), ("GRU", {}), ("LSTM", {}), ("LSTM", {"proj_size": 8})], ids=str)
def test_init_bounds_every_parameter(module, kw, device):
    hidden = 16
    torch.manual_seed(4321)
    m = getattr(api, module)(5, hidden, num_layers=3, bidirectional=True, **kw).to(device)
    k = 1 / math.sqrt(hidden)
    # every layer and direction is looked at: the parameters, by the implementation's own names (it may fuse the
    # gates' matrices or keep one bias), hold at least as many elements as torch's weight matrices
    shape = Config(mode=module, input_size=5, hidden_size=hidden, num_layers=3, bidirectional=True, **kw)
    weights = sum(math.prod(s) for name, s in param_layout(shape) if name.startswith("weight_"))
    held = sum(p.numel() for p in m.parameters())
    assert held >= weights, f"{module}: its parameters hold {held} elements, fewer than torch's weights ({weights})"
    for name, p in m.named_parameters():
        p = p.detach().double().cpu()
        n = p.numel()
        assert p.abs().max() <= k, f"{name} leaves [-k, k]"
        # P(max|w| < (1 - 14/n) k) = (1 - 14/n)^n < e^-14 for a true U(-k, k): the bound is reached
        assert p.abs().max() >= (1 - 14 / n) * k, f"{name} does not reach the bound"
