"""Shape of packed sequences and the packing functions of torch.nn.utils.rnn."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence

from spec.helpers.api import api
from spec.helpers.modules import expected_states, fixed_randn
from spec.helpers.strategies import (
    LAYERS,
    batched,
    configs,
    describe,
    lengths_lists,
    state_shapes,
)
from spec.registry import CONTRACT, TorchDoc, claim, release_of, torch_docs
from spec.sources.seeds import LAYER_DOCS


@claim(
    id="packed.shape.output",
    scope=CONTRACT,
    statement=(
        "Given a PackedSequence, a module returns a PackedSequence with the same batch_sizes and data "
        "[sum(lengths), D*H_out]; h_n and c_n keep their batched shapes."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        *torch_docs(LAYER_DOCS, "Outputs", "output"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Description", "All RNN modules accept packed sequences"),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)), lengths=lengths_lists)
def test_packed_shapes(cfg, lengths, device):
    cfg = cfg.with_(batch=len(lengths), seq=max(lengths))
    describe(cfg, device)
    packed = api.utils.pack_padded_sequence(cfg.input(device), torch.tensor(lengths), enforce_sorted=False)
    with torch.no_grad():
        out, h = cfg.build(device)(packed)
    assert isinstance(out, PackedSequence), f"output is a {type(out).__name__}, not a PackedSequence"
    assert torch.equal(out.batch_sizes, packed.batch_sizes), (
        f"batch_sizes {out.batch_sizes.tolist()} against the input's {packed.batch_sizes.tolist()}"
    )
    assert tuple(out.data.shape) == (sum(lengths), cfg.dirs * cfg.out_size), (
        f"data {tuple(out.data.shape)} against {(sum(lengths), cfg.dirs * cfg.out_size)} (lengths {lengths})"
    )
    assert state_shapes(h) == expected_states(cfg), f"state {state_shapes(h)} against {expected_states(cfg)}"


@claim(
    id="packed.shape.cuda-batch-sizes-on-cpu",
    scope=CONTRACT,
    statement=(
        "A PackedSequence of cuda data keeps batch_sizes on the cpu as int64, while sorted_indices and "
        "unsorted_indices follow the data onto cuda."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "batch_sizes"),),
    devices=("cuda",),
)
def test_cuda_batch_sizes_on_cpu(device):
    packed = api.utils.pack_padded_sequence(fixed_randn(device, 4, 3, 2), torch.tensor([2, 4, 1]), enforce_sorted=False)
    assert packed.data.device.type == "cuda", f"data on {packed.data.device}, not cuda"
    assert (packed.batch_sizes.device.type, packed.batch_sizes.dtype) == ("cpu", torch.int64), (
        f"batch_sizes {packed.batch_sizes.dtype} on {packed.batch_sizes.device}, not int64 on the cpu"
    )
    assert packed.batch_sizes.tolist() == [3, 2, 1, 1], (  # lengths 4, 2, 1 by hand
        f"batch_sizes {packed.batch_sizes.tolist()} against [3, 2, 1, 1]"
    )
    for indices in (packed.sorted_indices, packed.unsorted_indices):
        assert (indices.device.type, indices.dtype) == ("cuda", torch.int64), (
            f"indices {indices.dtype} on {indices.device}, not int64 on cuda"
        )
    assert packed.sorted_indices.tolist() == [1, 0, 2], (
        f"sorted_indices {packed.sorted_indices.tolist()} against [1, 0, 2]"
    )


# --- issue 17: what a PackedSequence's tensors are ---


@claim(
    id="packed.shape.index-tensors",
    scope=CONTRACT,
    statement=(
        "A PackedSequence's data keeps the input's device and dtype (integers included), its sorted_indices and "
        "unsorted_indices are int64 on data's device, and batch_sizes is an int64 tensor on the CPU."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "data"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "batch_sizes"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "sorted_indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "unsorted_indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note", "can be on arbitrary device"),
    ),
)
@pytest.mark.parametrize("dtype", (torch.float32, torch.float64, torch.int64), ids=str)
def test_packed_index_tensors(dtype, device):
    # "on data's device" is seen only where data is not on the cpu, where batch_sizes stays: on a cpu run the data
    # is also put on the meta device (shapes, no memory), from torch 2.1; before, packing a meta tensor raises
    # NotImplementedError (index_select has no meta kernel: measured on 1.9 and 1.11), so there the device half
    # is seen on cuda runs only
    places = [device] + (["meta"] if device == "cpu" and not release_of(torch.__version__) < release_of("2.1") else [])
    for where in places:
        x = torch.arange(12).reshape(4, 3).to(dtype=dtype, device=where)
        packed = api.utils.pack_padded_sequence(x, torch.tensor([2, 4, 3]), enforce_sorted=False)
        assert (packed.data.device.type, packed.data.dtype) == (where, dtype), (
            f"data {packed.data.dtype} on {packed.data.device} against {dtype} on {where}"
        )
        for idx in (packed.sorted_indices, packed.unsorted_indices):
            assert (idx.device.type, idx.dtype) == (where, torch.int64), (
                f"{dtype} data on {where}: indices {idx.dtype} on {idx.device}, not int64 on {where}"
            )
        assert (packed.batch_sizes.device.type, packed.batch_sizes.dtype) == ("cpu", torch.int64), (
            f"{dtype} data on {where}: batch_sizes {packed.batch_sizes.dtype} on {packed.batch_sizes.device}, not "
            "int64 on the cpu"
        )


def conversions(device: str) -> dict:
    """PackedSequence conversions: name -> (the call, the data dtype and device type it gives), from a float32
    PackedSequence on the CPU. Where the case's device is not the CPU it is moved there and back; on a cpu run the
    device half is seen on the meta device (no memory), from torch 2.1 (packed.shape.index-tensors)."""
    table = {
        "double": (lambda p: p.double(), torch.float64, "cpu"),
        "float": (lambda p: p.double().float(), torch.float32, "cpu"),
        "half": (lambda p: p.half(), torch.float16, "cpu"),
        "long": (lambda p: p.long(), torch.int64, "cpu"),
        "int": (lambda p: p.int(), torch.int32, "cpu"),
        "short": (lambda p: p.short(), torch.int16, "cpu"),
        "char": (lambda p: p.char(), torch.int8, "cpu"),
        "byte": (lambda p: p.byte(), torch.uint8, "cpu"),
        "to(dtype)": (lambda p: p.to(torch.float64), torch.float64, "cpu"),
        "to(dtype=)": (lambda p: p.to(dtype=torch.int32), torch.int32, "cpu"),
        "cpu": (lambda p: p.cpu(), torch.float32, "cpu"),
    }
    away = device if device != "cpu" else ("meta" if release_of(torch.__version__) >= release_of("2.1") else None)
    if away is not None:
        kind = torch.device(away).type
        table[f"to({kind})"] = (lambda p: p.to(away), torch.float32, kind)
        table[f"to({kind}, float64)"] = (lambda p: p.to(away, torch.float64), torch.float64, kind)
        table[f"to(tensor on {kind})"] = (
            lambda p: p.to(torch.zeros(1, dtype=torch.float16, device=away)),
            torch.float16,
            kind,
        )
        table[f"to(device=, dtype=) on {kind}"] = (
            lambda p: p.to(device=away, dtype=torch.int64),
            torch.int64,
            kind,
        )
        if kind != "meta":
            table[f"to({kind}) then cpu()"] = (lambda p: p.to(away).cpu(), torch.float32, "cpu")
    return table


@claim(
    id="packed.shape.conversions",
    scope=CONTRACT,
    statement=(
        "Every conversion of a PackedSequence -- double(), float(), half(), long(), int(), short(), char(), byte(), "
        "cpu(), to(dtype), to(device), to(device, dtype), to(tensor), to(device=..., dtype=...) -- gives data of "
        "the dtype and device asked for and the same values, keeps batch_sizes an int64 tensor on the CPU and "
        "sorted_indices and unsorted_indices int64 on data's (new) device, each with its values (None stays None, "
        "for a batch packed in sorted order)."
    ),
    modules=("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "batch_sizes"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Attributes", "sorted_indices"),
        TorchDoc("torch.nn.utils.rnn.PackedSequence", "Note", "can be on arbitrary device"),
    ),
)
def test_packed_conversions_keep_types(device):
    x = torch.arange(24, dtype=torch.float32).reshape(4, 3, 2)
    unsorted = api.utils.pack_padded_sequence(x, torch.tensor([2, 4, 3]), enforce_sorted=False)
    in_order = api.utils.pack_padded_sequence(x, torch.tensor([4, 3, 2]))
    for packed in (unsorted, in_order):
        for name, (convert, dtype, kind) in conversions(device).items():
            got = convert(packed)
            where = f"{name} (sorted_indices {None if packed.sorted_indices is None else 'given'})"
            assert isinstance(got, PackedSequence), f"{where}: {type(got).__name__}"
            assert (got.data.dtype, got.data.device.type) == (dtype, kind), (
                f"{where}: data {got.data.dtype} on {got.data.device}"
            )
            if kind != "meta":
                assert torch.equal(got.data.cpu(), packed.data.to(dtype)), f"{where}: data values"
            bs = got.batch_sizes
            assert (bs.dtype, bs.device.type) == (torch.int64, "cpu"), f"{where}: batch_sizes {bs.dtype} on {bs.device}"
            assert bs.tolist() == packed.batch_sizes.tolist(), f"{where}: batch_sizes {bs.tolist()}"
            for attr in ("sorted_indices", "unsorted_indices"):
                before, after = getattr(packed, attr), getattr(got, attr)
                if before is None:
                    assert after is None, f"{where}: {attr} {after}"
                    continue
                assert (after.dtype, after.device.type) == (torch.int64, kind), (
                    f"{where}: {attr} {after.dtype} on {after.device}"
                )
                if kind != "meta":
                    assert after.tolist() == before.tolist(), f"{where}: {attr} {after.tolist()}"
