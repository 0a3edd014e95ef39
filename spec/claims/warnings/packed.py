"""Warnings of packed sequences and the packing functions of torch.nn.utils.rnn."""

from __future__ import annotations

import warnings

import torch
import torch.nn.utils.rnn as rnn_utils

from spec.registry import TorchDoc, TorchOwn, claim

#: The opening of the tracer's warning about lengths given as a Python list.
LIST_LENGTHS = "pack_padded_sequence has been called with a Python list of sequence lengths"


def packing_warnings(lengths, traced: bool) -> list:
    """(category, message) of the warnings that name pack_padded_sequence, packing a [3, 2, 1] zero tensor with
    ``lengths`` (a list, or a tensor passed to the trace as an input) eagerly or under torch.jit.trace; each shown
    ("always"), torch.jit.trace's own deprecation notice (2.10 on) and TracerWarnings left aside by the filter."""
    x = torch.zeros(3, 2, 1)
    given = lengths if isinstance(lengths, torch.Tensor) else None

    def pack(x, *tensor_lengths):
        # looked up in the module at each call, so that a patched pack_padded_sequence is the one traced
        return rnn_utils.pack_padded_sequence(x, tensor_lengths[0] if tensor_lengths else lengths).data

    args = (x,) if given is None else (x, given)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.trace(pack, args) if traced else pack(*args)
    return [(w.category, str(w.message)) for w in caught if "pack_padded_sequence" in str(w.message)]


# Measured on 1.8.1, 1.9.1, 1.10.2, 1.11.0, 1.12.1, 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0, 2.13.0, 2.14.1 and 2.15.0:
# the same UserWarning.
@claim(
    id="packed.warnings.trace-list-lengths",
    scope=TorchOwn("a warning's wording and when torch chooses to warn"),
    statement=(
        "Under torch.jit.trace, pack_padded_sequence given its lengths as a Python list raises a UserWarning that "
        "the tracer cannot follow Python values and treats the lengths as constants; lengths given as a tensor, "
        "or a list outside a trace, raise no such warning."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "lengths"),
        TorchDoc("torch.jit.trace", "Warning: tracing records no control flow, what is constant is inlined"),
    ),
)
def test_trace_list_lengths():
    found = packing_warnings([3, 2], traced=True)
    assert found, "no warning about a Python list of lengths under torch.jit.trace"
    for category, message in found:
        assert category is UserWarning and message.startswith(LIST_LENGTHS), (category, message)
        assert "constants" in message, message
    for lengths, traced in ((torch.tensor([3, 2]), True), ([3, 2], False)):
        found = packing_warnings(lengths, traced=traced)
        assert found == [], f"lengths {lengths!r}, traced={traced}: warns {found}"
