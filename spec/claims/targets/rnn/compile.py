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

#: what every claim here cites: torch.compile's docstring
COMPILE_DOC = (TorchDoc("torch.compile", "fullgraph and backend"),)


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
    sources=COMPILE_DOC,
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
    sources=COMPILE_DOC,
    torch="<2.0",
)
def test_compile_absent():
    assert not hasattr(torch, "compile"), f"torch {torch.__version__} has torch.compile"


@claim(
    id="rnn.targets.compile-matches-eager",
    scope=TOOLCHAIN,
    statement=(
        "torch.compile(m) (the eager backend, and Inductor) returns what the module returns, and the "
        "gradients it gives the input and every parameter equal eager's."
    ),
    modules=LAYERS,
    sources=COMPILE_DOC,
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


# --- issue 24: torch._dynamo.config.allow_rnn, and Inductor's shape padding (pytorch/pytorch#175830) -------------
def captured(m, args, backend: str = "eager", **config) -> tuple:
    """(the output of torch.compile(m, fullgraph=True) on ``args`` with Dynamo's config changed by ``config``, the
    FX graphs Dynamo handed the backend): a graph break fails the check (fullgraph), it is not let through."""
    from torch import _dynamo
    from torch._dynamo.backends import registry
    from torch._dynamo.exc import Unsupported

    graphs = []

    def recording(gm, example_inputs):
        graphs.append(gm)
        return gm.forward if backend == "eager" else registry.lookup_backend(backend)(gm, example_inputs)

    _dynamo.reset()  # a fresh cache, as in a user's process
    with _dynamo.config.patch(**config):
        try:
            out = torch.compile(m, backend=recording, fullgraph=True)(*args)
        except Unsupported as e:
            pytest.fail(f"a graph break with {config}: {e}")
    return out, graphs


#: The layers' kernels as Dynamo records them in its graph (torch._VF.lstm, ...).
KERNELS = {"LSTM": ("lstm",), "GRU": ("gru",), "RNN": ("rnn_tanh", "rnn_relu")}


def calls_layer(gm, mode: str) -> bool:
    """Whether the graph calls the layer: its recurrent kernel (2.9-2.15), or the layer itself, as a call_module node
    (2.1, 2.3) or its forward called as a method of a get_attr node (2.2; all measured)."""

    def is_layer(node) -> bool:
        return node.op in ("call_module", "get_attr") and type(gm.get_submodule(node.target)).__name__ == mode

    for n in gm.graph.nodes:
        if n.op == "call_function" and getattr(n.target, "__name__", str(n.target)) in KERNELS[mode]:
            return True
        if n.op == "call_module" and is_layer(n):
            return True
        if n.op == "call_method" and n.target == "forward" and is_layer(n.args[0]):
            return True
    return False


# Measured: the flag is False by default on 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0, 2.13.0, 2.14.1 and 2.15.0, and set,
# fullgraph compiles all three layers (float64 and float32, with gradients) on each; pytorch/pytorch#185163 (open)
# and #185902 propose it as the default. 2.0 not measured (torch.compile's first release; on Python 3.11 from 2.1).
@claim(
    id="rnn.targets.compile-allow-rnn-fullgraph",
    scope=TOOLCHAIN,
    statement=(
        "torch._dynamo.config.allow_rnn is False by default; set, torch.compile(m, fullgraph=True) captures the "
        "layer in one graph, which calls it (or its recurrent kernel), and returns what the module returns, with "
        "eager's gradients."
    ),
    modules=LAYERS,
    sources=COMPILE_DOC,
    torch=">=2.1",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_allow_rnn_fullgraph(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("compile")
    from torch import _dynamo

    assert _dynamo.config.allow_rnn is False, "the default (rnn.targets.compile-fullgraph-unsupported is its effect)"
    cfg = probe(mode)
    (m, x), (twin, _) = built(cfg, device, train=True), built(cfg, device, train=True)
    out, graphs = captured(m, (x,), allow_rnn=True)
    assert len(graphs) == 1 and calls_layer(graphs[0], mode), [g.graph for g in graphs]
    weighted_sum(returned_tensors(out), cfg, device).backward()
    expected = twin(x)
    weighted_sum(returned_tensors(expected), cfg, device).backward()
    assert_close(out, expected, "compiled with allow_rnn against eager")
    assert_close([p.grad for p in m.parameters()], [p.grad for p in twin.parameters()], "parameter gradients")


# pytorch/pytorch#175830 (closed) reports a compiled LSTM off eager by a relative 2.4e-4 on cuda in float32 "with
# INDUCTOR_SHAPE_PADDING"; torch reads TORCHINDUCTOR_SHAPE_PADDING (torch._inductor.config.shape_padding, on by
# default), not that variable. Under the default config Dynamo graph-breaks on the layer, so no Inductor kernel
# computes it. Measured on cpu, float32, shape_padding on: equal bit for bit on 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0,
# 2.13.0, 2.14.1, 2.15.0. The cuda half has never run (no GPU in this session): checked on a GPU later.
@claim(
    id="rnn.targets.compile-shape-padding-exact",
    scope=TOOLCHAIN,
    statement=(
        "With Dynamo's default config, torch.compile(m) with Inductor and its shape padding on returns exactly "
        "what the module returns, bit for bit in float32: the layer itself runs eagerly after the graph break."
    ),
    modules=LAYERS,
    sources=COMPILE_DOC,
    torch=">=2.1",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_shape_padding_exact(mode, device):
    targets.ci_sample(mode == "LSTM")
    targets.require("compile")
    from torch import _dynamo
    from torch._inductor import config as inductor

    m, x = built(probe(mode, dtype="float32"), device)
    _dynamo.reset()
    with torch.no_grad(), inductor.patch(shape_padding=True):
        compiled, eager = torch.compile(m, backend="inductor")(x), m(x)
    for got, want in zip(returned_tensors(compiled), returned_tensors(eager)):
        assert torch.equal(got, want), f"compiled differs from eager by {(got - want).abs().max().item():.3g}"


# The other side: Inductor does compile the layer once allow_rnn lets Dynamo capture it. Measured on cpu (float32
# against float64 eager, within float32's tolerance): 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0, 2.13.0, 2.14.1, 2.15.0.
@claim(
    id="rnn.targets.compile-shape-padding-captured-close",
    scope=TOOLCHAIN,
    statement=(
        "With allow_rnn set, Inductor with shape padding on compiles the layer itself, and in float32 it stays "
        "within float32 rounding of the module computed in float64."
    ),
    modules=LAYERS,
    sources=COMPILE_DOC,
    torch=">=2.1",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_compile_shape_padding_captured_close(mode, device):
    targets.expensive()  # Inductor compiles C++ (cpu) or Triton (cuda) kernels: seconds a layer
    targets.require("compile")
    from torch._inductor import config as inductor

    cfg = probe(mode, dtype="float32")
    m, x = built(cfg, device)
    with torch.no_grad(), inductor.patch(shape_padding=True):
        out, graphs = captured(m, (x,), backend="inductor", allow_rnn=True)
        exact = m.double()(x.double())
    assert len(graphs) == 1 and calls_layer(graphs[0], mode), [g.graph for g in graphs]
    steps = cfg.num_layers * cfg.seq
    assert_close(out, [t.float() for t in returned_tensors(exact)], "Inductor float32 against eager float64", steps)
