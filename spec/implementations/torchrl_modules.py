"""torchrl's recurrent modules: ``torchrl.modules.LSTM``, ``GRU``, ``LSTMCell``, ``GRUCell`` (no RNN), subclasses
of ``nn.RNNBase`` / ``nn.RNNCellBase`` whose docstring promises they behave exactly like torch's and that compute
in Python (torch's float arithmetic in another order: no extra error beyond torch's own tolerance). Parameters
carry torch's names, so the default ``from_torch`` (every argument explicit, ``load_state_dict``) applies."""

from __future__ import annotations

from spec.implementations import Implementation


class TorchRL(Implementation):
    name = "torchrl"
    title = "torchrl.modules: LSTM, GRU, LSTMCell, GRUCell (Python recurrences for reinforcement learning)"
    provides = frozenset({"LSTM", "GRU", "LSTMCell", "GRUCell"})
    packages = ("torchrl", "tensordict")

    def constructor(self, name: str):
        import torchrl.modules

        return getattr(torchrl.modules, name)
