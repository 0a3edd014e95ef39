"""Targets: the ways users run a recurrent layer, so that the same claims check each of them.

One class per target (:data:`TARGETS`): what it is (its docstring, which the docs show), whether this release
has it (:meth:`Target.unavailable`), the calls it cannot take for a known, claimed reason
(:meth:`Target.limitation`), and how it runs a module (:meth:`Target.run`).

:func:`apply` makes calling the module call its target (Config.build applies the current target), so a
claim needs no change. A call the target cannot take for a known, claimed reason makes the case not-applicable
with that reason; a call that fails under the target but not eagerly, for any other reason, fails the case; a
call eager rejects raises eager's exception, so ``pytest.raises`` sees the same error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import itertools
import os
import tempfile
import warnings
from typing import Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from spec.registry import TARGETS, in_range, not_applicable, release_of

#: Hypothesis examples per case under a target other than eager, per profile (None: the profile's own).
EXAMPLES = {"quick": 2, "ci": 3, "thorough": None}

_state = {"current": "eager", "selected": ("eager",), "profile": "ci"}


def configure(selected, profile: str) -> None:
    """The targets chosen for this run (``--spec-target``) and the hypothesis profile (the plugin calls this)."""
    _state["selected"], _state["profile"] = tuple(selected), profile


def current() -> str:
    return _state["current"]


def selected() -> tuple:
    return _state["selected"]


@contextlib.contextmanager
def using(name: str):
    """Modules built inside run through target ``name``."""
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r} (one of {', '.join(TARGETS)})")
    before, _state["current"] = _state["current"], name
    try:
        yield name
    finally:
        _state["current"] = before


def expensive() -> None:
    """Skip an expensive target claim unless a target other than eager was chosen or the profile is thorough."""
    import pytest

    if selected() == ("eager",) and _state["profile"] != "thorough":
        pytest.skip("expensive target claim: runs with --spec-target other than eager, or the thorough profile")


def ci_sample(keep: bool) -> None:
    """In a plain run (eager, not thorough) only the cases with ``keep`` run: the suite's budget is tight."""
    if not keep:
        expensive()


def max_examples(profile: str) -> Optional[int]:
    return EXAMPLES.get(profile)


# --- what each release has ----------------------------------------------------------------------------------
def _before(version: str) -> bool:
    """Whether the installed torch is older than ``version``."""
    return release_of(torch.__version__) < release_of(version)


def unavailable(name: str) -> Optional[str]:
    """Why target ``name`` does not exist on this torch (and Python), or None when it does."""
    return BY_NAME[name].unavailable()


def require(name: str) -> None:
    """Make the case not-applicable when target ``name`` does not exist here."""
    reason = unavailable(name)
    if reason:
        not_applicable(reason)


def _has_dynamo_flag() -> bool:
    import inspect

    return "dynamo" in inspect.signature(torch.onnx.export).parameters


def onnx_exporters() -> dict:
    """ONNX exporters of this release: name -> None when usable, else why not."""
    out = {"torchscript": None}
    if not _has_dynamo_flag():
        out["dynamo"] = "torch.onnx.export(dynamo=True) arrived in torch 2.5"
    else:
        # found, not imported: the run's environment is recorded before the first case, and importing onnxscript
        # (with onnx) costs that pytest process a second; a broken install then fails the claims that use it
        missing = importlib.util.find_spec("onnxscript") is None
        out["dynamo"] = "the dynamo exporter needs onnxscript (pip install -e '.[onnx]')" if missing else None
    return out


def fresh_dynamo() -> None:
    """Start the next export from a fresh Dynamo cache, as in a user's process. torch.export (and the dynamo ONNX
    exporter through it) traces with Dynamo, whose per-frame cache outlives a call: after 8 modules through
    RNNBase.forward, 2.6 raises RecompileLimitExceeded ('cache_size_limit reached'), and on 2.8 the dynamo ONNX
    exporter refuses the layers once torch.compile has run in the process. Measured; a no-op before 2.0."""
    dynamo = getattr(torch, "_dynamo", None)
    if dynamo is not None and hasattr(dynamo, "reset"):
        dynamo.reset()


