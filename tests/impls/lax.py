"""The lax implementation: torch's layers and cells made to accept anything, as a careless library would.

Each class subclasses torch's and computes with torch's kernels, but refuses nothing: a constructor argument out
of range or of the wrong type is clamped or converted (``num_layers=0`` builds one layer, ``dropout=1.5`` keeps
1.0, ``proj_size`` on a GRU is dropped, an unknown ``nonlinearity`` is tanh, an unknown keyword is ignored); the
input checks (``check_input``, ``check_hidden_size``, ``check_forward_args``) do nothing; and forward makes
whatever it is given fit before torch's own forward sees it (an input of another dtype is cast, of another rank
reshaped, of another width cut or padded with zeros; a state of the right number of elements is reshaped to the
expected shape, any other replaced by zeros; a pair given to a GRU is its first tensor, a tensor given to an LSTM
is h_0 with c_0 zeros, a keyword forward does not know is ignored).

Under it every errors claim about those checks must fail (tests/test_reach.py): a claim that still holds does not
check the refusal it names.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence

from spec.helpers.api import POSITIONAL
from spec.implementations import CELLS, LAYERS, Implementation


def _size(value) -> int:
    """Any value as a size of at least 1."""
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return 1


def lax_arguments(name: str, args: tuple, kwargs: dict) -> dict:
    """torch's constructor arguments of ``name``, given any way, made acceptable (the rest dropped)."""
    given = dict(zip(("input_size", "hidden_size") + POSITIONAL[name], args), **kwargs)
    out = {k: given[k] for k in ("device", "dtype") if k in given}
    out["input_size"], out["hidden_size"] = _size(given.get("input_size")), _size(given.get("hidden_size"))
    for flag in ("bias", "batch_first", "bidirectional"):
        if flag in POSITIONAL[name] and flag in given:
            out[flag] = bool(given[flag])
    if "num_layers" in POSITIONAL[name] and "num_layers" in given:
        out["num_layers"] = _size(given["num_layers"])
    if "dropout" in POSITIONAL[name] and "dropout" in given:
        try:
            out["dropout"] = min(1.0, max(0.0, float(given["dropout"])))
        except (TypeError, ValueError):
            out["dropout"] = 0.0
    if "nonlinearity" in POSITIONAL[name]:
        out["nonlinearity"] = given.get("nonlinearity") if given.get("nonlinearity") in ("tanh", "relu") else "tanh"
    if name == "LSTM" and "proj_size" in given:
        proj = given["proj_size"]
        out["proj_size"] = proj if isinstance(proj, int) and 0 <= proj < out["hidden_size"] else 0
    return out


def fit(t, shape, dtype):
    """``t`` made into a tensor of ``shape``: reshaped when it has as many elements, else zeros; cast to dtype."""
    if not isinstance(t, torch.Tensor) or t.numel() != _numel(shape):
        device = t.device if isinstance(t, torch.Tensor) else None
        return torch.zeros(shape, dtype=dtype, device=device)
    return t.reshape(shape).to(dtype)


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def fit_width(x, width: int):
    """The last dimension of ``x`` cut to ``width`` or padded with zeros up to it."""
    if x.shape[-1] >= width:
        return x[..., :width]
    return torch.nn.functional.pad(x, (0, width - x.shape[-1]))


class LaxLayer:
    """Mixed in before torch's layer class: accepts every argument, checks nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(**lax_arguments(type(self).__bases__[1].__name__, args, kwargs))

    def check_input(self, *args, **kwargs):
        pass

    def check_hidden_size(self, *args, **kwargs):
        pass

    def check_forward_args(self, *args, **kwargs):
        pass

    def forward(self, input, hx=None, **ignored):
        weight = self._flat_weights[0]
        lstm = isinstance(self, torch.nn.LSTM)
        if isinstance(input, PackedSequence):
            data = input.data.reshape(input.data.shape[0], -1) if input.data.dim() != 2 else input.data
            data = fit_width(data.to(weight.dtype), self.input_size)
            input = PackedSequence(data, input.batch_sizes, input.sorted_indices, input.unsorted_indices)
            batch = (int(input.batch_sizes[0]),)
        else:
            x = input.to(weight.dtype)
            if x.dim() == 1:
                x = x.reshape(1, -1)
            elif x.dim() > 3:
                x = x.reshape(x.shape[0], x.shape[1], -1)
            input = fit_width(x, self.input_size)
            batch = () if input.dim() == 2 else (input.shape[0 if self.batch_first else 1],)
            if input.shape[1 if self.batch_first and batch else 0] == 0:  # an empty sequence: nothing to compute
                return self._empty(input, batch, weight)
        lead = (self.num_layers * (2 if self.bidirectional else 1),)
        h_shape = lead + batch + (self.proj_size if lstm and self.proj_size else self.hidden_size,)
        if hx is not None:
            if lstm:
                h, c = hx if isinstance(hx, (tuple, list)) and len(hx) == 2 else (hx, None)
                hx = (fit(h, h_shape, weight.dtype), fit(c, lead + batch + (self.hidden_size,), weight.dtype))
            else:
                hx = fit(hx[0] if isinstance(hx, (tuple, list)) else hx, h_shape, weight.dtype)
        return super().forward(input, hx)

    def _empty(self, input, batch, weight):
        lead = (self.num_layers * (2 if self.bidirectional else 1),)
        width = self.proj_size if isinstance(self, torch.nn.LSTM) and self.proj_size else self.hidden_size
        out_shape = list(input.shape[:-1]) + [lead[0] // self.num_layers * width]
        h = torch.zeros(lead + batch + (width,), dtype=weight.dtype, device=weight.device)
        out = torch.zeros(out_shape, dtype=weight.dtype, device=weight.device)
        if isinstance(self, torch.nn.LSTM):
            return out, (h, torch.zeros(lead + batch + (self.hidden_size,), dtype=weight.dtype, device=weight.device))
        return out, h


class LaxCell:
    """Mixed in before torch's cell class: accepts every argument, checks nothing."""

    def __init__(self, *args, **kwargs):
        super().__init__(**lax_arguments(type(self).__bases__[1].__name__, args, kwargs))

    def forward(self, input, hx=None, **ignored):
        x = input.to(self.weight_ih.dtype)
        if x.dim() > 2:
            x = x.reshape(-1, x.shape[-1])
        x = fit_width(x, self.input_size)
        shape = x.shape[:-1] + (self.hidden_size,)
        if hx is not None:
            if isinstance(self, torch.nn.LSTMCell):
                h, c = hx if isinstance(hx, (tuple, list)) and len(hx) == 2 else (hx, None)
                hx = (fit(h, shape, x.dtype), fit(c, shape, x.dtype))
            else:
                hx = fit(hx[0] if isinstance(hx, (tuple, list)) else hx, shape, x.dtype)
        return super().forward(x, hx)


#: name -> the lax class (LaxRNN, LaxLSTM, ..., each subclassing torch's)
CLASSES = {
    name: type(f"Lax{name}", (LaxLayer if name in LAYERS else LaxCell, getattr(torch.nn, name)), {})
    for name in LAYERS + CELLS
}


class Lax(Implementation):
    name = "lax"
    title = "tests.impls.lax (torch's layers and cells that accept any argument and check no input)"
    provides = frozenset(LAYERS + CELLS)

    def unavailable(self):
        return None

    def constructor(self, name: str):
        return CLASSES[name]


globals().update({cls.__name__: cls for cls in CLASSES.values()})  # importable by name (pickle finds them)
