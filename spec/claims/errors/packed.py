"""Errors of packed sequences and the packing functions of torch.nn.utils.rnn."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from spec.helpers.api import api
from spec.helpers.modules import fixed_randn, packed
from spec.helpers.outcomes import Case, Outcome, check, layer, refused
from spec.registry import CONTRACT, PAST_RELEASE, TorchDoc, TorchOwn, claim, not_applicable, release_of, torch_docs

PACKING = [
    Case(
        "lengths-unsorted-with-enforce-sorted",
        lambda d: api.utils.pack_padded_sequence(fixed_randn(d, 5, 2, 3), torch.tensor([2, 5])),
        (Outcome(raises=RuntimeError, match="must be sorted in decreasing order"),),
    ),
    Case(
        "zero-length",
        lambda d: api.utils.pack_padded_sequence(fixed_randn(d, 5, 2, 3), torch.tensor([5, 0])),
        (Outcome(raises=RuntimeError, match="Length of all samples has to be greater than 0"),),
    ),
]


@claim(
    id="packed.errors.lengths",
    scope=CONTRACT,
    statement=(
        "pack_padded_sequence rejects lengths that are not in decreasing order unless enforce_sorted=False, "
        "and any length of zero."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "lengths"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "enforce_sorted"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Description", "For unsorted sequences"),
    ),
)
@pytest.mark.parametrize("case", [c.param() for c in PACKING])
def test_packing_errors(case, device):
    check(case, device)


@claim(
    id="packed.errors.length-beyond-padding",
    scope=TorchOwn("a check torch's pack_padded_sequence leaves out, not a promise"),
    statement=(
        "pack_padded_sequence does not check lengths against the padded length: a length past it gives a "
        "PackedSequence whose batch_sizes add up to more rows than its data has, which a recurrent module on "
        "CPU then rejects with a RuntimeError."
    ),
    modules=("PackedSequence", "RNN", "LSTM", "GRU"),
    sources=(TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "lengths"),),
)
@pytest.mark.parametrize("mode", ("RNN", "LSTM", "GRU"))
def test_length_beyond_padding(mode):
    from torch.nn.utils.rnn import pack_padded_sequence

    x = torch.zeros(5, 2, 1)  # 5 padded steps
    packed = pack_padded_sequence(x, torch.tensor([7, 2]))  # accepted: 7 > 5
    # what lengths 7 and 2 would give, but only 7 rows exist
    assert packed.batch_sizes.tolist() == [2, 2, 1, 1, 1, 1, 1], f"batch_sizes {packed.batch_sizes.tolist()}"
    assert int(packed.batch_sizes.sum()) == 9 and packed.data.shape[0] == 5 + 2, (
        f"batch_sizes sum to {int(packed.batch_sizes.sum())} over {packed.data.shape[0]} rows, not 9 over 7"
    )
    with refused(RuntimeError):
        getattr(torch.nn, mode)(1, 2)(packed)


@claim(
    id="packed.errors.cuda-lengths",
    scope=TorchOwn("where torch's packing kernel wants its lengths (on the cpu)"),
    statement="pack_padded_sequence rejects lengths held on cuda with a RuntimeError asking for a 1D CPU int64 "
    "tensor, even when the data is on cuda.",
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "lengths"),),
    devices=("cuda",),
)
def test_cuda_lengths_rejected(device):
    data = fixed_randn(device, 4, 2, 3)
    with pytest.raises(RuntimeError, match=r"'lengths' argument should be a 1D CPU int64 tensor"):
        pack_padded_sequence(data, torch.tensor([4, 2], device=device))
    packed_on = pack_padded_sequence(data, torch.tensor([4, 2])).data.device  # cpu lengths: accepted
    assert packed_on == data.device, f"data packed with cpu lengths lands on {packed_on}, not {data.device}"


@claim(
    id="packed.errors.total-length-too-short",
    scope=CONTRACT,
    statement="pad_packed_sequence raises ValueError when total_length is less than the longest sequence.",
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Args", "total_length"),),
)
def test_total_length_too_short(device):

    packed = api.utils.pack_sequence([fixed_randn(device, 4, 2), fixed_randn(device, 2, 2)])
    api.utils.pad_packed_sequence(packed, total_length=4)  # the longest length itself is accepted
    with refused(ValueError, match="total_length"):
        api.utils.pad_packed_sequence(packed, total_length=3)


@claim(
    id="packed.errors.pack-sequence-unsorted",
    scope=CONTRACT,
    statement=(
        "pack_sequence with the default enforce_sorted=True rejects sequences not in decreasing order of length "
        "with a RuntimeError; enforce_sorted=False accepts them."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Args", "enforce_sorted"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Description", "For unsorted sequences"),
    ),
)
def test_pack_sequence_unsorted(device):

    seqs = [fixed_randn(device, 2, 3), fixed_randn(device, 4, 3)]
    with refused(RuntimeError, match="sorted"):
        api.utils.pack_sequence(seqs)
    api.utils.pack_sequence(seqs, enforce_sorted=False)


# the other side of packed.semantics.pad-sequence-left (torch >= 2.5; the boundary is established there)
@claim(
    id="packed.errors.padding-side-before-2-5",
    scope=PAST_RELEASE,
    statement="Before torch 2.5 pad_sequence has no padding_side: passing it is a TypeError.",
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "padding_side"),),
    torch="<2.5",
)
def test_padding_side_before_2_5(device):
    from torch.nn.utils.rnn import pad_sequence

    with pytest.raises(TypeError, match="padding_side"):
        pad_sequence([fixed_randn(device, 2, 3)], padding_side="left")


# the other side of packed.semantics.unpad-unpack (torch >= 1.11; the boundary is established there)
@claim(
    id="packed.errors.unpad-unpack-before-1-11",
    scope=PAST_RELEASE,
    statement="Before torch 1.11 torch.nn.utils.rnn has neither unpad_sequence nor unpack_sequence.",
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.unpad_sequence", "Description", "Unpad padded Tensor"),
        TorchDoc("torch.nn.utils.rnn.unpack_sequence", "Description", "Unpack PackedSequence"),
    ),
    torch="<1.11",
)
def test_unpad_unpack_before_1_11():
    from torch.nn.utils import rnn

    assert not hasattr(rnn, "unpad_sequence") and not hasattr(rnn, "unpack_sequence"), (
        f"torch {torch.__version__} has unpad_sequence or unpack_sequence"
    )


@claim(
    id="packed.errors.data-rank",
    scope=CONTRACT,
    statement=(
        "RNN and GRU given a PackedSequence whose elements are not vectors (data of 3 dimensions) raise a "
        "RuntimeError: input must have 2 dimensions, got 3."
    ),
    modules=("RNN", "GRU", "PackedSequence"),
    sources=(
        *torch_docs(("torch.nn.RNN", "torch.nn.GRU"), "Inputs", "input"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "input"),
    ),
)
@pytest.mark.parametrize("mode", ("RNN", "GRU"))
def test_packed_data_rank(mode, device):
    # RNNBase.check_input wants 2 dimensions for a packed input (3 for a padded one), on every release 1.8-2.15;
    # LSTM skips the check from 2.1 (lstm.errors.packed-input-unchecked)
    with refused(RuntimeError, match="input must have 2 dimensions, got 3"):
        layer(mode, device, 3, 4)(packed(device, 2, 3))
    layer(mode, device, 3, 4)(packed(device, 3))  # vectors: accepted


# pad_sequence tests isinstance(sequences, Iterable) from 1.11 (absent from 1.10.2's torch/nn/utils/rnn.py,
# present in 1.11.0's); before, the argument goes straight to torch._C._nn.pad_sequence (1.9-1.10), or, on 1.8,
# to a Python loop that indexes sequences[0] (measured on 1.8.1 and 1.10.2).
PAD_NOT_ITERABLE = Case(
    "pad-sequence-int",
    lambda d: api.utils.pad_sequence(5),
    (
        Outcome(">=1.11", RuntimeError, "Expected iterable for input sequences, but got arg of type: <class 'int'>"),
        Outcome(">=1.9,<1.11", TypeError, r"argument 'sequences' \(position 1\) must be tuple of Tensors, not int"),
        Outcome("<1.9", TypeError, "'int' object is not subscriptable"),
    ),
)


@claim(
    id="packed.errors.pad-sequence-not-iterable",
    scope=CONTRACT,
    statement=(
        "pad_sequence given something that is not iterable raises a RuntimeError naming its type: "
        "Expected iterable for input sequences, but got arg of type: <class 'int'>."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "sequences"),),
    torch=">=1.11",
)
def test_pad_sequence_not_iterable(device):
    check(PAD_NOT_ITERABLE, device)
    padded = api.utils.pad_sequence(iter([fixed_randn(device, 2, 3)]))  # any iterable: accepted
    assert padded.shape == (2, 1, 3), f"an iterator of one [2, 3] pads to {tuple(padded.shape)}, not (2, 1, 3)"


@claim(
    id="packed.errors.pad-sequence-not-iterable-before-1-11",
    scope=PAST_RELEASE,
    statement=(
        "Before torch 1.11 pad_sequence does not test that its argument is iterable: given an int it raises a "
        "TypeError from the binding (must be tuple of Tensors) on 1.9-1.10, or from indexing it on 1.8."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "sequences"),),
    torch="<1.11",
)
def test_pad_sequence_not_iterable_before_1_11():
    check(PAD_NOT_ITERABLE, "cpu")


# --- issue 24: a PackedSequence built by hand (torch/nn/utils/rnn.py, _packed_sequence_init_args) ---
BY_HAND = TorchOwn("building a PackedSequence by hand, which its docstring says never to do: torch's own guard")


def by_hand(device) -> tuple:
    """data of sequences of lengths 3, 2 and 1 packed by hand (6 rows) and their batch_sizes [3, 2, 1]."""
    return fixed_randn(device, 6, 2), torch.tensor([3, 2, 1])


# Measured on 1.8.1, 1.9.1, 1.10.2, 1.11.0, 1.12.1, 2.1.2, 2.2.2, 2.3.1, 2.9.1, 2.10.0, 2.13.0, 2.14.1 and 2.15.0
# (cpu runs; 1.8.1 has no meta device, so there only a cuda run checks the refusal).
@claim(
    id="packed.errors.batch-sizes-off-cpu",
    scope=BY_HAND,
    statement=(
        "PackedSequence built directly with batch_sizes on a device other than the CPU (meta, cuda) raises a "
        "ValueError saying batch_sizes should always be on CPU; the same batch_sizes on the CPU are accepted."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note", "can be on arbitrary device"),),
)
def test_batch_sizes_off_cpu(device):
    data, sizes = by_hand(device)
    # a device other than the cpu on a cpu run: meta (tensors with shapes and no memory), which 1.8 lacks
    has_meta = release_of(torch.__version__) >= release_of("1.9")
    elsewhere = (["meta"] if has_meta else []) + ([device] if device != "cpu" else [])
    if not elsewhere:
        not_applicable("no device but the cpu: torch 1.8 has no meta device (a cuda run checks it)")
    order = torch.tensor([2, 0, 1], device=device)
    for where in elsewhere:
        off_cpu = sizes.to(where)
        with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
            PackedSequence(data, off_cpu)
        with pytest.raises(ValueError, match="batch_sizes should always be on CPU"):
            PackedSequence(data, off_cpu, order)
    kept = PackedSequence(data, sizes, order)
    assert kept.data is data and kept.batch_sizes is sizes and kept.sorted_indices is order, (
        "PackedSequence(data, batch_sizes, sorted_indices) does not hold the tensors it was given"
    )


# Measured on the same releases. The AssertionError's message is empty up to 2.10 (a bare assert) and reads "Expected
# data to be a list or tuple of length 2" on 2.13-2.15 (measured); 2.11 and 2.12 are not measured, so the wording
# is left out of the claim.
@claim(
    id="packed.errors.constructor-pair",
    scope=BY_HAND,
    statement=(
        "PackedSequence given data alone takes it as the pair (data, batch_sizes), a tuple or a list of two, with "
        "sorted_indices by keyword and unsorted_indices its inverse, and raises an AssertionError for anything "
        "else (a tensor, one item, three items)."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "data"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "batch_sizes"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "unsorted_indices"),
    ),
)
def test_constructor_pair(device):
    data, sizes = by_hand(device)
    order = torch.tensor([2, 0, 1], device=device)
    for pair in ((data, sizes), [data, sizes]):
        plain = PackedSequence(pair)
        assert plain.data is data and plain.batch_sizes is sizes, (
            f"{type(pair).__name__} pair: data or batch_sizes is not the tensor given"
        )
        assert plain.sorted_indices is None and plain.unsorted_indices is None, (
            f"{type(pair).__name__} pair: indices {plain.sorted_indices}, {plain.unsorted_indices} against None"
        )
        sorted_ = PackedSequence(pair, sorted_indices=order)
        assert sorted_.data is data and sorted_.batch_sizes is sizes and sorted_.sorted_indices is order, (
            f"{type(pair).__name__} pair: data, batch_sizes or sorted_indices is not the tensor given"
        )
        # the inverse of [2, 0, 1] by hand: batch 0 sits at position 1, batch 1 at 2, batch 2 at 0
        assert sorted_.unsorted_indices.tolist() == [1, 2, 0], (
            f"{type(pair).__name__} pair: unsorted_indices {sorted_.unsorted_indices.tolist()} against [1, 2, 0]"
        )
    for bad in (data, (data,), [data], (data, sizes, order)):
        with pytest.raises(AssertionError):
            PackedSequence(bad)