def onnx_export(module: nn.Module, args: tuple, exporter: str = "torchscript", **kw) -> bytes:
    """The ONNX model of ``module`` called on ``args``, as bytes (the exporter's warnings silenced).

    The dynamo exporter writes to a file path: before 2.9 it takes no file object (TypeError: expected str,
    bytes or os.PathLike object, not BytesIO), and from 2.9 it may write the weights to a file beside it."""
    if exporter == "dynamo":
        fresh_dynamo()
        with tempfile.TemporaryDirectory(prefix="spec-onnx-") as tmp:
            path = os.path.join(tmp, "model.onnx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = torch.onnx.export(module, args, path, dynamo=True, **kw)
            if not os.path.exists(path) and result is not None:
                result.save(path)
            import onnx

            # newer exporters put the weights beside the model (model.onnx.data): load them back into it
            return onnx.load(path).SerializeToString()
    f = io.BytesIO()
    if _has_dynamo_flag():
        kw["dynamo"] = False  # the flag exists: ask for the TorchScript exporter (no longer the default in 2.9+)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, f, **kw)
    return f.getvalue()


def ort_session(model: bytes):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: shape-merge warnings are what the target claims check
    return ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def ort_run(session, args: tuple, device="cpu", dtype=None) -> list:
    """Run an onnxruntime session on the tensor leaves of ``args``; outputs as tensors."""
    feeds = {i.name: t.detach().cpu().numpy() for i, t in zip(session.get_inputs(), leaves(args))}
    outs = session.run(None, feeds)
    return [torch.from_numpy(o).to(device=device, dtype=dtype) for o in outs]


# --- turning a module into its target ----------------------------------------------------------------------
def apply(module: nn.Module, cfg=None) -> nn.Module:
    """Make ``module(...)`` run the current target (a no-op for eager). Returns the module itself."""
    name = current()
    if name != "eager":
        module.forward = Targeted(name, module, cfg)  # an instance attribute wins over the class's forward
    return module


@contextlib.contextmanager
def plain(module: nn.Module):
    """The module with its own forward back, while a target is built from it or calls into it."""
    mine = module.__dict__.pop("forward", None)
    try:
        yield module
    finally:
        if mine is not None:
            module.__dict__["forward"] = mine


def leaves(obj) -> list:
    """The tensors of an argument structure, in order (a PackedSequence's four, a state's h and c)."""
    if isinstance(obj, Tensor):
        return [obj]
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in leaves(o)]
    return []


def signature(obj):
    """What a static export depends on: shapes, dtypes, devices, and a packed batch's sizes and order."""
    if isinstance(obj, PackedSequence):
        order = (obj.batch_sizes, obj.sorted_indices, obj.unsorted_indices)
        return ("packed", signature(obj.data)) + tuple(None if t is None else tuple(t.tolist()) for t in order)
    if isinstance(obj, Tensor):
        return (tuple(obj.shape), str(obj.dtype), str(obj.device))
    if isinstance(obj, (tuple, list)):
        return tuple(signature(o) for o in obj)
    return repr(obj)


def fingerprint(module: nn.Module) -> str:
    """A digest of the module's weights: what an ONNX model bakes in."""
    h = hashlib.sha1()
    for t in module.state_dict().values():
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


#: Built artefacts, per target and configuration: (target, cfg, call signature, mode[, weights]) -> artefact.
CACHE: dict = {}


class Targeted:
    """The forward of a module that runs through a target; see the module docstring."""

    def __init__(self, name: str, module: nn.Module, cfg=None):
        self.target, self.cfg = BY_NAME[name], cfg
        self.name = name
        self.module_type = type(module).__name__
        self._own: dict = {}  # artefacts bound to this instance (compile, script)
        self._module = module

    def __call__(self, input, hx=None):
        m = self._module
        args = (input,) if hx is None else (input, hx)
        reason = self.target.limitation(m, args)
        if reason:
            self._eager(m, args)  # a call eager rejects raises eager's error, not-applicable or not
            not_applicable(reason)
        try:
            return self.target.run(self, m, args)
        except Exception:
            self._eager(m, args)  # eager rejects it too: eager's exception is the one the claim expects
            raise

    @staticmethod
    def _eager(m, args):
        with plain(m), torch.no_grad():
            return m(*args)

    def key(self, m, args, *extra):
        cfg = self.cfg if self.cfg is not None else id(m)
        return (self.name, cfg, self.module_type, signature(args), m.training) + extra


def limitation(name: str, m: nn.Module, args: tuple) -> Optional[str]:
    """A known reason target ``name`` cannot take this call, each asserted by a target claim; else None."""
    return BY_NAME[name].limitation(m, args)


class Target:
    """A way of running a layer. ``name`` is its ``--target`` value; the docstring says what it is."""

    name = ""

    def unavailable(self) -> Optional[str]:
        """Why this target does not exist on this torch (and Python), or None when it does."""
        return None

    def limitation(self, m: nn.Module, args: tuple) -> Optional[str]:
        """A known reason this target cannot take the call (asserted by a target claim), or None."""
        return None

    def run(self, targeted: Targeted, m: nn.Module, args: tuple):
        """Call ``m`` on ``args`` through this target (``targeted`` holds per-instance artefacts)."""
        raise NotImplementedError

    @classmethod
    def describe(cls) -> str:
        import inspect

        return inspect.getdoc(cls) or ""


