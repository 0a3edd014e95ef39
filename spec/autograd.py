"""Gradients through nn.RNN / nn.LSTM / nn.GRU: correctness, causality, vanishing and exploding, detaching."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.layers import forward as reference_forward
from spec.registry import Seed, TorchDoc, claim
from spec.strategies import Config, batched, configs, describe
from spec.tolerances import assert_close

LAYERS = ("RNN", "LSTM", "GRU")
S000, S003, S004 = "000_0803d243ad727e4b.txt", "003_d1ec100167748cfb.txt", "004_465858781a221de8.txt"


def flat(result):
    out, state = result
    return [out] + (list(state) if isinstance(state, tuple) else [state])


def weighted_sum(tensors, cfg: Config, device):
    """A random linear functional of every returned tensor, so each element's gradient matters."""
    return sum((t * cfg.randn(*t.shape, device=device, salt=100 + i)).sum() for i, t in enumerate(tensors))


def grads(fn, cfg: Config, device):
    m = cfg.build(device)
    x = cfg.input(device).requires_grad_(True)
    loss = weighted_sum(flat(fn(m, x)), cfg, device)
    leaves = [x] + list(m.parameters())
    return torch.autograd.grad(loss, leaves, allow_unused=True)


@claim(
    id="rnn.autograd.matches-reference",
    statement=(
        "Gradients of output, h_n and c_n with respect to the input and every parameter equal those obtained "
        "by differentiating the from-scratch equations, and none is missing or zero."
    ),
    kind="autograd",
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "class docstring: the equations"),
        Seed(S003, "1.3 back propagation through time", line=47),
        Seed(S000, "training an RNN: each step's error depends on all earlier hidden states", line=6),
    ),
)
@given(cfg=configs(batch=batched, seq=st.integers(2, 4), modes=st.sampled_from(LAYERS)))
def test_grads_match_reference(cfg, device):
    cfg = cfg.with_(nonlinearity="tanh")  # a dead relu unit has a true zero gradient
    describe(cfg)
    got = grads(lambda m, x: m(x), cfg, device)
    want = grads(lambda m, x: reference_forward(m, x), cfg, device)
    assert all(g is not None and g.abs().sum() > 0 for g in got), "a parameter gets no gradient"
    assert_close(got, want, cfg.repro())


@claim(
    id="rnn.autograd.causal",
    statement=(
        "A one-directional layer is causal: output at step t depends on inputs 1..t (non-zero gradient) "
        "and not on later inputs (exactly zero gradient); bidirectional output at every step depends on all steps."
    ),
    kind="autograd",
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "class docstring: h_t from x_t and h_(t-1)"),
        Seed(S003, "2.5 bidirectional RNN", line=128),
        Seed(S000, "the opening notes: the current hidden state holds every earlier word", line=4),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), seq=st.integers(2, 5), proj=st.just(False)))
def test_causal(cfg, device):
    cfg = cfg.with_(nonlinearity="tanh")
    describe(cfg)
    m = cfg.build(device)
    x = cfg.input(device).requires_grad_(True)
    out, _ = m(x)
    for t in range(cfg.seq):
        (g,) = torch.autograd.grad(out[t].sum(), x, retain_graph=True)
        per_step = g.abs().flatten(1).sum(1)
        for k in range(cfg.seq):
            if k > t and not cfg.bidirectional:
                assert per_step[k] == 0, f"out[{t}] depends on the later x[{k}]"
            else:
                assert per_step[k] > 0, f"out[{t}] does not depend on x[{k}]"


@claim(
    id="rnn.autograd.vanishing-exploding",
    statement=(
        "Backpropagation through time multiplies by W_hh at every step: at the zero fixed point of a tanh RNN "
        "with W_hh = s*Q (Q orthogonal), ||d h_T / d h_0|| = s^T, vanishing for s < 1 and exploding for s > 1."
    ),
    kind="autograd",
    modules=("RNN",),
    sources=(
        Seed(S000, "training an RNN: the chain rule multiplies W_R repeatedly, so gradients vanish or explode", line=7),
        Seed(S003, "1.3 back propagation: long-term dependencies and vanishing or exploding gradients", line=53),
    ),
)
@pytest.mark.parametrize("scale", [0.5, 0.9, 1.1, 2.0])
@pytest.mark.parametrize("steps", [1, 5, 20])
def test_vanishing_exploding(scale, steps, device):
    hidden = 6
    rnn = torch.nn.RNN(3, hidden, bias=False).double().to(device)
    q, _ = torch.linalg.qr(torch.randn(hidden, hidden, generator=torch.Generator().manual_seed(5), dtype=torch.float64))
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(scale * q)
    h0 = torch.zeros(1, 1, hidden, dtype=torch.float64, device=device, requires_grad=True)
    x = torch.zeros(steps, 1, 3, dtype=torch.float64, device=device)  # stays at h = 0, where tanh' = 1
    _, h_n = rnn(x, h0)
    u = torch.zeros(hidden, dtype=torch.float64, device=device)
    u[0] = 1.0
    (g,) = torch.autograd.grad((h_n[0, 0] * u).sum(), h0)  # = u^T (sQ)^T: its norm is s^T
    assert g.norm().item() == pytest.approx(scale**steps, rel=1e-9)


@claim(
    id="rnn.autograd.detach-cuts-graph",
    statement=(
        "Carrying the returned state into the next minibatch links their graphs: without detach, backward "
        "through the second minibatch after the first was freed raises RuntimeError; with detach it works "
        "and gives the first minibatch's input no gradient."
    ),
    kind="autograd",
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
    m = cfg.build(device)
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
    assert x1.grad is None


@claim(
    id="clip.training.global-norm",
    statement=(
        "clip_grad_norm_(parameters, theta) computes the norm g of all gradients taken together and, when g > theta, "
        "scales every gradient by theta/(g + 1e-6): the sources' rule min(1, theta/g) with a guard against g = 0."
    ),
    kind="training",
    modules=("clip_grad_norm_",),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_norm_", "the norm is computed over all gradients together"),
        Seed(S003, "1.3: clipping the gradient norm before the update helps against exploding gradients", line=61),
        Seed(S004, "training loop: gradient clipping by the global norm", line=127),
    ),
)
@pytest.mark.parametrize("theta", [0.1, 1.0, 100.0])
def test_clip_global_norm(theta, device):
    cfg = Config(mode="LSTM", num_layers=2, dtype="float64")
    m = cfg.build(device)
    weighted_sum(flat(m(cfg.input(device))), cfg, device).backward()
    before = [p.grad.clone() for p in m.parameters()]
    g = torch.sqrt(sum((b**2).sum() for b in before))  # the global norm, by hand
    returned = torch.nn.utils.clip_grad_norm_(m.parameters(), theta)
    assert returned.item() == pytest.approx(g.item(), rel=1e-12)
    scale = min(1.0, theta / (g.item() + 1e-6))
    for b, p in zip(before, m.parameters()):
        assert_close(p.grad, b * scale, f"theta={theta}")
