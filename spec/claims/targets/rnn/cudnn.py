"""What torch.export does with cuDNN while it traces nn.RNN, nn.LSTM and nn.GRU: the ``rnn.targets.cudnn-*``
claims."""

from __future__ import annotations

import pytest
import torch

from spec.helpers import targets
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import built, initial_state, probe, quiet
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim

SOURCES = (
    TorchDoc("torch.export.export", "dynamic_shapes; ExportedProgram.module()"),
    TorchDoc("torch.backends.cudnn", "enabled"),
)


def cudnn_while_exporting(mode: str, device: str) -> tuple:
    """(whether cuDNN was enabled each time the forward ran during torch.export.export, whether it is after). The
    notes go to a list outside the module: an attribute of it would be the exporter's to copy."""
    layer, x = built(probe(mode), device)
    seen = []

    class Spy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer = layer

        def forward(self, x):
            seen.append(torch.backends.cudnn.enabled)
            return self.layer(x)

    assert torch.backends.cudnn.enabled, "cuDNN is enabled by default (and nothing here turned it off)"
    with quiet():
        torch.export.export(Spy(), (x,))
    return seen, torch.backends.cudnn.enabled


# pytorch/pytorch#163245 (September 2025, for #155309: exporting on cuda failed in flatten_parameters, which reads
# data pointers that fake tensors do not have), relanded as #169710 (December 2025): torch.export turns cuDNN off,
# with oneDNN and NNPACK, while it traces. Measured on cpu (the flag is read the same there): off during the trace
# and back on after on 2.13.0, 2.14.1, 2.15.0; left on by 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0. 2.11-2.12 not measured:
# the bound is the reland's first release, 2.11.
@claim(
    id="rnn.targets.cudnn-off-while-exporting",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.11 torch.export.export turns cuDNN off while it traces a layer's forward and turns it back "
        "on after, so that the layers export on cuda through the non-cuDNN kernels."
    ),
    modules=LAYERS,
    sources=SOURCES,
    torch=">=2.11",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_off_while_exporting(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    seen, after = cudnn_while_exporting(mode, device)
    assert seen and not any(seen), f"cuDNN enabled during the trace: {seen}"
    assert after, "cuDNN is enabled again after the export"


@claim(
    id="rnn.targets.cudnn-on-while-exporting",
    scope=TOOLCHAIN,
    statement="Before torch 2.11 torch.export.export leaves cuDNN enabled while it traces a layer's forward.",
    modules=LAYERS,
    sources=SOURCES,
    torch=">=2.1,<2.11",
    devices=("cpu",),  # on cuda such an export may fail in flatten_parameters (pytorch/pytorch#155309): read on cpu
)
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_on_while_exporting(mode, device):
    targets.ci_sample(mode == "LSTM")
    # no targets.require("export"): on 2.8-2.9 the layer alone is refused, the module holding it is not (measured)
    seen, after = cudnn_while_exporting(mode, device)
    assert seen and all(seen), f"cuDNN disabled during the trace: {seen}"
    assert after, "cuDNN is disabled after the export"


# The point of the pull requests, on cuda. Never run (no GPU in this session): checked on a GPU later.
@claim(
    id="rnn.targets.cudnn-off-exports-on-cuda",
    scope=TOOLCHAIN,
    statement=(
        "From torch 2.11 a layer on cuda exports, and the exported module returns on cuda what the layer "
        "returns, with or without a given initial state."
    ),
    modules=LAYERS,
    sources=SOURCES,
    torch=">=2.11",
    devices=("cuda",),
)
@pytest.mark.parametrize("given_state", (False, True), ids=("x", "x-h0"))
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_off_exports_on_cuda(mode, given_state, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("export")
    cfg = probe(mode)
    m, x = built(cfg, device)
    args = (x, initial_state(cfg, device)) if given_state else (x,)
    with quiet():
        exported = torch.export.export(m, args).module()
    with torch.no_grad():
        assert_close(exported(*args), m(*args), "exported on cuda against the layer on cuda", steps=2 * cfg.seq)