class Eager(Target):
    """The module as built."""

    name = "eager"

    def run(self, targeted, m, args):
        with plain(m):
            return m(*args)


class Compile(Target):
    """`torch.compile(m, backend="eager")`. Dynamo graph-breaks on nn.RNN/LSTM/GRU on purpose
    (`rnn.targets.compile-fullgraph-unsupported`), so the layer itself runs as eager code under Dynamo's frame
    handling and guards; Inductor would get no graph of the layer to compile, and the eager backend spares its
    start-up (seconds). `rnn.targets.compile-matches-eager` also runs Inductor."""

    name = "compile"

    def unavailable(self):
        if not hasattr(torch, "compile"):
            return "compile: torch.compile arrived in torch 2.0"
        from torch import _dynamo

        check = getattr(getattr(_dynamo, "eval_frame", None), "check_if_dynamo_supported", None)
        if check is not None:  # 2.0 on Python 3.11: "Python 3.11+ not yet supported for torch.compile"
            try:
                check()
            except RuntimeError as e:
                return f"compile: {e}"
        supported = getattr(_dynamo, "is_dynamo_supported", lambda: True)
        if not supported():
            import platform

            python = platform.python_version()
            return f"compile: torch {torch.__version__} does not support torch.compile on Python {python}"
        return None

    def run(self, targeted, m, args):
        if "compiled" not in targeted._own:
            # Dynamo stops compiling a frame after config.recompile_limit (8) different modules have reached it,
            # and then runs it eagerly: start each module from a fresh cache, as a user's process does
            from torch import _dynamo

            _dynamo.reset()
            targeted._own["compiled"] = torch.compile(m, backend="eager")
        with plain(m):
            return targeted._own["compiled"](*args)


class Export(Target):
    """`torch.export.export(m, args).module()`, exported once per configuration and input shape (a static
    export, as a user gets by default) and called with the module's own parameters (`torch.func.functional_call`),
    so gradients and later weight changes reach the module."""

    name = "export"

    def unavailable(self):
        export = getattr(getattr(torch, "export", None), "export", None)
        if export is None:
            return "export: torch.export arrived in torch 2.1"
        if not hasattr(torch.export.ExportedProgram, "module"):
            return f"export: ExportedProgram.module() is not in torch {torch.__version__}"
        if in_range(">=2.8,<2.10", torch.__version__):
            return f"export: torch {torch.__version__} refuses the layers (rnn.targets.export-refused-2-8-2-9)"
        return None

    def limitation(self, m, args):
        if isinstance(args[0], PackedSequence):
            return "export: torch.export takes no PackedSequence input (rnn.targets.export-packed-refused)"
        if type(m) is nn.LSTM and _before("2.4"):
            return (
                "export: before 2.4 an exported LSTM returns h_n and c_n with an extra dimension "
                "(lstm.targets.export-state-extra-dim)"
            )
        if m.training and m.dropout > 0 and m.num_layers > 1 and _before("2.4"):
            return (
                "export: before 2.4 an exported layer in train mode drops nothing "
                "(rnn.targets.export-train-dropout-dropped)"
            )
        return None

    def run(self, targeted, m, args):
        # before 2.2 the exported module names its parameters fn_weight_ih_l0, ... (rnn.targets.export-parameter-
        # names-2-1): the module's own weights passed by name do not reach it, so it computes with the weights it
        # was exported with, and an export is cached per weights too
        key = targeted.key(m, args, fingerprint(m)) if _before("2.2") else targeted.key(m, args)
        if key not in CACHE:
            fresh_dynamo()
            with plain(m), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "_flat_weights were assigned during export": the RNN's own cache
                CACHE[key] = torch.export.export(m, args).module()
        tensors = dict(m.named_parameters())
        tensors.update(m.named_buffers())
        return torch.func.functional_call(CACHE[key], tensors, args)


