"""Autograd of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from reference.oracle.layers import forward as reference_forward
from spec.helpers.api import api
from spec.helpers.modules import grads_by_name, returned_tensors, torch_view, weighted_sum
from spec.helpers.strategies import LAYERS, Config, batched, configs, describe
from spec.helpers.tolerances import assert_close
from spec.registry import BACKENDS, CONTRACT, PAST_RELEASE, Seed, TorchDoc, TorchOwn, claim, torch_docs
from spec.sources.seeds import S000, S001, S002, S003, S004


def grad_fn_names(mode: str) -> tuple:
    """(the grad_fn name of h_n, and c_n, of the 002 example run on CPU, RNNCell's output grad_fn name)."""
    _, state = getattr(nn, mode)(1, 5, 2, batch_first=True)(torch.rand(2, 3, 1))
    names = {type(s.grad_fn).__name__ for s in state_tensors(state)}
    assert len(names) == 1, f"{mode}: h_n and c_n have different grad_fns: {sorted(names)}"
    return names.pop(), type(nn.RNNCell(4, 2)(torch.randn(1, 4)).grad_fn).__name__


def state_tensors(state) -> list:
    """``h_n`` -> ``[h_n]``; ``(h_n, c_n)`` -> ``[h_n, c_n]``."""
    return list(state) if isinstance(state, tuple) else [state]


def grads(fn, cfg: Config, device, side: str) -> list:
    m = cfg.build(device, train=True)
    x = cfg.input(device).requires_grad_(True)
    loss = weighted_sum(returned_tensors(fn(m, x)), cfg, device)
    return grads_by_name(loss, {"input": x, **dict(m.named_parameters())}, side)


@claim(
    id="rnn.autograd.grad-fn-names",
    scope=TorchOwn("autograd node names are those of torch's kernels"),
    statement=(
        "On CPU, h_n of nn.RNN/LSTM/GRU (and an LSTM's c_n) has grad_fn StackBackward0 and RNNCell's (tanh) "
        "output TanhBackward0; "
        "since torch 1.10 autograd node names carry a numeric suffix."
    ),
    modules=("RNN", "LSTM", "GRU", "RNNCell"),
    sources=(
        Seed(S001, "the printed RNNCell output (TanhBackward0) and nn.RNN out/hidden (StackBackward0)", line=44),
        Seed(S002, "the printed h and c of the LSTM example (StackBackward)", line=115),
    ),
    torch=">=1.10",
)
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_grad_fn_names(mode):
    assert grad_fn_names(mode) == ("StackBackward0", "TanhBackward0")


@claim(
    id="rnn.autograd.grad-fn-names-before-1-10",
    scope=PAST_RELEASE,
    statement="Before torch 1.10 the same nodes print without a suffix: StackBackward and TanhBackward.",
    modules=("RNN", "LSTM", "GRU", "RNNCell"),
    sources=(Seed(S002, "the printed h and c of the LSTM example (StackBackward)", line=115),),
    torch="<1.10",
)
@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_grad_fn_names_before_1_10(mode):
    assert grad_fn_names(mode) == ("StackBackward", "TanhBackward")


@claim(
    id="rnn.autograd.matches-reference",
    scope=CONTRACT,
    statement=(
        "Gradients of output, h_n and c_n with respect to the input and every parameter equal those obtained "
        "by differentiating the from-scratch equations, and none is missing or zero."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Description", "to an input sequence"),
        Seed(S003, "1.3 back propagation through time", line=47),
        Seed(S000, "training an RNN: each step's error depends on all earlier hidden states", line=6),
    ),
)
@given(cfg=configs(batch=batched, seq=st.integers(2, 4), modes=st.sampled_from(LAYERS)))
def test_grads_match_reference(cfg, device):
    cfg = cfg.with_(nonlinearity="tanh")  # a dead relu unit has a true zero gradient
    describe(cfg, device)
    got = grads(lambda m, x: m(x), cfg, device, "the module's own forward")
    want = grads(lambda m, x: reference_forward(torch_view(m), x), cfg, device, "the oracle")
    assert all(g.abs().sum() > 0 for g in got), "the input or a parameter gets a zero gradient"
    assert_close(got, want, cfg.repro(device))


@claim(
    id="rnn.autograd.causal",
    scope=CONTRACT,
    statement=(
        "A one-directional layer is causal: output at step t depends on inputs 1..t (non-zero gradient) "
        "and not on later inputs (exactly zero gradient); bidirectional output at every step depends on all steps."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Description", "to an input sequence"),
        Seed(S003, "2.5 bidirectional RNN", line=128),
        Seed(S000, "the opening notes: the current hidden state holds every earlier word", line=4),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), seq=st.integers(2, 5), proj=st.just(False)))
