"""Packing and padding by hand: what torch.nn.utils.rnn's functions should return, built with plain indexing.

Nothing here calls a torch packing function, so the claims can compare torch's result with these.
"""

from __future__ import annotations

import torch


def sequences(lengths, *trailing: int, seed: int = 0, dtype=torch.float64) -> list:
    """One seeded random tensor [L, *trailing] per length."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, *trailing, generator=g, dtype=dtype) for n in lengths]


def padded(seqs, batch_first=False, value=0.0, side="right", total=None) -> torch.Tensor:
    """[T, B, *] (or [B, T, *]) with each sequence at the start (side='right') or the end ('left') of its column."""
    t = max(len(s) for s in seqs) if total is None else total
    out = torch.full((t, len(seqs)) + tuple(seqs[0].shape[1:]), value, dtype=seqs[0].dtype)
    for b, s in enumerate(seqs):
        if side == "right":
            out[: len(s), b] = s
        else:
            out[t - len(s) :, b] = s
    return out.transpose(0, 1) if batch_first else out


def decreasing_order(lengths) -> list:
    """Batch indices by decreasing length, ties in batch order (what a stable descending sort gives)."""
    return sorted(range(len(lengths)), key=lambda b: -lengths[b])


def packed_data(seqs, order=None) -> tuple:
    """(data, batch_sizes) of the packed batch: step t holds, in ``order``, every sequence still running at t."""
    order = list(range(len(seqs))) if order is None else order
    rows, sizes = [], []
    for t in range(max(len(s) for s in seqs)):
        live = [seqs[b][t] for b in order if len(seqs[b]) > t]
        rows.extend(live)
        sizes.append(len(live))
    return torch.stack(rows), torch.tensor(sizes)
