"""A recurrent layer's state, mapped: one function for h (RNN, GRU) and for (h, c) (LSTM)."""

from __future__ import annotations


def map_state(fn, state):
    """``fn`` applied to h, or to each of (h, c): the same structure back."""
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)
