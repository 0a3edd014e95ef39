"""Semantics of packed sequences and the packing functions of torch.nn.utils.rnn."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, note
from hypothesis import strategies as st

from reference.common.states import map_state
from spec.helpers import packing
from spec.helpers.api import api
from spec.helpers.modules import both, fixed_randn
from spec.helpers.strategies import (
    LAYERS,
    Config,
    batched,
    configs,
    lengths_lists,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, TorchDoc, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS


@claim(
    id="packed.semantics.matches-reference",
    scope=CONTRACT,
    statement=(
        "On a PackedSequence with unsorted lengths each sequence is processed only up to its own "
        "length, and h_n holds each sequence's last valid step in the original batch order."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        *torch_docs(LAYER_DOCS, "Inputs", "input"),
        *torch_docs(LAYER_DOCS, "Outputs", "h_n"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "enforce_sorted"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Description", "For unsorted sequences"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Description", "All RNN modules accept packed sequences"),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)), lengths=lengths_lists)
def test_packed_matches_reference(cfg, lengths, device):
    cfg = cfg.with_(batch=len(lengths), seq=max(lengths))
    note(f"lengths={lengths}")
    packed = api.utils.pack_padded_sequence(cfg.input(device), torch.tensor(lengths), enforce_sorted=False)
    actual, expected = both(cfg, device, x=packed)
    assert_close(actual, expected, f"{cfg.repro(device)} lengths={lengths}")
    # and h_n of the last layer's forward direction is the output at each sequence's last step
    padded, got_lengths = api.utils.pad_packed_sequence(actual[0])
    assert got_lengths.tolist() == lengths, f"pad_packed_sequence lengths {got_lengths.tolist()} against {lengths}"
    h_n = actual[1][0] if isinstance(actual[1], tuple) else actual[1]
    last = torch.stack([padded[n - 1, b, : cfg.out_size] for b, n in enumerate(lengths)])
    assert torch.equal(last, h_n[-cfg.dirs]), (
        f"{cfg.repro(device)} lengths={lengths}: h_n[-{cfg.dirs}] {h_n[-cfg.dirs].tolist()} against the last steps' "
        f"output {last.tolist()}"
    )


# --- issue 17: the packing functions, dropout's rate, non-zero initial states, packed input with a state ---

#: Trailing shapes of the sequences: none (a sequence of scalars), features, features x channels.
TRAILING = ((), (2,), (2, 3))


def on(device, tensors):
    return [t.to(device) for t in tensors]


@claim(
    id="packed.semantics.pad-sequence",
    scope=CONTRACT,
    statement=(
        "pad_sequence stacks sequences [L_b, *] into [T, B, *] (or [B, T, *] with batch_first=True), T the "
        "longest length, each sequence at the start of its column and padding_value (default 0) after it."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "sequences"),
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "batch_first"),
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "padding_value"),
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Description", "Pad a list"),
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Description", "stacks a list of Tensors"),
        TorchDoc("torch.nn.utils.rnn.pad_sequence", "Note", "This function returns a Tensor of size"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pad_sequence(trailing, batch_first, device):
    seqs = on(device, packing.sequences([2, 4, 1], *trailing))
    want = packing.padded([s.cpu() for s in seqs], batch_first, value=-1.5).to(device)
    got = api.utils.pad_sequence(seqs, batch_first=batch_first, padding_value=-1.5)
    assert torch.equal(got, want), f"padding_value=-1.5: {got.tolist()} against {want.tolist()}"
    default = packing.padded([s.cpu() for s in seqs], batch_first).to(device)
    got = api.utils.pad_sequence(seqs, batch_first=batch_first)
    assert torch.equal(got, default), f"default padding: {got.tolist()} against {default.tolist()}"
    if not batch_first:
        got = api.utils.pad_sequence(seqs)
        assert torch.equal(got, default), f"batch_first left out: {got.tolist()} against {default.tolist()}"


# pad_sequence's padding_side: pytorch/pytorch#131884 merged on 2024-08-07, after the 2.4 release (2024-07-24)
# and before the 2.5 branch cut (pytorch/pytorch#135506, 2024-09-09): first released in 2.5.
@claim(
    id="packed.semantics.pad-sequence-left",
    scope=CONTRACT,
    statement=(
        "pad_sequence(padding_side='left') puts each sequence at the end of its column and the padding "
        "before it; the default is 'right', and another side is a RuntimeError."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pad_sequence", "Args", "padding_side"),),
    torch=">=2.5",
)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pad_sequence_left(batch_first, device):
    seqs = on(device, packing.sequences([2, 4, 1], 3))
    for side in ("left", "right"):
        want = packing.padded([s.cpu() for s in seqs], batch_first, value=7.0, side=side).to(device)
        got = api.utils.pad_sequence(seqs, batch_first=batch_first, padding_value=7.0, padding_side=side)
        assert torch.equal(got, want), side
    assert torch.equal(
        api.utils.pad_sequence(seqs, batch_first), api.utils.pad_sequence(seqs, batch_first, padding_side="right")
    ), "no padding_side against padding_side='right'"
    with pytest.raises(RuntimeError, match="padding_side"):
        api.utils.pad_sequence(seqs, batch_first, padding_side="middle")


@claim(
    id="packed.semantics.pack-sequence",
    scope=CONTRACT,
    statement=(
        "pack_sequence packs a list of sequences [L_b, *] step by step, longest first: sorted input keeps its "
        "order (no indices), enforce_sorted=False sorts by decreasing length and records the permutation, and "
        "either way it equals pad_sequence followed by pack_padded_sequence."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Args", "sequences"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Args", "enforce_sorted"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Description", "Packs a list"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Description", "Consecutive call"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Description", "should be a list of Tensors"),
        TorchDoc("torch.nn.utils.rnn.pack_sequence", "Description", "For unsorted sequences"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "data"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "batch_sizes"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "sorted_indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "unsorted_indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Description", "Holds the data"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note", "Batch sizes represent"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("lengths", ([4, 2, 2, 1], [1, 4, 2]), ids=("sorted", "unsorted"))
def test_pack_sequence(trailing, lengths, device):
    seqs = on(device, packing.sequences(lengths, *trailing))
    is_sorted = lengths == sorted(lengths, reverse=True)
    order = packing.decreasing_order(lengths)
    data, sizes = packing.packed_data([s.cpu() for s in seqs], order)
    packed = api.utils.pack_sequence(seqs, enforce_sorted=is_sorted)
    assert torch.equal(packed.data, data.to(device)) and torch.equal(packed.batch_sizes, sizes), (
        f"data {packed.data.tolist()} against {data.tolist()}, batch_sizes {packed.batch_sizes.tolist()} against "
        f"{sizes.tolist()}"
    )
    if is_sorted:
        assert packed.sorted_indices is None and packed.unsorted_indices is None, (
            f"sorted input: indices {packed.sorted_indices}, {packed.unsorted_indices} against None"
        )
    else:
        assert packed.sorted_indices.tolist() == order, (
            f"sorted_indices {packed.sorted_indices.tolist()} against {order}"
        )
        assert packed.unsorted_indices.tolist() == sorted(range(len(order)), key=order.__getitem__), (
            f"unsorted_indices {packed.unsorted_indices.tolist()} against the inverse of {order}"
        )
    via_padding = api.utils.pack_padded_sequence(
        api.utils.pad_sequence(seqs), torch.tensor(lengths), enforce_sorted=is_sorted
    )
    assert torch.equal(via_padding.data, packed.data) and torch.equal(via_padding.batch_sizes, packed.batch_sizes), (
        f"pack_sequence against pad then pack: data {packed.data.tolist()} against {via_padding.data.tolist()}, "
        f"batch_sizes {packed.batch_sizes.tolist()} against {via_padding.batch_sizes.tolist()}"
    )


@claim(
    id="packed.semantics.pack-padded-options",
    scope=CONTRACT,
    statement=(
        "pack_padded_sequence takes input of any rank >= 2 as [T, B, *] (or [B, T, *] with batch_first=True) and "
        "lengths as a list or a CPU tensor alike; on lengths already sorted, enforce_sorted=True and False give "
        "the same data and batch_sizes (indices None against the identity permutation)."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "input"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "lengths"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "batch_first"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "enforce_sorted"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Description", "Packs a Tensor"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Description", "can be of size"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Description", "For unsorted sequences"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Note", "at least two dimensions"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Warning", "will be truncated"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pack_padded_options(trailing, batch_first, device):
    lengths = [4, 3, 1]
    seqs = packing.sequences(lengths, *trailing)
    x = packing.padded(seqs, batch_first, value=float("nan")).to(device)  # padding never reaches the data
    data, sizes = packing.packed_data(seqs)
    for as_given in (lengths, torch.tensor(lengths)):
        for enforce in (True, False):
            packed = api.utils.pack_padded_sequence(x, as_given, batch_first=batch_first, enforce_sorted=enforce)
            where = f"lengths as a {type(as_given).__name__}, enforce_sorted={enforce}"
            assert torch.equal(packed.data, data.to(device)) and torch.equal(packed.batch_sizes, sizes), (
                f"{where}: data {packed.data.tolist()} against {data.tolist()}, "
                f"batch_sizes {packed.batch_sizes.tolist()} against {sizes.tolist()}"
            )
            if enforce:
                assert packed.sorted_indices is None, f"{where}: sorted_indices {packed.sorted_indices} against None"
            else:
                assert packed.sorted_indices.tolist() == [0, 1, 2] == packed.unsorted_indices.tolist(), (
                    f"{where}: indices {packed.sorted_indices.tolist()}, {packed.unsorted_indices.tolist()}"
                )


@claim(
    id="packed.semantics.pad-packed-options",
    scope=CONTRACT,
    statement=(
        "pad_packed_sequence returns (padded, lengths) in the original batch order, [T, B, *] or [B, T, *] with "
        "batch_first=True, padding_value in the padding, and T the longest length unless total_length is given: "
        "without it a batch padded to more steps comes back shorter (the DataParallel pitfall)."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Args", "sequence"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Args", "batch_first"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Args", "padding_value"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Args", "total_length"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Description", "Pad a packed batch"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Description", "The returned Tensor"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Note", "DataParallel"),
    ),
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_pad_packed_options(trailing, batch_first, device):
    lengths = [2, 4, 1]  # unsorted: the result comes back in this order
    seqs = on(device, packing.sequences(lengths, *trailing))
    packed = api.utils.pack_sequence(seqs, enforce_sorted=False)
    cpu = [s.cpu() for s in seqs]
    for total in (None, 6):
        kw = {} if total is None else {"total_length": total}
        out, got_lengths = api.utils.pad_packed_sequence(packed, batch_first=batch_first, padding_value=-3.0, **kw)
        assert torch.equal(out, packing.padded(cpu, batch_first, value=-3.0, total=total).to(device)), total
        assert got_lengths.tolist() == lengths, (
            f"total_length={total}: lengths {got_lengths.tolist()} against {lengths}"
        )
    out, _ = api.utils.pad_packed_sequence(packed)  # defaults: seq-first, zeros
    padding = packing.padded(cpu).to(device)
    assert torch.equal(out, padding), f"defaults: {out.tolist()} against {padding.tolist()}"
    # padded to 6 steps, packed and unpacked without total_length: 4 steps come back
    x = packing.padded(cpu, total=6).to(device)
    back, _ = api.utils.pad_packed_sequence(api.utils.pack_padded_sequence(x, lengths, enforce_sorted=False))
    assert back.shape[0] == max(lengths) < x.shape[0], (
        f"padded to {x.shape[0]} steps, unpacked without total_length: {back.shape[0]} steps against {max(lengths)}"
    )


@claim(
    id="packed.semantics.pad-inverts-pack",
    scope=CONTRACT,
    statement=(
        "pad_packed_sequence(pack_padded_sequence(x, lengths), total_length=T) gives x back with zeros past "
        "each sequence's length, in the original batch order."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "input"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "batch_first"),
        *torch_docs(
            ("torch.nn.utils.rnn.pack_padded_sequence", "torch.nn.utils.rnn.pad_packed_sequence"),
            "Description",
            "inverse operation",
        ),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Warning", "will be truncated"),
        TorchDoc("torch.nn.utils.rnn.pad_packed_sequence", "Returns", "Returns"),
    ),
)
@given(lengths=lengths_lists, batch_first=st.booleans())
def test_pad_inverts_pack(lengths, batch_first, device):
    note(f"lengths={lengths}")
    t = max(lengths) + 1
    x = fixed_randn(device, len(lengths), t, 2, dtype=torch.float64, seed=sum(lengths))
    mask = (torch.arange(t).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)).to(device).unsqueeze(-1)
    x = x if batch_first else x.transpose(0, 1)
    mask = mask if batch_first else mask.transpose(0, 1)
    packed = api.utils.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    back, got = api.utils.pad_packed_sequence(packed, batch_first=batch_first, total_length=t)
    assert torch.equal(back, x * mask) and got.tolist() == lengths, (
        f"batch_first={batch_first}: lengths {got.tolist()} against {lengths}, padded {back.tolist()} against "
        f"{(x * mask).tolist()}"
    )


# unpad_sequence and unpack_sequence: asked for in pytorch/pytorch#66549 (2021-10-13), after the 1.10 branch
# cut (1.10.0 released 2021-10-21), and present in torch/nn/utils/rnn.py's __all__ from 1.11 on.
@claim(
    id="packed.semantics.unpad-unpack",
    scope=CONTRACT,
    statement=(
        "unpad_sequence(padded, lengths, batch_first) and unpack_sequence(packed) return the list of "
        "variable-length sequences in the original order: they invert pad_sequence and pack_sequence."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.unpad_sequence", "Args", "padded_sequences"),
        TorchDoc("torch.nn.utils.rnn.unpad_sequence", "Args", "lengths"),
        TorchDoc("torch.nn.utils.rnn.unpad_sequence", "Args", "batch_first"),
        *torch_docs(("torch.nn.utils.rnn.unpad_sequence", "torch.nn.utils.rnn.unpack_sequence"), "Returns", "Returns"),
        TorchDoc("torch.nn.utils.rnn.unpad_sequence", "Description", "Unpad padded Tensor"),
        TorchDoc("torch.nn.utils.rnn.unpad_sequence", "Description", "unstacks padded Tensor"),
        TorchDoc("torch.nn.utils.rnn.unpack_sequence", "Args", "packed_sequences"),
        TorchDoc("torch.nn.utils.rnn.unpack_sequence", "Description", "Unpack PackedSequence"),
        TorchDoc("torch.nn.utils.rnn.unpack_sequence", "Description", "should be a PackedSequence object"),
    ),
    torch=">=1.11",
)
@pytest.mark.parametrize("trailing", TRAILING, ids=str)
@pytest.mark.parametrize("batch_first", (False, True))
def test_unpad_unpack(trailing, batch_first, device):

    lengths = [2, 4, 1]
    seqs = on(device, packing.sequences(lengths, *trailing))
    padded = packing.padded([s.cpu() for s in seqs], batch_first).to(device)
    for got in (
        api.utils.unpad_sequence(padded, torch.tensor(lengths), batch_first=batch_first),
        api.utils.unpack_sequence(api.utils.pack_sequence(seqs, enforce_sorted=False)),
    ):
        assert len(got) == len(seqs) and all(torch.equal(g, s) for g, s in zip(got, seqs)), (
            f"{[g.tolist() for g in got]} against {[s.tolist() for s in seqs]}"
        )


@claim(
    id="packed.semantics.state-in-original-order",
    scope=CONTRACT,
    statement=(
        "With an unsorted PackedSequence a user-given h_0 (and c_0) is read in the original batch order: "
        "column b is sequence b's initial state, as h_n's column b is its final state."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "sorted_indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "unsorted_indices"),
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Args", "enforce_sorted"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_state_in_original_order(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, batch=3, seq=4)
    lengths = [2, 4, 3]  # sorting permutes the batch: a state read in sorted order lands on another sequence
    packed = api.utils.pack_padded_sequence(cfg.input(device), lengths, enforce_sorted=False)
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    hx = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if mode == "LSTM" else h0
    actual, expected = both(cfg, device, x=packed, hx=hx)
    assert_close(actual, expected, cfg.repro())
    m = cfg.build(device)
    with torch.no_grad():  # and sequence b alone, from column b of the state, ends where column b of h_n says
        for b, n in enumerate(lengths):
            column = slice(b, b + 1)
            alone = api.utils.pack_padded_sequence(cfg.input(device)[:n, column], [n])
            _, state = m(alone, map_state(lambda s, c=column: s[:, c].contiguous(), hx))
            assert_close(state, map_state(lambda s, c=column: s[:, c], actual[1]), f"sequence {b}")


@claim(
    id="packed.semantics.ignores-batch-first",
    scope=CONTRACT,
    statement=(
        "A module built with batch_first=True treats a PackedSequence like one built with batch_first=False: "
        "a packed input has no batch dimension to put first, and the output is packed the same way."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(*torch_docs(LAYER_DOCS, "Args", "batch_first"), *torch_docs(LAYER_DOCS, "Inputs", "input")),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_packed_ignores_batch_first(mode, device):
    cfg = Config(mode=mode, num_layers=2, batch=3, seq=4)
    packed = api.utils.pack_padded_sequence(cfg.input(device), [2, 4, 3], enforce_sorted=False)
    with torch.no_grad():
        seq_first = cfg.build(device)(packed)
        batch_first = cfg.with_(batch_first=True).build(device)(packed)  # same seed: same weights
    assert torch.equal(seq_first[0].batch_sizes, batch_first[0].batch_sizes), (
        f"batch_sizes {batch_first[0].batch_sizes.tolist()} against {seq_first[0].batch_sizes.tolist()}"
    )
    assert_close(batch_first, seq_first, mode)


@claim(
    id="packed.semantics.docstring-examples",
    scope=CONTRACT,
    statement=(
        "The packing functions' docstring examples hold as printed: [1, 2, 3], [4, 5], [6] pack to data "
        "[1, 4, 6, 2, 5, 3] with batch_sizes [3, 2, 1]; the unsorted [[1, 2, 0], [3, 0, 0], [4, 5, 6]] with "
        "lengths [2, 1, 3] packs to [4, 1, 3, 5, 2, 6] with sorted_indices [2, 0, 1] and unpads back; 'abc' and "
        "'x' pack to 'axbc' with batch_sizes [2, 1, 1]; and unpacking or unpadding gives the sequences back."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "Note", "at least two dimensions"),
        *torch_docs(
            (
                "torch.nn.utils.rnn.pad_packed_sequence",
                "torch.nn.utils.rnn.pack_sequence",
                "torch.nn.utils.rnn.pad_sequence",
                "torch.nn.utils.rnn.unpad_sequence",
                "torch.nn.utils.rnn.unpack_sequence",
            ),
            "Example",
            "Example",
        ),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note", "Batch sizes represent"),
    ),
)
def test_docstring_examples(device):
    a, b, c = (torch.tensor(v, device=device) for v in ([1, 2, 3], [4, 5], [6]))
    packed = api.utils.pack_sequence([a, b, c])
    assert packed.data.tolist() == [1, 4, 6, 2, 5, 3] and packed.batch_sizes.tolist() == [3, 2, 1], (
        f"data {packed.data.tolist()}, batch_sizes {packed.batch_sizes.tolist()}"
    )
    assert packed.sorted_indices is None and packed.unsorted_indices is None, (
        f"indices {packed.sorted_indices}, {packed.unsorted_indices} against None"
    )
    seq = torch.tensor([[1, 2, 0], [3, 0, 0], [4, 5, 6]], device=device)
    packed = api.utils.pack_padded_sequence(seq, [2, 1, 3], batch_first=True, enforce_sorted=False)
    assert packed.data.tolist() == [4, 1, 3, 5, 2, 6] and packed.batch_sizes.tolist() == [3, 2, 1], (
        f"data {packed.data.tolist()}, batch_sizes {packed.batch_sizes.tolist()}"
    )
    assert packed.sorted_indices.tolist() == [2, 0, 1] and packed.unsorted_indices.tolist() == [1, 2, 0], (
        f"indices {packed.sorted_indices.tolist()}, {packed.unsorted_indices.tolist()}"
    )
    back, lengths = api.utils.pad_packed_sequence(packed, batch_first=True)
    assert torch.equal(back, seq) and lengths.tolist() == [2, 1, 3], f"{back.tolist()} with lengths {lengths.tolist()}"
    abc_x = api.utils.pack_sequence([torch.tensor([ord(ch) for ch in s], device=device) for s in ("abc", "x")])
    assert "".join(map(chr, abc_x.data.tolist())) == "axbc" and abc_x.batch_sizes.tolist() == [2, 1, 1], (
        f"data {abc_x.data.tolist()}, batch_sizes {abc_x.batch_sizes.tolist()}"
    )
    ones = [torch.ones(n, 300, device=device) for n in (25, 22, 15)]
    assert tuple(api.utils.pad_sequence(ones).shape) == (25, 3, 300), f"{tuple(api.utils.pad_sequence(ones).shape)}"
    if hasattr(torch.nn.utils.rnn, "unpad_sequence"):  # torch >= 1.11: packed.semantics.unpad-unpack
        unpadded = api.utils.unpad_sequence(api.utils.pad_sequence(ones), torch.tensor([25, 22, 15]))
        assert all(torch.equal(u, o) for u, o in zip(unpadded, ones)), (
            f"shapes {[tuple(u.shape) for u in unpadded]}, not the ones back"
        )
        unpacked = api.utils.unpack_sequence(api.utils.pack_sequence([a, b, c]))
        assert [u.tolist() for u in unpacked] == [[1, 2, 3], [4, 5], [6]], f"{[u.tolist() for u in unpacked]}"


@claim(
    id="packed.semantics.conversions",
    scope=CONTRACT,
    statement=(
        "PackedSequence's double(), float(), half(), long(), int(), short(), char(), byte() and to(dtype) convert "
        "data only, keeping batch_sizes and both index tensors (None for a batch packed in sorted order); to() the "
        "dtype and device it already has returns the same object, and on the CPU is_cuda and is_pinned() are False "
        "and cpu() returns it unchanged."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "data"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note", "can be on arbitrary device"),
    ),
    devices=("cpu",),
)
def test_packed_conversions():
    packed = api.utils.pack_sequence(packing.sequences([2, 3, 1], 2), enforce_sorted=False)
    in_order = api.utils.pack_sequence(packing.sequences([3, 2, 1], 2))  # sorted: no index tensors
    conversions = {
        "double": torch.float64,
        "float": torch.float32,
        "half": torch.float16,
        "long": torch.int64,
        "int": torch.int32,
        "short": torch.int16,
        "char": torch.int8,
        "byte": torch.uint8,
    }
    for name, dtype in conversions.items():
        for converted in (getattr(packed, name)(), packed.to(dtype)):
            assert converted.data.dtype == dtype, name
            assert torch.equal(converted.data, packed.data.to(dtype)), name
            assert torch.equal(converted.batch_sizes, packed.batch_sizes), (
                f"{name}: batch_sizes {converted.batch_sizes.tolist()} against {packed.batch_sizes.tolist()}"
            )
            assert torch.equal(converted.sorted_indices, packed.sorted_indices), (
                f"{name}: sorted_indices {converted.sorted_indices} against {packed.sorted_indices.tolist()}"
            )
            assert torch.equal(converted.unsorted_indices, packed.unsorted_indices), (
                f"{name}: unsorted_indices {converted.unsorted_indices} against {packed.unsorted_indices.tolist()}"
            )
        for converted in (getattr(in_order, name)(), in_order.to(dtype)):
            assert converted.data.dtype == dtype and torch.equal(converted.data, in_order.data.to(dtype)), name
            assert torch.equal(converted.batch_sizes, in_order.batch_sizes), (
                f"{name}: batch_sizes {converted.batch_sizes.tolist()} against {in_order.batch_sizes.tolist()}"
            )
            assert converted.sorted_indices is None and converted.unsorted_indices is None, name
    # (double() on float64 data is another object before torch 2.1, where it became to(dtype=torch.double))
    assert packed.to(torch.float64) is packed and packed.cpu() is packed, (
        "to() its own dtype, or cpu() on the CPU, returns another object"
    )
    assert not packed.is_cuda and not packed.is_pinned(), (
        f"on the CPU: is_cuda {packed.is_cuda}, is_pinned() {packed.is_pinned()}"
    )
