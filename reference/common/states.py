"""A recurrent layer's state, the one way both sides walk it: h, or (h, c) for an LSTM."""

from __future__ import annotations


def map_state(fn, state):
    """``fn`` applied to h, or to each of (h, c): the same structure back; None (no state yet) stays None."""
    if state is None:
        return None
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)
