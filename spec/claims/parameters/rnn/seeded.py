"""Initial parameters drawn from torch's global generator: the ``rnn.parameters.seeded-*`` claims."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.api import api
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
)
from spec.registry import CONTRACT, Seed, TorchDoc, claim
from spec.sources.seeds import S000


@claim(
    id="rnn.parameters.seeded-init",
    scope=CONTRACT,
    statement=(
        "The initial parameters are drawn from torch's global generator: the same torch.manual_seed before "
        "construction gives identical tensors, another seed gives different ones."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        TorchDoc("torch.manual_seed", "seeds the default generator"),
        Seed(S000, "IMDB example: torch.manual_seed(123) at the top", line=30),
    ),
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_seeded_init(module, device):
    kw = dict(num_layers=2, bidirectional=True) if module in LAYERS else {}

    def build(seed):
        torch.manual_seed(seed)
        return [p.detach().cpu() for p in getattr(api, module)(3, 4, **kw).to(device).parameters()]

    first, again, other = build(123), build(123), build(124)
    assert all(torch.equal(a, b) for a, b in zip(first, again)), (
        f"{module}: seed 123 twice, the parameters at "
        f"{[i for i, (a, b) in enumerate(zip(first, again)) if not torch.equal(a, b)]} differ"
    )
    assert all(not torch.equal(a, c) for a, c in zip(first, other)), (
        f"{module}: seeds 123 and 124, the parameters at "
        f"{[i for i, (a, c) in enumerate(zip(first, other)) if torch.equal(a, c)]} are the same"
    )
