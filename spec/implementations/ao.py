"""torch's own quantization-ready recurrent layers (``torch.ao.nn``), in torch but a separate implementation.

- ``ao-quantizable``: ``torch.ao.nn.quantizable.LSTM`` / ``LSTMCell``, a Python LSTM built from Linear
  submodules (``layers[k].layer_fw.cell.igates`` / ``hgates``; ``layer_bw`` for the reverse direction) so that
  observers can be inserted; introduced as functionally and numerically equivalent to nn.LSTM. Float arithmetic
  in another order: no extra error beyond torch's own tolerance.
- ``ao-dynamic-qint8`` / ``ao-dynamic-float16``: ``torch.ao.nn.quantized.dynamic`` LSTM, GRU and the three cells,
  made as users make them, with ``from_float`` and a dynamic qconfig. Forward only (no autograd through packed
  quantized weights), float32 activations, cpu only (fbgemm / qnnpack kernels).
"""

from __future__ import annotations

import math

from spec.implementations import CELLS, Implementation, constructor_call, type_name


class Quantizable(Implementation):
    name = "ao-quantizable"
    title = "torch.ao.nn.quantizable: LSTM and LSTMCell (Python LSTM ready for static quantization)"
    provides = frozenset({"LSTM", "LSTMCell"})
    #: what it is for: a float32 model on its way to static quantization. float64 is accepted at construction and
    #: then fails at forward without a given state (its zero state is made float32: known file's note), so the
    #: claims run it in float32, as the dynamically quantized ones.
    dtypes = ("float32",)

    def constructor(self, name: str):
        import torch.ao.nn.quantizable as q

        return getattr(q, name)

    def versions(self):
        return super().versions()  # part of torch: torch's version is its version

    def from_torch(self, module):
        import torch

        name = type_name(module)
        args, kwargs = constructor_call(module)
        if name in CELLS:
            ours = self.build(name, *args, **kwargs)  # input_dim, hidden_dim, bias: positional as torch's
            cells = {"": ours}
        else:
            ours = self.build(name, *args, **kwargs)
            cells = {}
            for k in range(module.num_layers):
                cells[f"_l{k}"] = ours.layers[k].layer_fw.cell
                if module.bidirectional:
                    cells[f"_l{k}_reverse"] = ours.layers[k].layer_bw.cell
        p = next(module.parameters())
        ours = ours.to(device=p.device, dtype=p.dtype)
        with torch.no_grad():
            for suffix, cell in cells.items():
                for theirs, mine in (("ih", "igates"), ("hh", "hgates")):
                    getattr(cell, mine).weight.copy_(getattr(module, f"weight_{theirs}{suffix}"))
                    if module.bias:
                        getattr(cell, mine).bias.copy_(getattr(module, f"bias_{theirs}{suffix}"))
        return ours.train(module.training)

    def torch_parameters(self, ours):
        if not hasattr(ours, "layers"):  # a cell
            cells = {"": ours}
        else:
            cells = {}
            for k, layer in enumerate(ours.layers):
                cells[f"_l{k}"] = layer.layer_fw.cell
                if getattr(layer, "bidirectional", False):
                    cells[f"_l{k}_reverse"] = layer.layer_bw.cell
        out = {}
        for suffix, cell in cells.items():
            for theirs, mine in (("ih", "igates"), ("hh", "hgates")):
                out[f"weight_{theirs}{suffix}"] = getattr(cell, mine).weight
                if getattr(cell, mine).bias is not None:
                    out[f"bias_{theirs}{suffix}"] = getattr(cell, mine).bias
        return out


