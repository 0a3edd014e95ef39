"""Detaching the state of nn.RNN, nn.LSTM and nn.GRU between minibatches: the ``rnn.autograd.detach-*`` claims."""

from __future__ import annotations

import pytest

from spec.helpers.modules import state_tensors
from spec.helpers.strategies import LAYERS, Config
from spec.registry import CONTRACT, Seed, TorchOwn, claim
from spec.sources.seeds import S003, S004


@claim(
    id="rnn.autograd.detach-cuts-graph",
    scope=CONTRACT,
    statement=(
        "Carrying the returned state into the next minibatch links their graphs: without detach, backward "
        "through the second minibatch after the first was freed raises RuntimeError; with detach it works "
        "and gives the first minibatch's input no gradient."
    ),
    modules=LAYERS,
    sources=(
        Seed(S003, "sequential partitioning: the hidden state is detached between minibatches", line=493),
        Seed(S004, "training loop: detaching the hidden state between consecutive batches", line=110),
        Seed(S003, "1.3: truncating the time steps at tau, the second of three ways to compute the gradient", line=56),
        Seed(S004, "the quoted D2L passage: chained minibatches make the gradient depend on all of them", line=50),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_detach(mode, device):
    cfg = Config(mode=mode, dtype="float64")
    m = cfg.build(device, train=True)
    x1 = cfg.input(device).requires_grad_(True)
    x2 = cfg.randn(*cfg.input_shape(), device=device, salt=2)

    def detach(s):
        return tuple(t.detach() for t in s) if isinstance(s, tuple) else s.detach()

    out1, state = m(x1)
    out1.sum().backward()  # frees the first minibatch's graph
    out2, _ = m(x2, state)
    with pytest.raises(RuntimeError, match="(?i)backward through the graph a second time"):
        out2.sum().backward()
    x1.grad = None
    out1, state = m(x1)
    out1.sum().backward()
    x1.grad = None
    out2, _ = m(x2, detach(state))
    out2.sum().backward()
    assert x1.grad is None, "backward through the detached state reached the first minibatch's input"


@claim(
    id="rnn.autograd.detach-in-place",
    scope=CONTRACT,
    statement=(
        "For a batched input the returned state is no view, so detaching it in place (003's state.detach_(), "
        "or s.detach_() on LSTM's h and c) works: it loses its grad_fn, and backward through the next "
        "minibatch then leaves the earlier minibatch's input without gradient, as detach() does."
    ),
    modules=LAYERS,
    sources=(Seed(S003, "4.3, the training loop: state.detach_(), or s.detach_() for each s of a tuple", line=492),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_detach_in_place(mode, device):
    cfg = Config(mode=mode, num_layers=2, dtype="float64")
    m = cfg.build(device, train=True)
    x1 = cfg.input(device).requires_grad_(True)
    _, state = m(x1)
    for s in state_tensors(state):
        assert not s._is_view(), f"{mode}: the state is a view"
        s.detach_()
        assert s.grad_fn is None and not s.requires_grad, (
            f"{mode}: after detach_() grad_fn {s.grad_fn}, requires_grad {s.requires_grad}"
        )
    out2, _ = m(cfg.randn(*cfg.input_shape(), device=device, salt=2), state)
    out2.sum().backward()
    assert x1.grad is None and all(p.grad is not None for p in m.parameters()), (
        f"{mode}: the first minibatch's input has a gradient: {x1.grad is not None}; parameters without one: "
        f"{sum(p.grad is None for p in m.parameters())} (expected False and 0)"
    )


@claim(
    id="rnn.autograd.detach-in-place-unbatched-view",
    scope=TorchOwn("that the unbatched state is a squeezed view is how torch returns it"),
    statement=(
        "For an unbatched (2-D) input the returned state is a squeezed view, so 003's in-place detach_() raises "
        "RuntimeError there, while detach() works."
    ),
    modules=LAYERS,
    sources=(Seed(S003, "4.3, the training loop: state.detach_(), or s.detach_() for each s of a tuple", line=492),),
    torch=">=1.11",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_detach_in_place_unbatched(mode, device):
    cfg = Config(mode=mode, batch=None, dtype="float64")
    _, state = cfg.build(device, train=True)(cfg.input(device))
    for s in state_tensors(state):
        assert s.detach().grad_fn is None, f"{mode}: detach() keeps grad_fn {s.detach().grad_fn}"
        with pytest.raises(RuntimeError, match="(?i)view"):
            s.detach_()
