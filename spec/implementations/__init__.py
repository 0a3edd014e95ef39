"""Implementations of torch's recurrent API that the spec can run against: the implementation axis.

The claims were written against ``torch.nn``; an *implementation* is anything that promises the same contract
(a drop-in replacement: opacus's DP layers, torchrl's LSTM/GRU, torch.ao's quantizable and dynamically
quantized LSTM/GRU, a user's own subclass). An :class:`Implementation` is the small adapter that tells the spec
how to get at it: which objects it provides, how to build each from torch's arguments, how to give it the
weights of a torch module built the same way (so torch, the oracle and the implementation compute with the
same numbers), which dtypes, devices and modes it supports, the extra error its numerics add, its versions,
and the file of its known divergences (``known/<name>.json``: :mod:`spec.implementations.divergences`).

Choose one with ``RNN_SPEC_IMPL`` (a name of :data:`NAMES` or ``MODULE:ATTR`` naming an adapter object or
class; default ``torch``), read once per process by :func:`current`.

A third party writes an adapter and points the suite at it, with no change to the suite::

    # mylib_adapter.py
    from spec.implementations import Implementation

    class MyLib(Implementation):
        name, title = "mylib", "mylib.FastLSTM"
        provides = frozenset({"LSTM"})
        dtypes = ("float32",)

        def constructor(self, name):
            import mylib
            return mylib.FastLSTM

    # RNN_SPEC_IMPL=mylib_adapter:MyLib pytest spec -p no:randomly -q

``build`` passes the constructor arguments through as given, so a different default is visible;
``from_torch`` builds the equivalent of a torch module (every argument explicit) and loads its
``state_dict``: an implementation whose parameters are named as torch's needs nothing more.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from pathlib import Path
from typing import Dict, FrozenSet, Optional, Tuple

#: The environment variable that chooses the implementation (like array-api-tests' ARRAY_API_TESTS_MODULE).
ENV = "RNN_SPEC_IMPL"
#: A known-divergence file kept outside the suite (``verify --known``, ``pytest --spec-known``): it replaces the
#: adapter's own :attr:`Implementation.known` (:func:`known_file`).
KNOWN_ENV = "RNN_SPEC_KNOWN"

#: The implementations this suite ships an adapter for, in the order the docs list them.
NAMES = ("torch", "opacus", "torchrl", "ao-quantizable", "ao-dynamic-qint8", "ao-dynamic-float16")

#: name -> ``MODULE:ATTR`` of its adapter class.
ADAPTERS = {
    "torch": "spec.implementations.stock:Torch",
    "opacus": "spec.implementations.opacus_dp:Opacus",
    "torchrl": "spec.implementations.torchrl_modules:TorchRL",
    "ao-quantizable": "spec.implementations.ao:Quantizable",
    "ao-dynamic-qint8": "spec.implementations.ao:DynamicQInt8",
    "ao-dynamic-float16": "spec.implementations.ao:DynamicFloat16",
}

#: The objects an implementation can provide (a subset of :data:`spec.registry.MODULES`).
LAYERS = ("RNN", "LSTM", "GRU")
CELLS = ("RNNCell", "LSTMCell", "GRUCell")
OBJECTS = LAYERS + CELLS + ("PackedSequence", "clip_grad_norm_")

KNOWN_DIR = Path(__file__).resolve().parent / "known"

#: what an adapter's ``name`` may be: it names files (``reports/implementations/<name>-<torch>-<device>.json``), so
#: letters, digits, ``-``, ``_`` and ``.``, starting with a letter or digit (never a path, never ``..``)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Implementation:
    """The adapter a third party implements (class attributes for what is fixed, methods for the rest).

    - ``name``, ``title``: a short name (the reports' key) and what it is, in words.
    - ``provides``: the objects it implements, names of :data:`OBJECTS` (``"PackedSequence"`` stands for the
      ``torch.nn.utils.rnn`` functions and class, given by :attr:`utils`).
    - ``dtypes`` (names, ``"float32"``/``"float64"``), ``devices`` (device types; None: any), ``backward``
      (whether gradients flow: False for a forward-only implementation).
    - :meth:`constructor` or :meth:`build`: make an object exactly as a user would call torch's constructor.
    - :meth:`from_torch`: the equivalent of a built torch module, holding its weights.
    - :meth:`torch_parameters`, :meth:`refresh`: its weights in torch's layout, for the oracle (parameters that
      do not map one to one onto torch's: fused, per gate, one bias).
    - :attr:`utils`, :attr:`clip_grad_norm_`: its own packing functions and clipping, where it has them.
    - :meth:`tolerance`: the extra absolute error its numerics add beyond torch's own, derived.
    - :meth:`unavailable`, :meth:`versions`, ``packages``: whether it can run here, and what is installed.
    - :attr:`known`: the path of its known file (an adapter outside this package returns one beside itself).

    The README's "Writing an adapter" lists every member with its default; tests/thirdparty/ is a worked example.
    """

    name: str = ""
    title: str = ""
    provides: FrozenSet[str] = frozenset()
    dtypes: Tuple[str, ...] = ("float32", "float64")
    devices: Optional[Tuple[str, ...]] = None
    backward: bool = True
    #: the distributions whose versions :meth:`versions` reports (torch always)
    packages: Tuple[str, ...] = ()

    # --- what it is and whether it is here ---------------------------------------------------------------
    def unavailable(self) -> Optional[str]:
        """Why it cannot run here, in one line (a library not installed, torch too old); None when it can."""
        for package in self.packages:
            try:
                importlib.import_module(package)
            except Exception as e:  # an import that fails for any reason means it cannot run here
                return f"{self.name}: cannot import {package} ({_one_line(e)})"
        return None

    def versions(self) -> Dict[str, str]:
        """The installed versions of its packages and their dependencies, torch included."""
        from importlib import metadata

        import torch

        out = {"torch": torch.__version__}
        for package in self.packages:
            try:
                dist = metadata.distribution(package)
            except metadata.PackageNotFoundError:
                out[package] = "not installed"
                continue
            out[package] = dist.version
            for req in dist.requires or ():
                dep = req.split(";")[0].split("[")[0]
                for sep in "<>=!~ (":
                    dep = dep.split(sep)[0]
                dep = dep.strip()
                if dep and dep not in out and ";" not in req:  # the hard dependencies, not the extras
                    try:
                        out[dep] = metadata.version(dep)
                    except metadata.PackageNotFoundError:
                        pass
        return out

    @property
    def known(self) -> Path:
        """The file of its known divergences (it need not exist: then there are none)."""
        return KNOWN_DIR / f"{self.name}.json"

    # --- building --------------------------------------------------------------------------------------------
    def constructor(self, name: str):
        """The class (or factory) for one of :attr:`provides` other than PackedSequence / clip_grad_norm_."""
        raise NotImplementedError(f"{type(self).__name__} gives no constructor for {name}")

    def build(self, name: str, *args, **kwargs):
        """``name`` built as a user calls torch's constructor: only the arguments given are passed."""
        return self.constructor(name)(*args, **kwargs)

    def from_torch(self, module):
        """An equivalent module holding ``module``'s weights, on its device and dtype, in its train/eval mode.

        The default builds with every constructor argument explicit (so defaults do not matter here) and loads
        the state_dict strictly. An implementation that computes with other values than it is given (a
        quantized one) writes the values it computes with back into ``module``, so that the torch twin and the
        oracle see the same weights."""
        args, kwargs = constructor_call(module)
        ours = self.build(type_name(module), *args, **kwargs)
        ours.load_state_dict(module.state_dict())
        p = next(module.parameters(), None)
        if p is not None:
            ours = ours.to(device=p.device, dtype=p.dtype)
        return ours.train(module.training)

    def torch_parameters(self, ours) -> Dict[str, object]:
        """torch's parameter names -> the tensors ``ours`` computes with, in torch's layout.

        The spec points the torch twin of a module at these (:func:`link`, again at every :func:`twin_of`), so
        the oracle, which reads a torch module's parameters, computes with the implementation's own weights: its
        gradients reach them and a weight changed in place is seen by both. Each value is either

        - one of ``ours``'s Parameters, where it has torch's shape (shared as it is), or
        - a tensor computed from them, differentiable: a view (a slice of a fused ``[4H, I + H]`` weight: an
          in-place write through the twin lands in ``ours``), or a new tensor (a ``torch.cat`` of per-gate
          tensors, zeros for a bias ``ours`` does not have: a write there is folded back by :meth:`refresh`).

        A name left out, or given in another shape, keeps the twin's own copy (what :meth:`from_torch` was given):
        the oracle's gradient then does not reach ``ours``, and the gradient claims say so. The default: ``ours``'s
        own parameters, by their names (right when they are torch's)."""
        return dict(ours.named_parameters())

    def refresh(self, ours, module) -> None:
        """Make ``ours`` compute with its torch twin ``module``'s weights after a claim changed them in place
        through the twin, by torch's names (a gate's bias block, a layer's weights copied in). Claims call it after
        writing and before anything else reads ``ours``. The default does nothing: right when every tensor of
        :meth:`torch_parameters` is one of ``ours``'s Parameters or a view of one. Otherwise write the twin's
        values into ``ours``'s layout (and reset what was folded: a zeros ``bias_hh`` added into the one bias is
        zeroed again, so the twin's sum stays what ``ours`` computes with); an implementation that copies its
        weights (quantized ones) rebuilds them."""

    #: an object with pack_padded_sequence, pad_packed_sequence, pack_sequence, pad_sequence, PackedSequence
    @property
    def utils(self):
        return None

    @property
    def clip_grad_norm_(self):
        return None

    # --- numerics --------------------------------------------------------------------------------------------
    def tolerance(self, dtype) -> Dict[str, float]:
        """The absolute error its numerics add to torch's for results in ``dtype`` (``{"atol": 0.0}``: none
        beyond the rounding torch's own tolerance already allows), per step of the recurrence."""
        return {"atol": 0.0}

    # --- conveniences ----------------------------------------------------------------------------------------
    def supports(self, obj: str) -> bool:
        return obj in self.provides

    def __repr__(self) -> str:
        return f"<implementation {self.name}: {self.title}>"


def type_name(module) -> str:
    """Which of torch's layer or cell classes ``module`` is an instance of (its torch class name)."""
    import torch

    for name in CELLS + LAYERS:  # cells first: no cell subclasses a layer, and vice versa
        if isinstance(module, getattr(torch.nn, name)):
            return name
    raise TypeError(f"{type(module).__name__} is not a torch recurrent layer or cell")


def constructor_call(module):
    """``(args, kwargs)`` that rebuild ``module``'s configuration with torch's constructor."""
    name = type_name(module)
    args = (module.input_size, module.hidden_size)
    if name in CELLS:
        kw = {"bias": module.bias}
        if name == "RNNCell":
            kw["nonlinearity"] = module.nonlinearity
        return args, kw
    kw = dict(
        num_layers=module.num_layers,
        bias=module.bias,
        batch_first=module.batch_first,
        dropout=float(module.dropout),
        bidirectional=module.bidirectional,
    )
    if name == "RNN":
        kw["nonlinearity"] = module.nonlinearity
    if getattr(module, "proj_size", 0):
        kw["proj_size"] = module.proj_size
    return args, kw


def _one_line(e: BaseException) -> str:
    text = str(e).strip()
    return f"{type(e).__name__}: {text.splitlines()[0]}" if text else type(e).__name__


def link(ours, module, impl: Implementation):
    """Make torch's ``module`` share ``ours``'s parameters (by torch's names) and hang it on ``ours`` as its
    torch twin (:func:`twin_of`); returns ``ours``. Set through ``__dict__``: not a submodule, so ``ours``'s
    parameters, state_dict and repr stay its own."""
    if ours is module:
        return ours
    _share(ours, module, impl)
    ours.__dict__["_spec_torch_twin"] = _Twin(module, impl)
    return ours


class _Twin:
    """The torch twin hung on an implementation's module, and its adapter. A copy of the module (``copy.deepcopy``,
    pickle) copies it without the tensors computed from the implementation's parameters (those are no leaves,
    which neither copies): its own :func:`twin_of` computes them again from the copy's parameters."""

    def __init__(self, module, impl: Implementation) -> None:
        self.module, self.impl = module, impl

    def __iter__(self):
        return iter((self.module, self.impl))

    def __getstate__(self):
        return {"module": _leaves_only(self.module), "impl": self.impl}

    def __deepcopy__(self, memo):
        import copy

        return _Twin(copy.deepcopy(_leaves_only(self.module), memo), copy.deepcopy(self.impl, memo))


def _leaves_only(module):
    """A shallow copy of ``module`` whose computed (non-leaf) parameters are detached."""
    import copy

    import torch

    if all(v is None or isinstance(v, torch.nn.Parameter) for v in module._parameters.values()):
        return module
    clone = copy.copy(module)
    clone._parameters = {
        k: v if v is None or isinstance(v, torch.nn.Parameter) else v.detach() for k, v in module._parameters.items()
    }
    if hasattr(clone, "_flat_weights_names"):
        _reflatten(clone)
    return clone


def _share(ours, module, impl: Implementation) -> None:
    """Point ``module``'s parameters at what :meth:`Implementation.torch_parameters` gives for them, by torch's
    names: a Parameter of ``ours`` is set as it is; a tensor computed from them (a view, a concatenation) goes in
    ``module``'s parameter table as it is, not a leaf, so that autograd through ``module`` reaches ``ours``'s
    Parameters (computed with grad enabled, even under ``torch.no_grad()``: a twin taken there and used for a
    gradient later still reaches them). A name it omits, or gives in another shape, keeps ``module``'s own."""
    import torch

    with torch.enable_grad():
        shared = impl.torch_parameters(ours)
    computed = False
    for name, p in list(module.named_parameters()):
        mine = shared.get(name)
        if mine is None or mine is p or "." in name or tuple(mine.shape) != tuple(p.shape):
            continue
        if isinstance(mine, torch.nn.Parameter):
            setattr(module, name, mine)
        else:
            module._parameters[name] = mine  # Module.__setattr__ takes Parameters only
            computed = True
    if computed and hasattr(module, "_flat_weights_names"):
        _reflatten(module)


def _reflatten(module) -> None:
    """Make an RNN module's list of its weights (what its kernel reads) the tensors it holds now. Not through
    ``_init_flat_weights``: on cuda that repacks the weights into one buffer of its own, which would cut the views
    of the implementation's parameters loose."""
    import weakref

    module._flat_weights = [getattr(module, n) if hasattr(module, n) else None for n in module._flat_weights_names]
    if hasattr(module, "_flat_weight_refs"):  # torch >= 2.1 re-reads its weights when these no longer match
        module._flat_weight_refs = [weakref.ref(w) if w is not None else None for w in module._flat_weights]


def twin_of(module):
    """The torch module a built implementation module was made from, sharing the weights it has now (a parameter
    replaced since is shared again) and in its train/eval mode; the module itself under torch."""
    linked = module.__dict__.get("_spec_torch_twin")
    if linked is None:
        return module
    twin, impl = linked
    _share(module, twin, impl)
    return twin.train(module.training)


def refresh(module) -> None:
    """After the torch twin's weights were changed in place (:func:`twin_of`), make ``module`` compute with them
    (a no-op where the two share their parameters; an implementation that copied them rebuilds its own)."""
    linked = module.__dict__.get("_spec_torch_twin")
    if linked is not None:
        twin, impl = linked
        impl.refresh(module, twin)


# --- choosing one ------------------------------------------------------------------------------------------------
def resolve(text: str) -> Implementation:
    """The adapter named by ``text``: one of :data:`NAMES`, or ``MODULE:ATTR`` (an adapter object or class).

    Raises ValueError, with one line, for an unknown name, a module that cannot be imported, a missing
    attribute or an object that is not an :class:`Implementation`."""
    text = (text or "").strip()
    if text in ADAPTERS:
        where = ADAPTERS[text]
    elif ":" in text:
        where = text
    else:
        raise ValueError(
            f"unknown implementation {text!r}: one of {', '.join(NAMES)}, or MODULE:ATTR naming an adapter"
        )
    module_name, _, attr = where.partition(":")
    if not module_name or not attr:
        raise ValueError(f"implementation {text!r}: MODULE:ATTR needs both a module and an attribute")
    try:
        module = importlib.import_module(module_name)
    except Exception as e:  # any failure to import is the user's one-line error
        raise ValueError(f"implementation {text!r}: cannot import {module_name} ({_one_line(e)})") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"implementation {text!r}: {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, type) and issubclass(obj, Implementation):
        try:
            obj = obj()
        except Exception as e:  # the adapter's own code: one line naming it, not a traceback
            raise ValueError(f"implementation {text!r}: building the adapter raised {_one_line(e)}") from None
    if not isinstance(obj, Implementation):
        raise ValueError(
            f"implementation {text!r}: {type(obj).__name__} is not an adapter (an instance or subclass of "
            "spec.implementations.Implementation)"
        )
    try:
        name, provides = obj.name, frozenset(obj.provides)
    except Exception as e:
        raise ValueError(f"implementation {text!r}: the adapter's name or provides raised {_one_line(e)}") from None
    bad = sorted(set(provides) - set(OBJECTS))
    if not name or bad:
        what = f"provides unknown objects {bad}" if bad else "has no name"
        raise ValueError(f"implementation {text!r}: the adapter {what}")
    problem = name_problem(name, obj)
    if problem:
        raise ValueError(f"implementation {text!r}: {problem}")
    return obj


def name_problem(name, adapter) -> Optional[str]:
    """Why ``name`` cannot be ``adapter``'s name, in words; None when it can. It names the reports and the known
    file, so it is a file stem (:data:`NAME`); and a shipped adapter's name (``torch``, ``opacus``, ...) is that
    adapter's alone: under ``torch`` every claim would apply as to torch itself, and the report would say torch."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        return (
            f"the adapter's name {name!r} is not a file stem (letters, digits, '-', '_', '.', starting with a letter "
            "or digit, at most 64): it names the reports"
        )
    shipped = ADAPTERS.get(name)
    own = f"{type(adapter).__module__}:{type(adapter).__qualname__}"
    if shipped is not None and shipped != own:
        return f"the adapter's name {name!r} is the shipped adapter {shipped}'s: choose another"
    return None


@functools.cache
def _resolve_env(text: str) -> Implementation:
    return resolve(text)


def chosen() -> str:
    """What ``$RNN_SPEC_IMPL`` says (``"torch"`` when unset): a name or ``MODULE:ATTR``."""
    return (os.environ.get(ENV, "") or "torch").strip()


def current() -> Implementation:
    """The implementation chosen by ``$RNN_SPEC_IMPL`` (default torch), resolved once per value."""
    return _resolve_env(chosen())


# --- what the plugin needs ---------------------------------------------------------------------------------------
def applicability(claim, impl: Implementation) -> Optional[str]:
    """None when ``claim`` runs against ``impl``; else the reason it is not applicable there.

    A claim about torch's own implementation (its scope is :class:`spec.registry.TorchOwn`) runs on torch
    only; a contract claim runs on every implementation that provides one of its objects, and is not
    applicable where it provides none of them."""
    if impl.name == "torch":
        return None
    scope = getattr(claim, "scope", None)
    own = getattr(scope, "reason", None)
    if own is not None:
        return f"a fact about torch's own implementation, not the contract ({own})"
    missing = [m for m in claim.modules if m not in impl.provides]
    if missing and len(missing) == len(claim.modules):
        return f"{impl.name} provides no {' / '.join(missing)}"
    why = impl.unavailable()
    if why:
        return why
    return None


def known_divergences(impl: Implementation) -> dict:
    """claim ID -> entry (a dict: ``reason``, and ``link`` and/or ``repro``, maybe ``upstream``: a write-up ready
    to file, and ``torch``: its releases) from the implementation's known file, those of the installed torch;
    :class:`spec.implementations.divergences.KnownFileError` (a ValueError, one line) when the file breaks its
    rules."""
    import torch

    from spec.implementations import divergences

    known = divergences.load(known_file(impl)).divergences
    return {cid: d.as_dict() for cid, d in known.items() if d.applies_to(torch.__version__)}


def configurations(impl: Implementation) -> list:
    """The configurations ``impl`` accepts and computes wrongly with in every claim (known, by cause), as
    :class:`spec.implementations.divergences.Limit`."""
    from spec.implementations import divergences

    return divergences.load(known_file(impl)).configurations


def limits(impl: Implementation) -> list:
    """The argument values ``impl`` refuses, as :class:`spec.implementations.divergences.Limit` (reason, link)."""
    from spec.implementations import divergences

    return divergences.load(known_file(impl)).limits


def known_file(impl: Implementation) -> Path:
    """The known-divergence file in force: ``$RNN_SPEC_KNOWN`` when set, else the adapter's own."""
    return Path(os.environ[KNOWN_ENV]) if os.environ.get(KNOWN_ENV) else impl.known


__all__ = [
    "ADAPTERS",
    "CELLS",
    "ENV",
    "KNOWN_ENV",
    "Implementation",
    "LAYERS",
    "NAMES",
    "OBJECTS",
    "applicability",
    "chosen",
    "constructor_call",
    "current",
    "known_divergences",
    "known_file",
    "link",
    "refresh",
    "twin_of",
    "limits",
    "configurations",
    "resolve",
    "type_name",
]
