"""torch itself: the implementation every claim was written against (the identity adapter)."""

from __future__ import annotations

from spec.implementations import OBJECTS, Implementation


class Torch(Implementation):
    name = "torch"
    title = "torch.nn (RNN, LSTM, GRU, their cells), torch.nn.utils.rnn and clip_grad_norm_"
    provides = frozenset(OBJECTS)

    def unavailable(self):
        return None  # torch is the suite's own requirement

    def constructor(self, name: str):
        import torch

        return getattr(torch.nn, name)

    def from_torch(self, module):
        return module

    @property
    def utils(self):
        import torch.nn.utils.rnn

        return torch.nn.utils.rnn

    @property
    def clip_grad_norm_(self):
        import torch.nn.utils

        return torch.nn.utils.clip_grad_norm_
