"""torch's recurrent API as the implementation under test provides it (``$RNN_SPEC_IMPL``, default torch).

Contract claims build through :data:`api` instead of ``torch.nn``: ``api.LSTM(3, 4)``, ``api.GRUCell(...)``,
``api.utils.pack_padded_sequence(...)``, ``api.clip_grad_norm_(...)``. The arguments reach the implementation
as given (so a different default shows). An object the implementation does not provide, or a dtype, device,
mode or argument value it does not support, makes the case not applicable, with the reason
(:func:`spec.registry.not_applicable`). Under torch, ``api.LSTM`` is ``nn.LSTM``.
"""

from __future__ import annotations

import functools
from typing import Optional

from spec.helpers import verdicts
from spec.implementations import CELLS, LAYERS, Implementation, current, limits
from spec.registry import not_applicable

#: torch's positional order of each constructor's arguments after (input_size, hidden_size).
POSITIONAL = {
    "RNN": ("num_layers", "nonlinearity", "bias", "batch_first", "dropout", "bidirectional"),
    "LSTM": ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size"),
    "GRU": ("num_layers", "bias", "batch_first", "dropout", "bidirectional"),
    "RNNCell": ("bias", "nonlinearity"),
    "LSTMCell": ("bias",),
    "GRUCell": ("bias",),
}
#: torch's defaults for what a limit may name
DEFAULTS = dict(
    num_layers=1,
    bias=True,
    batch_first=False,
    dropout=0.0,
    bidirectional=False,
    proj_size=0,
    nonlinearity="tanh",
    dtype="float32",
)


def dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


def refusal(
    impl: Implementation, name: str, values: Optional[dict] = None, device=None, backward: bool = False
) -> Optional[str]:
    """Why ``impl`` cannot build ``name`` with ``values`` (argument -> value, ``dtype`` by name) on ``device``
    (and run it backward); None when it can. Every reason names the implementation."""
    if name not in impl.provides:
        verdicts.built(name, dict(DEFAULTS, **(values or {})))
        return f"{impl.name} provides no {name}"
    why = impl.unavailable()
    if why:
        return why
    values = dict(DEFAULTS, **(values or {}))
    verdicts.built(name, values)  # what the running case builds: a known divergence may name its cases by it
    if values["dtype"] not in impl.dtypes:
        return f"{impl.name} computes in {', '.join(impl.dtypes)} only, not {values['dtype']}"
    kind = None if device is None else str(device).split(":")[0]
    if kind is not None and impl.devices is not None and kind not in impl.devices:
        return f"{impl.name} runs on {', '.join(impl.devices)} only, not {kind}"
    if backward and not impl.backward:
        return f"{impl.name} is forward only: no gradients flow through it"
    for limit in limits(impl):
        if limit.matches(name, values):
            return f"{impl.name} refuses {limit.describe()}"
    return None


class Api:
    """The recurrent API of one implementation (None: the current one, read when used). ``raw=True`` builds
    without asking whether the implementation supports the call (a known file's repro shows what happens)."""

    def __init__(self, impl: Optional[Implementation] = None, raw: bool = False) -> None:
        self._impl = impl
        self._raw = raw

    @property
    def impl(self) -> Implementation:
        return self._impl if self._impl is not None else current()

    def __getattr__(self, name: str):
        if name in LAYERS or name in CELLS:
            return functools.partial(self.build, name)
        raise AttributeError(f"the recurrent API has no {name!r}")

    def build(self, name: str, *args, **kwargs):
        """``name(*args, **kwargs)`` as the implementation builds it; not applicable where it cannot."""
        impl = self.impl
        if self._raw:
            return impl.build(name, *args, **kwargs)
        values = dict(zip(("input_size", "hidden_size") + POSITIONAL[name], args))
        values.update({k: v for k, v in kwargs.items() if k not in ("device", "dtype")})
        if kwargs.get("dtype") is not None:
            values["dtype"] = dtype_name(kwargs["dtype"])
        if impl.name == "torch":
            verdicts.built(name, dict(DEFAULTS, **values))
            return impl.build(name, *args, **kwargs)
        why = refusal(impl, name, values, device=kwargs.get("device"))
        if why:
            not_applicable(why, implementation=True)
        return impl.build(name, *args, **kwargs)

    def require(self, obj: Optional[str] = None, *, dtype=None, device=None, backward: bool = False) -> None:
        """Stop the case as not applicable unless the implementation provides ``obj`` (default: a layer it has)
        in ``dtype`` on ``device`` (and backward, when asked)."""
        impl = self.impl
        name = obj or next((n for n in LAYERS + CELLS if n in impl.provides), "LSTM")
        values = {} if dtype is None else {"dtype": dtype_name(dtype)}
        why = refusal(impl, name, values, device=device, backward=backward)
        if why:
            not_applicable(why, implementation=True)

    def adopt(self, module):
        """The implementation's equivalent of the torch layer or cell ``module`` (built and edited by the claim),
        holding its weights, with ``module`` as its torch twin; not applicable where it cannot take it."""
        from spec.implementations import constructor_call, link, type_name

        impl = self.impl
        if impl.name == "torch":
            return module
        args, kwargs = constructor_call(module)
        name = type_name(module)
        values = dict(zip(("input_size", "hidden_size"), args), **kwargs)
        p = next(module.parameters(), None)
        if p is not None:
            values["dtype"] = dtype_name(p.dtype)
        why = refusal(impl, name, values, device=None if p is None else p.device)
        if why:
            not_applicable(why, implementation=True)
        return link(impl.from_torch(module), module, impl)

    @property
    def utils(self):
        """torch.nn.utils.rnn as the implementation gives it; torch's own where it gives none (its layers take
        torch's PackedSequence: a user packs with torch). The claims about those functions themselves name
        ``PackedSequence`` alone and are not applicable where it is not provided."""
        import torch.nn.utils.rnn

        return self.impl.utils or torch.nn.utils.rnn

    @property
    def clip_grad_norm_(self):
        """clip_grad_norm_ as the implementation gives it; torch's own where it gives none (as for utils)."""
        import torch.nn.utils

        return self.impl.clip_grad_norm_ or torch.nn.utils.clip_grad_norm_


#: what contract claims build through
api = Api()
