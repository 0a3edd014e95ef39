"""Multi-layer, bidirectional, batch-first, unbatched and packed recurrent layers from scratch.

:func:`stacked` is the whole computation on the canonical layout
[seq, batch, feature]; :func:`forward` takes a torch ``nn.RNN``/``nn.LSTM``/
``nn.GRU`` and an input in any layout torch accepts, reads the module's
parameters by name, and returns what the module should return.

Semantics implemented (and claimed by the spec):
- layer k > 0 reads the concatenated [forward, backward] outputs of layer k-1;
- the backward direction reads the sequence reversed and its outputs are
  written back in original time order;
- h_n/c_n are stacked layer-major: index k*D + d (d = 0 forward, 1 backward);
- with lengths (packed input), each sequence stops at its own length: its state
  stops changing and its output is zero-padded; the backward direction starts
  at the last valid step;
- dropout (training only) is applied to the outputs of every layer but the last.
"""

from collections.abc import Mapping
from typing import Optional, Union

import torch
from torch.nn.utils.rnn import PackedSequence

from reference.common.shapecheck import Float, Int, Tensor, checked
from reference.oracle.cells import gru_step, lstm_step, rnn_step

NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr")


def layer_params(params: Mapping[str, Tensor], layer: int, reverse: bool) -> dict:
    """The cell-named parameters of one layer and direction: ``weight_ih_l1_reverse`` -> ``weight_ih``."""
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    return {n: params[n + suffix] for n in NAMES if n + suffix in params}


def _direction(mode, p, xs, h, c, lengths, reverse, nonlinearity):
    steps = range(xs.shape[0] - 1, -1, -1) if reverse else range(xs.shape[0])
    outs = [None] * xs.shape[0]
    for t in steps:
        if mode == "LSTM":
            h_new, c_new = lstm_step(p, xs[t], h, c)
        elif mode == "GRU":
            h_new, c_new = gru_step(p, xs[t], h), None
        else:
            h_new, c_new = rnn_step(p, xs[t], h, nonlinearity), None
        if lengths is None:
            h, c, outs[t] = h_new, c_new, h_new
        else:  # a finished sequence keeps its state and emits zeros
            live = (t < lengths).unsqueeze(-1)
            h = torch.where(live, h_new, h)
            c = None if c is None else torch.where(live, c_new, c)
            outs[t] = torch.where(live, h_new, torch.zeros_like(h_new))
    return torch.stack(outs), h, c


@checked
def stacked(
    mode: str,
    params: Mapping[str, Tensor],
    x: Float[Tensor, "seq batch input"],
    h0: Float[Tensor, "{layers}*{dirs} batch out"],
    c0: Optional[Float[Tensor, "{layers}*{dirs} batch hidden"]],
    layers: int,
    dirs: int,
    nonlinearity: str = "tanh",
    lengths: Optional[Int[Tensor, " batch"]] = None,
    dropout: float = 0.0,
    generator: Optional[torch.Generator] = None,
) -> tuple[
    Float[Tensor, "seq batch {dirs}*out"],
    Float[Tensor, "{layers}*{dirs} batch out"],
    Optional[Float[Tensor, "{layers}*{dirs} batch hidden"]],
]:
    """Run ``layers`` stacked layers of ``dirs`` directions over the whole sequence."""
    if x.shape[0] == 0:
        raise ValueError("a recurrent layer needs at least one time step")
    if lengths is not None:
        lengths = lengths.to(x.device)
    h_n, c_n = [], []
    for k in range(layers):
        outs = []
        for d in range(dirs):
            i = k * dirs + d
            c_init = None if c0 is None else c0[i]
            p = layer_params(params, k, reverse=d == 1)
            out, h, c = _direction(mode, p, x, h0[i], c_init, lengths, d == 1, nonlinearity)
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
        x = torch.cat(outs, dim=-1)
        if dropout > 0 and k < layers - 1:
            keep = torch.rand(x.shape, generator=generator, dtype=x.dtype).to(x.device) >= dropout
            x = torch.zeros_like(x) if dropout >= 1 else x * keep / (1 - dropout)
    return x, torch.stack(h_n), (None if c0 is None else torch.stack(c_n))


