"""What torch.compile does with nn.RNN, nn.LSTM and nn.GRU: the ``rnn.targets.compile-*`` claims."""

from __future__ import annotations

import pytest
import torch

from spec.helpers import targets
from spec.helpers.modules import returned_tensors, weighted_sum
from spec.helpers.strategies import LAYERS
from spec.helpers.target_probe import (
    built,
    probe,
)
from spec.helpers.tolerances import assert_close
from spec.registry import TOOLCHAIN, TorchDoc, claim


# --- torch.compile ------------------------------------------------------------------------------------------
# Dynamo refuses to trace nn.RNN/LSTM/GRU unless torch._dynamo.config.allow_rnn is set (the check on
# config.allow_rnn in torch/_dynamo/variables/builder.py, "TorchDynamo purposely graph breaks on RNN, GRU,
# LSTMs" in 2.2 (pytorch/pytorch#118740), "Attempted to wrap RNN, GRU, or LSTM" in 2.11-2.15; #141184,
# #167275, #149909); torch.compile arrived in 2.0 (on Python 3.11 from 2.1: the target says so).
@claim(
    id="rnn.targets.compile-fullgraph-unsupported",
    scope=TOOLCHAIN,
    statement=(
        "torch.compile(m, fullgraph=True) cannot compile nn.RNN, nn.LSTM or nn.GRU: Dynamo graph-breaks on them "
        "on purpose, and the first call raises torch._dynamo.exc.Unsupported."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_fullgraph(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("compile")
    from torch import _dynamo
    from torch._dynamo.exc import Unsupported

    m, x = built(probe(mode), device)
    _dynamo.reset()  # a fresh cache, as in a user's process: after 8 modules Dynamo stops trying at all
    with pytest.raises(Unsupported):
        torch.compile(m, backend="eager", fullgraph=True)(x)


@claim(
    id="rnn.targets.compile-absent",
    scope=TOOLCHAIN,
    statement="Before torch 2.0 there is no torch.compile to run the layers through.",
    modules=LAYERS,
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch="<2.0",
)
def test_compile_absent():
    assert not hasattr(torch, "compile")


@claim(
    id="rnn.targets.compile-matches-eager",
    scope=TOOLCHAIN,
    statement=(
        "torch.compile(m) (the eager backend, and Inductor) returns what the module returns, and the "
        "gradients it gives the input and every parameter equal eager's."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.compile", "fullgraph and backend"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("backend", ("eager", "inductor"))
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_matches(mode, backend, device):
    targets.expensive()
    targets.require("compile")
    from torch import _dynamo

    cfg = probe(mode)
    (m, x), (twin, _) = built(cfg, device, train=True), built(cfg, device, train=True)
    results = []
    _dynamo.reset()  # a fresh cache, as in a user's process
    for module, call in ((m, torch.compile(m, backend=backend)), (twin, twin)):
        xi = x.clone().requires_grad_()
        result = call(xi)
        weighted_sum(returned_tensors(result), cfg, device).backward()
        results.append((result, xi.grad, [p.grad for p in module.parameters()]))
    (compiled, gx, gp), (eager, ex, ep) = results
    assert_close(compiled, eager, f"compiled ({backend}) against eager")
    assert_close(gx, ex, "input gradient")
    assert_close(gp, ep, "parameter gradients")