def test_causal(cfg, device):
    cfg = cfg.with_(nonlinearity="tanh")
    describe(cfg, device)
    m = cfg.build(device, train=True)
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
    scope=CONTRACT,
    statement=(
        "Backpropagation through time multiplies by W_hh at every step: at the zero fixed point of a tanh RNN "
        "with W_hh = s*Q (Q orthogonal), ||d h_T / d h_0|| = s^T, vanishing for s < 1 and exploding for s > 1."
    ),
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
    rnn = api.RNN(3, hidden, bias=False).double().to(device)
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
    assert x1.grad is None


@claim(
    id="rnn.autograd.output-grad-fn",
    scope=CONTRACT,
    statement=(
        "The output tensor, not only the returned state, has a grad_fn when the parameters require grad, and a "
        "loss on the output alone reaches every parameter of every layer and the input; under torch.no_grad(), "
        "or with the parameters frozen and an input that needs no grad, neither output nor state has one."
    ),
    modules=LAYERS,
    sources=(
        Seed(S001, "2. RNN: the printed out and hidden, both with a grad_fn", line=75),
        Seed(S002, "the printed out of the LSTM(1, 5, 2) example, with a grad_fn", line=105),
    ),
)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("mode", LAYERS)
def test_output_grad_fn(mode, batch_first, device):
    cfg = Config(mode=mode, num_layers=2, batch_first=batch_first, dtype="float64")
    m = cfg.build(device, train=True)
    x = cfg.input(device).requires_grad_(True)
    out, state = m(x)
    assert out.grad_fn is not None and all(s.grad_fn is not None for s in state_tensors(state)), cfg.repro(device)
    leaves = [x, *m.parameters()]
    got = torch.autograd.grad((out * cfg.randn(*out.shape, device=device, salt=3)).sum(), leaves)
    names = ["input"] + [n for n, _ in m.named_parameters()]
    assert [n for n, g in zip(names, got) if g.abs().sum() == 0] == [], "the output's graph misses these"
    with torch.no_grad():
        out, state = m(x)
    assert out.grad_fn is None and all(s.grad_fn is None for s in state_tensors(state))
    m.requires_grad_(False)
    out, state = m(x.detach())
    assert not out.requires_grad and all(not s.requires_grad for s in state_tensors(state))


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
        assert s.grad_fn is None and not s.requires_grad
    out2, _ = m(cfg.randn(*cfg.input_shape(), device=device, salt=2), state)
    out2.sum().backward()
    assert x1.grad is None and all(p.grad is not None for p in m.parameters())


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
        assert s.detach().grad_fn is None
        with pytest.raises(RuntimeError, match="(?i)view"):
            s.detach_()