class _Dynamic(Implementation):
    """Dynamic quantization: weights quantized once by ``from_float``, activations quantized per call."""

    provides = frozenset({"LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell"})
    dtypes = ("float32",)
    devices = ("cpu",)
    backward = False
    weight_dtype = "qint8"

    def qconfig(self):
        raise NotImplementedError

    def constructor(self, name: str):
        import torch.ao.nn.quantized.dynamic as d

        return getattr(d, name)

    def build(self, name: str, *args, **kwargs):
        import torch

        # torch's factory keywords mean the float module's device and dtype; the quantized constructors take
        # ``dtype`` for the weights' dtype. The api lets only float32 / cpu reach here (``dtypes``, ``devices``).
        kwargs.pop("device", None)
        kwargs.pop("dtype", None)
        return self.constructor(name)(*args, dtype=getattr(torch, self.weight_dtype), **kwargs)

    def from_torch(self, module):
        import torch

        module.qconfig = self.qconfig()
        try:
            ours = self.constructor(type_name(module)).from_float(module)
        finally:
            del module.qconfig
        # the values it computes with, written back into the torch module: torch and the oracle run with them
        weights = ours._weight_bias()["weight"]
        with torch.no_grad():
            for name, w in weights.items():
                getattr(module, name).copy_(w.dequantize() if w.is_quantized else w)
        return ours.train(module.training)

    def torch_parameters(self, ours):
        return {}  # packed quantized weights: the twin keeps the dequantized copies from_torch wrote into it

    def refresh(self, ours, module) -> None:
        """Quantize ``module``'s weights again (and write the values back into it), in place of ``ours``'s."""
        fresh = self.from_torch(module)
        keep = ours.__dict__.get("_spec_torch_twin")
        ours.__dict__.update(fresh.__dict__)
        if keep is not None:
            ours.__dict__["_spec_torch_twin"] = keep


class DynamicQInt8(_Dynamic):
    name = "ao-dynamic-qint8"
    title = "torch.ao.nn.quantized.dynamic: LSTM, GRU, cells; qint8 weights (from_float, default_dynamic_qconfig)"

    def qconfig(self):
        from torch.ao.quantization import default_dynamic_qconfig

        return default_dynamic_qconfig

    def tolerance(self, dtype):
        """The error of quantizing the activations, per step (the weights are the module's own: no error).

        Each matmul of a step (input and hidden, per gate block) quantizes its activation tensor per call to
        quint8 with a range [min(a, 0), max(a, 0)] and, on fbgemm, ``reduce_range`` (127 levels): step
        s = range / 127, rounding error e_j uniform in [-s/2, s/2], variance s^2 / 12 (the standard model of
        quantization noise, independent across elements). A gate pre-activation sum_j W_ij e_j then has
        variance s^2 / 12 * sum_j W_ij^2, and torch's initialisation U(-1/sqrt(H), 1/sqrt(H)) gives
        E[W^2] = 1 / (3H), so sum_j W_ij^2 ~ (in + H) / (3H) over the input and hidden matmuls: at most
        (6 + 1) / 3 = 2.33 over the spec's sizes (input <= 6, a deeper layer's input D*H <= 2H, H >= 1).
        Activations: the inputs are standard normal, |x| <= 4.5 (an element beyond it: probability 6.8e-6),
        h in (-1, 1): range <= 9, s <= 9 / 127 = 0.071. Four standard deviations:
        4 * 0.071 / sqrt(12) * sqrt(2.33) = 0.125 per step. Sigmoid (slope <= 1/4) and tanh (<= 1) do not
        enlarge it; ``steps`` scales it as torch's float32 tolerance (a random walk over the recurrence).
        A wrong gate order or a dropped state differs by O(1) at the space's small widths; the issue's
        measurement of this module, 1.2e-2, is well inside."""
        s = 9 / 127
        return {"atol": 4 * s / math.sqrt(12) * math.sqrt(7 / 3)}


class DynamicFloat16(_Dynamic):
    name = "ao-dynamic-float16"
    title = "torch.ao.nn.quantized.dynamic: LSTM, GRU, cells; float16 weights (from_float, float16_dynamic_qconfig)"
    weight_dtype = "float16"

    def qconfig(self):
        from torch.ao.quantization import float16_dynamic_qconfig

        return float16_dynamic_qconfig

    def tolerance(self, dtype):
        """None beyond float32's: the weights are stored as float16 and the torch module gets exactly those
        values back (float16 -> float32 is exact); the activations stay float32 and the products accumulate
        in float32, so what remains is float32 rounding in another order, which torch's float32 tolerance
        (rtol, atol 1e-5 per step) covers. The issue measured 2e-7."""
        return {"atol": 0.0}