# --- packed sequences, by hand ---------------------------------------------------


def unpack(packed: PackedSequence) -> tuple[Tensor, Tensor]:
    """PackedSequence -> (padded [seq, batch, *] in the original batch order, lengths)."""
    data, sizes = packed.data, packed.batch_sizes.tolist()
    batch = sizes[0]
    rows, offset = [], 0
    for size in sizes:
        step = data[offset : offset + size]
        pad = step.new_zeros((batch - size,) + tuple(step.shape[1:]))
        rows.append(torch.cat([step, pad]))
        offset += size
    padded = torch.stack(rows)
    lengths = torch.tensor([sum(1 for s in sizes if s > j) for j in range(batch)])
    if packed.unsorted_indices is not None:
        padded = padded.index_select(1, packed.unsorted_indices.to(padded.device))
        lengths = lengths.index_select(0, packed.unsorted_indices.cpu())
    return padded, lengths


def pack_like(padded: Tensor, like: PackedSequence) -> PackedSequence:
    """Pack a [seq, batch, *] tensor in original order with ``like``'s lengths and order."""
    if like.sorted_indices is not None:
        padded = padded.index_select(1, like.sorted_indices.to(padded.device))
    data = torch.cat([padded[t, :size] for t, size in enumerate(like.batch_sizes.tolist())])
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)


# --- the module-level entry point ----------------------------------------------------


def describe(module: torch.nn.Module) -> dict:
    """What :func:`stacked` needs to know about a torch RNN/LSTM/GRU module."""
    mode = module.mode  # 'RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'
    return dict(
        mode="RNN" if mode.startswith("RNN") else mode,
        nonlinearity="relu" if mode == "RNN_RELU" else "tanh",
        layers=module.num_layers,
        dirs=2 if module.bidirectional else 1,
        hidden=module.hidden_size,
        out=getattr(module, "proj_size", 0) or module.hidden_size,
        batch_first=module.batch_first,
    )


def forward(
    module: torch.nn.Module,
    input: Union[Tensor, PackedSequence],
    hx=None,
    generator: Optional[torch.Generator] = None,
):
    """What ``module(input, hx)`` returns, computed from the module's parameters alone."""
    d = describe(module)
    params = dict(module.named_parameters())
    packed = isinstance(input, PackedSequence)
    lengths = None
    if packed:
        x, lengths = unpack(input)
        unbatched = False
    else:
        unbatched = input.dim() == 2
        x = input.unsqueeze(1) if unbatched else input
        if d["batch_first"] and not unbatched:
            x = x.transpose(0, 1)
    batch, rows = x.shape[1], d["layers"] * d["dirs"]
    h0, c0 = hx if d["mode"] == "LSTM" and hx is not None else (hx, None)
    if unbatched:
        h0 = None if h0 is None else h0.unsqueeze(1)
        c0 = None if c0 is None else c0.unsqueeze(1)
    if h0 is None:
        h0 = x.new_zeros(rows, batch, d["out"])
    if d["mode"] == "LSTM" and c0 is None:
        c0 = x.new_zeros(rows, batch, d["hidden"])
    dropout = module.dropout if module.training else 0.0
    out, h_n, c_n = stacked(
        d["mode"], params, x, h0, c0, d["layers"], d["dirs"], d["nonlinearity"], lengths, dropout, generator
    )
    if packed:
        out = pack_like(out, input)
    elif unbatched:
        out, h_n = out.squeeze(1), h_n.squeeze(1)
        c_n = None if c_n is None else c_n.squeeze(1)
    elif d["batch_first"]:
        out = out.transpose(0, 1)
    return out, ((h_n, c_n) if d["mode"] == "LSTM" else h_n)