@claim(
    id="rnn.autograd.cudnn-backward-needs-train",
    scope=BACKENDS,
    statement=(
        "On cuda with cuDNN enabled, backward through RNN, LSTM or GRU in eval() mode raises RuntimeError "
        "('cudnn RNN backward can only be called in training mode'), also when only the parameters need "
        "gradients; with cuDNN disabled or in train() mode it works, and on cpu it works in either mode."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "enabled"), TorchDoc("torch.nn.Module", "eval")),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_backward_needs_train(mode, device):
    cfg = Config(mode=mode, num_layers=2, seq=4)

    def backward(train: bool, cudnn: bool):
        m = cfg.build(device, train=train)
        with torch.backends.cudnn.flags(enabled=cudnn):
            out, _ = m(cfg.input(device))  # parameters alone need gradients
            out.sum().backward()
        return [p.grad for p in m.parameters()]

    with_cudnn_off = backward(train=False, cudnn=False)
    assert all(g is not None for g in with_cudnn_off)
    assert_close(backward(train=True, cudnn=True), with_cudnn_off, "train mode against eval without cuDNN")
    if device == "cuda" and torch.backends.cudnn.is_available():
        with pytest.raises(RuntimeError, match="cudnn RNN backward can only be called in training mode"):
            backward(train=False, cudnn=True)
    else:  # no cuDNN in the way: eval mode is differentiable as well
        assert_close(backward(train=False, cudnn=True), with_cudnn_off, "eval against train on cpu")


# --- issue 17: gradients through packed sequences and to the initial state ---


def state_for(cfg: Config, device):
    """A random initial state that requires grad: h_0, or (h_0, c_0) for LSTM."""
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5).requires_grad_(True)
    if cfg.mode != "LSTM":
        return h0
    return h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6).requires_grad_(True)


