"""dropout, a probability, of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.parameters.dropout-*`` claims."""

from __future__ import annotations

import math

import pytest
import torch

from spec.helpers.api import api
from spec.helpers.probes import assert_probe_carries, dropout_probe
from spec.helpers.strategies import (
    LAYERS,
)
from spec.registry import CONTRACT, Erratum, Seed, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS, S002


@claim(
    id="rnn.parameters.dropout-probability",
    scope=CONTRACT,
    statement="dropout is a probability in [0, 1] stored as given, not an on/off switch.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "dropout"),),
    erratum=Erratum(
        Seed(S002, "the argument list after the constructor signatures", line=25),
        says="dropout is glossed as whether the layer has dropout, a yes/no switch",
    ),
)
@pytest.mark.parametrize("module", LAYERS)
@pytest.mark.parametrize("p", (0.0, 0.3, 1.0))
def test_dropout_probability(module, p, device):
    assert getattr(api, module)(3, 4, num_layers=2, dropout=p).dropout == p, (
        f"{module}(dropout={p}).dropout is {getattr(api, module)(3, 4, num_layers=2, dropout=p).dropout!r}"
    )
    # and it acts as a rate: the probe (spec/helpers/probes.py) built with dropout=p drops a fraction p of what its
    # first layer passes to the second (a switch would drop all or a fixed share, whatever p is)
    hidden, seq, batch = 40, 10, 20
    assert_probe_carries(module, hidden, device)  # else a gate fault would read as a drop rate
    m, _ = dropout_probe(module, p, hidden, device)
    x = torch.zeros(seq, batch, hidden, dtype=torch.float64, device=device)
    with torch.random.fork_rng(devices=[] if device == "cpu" else [torch.device(device)]):
        torch.manual_seed(23)
        with torch.no_grad():
            out, _ = m(x)
    n, dropped = out.numel(), (out == 0).double().mean().item()
    # n = 8,000 Bernoulli(p) drops: within 6 standard deviations of p except with probability < 2e-9 (exact for
    # p = 0 and p = 1, where the standard deviation is 0)
    assert abs(dropped - p) <= 6 * math.sqrt(p * (1 - p) / n), f"{module} dropout={p}: dropped {dropped:.4f}"