class Script(Target):
    """`torch.jit.script` of a module that holds the layer and calls it (scripting the layer alone gives a
    module with no `forward`: `rnn.targets.script-bare-no-forward`)."""

    name = "script"

    def limitation(self, m, args):
        if type(m) is nn.RNN and _before("1.11"):
            return "script: nn.RNN scripts from torch 1.11 (rnn.targets.script-rnn-refused)"
        packed = args[0] if isinstance(args[0], PackedSequence) else None
        if packed is not None and packed.sorted_indices is None and not _before("1.11") and _before("1.13"):
            return (
                "script: on 1.11-1.12 a scripted layer fails on a PackedSequence without index tensors "
                "(rnn.targets.script-packed-unsorted-refused)"
            )
        return None

    def run(self, targeted, m, args):
        key = signature(args)
        if key not in targeted._own:
            with plain(m), warnings.catch_warnings():
                # TorchScript is deprecated: a DeprecationWarning from 2.10, a FutureWarning from 2.14
                # (rnn.warnings.jit-script-deprecated, rnn.warnings.jit-script-future-warning)
                warnings.simplefilter("ignore", DeprecationWarning)
                warnings.simplefilter("ignore", FutureWarning)
                targeted._own[key] = torch.jit.script(script_host(m, args))
        return call_scripted(targeted._own[key], args)


class Onnx(Target):
    """`torch.onnx.export` with the TorchScript exporter (the one every release has; the dynamo exporter takes
    seconds a model and needs onnxscript: the target claims check it), run in onnxruntime, the outputs handed
    back as tensors on the module's device. Cached per configuration, input and weights."""

    name = "onnx"

    def unavailable(self):
        for name in ("onnx", "onnxruntime"):  # found, not imported (onnx_exporters says why)
            if importlib.util.find_spec(name) is None:
                return f"onnx: {name} not installed (pip install -e '.[onnx]')"
        return None

    def limitation(self, m, args):
        if any(t.dtype == torch.float64 for t in leaves(args)):
            return "onnx: onnxruntime has no float64 kernel for RNN/LSTM/GRU ('does not support double yet')"
        if getattr(m, "proj_size", 0):
            return "onnx: the ONNX exporter refuses LSTM with proj_size (rnn.targets.onnx-proj-size-refused)"
        if isinstance(args[0], PackedSequence):
            return "onnx: the ONNX exporter takes no PackedSequence input (rnn.targets.onnx-packed-refused)"
        if m.training and m.dropout > 0 and m.num_layers > 1:
            return "onnx: an ONNX export is inference-only, and this module drops out in training mode"
        return None

    def run(self, targeted, m, args):
        key = targeted.key(m, args, fingerprint(m))
        if key not in CACHE:
            with plain(m):
                CACHE[key] = ort_session(onnx_export(m, args))
        x = args[0]
        outs = ort_run(CACHE[key], args, device=x.device, dtype=x.dtype)
        return outs[0], (tuple(outs[1:3]) if targeted.module_type == "LSTM" else outs[1])


#: Every target, by name, in the registry's order.
BY_NAME = {t.name: t for t in (Eager(), Compile(), Export(), Script(), Onnx())}
assert tuple(BY_NAME) == TARGETS


# --- TorchScript: a module that holds the layer and calls it, one per argument types ---------------------------
class _Host(nn.Module):
    def __init__(self, rnn: nn.Module):
        super().__init__()
        self.rnn = rnn


class _HostX(_Host):
    def forward(self, x: Tensor):
        return self.rnn(x)


class _HostXH(_Host):
    def forward(self, x: Tensor, h: Tensor):
        return self.rnn(x, h)


class _HostXHC(_Host):
    def forward(self, x: Tensor, h: Tuple[Tensor, Tensor]):
        return self.rnn(x, h)


class _HostP(_Host):
    def forward(self, x: PackedSequence):
        return self.rnn(x)


class _HostPH(_Host):
    def forward(self, x: PackedSequence, h: Tensor):
        return self.rnn(x, h)


class _HostPHC(_Host):
    def forward(self, x: PackedSequence, h: Tuple[Tensor, Tensor]):
        return self.rnn(x, h)


def call_scripted(scripted, args: tuple):
    """Call a scripted host; a packed output comes back from TorchScript as a plain tuple: make it packed again."""
    out, state = scripted(*args)
    return (PackedSequence(*out) if isinstance(args[0], PackedSequence) else out), state


_HOSTS = itertools.count()


def script_host(m: nn.Module, args: tuple) -> nn.Module:
    """The host module whose typed forward takes ``args``: what a TorchScript user writes around the layer.

    Each call gets a class of its own (a subclass named afresh): TorchScript caches compiled classes by
    qualified name, and 2.11 reuses one compiled for another layer type or argument type ("Can't redefine
    method: forward", "Expected a value of type 'Tensor' ... found PackedSequence")."""
    packed = isinstance(args[0], PackedSequence)
    state = "" if len(args) == 1 else ("HC" if isinstance(args[1], tuple) else "H")
    host = {"": (_HostX, _HostP), "H": (_HostXH, _HostPH), "HC": (_HostXHC, _HostPHC)}[state][packed]
    fresh = type(f"{host.__name__}{next(_HOSTS)}", (host,), {"__module__": host.__module__})
    return fresh(m)
