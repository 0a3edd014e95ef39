"""fusedlstm: a made-up third-party LSTM, written from its equations, that promises ``torch.nn.LSTM``'s contract.

What a user of ``torch.nn.LSTM`` relies on, kept: the constructor's arguments and their checks (``num_layers``,
``bias``, ``batch_first``, ``dropout`` between layers in training, ``bidirectional``, ``device``, ``dtype``), the
call ``lstm(input, hx=None)`` on batched, unbatched (2-D) and packed input, the outputs and their shapes, and the
exception types of torch's input and state checks.

What it does its own way: each layer and direction is a :class:`Gates` module holding ONE fused weight
``[4H, I + H]`` (applied to ``[x, h]`` concatenated) and ONE bias ``[4H]``, where torch has ``weight_ih_l{k}``,
``weight_hh_l{k}``, ``bias_ih_l{k}`` and ``bias_hh_l{k}``; there is no ``all_weights`` and no ``_flat_weights``.
The gate blocks are stacked i, f, g, o, as torch's.

Its documented limit: no projections. ``proj_size`` other than 0 raises ValueError at construction.
"""

from __future__ import annotations

import math
import numbers
import warnings

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

__all__ = ["Gates", "LSTM"]
__version__ = "0.1.0"


class Gates(nn.Module):
    """One layer and direction: ``z = [x, h] @ weight.T + bias``, blocks i, f, g, o of z, then the LSTM update."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(4 * hidden_size, input_size + hidden_size, **factory))
        if bias:
            self.bias = nn.Parameter(torch.empty(4 * hidden_size, **factory))
        else:
            self.register_parameter("bias", None)

    def blocks(self, z: torch.Tensor):
        """The four gate pre-activations (i, f, g, o) of ``z`` ([..., 4H])."""
        return z.chunk(4, dim=-1)

    def forward(self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor):
        i, f, g, o = self.blocks(F.linear(torch.cat([x, h], dim=-1), self.weight, self.bias))
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c


class LSTM(nn.Module):
    """A multi-layer LSTM with torch.nn.LSTM's arguments and call (no ``proj_size``: see the module's doc)."""

    gates = Gates  #: the class of one layer and direction

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device=None,
        dtype=None,
    ) -> None:
        super().__init__()
        _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size)
        if proj_size != 0:
            raise ValueError("fusedlstm.LSTM does not support projections: proj_size must be 0")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, 0
        self.cells = nn.ModuleList(
            self.gates(input_size if k == 0 else hidden_size * self.directions, hidden_size, bias, device, dtype)
            for k in range(num_layers)
            for _ in range(self.directions)
        )
        self.reset_parameters()

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0)):
            if getattr(self, name) != default:
                s += f", {name}={getattr(self, name)}"
        return s + (", bidirectional=True" if self.bidirectional else "")

    # --- the call ----------------------------------------------------------------------------------------------
    def forward(self, input, hx=None):
        packed = isinstance(input, PackedSequence)
        if packed:
            if input.data.dim() != 2:
                raise RuntimeError(f"input must have 2 dimensions, got {input.data.dim()}")
            x, lengths = pad_packed_sequence(input)  # [T, B, I] in the sequences' own order, as hx is given
            lengths = lengths.to(x.device)
            batched = True
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"LSTM: Expected input to be 2D or 3D, got {input.dim()}D instead")
            batched, lengths = input.dim() == 3, None
            x = input if batched else input.unsqueeze(1)
            if self.batch_first and batched:
                x = x.transpose(0, 1)
        self._check_input(x)
        h0, c0 = self.initial_state(x, hx, batched)
        out, h_n, c_n = self._layers(x, h0, c0, lengths)
        if packed:
            return _packed_like(out, input), (h_n, c_n)
        if not batched:
            return out.squeeze(1), (h_n.squeeze(1), c_n.squeeze(1))
        return (out.transpose(0, 1) if self.batch_first else out), (h_n, c_n)

    def initial_state(self, x: torch.Tensor, hx, batched: bool):
        """(h_0, c_0), each [L*D, B, H]: zeros when ``hx`` is None, else ``hx`` checked (as torch's exceptions)."""
        shape = (self.num_layers * self.directions, x.shape[1], self.hidden_size)
        if hx is None:
            zeros = torch.zeros(shape, dtype=x.dtype, device=x.device)
            return zeros, zeros
        h0, c0 = hx[0], hx[1]  # a single tensor for a pair: IndexError, as torch
        rank = 3 if batched else 2
        if h0.dim() != rank or c0.dim() != rank:
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise RuntimeError(
                f"For {kind} input, hx and cx should also be {rank}-D but got ({h0.dim()}-D, {c0.dim()}-D) tensors"
            )
        if not batched:
            h0, c0 = h0.unsqueeze(1), c0.unsqueeze(1)
        for k, t in enumerate((h0, c0)):
            if tuple(t.shape) != shape:
                raise RuntimeError(f"Expected hidden[{k}] size {shape}, got {list(t.shape)}")
            if t.device != x.device:
                raise RuntimeError(f"Expected hidden[{k}] on {x.device}, got it on {t.device}")
            if t.dtype != x.dtype:
                raise RuntimeError(f"Expected hidden[{k}] of dtype {x.dtype}, got {t.dtype}")
        return h0, c0

    def _check_input(self, x: torch.Tensor) -> None:
        weight = self.cells[0].weight
        if x.dtype != weight.dtype:
            raise ValueError(f"input dtype ({x.dtype}) does not match weight dtype ({weight.dtype})")
        if x.device != weight.device:
            raise RuntimeError(f"Expected input on {weight.device}, got it on {x.device}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(
                f"input.size(-1) must be equal to input_size. Expected {self.input_size}, got {x.shape[-1]}"
            )
        if x.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")

    def _layers(self, x, h0, c0, lengths):
        """Every layer over the seq-first ``x`` [T, B, I]: (output [T, B, D*H], h_n, c_n [L*D, B, H])."""
        hs, cs = [], []
        for k in range(self.num_layers):
            if k > 0 and self.dropout > 0:
                x = F.dropout(x, self.dropout, self.training)
            outs = []
            for d in range(self.directions):
                j = k * self.directions + d
                out, h, c = _direction(self.cells[j], x, h0[j], c0[j], lengths, reverse=d == 1)
                outs.append(out)
                hs.append(h)
                cs.append(c)
            x = torch.cat(outs, dim=-1)
        return x, torch.stack(hs), torch.stack(cs)


def _direction(cell: Gates, x, h, c, lengths, reverse: bool):
    """One direction over [T, B, I]; with ``lengths`` a sequence's state stops at its last step (and, reversed,
    starts there)."""
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outs = [None] * x.shape[0]
    for t in steps:
        h_new, c_new = cell(x[t], h, c)
        if lengths is None:
            h, c = h_new, c_new
            outs[t] = h
        else:
            live = (lengths > t).unsqueeze(-1)
            h, c = torch.where(live, h_new, h), torch.where(live, c_new, c)
            outs[t] = h_new * live
    return torch.stack(outs), h, c


def _packed_like(out: torch.Tensor, like: PackedSequence) -> PackedSequence:
    """``out`` ([T, B, F], the sequences in their own order) packed with ``like``'s batch sizes and order."""
    order = like.sorted_indices if like.sorted_indices is not None else torch.arange(out.shape[1])
    out = out.index_select(1, order.to(out.device))
    data = torch.cat([out[t, : int(n)] for t, n in enumerate(like.batch_sizes)])
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)


def _check_arguments(input_size, hidden_size, num_layers, bias, batch_first, dropout, proj_size) -> None:
    """torch.nn.LSTM's constructor checks, with its exception types."""
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
        )
    for name, value in (("bias", bias), ("batch_first", batch_first)):
        if not isinstance(value, bool):
            raise TypeError(f"{name} should be of type bool, got: {type(value).__name__}")
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{name} must be greater than zero")
    if not isinstance(proj_size, int) or proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,
        )
