"""The autograd nodes of the state of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.autograd.grad-*`` claims."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from spec.helpers.modules import state_tensors
from spec.registry import PAST_RELEASE, Seed, TorchOwn, claim
from spec.sources.seeds import S001, S002


def grad_fn_names(mode: str) -> tuple:
    """(the grad_fn name of h_n, and c_n, of the 002 example run on CPU, RNNCell's output grad_fn name)."""
    _, state = getattr(nn, mode)(1, 5, 2, batch_first=True)(torch.rand(2, 3, 1))
    names = {type(s.grad_fn).__name__ for s in state_tensors(state)}
    assert len(names) == 1, f"{mode}: h_n and c_n have different grad_fns: {sorted(names)}"
    return names.pop(), type(nn.RNNCell(4, 2)(torch.randn(1, 4)).grad_fn).__name__


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
    assert grad_fn_names(mode) == ("StackBackward0", "TanhBackward0"), f"{mode}: {grad_fn_names(mode)}"


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
    assert grad_fn_names(mode) == ("StackBackward", "TanhBackward"), f"{mode}: {grad_fn_names(mode)}"
