"""opacus's differentially private layers: ``opacus.layers.DPRNN`` / ``DPLSTM`` / ``DPGRU`` and the cells of
``opacus.layers.dp_rnn``, documented as drop-in replacements for torch's layers. They are built from
``nn.Linear`` submodules (``m.l0.ih.weight``) so that opacus can compute per-sample gradients, and rename their
parameters to torch's names (``weight_ih_l0``) in ``named_parameters`` and ``state_dict``; the cells keep the
Linear names (``ih.weight``). Their numerics are torch's float arithmetic in another order (a Linear per gate
block instead of one fused kernel), which torch's own tolerance already covers: no extra error."""

from __future__ import annotations

from spec.implementations import CELLS, LAYERS, Implementation, constructor_call, type_name

#: torch's cell parameter names -> opacus's cell parameter names
CELL_NAMES = {"weight_ih": "ih.weight", "weight_hh": "hh.weight", "bias_ih": "ih.bias", "bias_hh": "hh.bias"}


class Opacus(Implementation):
    name = "opacus"
    title = "opacus.layers: DPRNN, DPLSTM, DPGRU and DPRNNCell, DPLSTMCell, DPGRUCell (differential privacy)"
    provides = frozenset(LAYERS + CELLS)
    packages = ("opacus",)

    def constructor(self, name: str):
        from opacus.layers import dp_rnn

        return getattr(dp_rnn, "DP" + name)

    def from_torch(self, module):
        name = type_name(module)
        if name not in CELLS:
            return super().from_torch(module)
        args, kwargs = constructor_call(module)
        ours = self.build(name, *args, **kwargs)
        ours.load_state_dict({CELL_NAMES[k]: v for k, v in module.state_dict().items()})
        p = next(module.parameters())
        return ours.to(device=p.device, dtype=p.dtype).train(module.training)

    def torch_parameters(self, ours):
        params = dict(ours.named_parameters())
        if not any(k in params for k in CELL_NAMES.values()):
            return params  # the layers show torch's names
        return {torch_name: params[name] for torch_name, name in CELL_NAMES.items() if name in params}
