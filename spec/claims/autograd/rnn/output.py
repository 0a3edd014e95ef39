"""The autograd graph of the output of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.autograd.output-*`` claims."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from spec.helpers.modules import state_tensors
from spec.helpers.strategies import LAYERS, Config
from spec.registry import CONTRACT, PAST_RELEASE, Seed, TorchOwn, claim
from spec.sources.seeds import S001, S002


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
    assert out.grad_fn is None and all(s.grad_fn is None for s in state_tensors(state)), (
        f"under no_grad: output grad_fn {out.grad_fn}, state {[s.grad_fn for s in state_tensors(state)]}"
    )
    m.requires_grad_(False)
    out, state = m(x.detach())
    assert not out.requires_grad and all(not s.requires_grad for s in state_tensors(state)), (
        f"no grad wanted: output requires_grad {out.requires_grad}, state "
        f"{[s.requires_grad for s in state_tensors(state)]}"
    )


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
    assert output_grad_fn_names() == ("StackBackward0", "TransposeBackward0"), f"{output_grad_fn_names()}"


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
    assert output_grad_fn_names() == ("StackBackward", "TransposeBackward0"), f"{output_grad_fn_names()}"