@claim(
    id="rnn.autograd.packed-and-state-gradients",
    scope=CONTRACT,
    statement=(
        "Gradients flow through a PackedSequence input and to h_0 (and c_0) for RNN, LSTM and GRU: the "
        "gradients of the packed data, the initial state and every parameter equal those of the reference."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
@pytest.mark.parametrize("packed", (False, True), ids=("padded", "packed"))
def test_packed_and_state_gradients(mode, packed, device):

    cfg = Config(mode=mode, num_layers=2, bidirectional=True, batch=3, seq=4)
    m = cfg.build(device, train=True)  # cuDNN's backward needs train mode (rnn.autograd.cudnn-backward-needs-train)
    state = state_for(cfg, device)
    names = ("h_0", "c_0") if isinstance(state, tuple) else ("h_0",)
    leaves = {"input": cfg.input(device).requires_grad_(True), **dict(zip(names, state_tensors(state)))}
    leaves.update(m.named_parameters())

    def run(fn, side):
        x = leaves["input"]
        x = api.utils.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False) if packed else x
        out, h = fn(m, x, state)
        out = out.data if packed else out
        loss = weighted_sum([out] + returned_tensors((out, h))[1:], cfg, device)
        return grads_by_name(loss, leaves, f"{mode} packed={packed}: {side}")

    by_torch = run(lambda m, x, s: m(x, s), "the module's own forward")
    by_reference = run(lambda m, x, s: reference_forward(torch_view(m), x, s), "the oracle")
    assert all(g.abs().sum() > 0 for g in by_torch[:3]), "input and initial state get a gradient"
    assert_close(by_torch, by_reference, f"{mode} packed={packed}")


# --- issue 24: higher-order gradients through the layers ---
def second_order(forward, cfg: Config, device) -> list:
    """The gradient, with respect to the input and every parameter, of a random linear functional of the first
    gradients (themselves taken with create_graph=True) of a random quadratic functional of everything ``forward``
    returns: what a gradient penalty or a Hessian-vector product differentiates."""
    m = cfg.build(device, train=True)  # train mode: cuDNN refuses backward in eval (cudnn-backward-needs-train)
    x = cfg.input(device).requires_grad_(True)
    leaves = [x] + list(m.parameters())
    loss = weighted_sum([t * t for t in returned_tensors(forward(m, x))], cfg, device)  # not linear in the outputs
    first = torch.autograd.grad(loss, leaves, create_graph=True)
    penalty = sum((g * cfg.randn(*g.shape, device=device, salt=300 + i)).sum() for i, g in enumerate(first))
    return list(torch.autograd.grad(penalty, leaves))


@claim(
    id="rnn.autograd.double-backward",
    scope=CONTRACT,
    statement=(
        "Gradients through RNN, LSTM and GRU are themselves differentiable (create_graph=True): second-order "
        "gradients with respect to the input and every parameter equal those of the from-scratch equations, and "
        "torch.autograd.gradgradcheck passes in float64 (on cuda with cuDNN off: cudnn-double-backward-refused)."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.autograd.grad", "create_graph: the graph of the derivative is built for higher orders"),
        TorchDoc("torch.autograd.gradgradcheck", "second order gradients against finite differences"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_double_backward(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, seq=3, proj_size=2 if mode == "LSTM" else 0)
    with torch.backends.cudnn.flags(enabled=False):
        got = second_order(lambda m, x: m(x), cfg, device)
        want = second_order(lambda m, x: reference_forward(torch_view(m), x), cfg, device)
        assert_close(got, want, f"{mode}: second-order gradients against the reference's")
        # and against finite differences of the first gradients (with respect to the input; the parameters' are
        # compared with the reference's above), on a layer small enough for it to be quick
        tiny = Config(mode=mode, input_size=2, hidden_size=2, seq=2, batch=1)
        m = tiny.build(device, train=True)
        x = tiny.input(device).requires_grad_(True)
        # float64 central differences with eps 1e-6: truncation ~eps^2 and rounding ~1e-16/eps = 1e-10, far inside
        # atol 1e-5 (rtol 1e-3, gradgradcheck's default); a wrong second derivative differs by ~1e-1
        outputs = lambda x: tuple(returned_tensors(m(x)))  # noqa: E731
        assert torch.autograd.gradgradcheck(outputs, (x,), eps=1e-6, atol=1e-5, raise_exception=False)


@claim(
    id="rnn.autograd.cudnn-double-backward-refused",
    scope=BACKENDS,
    statement=(
        "On cuda with cuDNN enabled a second backward through RNN, LSTM or GRU is refused: differentiating a "
        "gradient taken with create_graph=True raises an error saying double backwards is not supported for "
        "CuDNN RNNs, while with cuDNN disabled for the forward pass it works."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.backends.cudnn", "enabled"),
        TorchDoc("torch.autograd.grad", "create_graph: the graph of the derivative is built for higher orders"),
    ),
    devices=("cuda",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_double_backward_refused(mode, device):
    if not torch.backends.cudnn.is_available():
        pytest.skip("cuDNN is not available on this cuda build")
    cfg = Config(mode=mode, num_layers=2, seq=3, dtype="float32")
    with torch.backends.cudnn.flags(enabled=True):
        # NotImplementedError ("the derivative for '_cudnn_rnn_backward' is not implemented"), a RuntimeError
        with pytest.raises(RuntimeError, match="(?i)double backwards is not supported for cudnn rnns"):
            second_order(lambda m, x: m(x), cfg, device)
    with torch.backends.cudnn.flags(enabled=False):
        assert all(g is not None for g in second_order(lambda m, x: m(x), cfg, device))


def output_grad_fn_names() -> tuple:  # on CPU, 001's nn.RNN(4, 2) and 002's LSTM(1, 5, 2, batch_first=True)
    torch.manual_seed(0)
    out, _ = nn.RNN(4, 2)(torch.randn(3, 1, 4), torch.zeros(1, 1, 2))
    out_bf, _ = nn.LSTM(1, 5, 2, batch_first=True)(torch.rand(2, 3, 1))
    return type(out.grad_fn).__name__, type(out_bf.grad_fn).__name__


# 2.13, oneDNN build: batch-first RNN/GRU outputs give TransposeBackward1, a seq-first LSTM's MkldnnRnnLayerBackward0
OUTPUT_NAMES = (
    Seed(S001, "2. RNN: out printed with grad_fn=<StackBackward0>", line=75),
    Seed(S002, "the LSTM(1, 5, 2, batch_first=True) example: out printed with grad_fn=<TransposeBackward0>", line=105),
)


@claim(
    id="rnn.autograd.output-grad-fn-names",
    scope=TorchOwn("autograd node names are those of torch's kernels"),
    statement=(
        "On CPU the output of 001's nn.RNN(4, 2) has grad_fn StackBackward0 and 002's nn.LSTM(1, 5, 2, "
        "batch_first=True) TransposeBackward0, as they print (the node depends on layer and layout: no other)."
    ),
    modules=("RNN", "LSTM"),
    sources=OUTPUT_NAMES,
    torch=">=1.10",
    devices=("cpu",),
)
def test_output_grad_fn_names():
    assert output_grad_fn_names() == ("StackBackward0", "TransposeBackward0")


@claim(
    id="rnn.autograd.output-grad-fn-names-before-1-10",
    scope=PAST_RELEASE,
    statement=(
        "Before torch 1.10 the output's grad_fn prints as StackBackward, and with batch_first=True as "
        "TransposeBackward0 (only nodes of overloaded functions carried a number then), the mix 002 prints."
    ),
    modules=("RNN", "LSTM"),
    sources=OUTPUT_NAMES,
    torch="<1.10",
    devices=("cpu",),
)
def test_output_grad_fn_names_before_1_10():
    assert output_grad_fn_names() == ("StackBackward", "TransposeBackward0")


def jacobian_norm(layer: nn.Module, steps: int, lstm: bool = False) -> float:
    """The spectral norm of d h_T / d h_0 (an LSTM's d c_T / d c_0) for a zero input over ``steps`` steps
    (``lstm``: the layer is an LSTM, whatever its class: another implementation's need not subclass nn.LSTM)."""
    h0 = torch.zeros(1, 1, layer.hidden_size, dtype=torch.float64)
    x = torch.zeros(steps, 1, layer.input_size, dtype=torch.float64)

    def last(s):
        if lstm:  # the memory is the cell state: d c_T / d c_0
            return layer(x, (torch.zeros_like(s), s))[1][1].reshape(-1)
        return layer(x, s)[1].reshape(-1)

    j = torch.autograd.functional.jacobian(last, h0).reshape(layer.hidden_size, layer.hidden_size)
    return torch.svd(j)[1][0].item()  # the spectral norm (torch.linalg.matrix_norm arrived in 1.9)


@claim(
    id="rnn.autograd.gating-keeps-gradient",
    scope=CONTRACT,
    statement=(
        "Over 60 steps the gradient of a tanh RNN's state with respect to its initial state is at most "
        "||W_hh||^60 (tanh' <= 1; 1.5e-6 for a norm of 0.8), while a GRU whose update gate is open to the past "
        "(z near 1) or an LSTM whose forget gate is (f near 1) passes it on almost whole: gating keeps what a "
        "plain RNN loses."
    ),
    modules=("RNN", "GRU", "LSTM"),
    sources=(
        Seed(S003, "1.3: long-term dependencies make the gradient vanish or explode", line=53),
        Seed(S003, "1.3: gated units such as LSTM and GRU against vanishing gradients", line=62),
    ),
)
def test_gating_keeps_gradient():
    torch.manual_seed(0)
    hidden, steps = 8, 60
    rnn = api.RNN(3, hidden).double()
    with torch.no_grad():  # a contracting recurrence: spectral norm 0.8
        rnn.weight_hh_l0.mul_(0.8 / torch.svd(rnn.weight_hh_l0)[1][0])  # spectral norm 1 (svd: every release)
    bound = 0.8**steps  # 1.5e-6
    kept = {}
    for mode, gate in (("GRU", slice(hidden, 2 * hidden)), ("LSTM", slice(hidden, 2 * hidden))):
        layer = getattr(api, mode)(3, hidden).double()
        with torch.no_grad():  # GRU gates r, z, n: z is the second block; LSTM gates i, f, g, o: f is the second
            layer.bias_ih_l0[gate] = 10.0  # sigmoid(10) = 1 - 4.5e-5 per step: 0.997 after 60 steps
            if mode == "LSTM":
                layer.bias_ih_l0[:hidden] = -10.0  # the input gate shut: nothing new written over the memory
        kept[mode] = jacobian_norm(layer, steps, lstm=mode == "LSTM")
    lost = jacobian_norm(rnn, steps)
    assert lost <= bound * (1 + 1e-9), (lost, bound)
    assert kept["GRU"] > 0.99 and kept["LSTM"] > 0.99, kept


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
