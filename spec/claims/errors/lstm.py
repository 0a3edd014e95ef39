"""Errors of what is particular to nn.LSTM (its cell state, projections, gates)."""

from __future__ import annotations

import traceback

import pytest

from spec.helpers.modules import fixed_randn, packed
from spec.helpers.outcomes import Case, Outcome, check, layer
from spec.registry import PAST_RELEASE, TorchDoc, TorchOwn, claim

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


def raised_where(call) -> tuple:
    """(the function of torch/nn/modules/rnn.py the RuntimeError of ``call()`` left last, that line of code, the
    message): a check method (check_hidden_size, check_input) raised it in Python, ``forward`` got it from the
    kernel it called."""
    with pytest.raises(RuntimeError) as caught:
        call()
    frames = traceback.extract_tb(caught.value.__traceback__)
    frames = [f for f in frames if f.filename.replace("\\", "/").endswith(RNN_PY)]
    assert frames, f"the RuntimeError did not pass through {RNN_PY}: {caught.value}"
    return frames[-1].name, frames[-1].line or "", str(caught.value)


RNN_PY = "torch/nn/modules/rnn.py"


@claim(
    id="lstm.errors.packed-input-unchecked",
    scope=TorchOwn("which checks run in Python before torch's kernel is torch's own"),
    statement=(
        "From torch 2.1 LSTM does not check a PackedSequence input in Python: an h_0 or c_0 whose batch is not "
        "batch_sizes[0], or data of 3 dimensions, reaches the kernel, which raises a RuntimeError of its own, "
        "where RNN and GRU stop the same input in their Python checks ('Expected hidden size ...')."
    ),
    modules=("LSTM", "PackedSequence"),
    sources=(TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),),
    torch=">=2.1",
)
@pytest.mark.parametrize("case", [c.param() for c in PACKED_LSTM])
def test_packed_lstm_unchecked(case, device):
    if case.name == "state-of-the-packed-batch":  # the state the packed batch needs: accepted
        out, (h, c) = case.call(device)
        assert tuple(h.shape) == tuple(c.shape) == (1, 2, 4), (
            f"{case.name}: h, c {tuple(h.shape)}, {tuple(c.shape)}, not (1, 2, 4)"
        )
        return
    # where the error comes from, not its wording (the kernel's differs between CPU and cuDNN and releases)
    function, line, message = raised_where(lambda: case.call(device))
    assert function == "forward" and "_VF.lstm(" in line, f"{case.name}: raised by {function} ({line}): {message}"
    assert "Expected hidden" not in message, (
        f"{case.name}: the kernel's own message, not the shape check's, expected; got {message!r}"
    )
    if case.name == "c0-batch":
        return  # RNN and GRU have no c_0
    # RNN and GRU, given the same packed input and a state of the same wrong batch (or the same 3-D data)
    for mode in ("RNN", "GRU"):
        m = layer(mode, device, 3, 4)
        if case.name == "h0-batch":
            function, _, message = raised_where(lambda m=m: m(packed(device, 3), fixed_randn(device, 1, 3, 4)))
            # the expected size by hand: (layers x directions, batch_sizes[0] = 2 sequences, hidden 4)
            assert function == "check_hidden_size" and "Expected hidden size (1, 2, 4)" in message, (mode, message)
        else:
            function, _, message = raised_where(lambda m=m: m(packed(device, 2, 3)))
            assert function == "check_input", (mode, function, message)


@claim(
    id="lstm.errors.packed-input-checked-before-2-1",
    scope=PAST_RELEASE,
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
