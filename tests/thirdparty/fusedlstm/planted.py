"""Two bugs planted in fusedlstm, each a plausible mistake of a from-scratch LSTM, for the spec to catch.

- :class:`GateOrderLSTM`: reads the gate blocks as i, g, f, o where its weights (and torch's) stack i, f, g, o.
- :class:`IgnoresStateLSTM`: checks a given initial state, then starts from zeros anyway.
"""

from __future__ import annotations

import torch

from tests.thirdparty.fusedlstm import LSTM, Gates


class SwappedGates(Gates):
    def blocks(self, z):
        i, g, f, o = z.chunk(4, dim=-1)  # the bug: blocks 1 and 2 swapped
        return i, f, g, o


class GateOrderLSTM(LSTM):
    gates = SwappedGates


class IgnoresStateLSTM(LSTM):
    def initial_state(self, x, hx, batched):
        h0, c0 = super().initial_state(x, hx, batched)  # still checked
        return torch.zeros_like(h0), torch.zeros_like(c0)  # the bug: the state given is dropped
