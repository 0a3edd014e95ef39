"""Errors of what is particular to nn.LSTM (its cell state, projections, gates)."""

from __future__ import annotations

import pytest

from spec.helpers.modules import fixed_randn, packed
from spec.helpers.outcomes import Case, Outcome, check, layer
from spec.registry import TorchDoc, claim

# LSTM.forward checks a packed input's data and state (check_forward_args, hence get_expected_cell_size with
# batch_sizes) up to 2.0 and no more from 2.1 (from torch's sources: 2.0.1 calls check_forward_args after the
# packed/padded branches, 2.1.2 only in the padded branch); measured on 1.10.2, 1.11.0 and 2.0.1 (checked) and
# on 2.2.2, 2.3.1, 2.10.0 and 2.13.0 (unchecked: the CPU kernel's own size errors).
PACKED_LSTM = [
    Case(
        "c0-batch",
        lambda d: layer("LSTM", d, 3, 4)(packed(d, 3), (fixed_randn(d, 1, 2, 4), fixed_randn(d, 1, 3, 4))),
        (
            Outcome(">=2.1", RuntimeError, r"The size of tensor a \(2\) must match the size of tensor b \(3\)"),
            Outcome("<2.1", RuntimeError, r"Expected hidden\[1\] size \(1, 2, 4\), got [\[(]1, 3, 4[\])]"),
        ),
    ),
    Case(
        "h0-batch",
        lambda d: layer("LSTM", d, 3, 4)(packed(d, 3), (fixed_randn(d, 1, 3, 4), fixed_randn(d, 1, 2, 4))),
        (
            Outcome(">=2.1", RuntimeError, r"The size of tensor a \(3\) must match the size of tensor b \(2\)"),
            Outcome("<2.1", RuntimeError, r"Expected hidden\[0\] size \(1, 2, 4\), got [\[(]1, 3, 4[\])]"),
        ),
    ),
    Case(
        "data-rank",
        lambda d: layer("LSTM", d, 3, 4)(packed(d, 2, 3)),
        (
            Outcome(">=2.1", RuntimeError, r"output with shape \[2, 16\] doesn't match the broadcast shape"),
            Outcome("<2.1", RuntimeError, "input must have 2 dimensions, got 3"),
        ),
    ),
    Case(
        "state-of-the-packed-batch",
        lambda d: layer("LSTM", d, 3, 4)(packed(d, 3), (fixed_randn(d, 1, 2, 4), fixed_randn(d, 1, 2, 4))),
        (Outcome(),),
    ),
]


@claim(
    id="lstm.errors.packed-input-unchecked",
    statement=(
        "From torch 2.1 LSTM does not check a PackedSequence input in Python: an h_0 or c_0 whose batch is not "
        "batch_sizes[0], or data of 3 dimensions, reaches the CPU kernel, which raises a RuntimeError about "
        "mismatched tensor sizes instead of the 'Expected hidden[1] size' that RNN and GRU give."
    ),
    modules=("LSTM", "PackedSequence"),
    sources=(TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),),
    torch=">=2.1",
    devices=("cpu",),  # the messages are the CPU kernel's
)
@pytest.mark.parametrize("case", [c.param() for c in PACKED_LSTM])
def test_packed_lstm_unchecked(case, device):
    check(case, device)


@claim(
    id="lstm.errors.packed-input-checked-before-2-1",
    statement=(
        "Before torch 2.1 LSTM checks a PackedSequence input as RNN and GRU do: h_0 and c_0 must have batch "
        "batch_sizes[0] ('Expected hidden[1] size (1, 2, 4), got [1, 3, 4]') and the data 2 dimensions."
    ),
    modules=("LSTM", "PackedSequence"),
    sources=(TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),),
    torch="<2.1",
)
@pytest.mark.parametrize("case", [c.param() for c in PACKED_LSTM])
def test_packed_lstm_checked_before_2_1(case, device):
    check(case, device)
