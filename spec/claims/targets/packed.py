"""Targets of the packing functions: what torch.jit.trace does with pad_sequence."""

from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.utils.rnn as rnn_utils

from spec.helpers import packing
from spec.helpers.modules import fixed_randn
from spec.registry import TOOLCHAIN, TorchDoc, claim

SOURCES = (
    TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "sequences"),
    TorchDoc("torch.jit.trace", "tracing a function on example inputs"),
)


def traced_pad(example: tuple, batch_first: bool, stacked: bool):
    """pad_sequence traced on ``example`` (tensors: the sequences, or one stacked tensor); looked up in the module
    at each call, so that a patched pad_sequence is the one traced."""

    def pad(*tensors):
        return rnn_utils.pad_sequence(tensors[0] if stacked else list(tensors), batch_first=batch_first)

    with warnings.catch_warnings():  # torch.jit.trace's deprecation notice (2.10 on), the tracer's warnings on 1.8
        warnings.simplefilter("ignore")
        return torch.jit.trace(pad, example)


def pad_list_as_eager(batch_first: bool, device) -> None:
    """A list of sequences traced pads as the hand-written padding does, for the example and for new sequences of
    the same lengths (the trace generalises to other values)."""
    lengths = [3, 1, 2]
    example = tuple(s.to(device) for s in packing.sequences(lengths, 2, seed=0))
    traced = traced_pad(example, batch_first, stacked=False)
    for seqs in (example, tuple(s.to(device) for s in packing.sequences(lengths, 2, seed=1))):
        want = packing.padded([s.cpu() for s in seqs], batch_first).to(device)
        got = traced(*seqs)
        assert torch.equal(got, want), f"traced, batch_first={batch_first}: {got.tolist()} against {want.tolist()}"


# The stacked tensor: pad_sequence runs a Python loop over its argument on 1.8 (iterating a tensor along its first
# dimension); hands it to torch._C._nn.pad_sequence, which wants a tuple of tensors, on 1.9-1.10 (TypeError); and
# from 1.11 makes a tuple of it eagerly (tuple(sequences)) or, while tracing, unbinds it along its first dimension.
# Measured on 1.8.1, 1.9.1, 1.10.2, 1.11.0, 1.12.1, 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0, 2.13.0, 2.14.1 and 2.15.0.
@claim(
    id="packed.targets.trace-pad-sequence",
    scope=TOOLCHAIN,
    statement=(
        "pad_sequence traced with torch.jit.trace pads a list of tensors as it does eagerly, and takes one tensor "
        "[B, L, *] as B sequences of length L, eagerly and traced alike (the tensor itself with batch_first, its "
        "first two dimensions swapped without), each trace giving the same for new inputs of the example's shapes."
    ),
    modules=("PackedSequence",),
    sources=SOURCES,
    torch="!=1.9.*,!=1.10.*",
)
@pytest.mark.parametrize("batch_first", (False, True))
def test_trace_pad_sequence(batch_first, device):
    pad_list_as_eager(batch_first, device)
    x = fixed_randn(device, 3, 4, 2)  # B=3 sequences of L=4 steps: no padding, and B != L shows a swap
    traced = traced_pad((x,), batch_first, stacked=True)
    for stacked in (x, fixed_randn(device, 3, 4, 2, seed=1)):
        want = stacked if batch_first else stacked.transpose(0, 1)
        for how, got in (
            ("eager", rnn_utils.pad_sequence(stacked, batch_first=batch_first)),
            ("traced", traced(stacked)),
        ):
            assert torch.equal(got, want), f"{how}, batch_first={batch_first}: {got.tolist()} against {want.tolist()}"


@claim(
    id="packed.targets.trace-pad-sequence-1-9-1-10",
    scope=TOOLCHAIN,
    statement=(
        "On torch 1.9 and 1.10 pad_sequence traced with torch.jit.trace pads a list of tensors as it does eagerly, "
        "but one stacked tensor is refused, eagerly and while tracing, with a TypeError: it must be a tuple of "
        "Tensors."
    ),
    modules=("PackedSequence",),
    sources=SOURCES,
    torch=">=1.9,<1.11",
)
@pytest.mark.parametrize("batch_first", (False, True))
def test_trace_pad_sequence_1_9_1_10(batch_first, device):
    pad_list_as_eager(batch_first, device)
    x = fixed_randn(device, 3, 4, 2)
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        rnn_utils.pad_sequence(x, batch_first=batch_first)
    with pytest.raises(TypeError, match="must be tuple of Tensors, not Tensor"):
        traced_pad((x,), batch_first, stacked=True)
