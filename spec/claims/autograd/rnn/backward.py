"""Backward through a layer reaches the input or raises: the ``rnn.autograd.backward-*`` claims."""

from __future__ import annotations

import pytest

from spec.helpers.api import api
from spec.helpers.strategies import LAYERS, Config, describe
from spec.registry import CONTRACT, Seed, TorchDoc, claim
from spec.sources.seeds import S003


# --- issue 22: a forward-only implementation, called backward anyway ---
@claim(
    id="rnn.autograd.backward-reaches-input-or-raises",
    scope=CONTRACT,
    statement=(
        "Backward through a layer's output either gives an input that requires grad its gradient or raises; "
        "it never completes leaving that input without one (a forward-only implementation must refuse)."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Description", "to an input sequence"),
        Seed(S003, "1.3 back propagation through time", line=47),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_backward_reaches_input_or_raises(mode, device):
    # A silent no-gradient backward is the one outcome a user cannot see: training would go on with the layers
    # before it frozen. Forward-only implementations build in eval mode (Config.build refuses train=True there);
    # torch's, in train mode (cuDNN's backward needs it: rnn.autograd.cudnn-backward-needs-train).
    cfg = Config(mode=mode, dtype="float32")
    describe(cfg, device)
    m = cfg.build(device, train=api.impl.backward)
    x = cfg.input(device).requires_grad_(True)
    out, _ = m(x)
    try:
        out.sum().backward()
    except RuntimeError:
        assert not api.impl.backward, f"{api.impl.name} declares backward, yet backward raised"
        return
    assert x.grad is not None and x.grad.abs().sum() > 0, "backward completed without a gradient for the input"
