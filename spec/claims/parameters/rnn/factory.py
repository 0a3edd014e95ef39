"""The constructors' device= and dtype=: the ``rnn.parameters.factory-*`` claims."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.api import api
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
)
from spec.registry import CONTRACT, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS


@claim(
    id="rnn.parameters.factory-kwargs",
    scope=CONTRACT,
    statement="device= and dtype= given to the constructor reach every parameter of layers and cells.",
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        *torch_docs(
            LAYER_DOCS + CELL_DOCS,
            "signature",
            "device",
            "dtype",
        ),
    ),
    torch=">=1.9",
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_factory_kwargs(module, device):
    kw = dict(num_layers=2, bidirectional=True) if module in LAYERS else {}
    # float64 is not the default dtype, and on a cpu run the device asked for is the meta device (parameters with
    # a shape and no memory), not the default cpu, so a device= or dtype= that were ignored would show; measured on
    # 1.9, 1.11, 2.1, 2.3, 2.9, 2.10, 2.13 and 2.15
    for where in (device, "meta") if device == "cpu" else (device,):
        m = getattr(api, module)(3, 4, device=where, dtype=torch.float64, **kw)
        assert {(p.device.type, p.dtype) for p in m.parameters()} == {(where, torch.float64)}, (
            f"{module}(device={where!r}, dtype=torch.float64): parameters as "
            f"{set((p.device.type, p.dtype) for p in m.parameters())}"
        )
