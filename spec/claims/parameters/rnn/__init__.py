"""The ``rnn.parameters.*`` claims, a module per topic: ``rnn.parameters.<topic>-<what>`` lives in
``spec/claims/parameters/rnn/<topic>.py`` (a family grown past ~500 lines becomes a package, split by the first
word of ``<what>``); here, what several topics cite."""

from __future__ import annotations

from spec.registry import torch_docs

#: the docstring lines of nn.LSTM that name the reverse direction's parameters and the projection's
REVERSE_ATTRIBUTES = torch_docs(
    ("torch.nn.LSTM",),
    "Attributes",
    "weight_ih_l[k]_reverse",
    "weight_hh_l[k]_reverse",
    "bias_ih_l[k]_reverse",
    "bias_hh_l[k]_reverse",
    "weight_hr_l[k]_reverse",
)
