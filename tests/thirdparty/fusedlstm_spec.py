"""The adapter that points the spec at fusedlstm, written as its authors would, outside ``spec/``::

    RNN_SPEC_IMPL=tests.thirdparty.fusedlstm_spec:FusedLSTMSpec python -m spec verify --device cpu

fusedlstm's parameters do not map one to one onto torch's: per layer k and direction (suffix s, ``""`` or
``"_reverse"``) it holds one fused ``weight`` ``[4H, I_k + H]`` (the input columns, then the hidden ones) and
one ``bias`` ``[4H]`` where torch holds ``weight_ih_l{k}{s}``, ``weight_hh_l{k}{s}``, ``bias_ih_l{k}{s}``,
``bias_hh_l{k}{s}``. The adapter maps the two layouts three ways:

- :meth:`FusedLSTMSpec.from_torch`: torch -> fused, ``weight = [W_ih | W_hh]``, ``bias = b_ih + b_hh`` (the
  equations only ever use the sum).
- :meth:`FusedLSTMSpec.torch_parameters`: fused -> torch, as tensors computed from fusedlstm's own parameters:
  ``weight_ih`` and ``weight_hh`` are column slices (views) of ``weight``, ``bias_ih`` is ``bias`` itself and
  ``bias_hh`` zeros. The spec's torch twin and the oracle compute with them, so the oracle's gradients reach
  ``weight`` and ``bias``, and an in-place edit of ``weight_ih``/``weight_hh``/``bias_ih`` lands in them.
- :meth:`FusedLSTMSpec.refresh`: what an in-place edit of the twin's ``bias_hh`` (the one tensor that is no view
  of fusedlstm's) means for fusedlstm: added into ``bias``, and the twin's ``bias_hh`` zeroed again.

The planted bugs (``tests/thirdparty/fusedlstm/planted.py``) have adapters of their own, the same but for the
class they build: :class:`GateOrderSpec` and :class:`IgnoresStateSpec`.
"""

from __future__ import annotations

from pathlib import Path

import torch

from spec.implementations import Implementation, constructor_call


def suffixes(module):
    """``(k, s)`` per layer and direction, in fusedlstm's order of ``cells`` (l0, l0_reverse, l1, ...)."""
    return [(k, s) for k in range(module.num_layers) for s in (("", "_reverse") if module.bidirectional else ("",))]


class FusedLSTMSpec(Implementation):
    name = "fusedlstm"
    title = "tests.thirdparty.fusedlstm.LSTM (a made-up LSTM: one fused weight and one bias per layer)"
    provides = frozenset({"LSTM"})
    packages = ()  # not a distribution: the report records torch's version alone

    def constructor(self, name: str):
        from tests.thirdparty import fusedlstm

        return fusedlstm.LSTM

    @property
    def known(self) -> Path:
        return Path(__file__).resolve().with_name("fusedlstm.json")

    def from_torch(self, module):
        args, kwargs = constructor_call(module)
        p = next(module.parameters())
        ours = self.build("LSTM", *args, **kwargs, device=p.device, dtype=p.dtype)
        with torch.no_grad():
            for cell, (k, s) in zip(ours.cells, suffixes(module)):
                w_ih, w_hh = getattr(module, f"weight_ih_l{k}{s}"), getattr(module, f"weight_hh_l{k}{s}")
                cell.weight.copy_(torch.cat([w_ih, w_hh], 1))
                if module.bias:
                    cell.bias.copy_(getattr(module, f"bias_ih_l{k}{s}") + getattr(module, f"bias_hh_l{k}{s}"))
        return ours.train(module.training)

    def torch_parameters(self, ours):
        out = {}
        for cell, (k, s) in zip(ours.cells, suffixes(ours)):
            width = cell.input_size
            out[f"weight_ih_l{k}{s}"] = cell.weight[:, :width]
            out[f"weight_hh_l{k}{s}"] = cell.weight[:, width:]
            if cell.bias is not None:
                out[f"bias_ih_l{k}{s}"] = cell.bias
                out[f"bias_hh_l{k}{s}"] = torch.zeros_like(cell.bias, requires_grad=cell.bias.requires_grad)
        return out

    def refresh(self, ours, module) -> None:
        """Fold the twin's bias_hh, written in place, into fusedlstm's one bias (the weights and bias_ih are views
        of fusedlstm's own parameters: already there); a twin parameter replaced by assignment is copied in."""
        with torch.no_grad():
            for cell, (k, s) in zip(ours.cells, suffixes(ours)):
                w = torch.cat([getattr(module, f"weight_ih_l{k}{s}"), getattr(module, f"weight_hh_l{k}{s}")], 1)
                cell.weight.copy_(w)  # the same values where the twin's weights are views of it
                if cell.bias is not None:
                    b_hh = getattr(module, f"bias_hh_l{k}{s}")
                    cell.bias.copy_(getattr(module, f"bias_ih_l{k}{s}") + b_hh)
                    b_hh.zero_()  # now counted in bias: the twin's sum stays what fusedlstm computes with


class GateOrderSpec(FusedLSTMSpec):
    """fusedlstm with its gate blocks read as i, g, f, o (``planted.GateOrderLSTM``)."""

    name = "fusedlstm-gate-order"
    title = "tests.thirdparty.fusedlstm.planted.GateOrderLSTM (planted bug: gate blocks read as i, g, f, o)"

    def constructor(self, name: str):
        from tests.thirdparty.fusedlstm import planted

        return planted.GateOrderLSTM


class IgnoresStateSpec(FusedLSTMSpec):
    """fusedlstm starting from zeros whatever initial state it is given (``planted.IgnoresStateLSTM``)."""

    name = "fusedlstm-ignores-state"
    title = "tests.thirdparty.fusedlstm.planted.IgnoresStateLSTM (planted bug: the initial state is ignored)"

    def constructor(self, name: str):
        from tests.thirdparty.fusedlstm import planted

        return planted.IgnoresStateLSTM
