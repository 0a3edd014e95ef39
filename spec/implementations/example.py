"""A made-up implementation, as a third party would write one: the README's worked example and the tests'.

``LoggedLSTM`` is a user's own LSTM (a subclass of ``nn.LSTM`` that counts its calls); :class:`Example` is the
adapter that points the suite at it, with no change to the suite::

    RNN_SPEC_IMPL=spec.implementations.example:Example pytest spec -p no:randomly -q

Its parameters are torch's, so it needs nothing but ``constructor``. A library whose parameters do not map one to
one onto torch's (fused gates, one bias) maps them with ``from_torch``, ``torch_parameters`` and ``refresh``:
tests/thirdparty/ is that worked example, kept outside ``spec/`` (README, "Writing an adapter").
"""

from __future__ import annotations

import torch

from spec.implementations import Implementation


class LoggedLSTM(torch.nn.LSTM):
    """nn.LSTM that counts its forward calls (a stand-in for a library's own layer)."""

    calls = 0

    def forward(self, *args, **kwargs):
        type(self).calls += 1
        return super().forward(*args, **kwargs)


class Example(Implementation):
    name = "example"
    title = "spec.implementations.example.LoggedLSTM (a made-up drop-in LSTM)"
    provides = frozenset({"LSTM"})

    def constructor(self, name: str):
        return LoggedLSTM


#: an adapter object works as well as a class: ``RNN_SPEC_IMPL=spec.implementations.example:ADAPTER``
ADAPTER = Example()
