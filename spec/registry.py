"""The one registry of claims.

A claim is a pytest test function decorated with :func:`claim`, which records
its metadata here and on the function. Everything else (the pytest plugin, the
report, ``python -m spec claims``, the docs) reads this registry.

The registry never raises on a bad claim at import time: it records what it was
given and :meth:`Registry.problems` names every offending ID, so that one bad
claim cannot hide the others and the test suite can report all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional, Tuple, Union

import pytest
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from spec.sources.seeds import SEED_FILES

#: The closed vocabulary of claim kinds.
KINDS = (
    "shape",
    "parameters",
    "state",
    "semantics",
    "numerics",
    "errors",
    "warnings",
    "autograd",
    "repr",
    "training",
    "data",
    "targets",
)

#: The packages that hold claims, by subject: torch itself, or the sources' programs as we reproduce them.
#: The claim ``<family>.<kind>.<what>`` lives in ``<package>/<kind>/<family>.py`` (:func:`claim_file`).
SUBJECTS = {"spec.claims": "torch", "spec.programs": "programs"}

#: The modules a claim about the sources' programs names (and a claim about torch does not).
PROGRAM_MODULES = ("data", "training")

#: The devices a claim runs on unless it is bound to fewer.
DEVICES = ("cpu", "cuda")
#: The device types a claim may be bound to (``devices=("mps",)`` for a fact about Apple's GPUs). A claim left
#: unbound (``DEVICES``) runs on every device type a run chooses (``--device``: cpu, cuda, mps, xpu or all).
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu")

#: The ways users run a layer (spec/helpers/targets.py): the module as built, compiled, exported and
#: ``.module()``, scripted, or exported to ONNX and run in onnxruntime.
TARGETS = ("eager", "compile", "export", "script", "onnx")
#: The kinds whose claims run through every target unless they say otherwise: what a call computes and
#: returns. The others are about the module object (repr, parameters), its errors and warnings, or need
#: gradients or training loops, and run eagerly.
TARGET_KINDS = ("shape", "semantics", "state")

#: What a claim may be about.
MODULES = (
    "RNN",
    "LSTM",
    "GRU",
    "RNNCell",
    "LSTMCell",
    "GRUCell",
    "PackedSequence",
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",  # torch >= 2.6
    "clip_grads_with_norm_",  # torch >= 2.6
    "data",  # the sources' data pipeline (reference/programs/datasets.py, text.py, sampling.py)
    "training",  # the sources' training practice (reference/programs/train.py, models.py)
)

ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(\.[a-z0-9]+(-[a-z0-9]+)*){2,}$")


@dataclass(frozen=True)
class Seed:
    """A source document: its file name, where in it the statement is, and the line it starts on
    (1-based, in the file as it is under ``../shared/seeds``; 0 when not given)."""

    file: str
    locator: str
    line: int = 0

    def cite(self) -> str:
        return f"{self.file}{f':{self.line}' if self.line else ''} ({self.locator})"


@dataclass(frozen=True)
class TorchDoc:
    """A statement of a torch docstring, keyed as the docstring walk (:mod:`spec.sources.docstrings`) keys it:
    the object, the section (``Args``, ``Inputs``, ``Description``, ``Note``, ...) and the name (an argument's,
    or a phrase the paragraph or note contains). The walk's claimed statements are read from these citations.
    An object the walk does not cover (``torch.compile``) may be cited by a free-text section and no name."""

    obj: str
    section: str
    name: str = ""

    def cite(self) -> str:
        return f"torch docs: {self.obj} ({self.section}{f' {self.name}' if self.name else ''})"


def torch_docs(objs: Iterable[str], section: str, *names: str) -> tuple:
    """``TorchDoc(obj, section, name)`` for every object and name: the same statement of several docstrings."""
    return tuple(TorchDoc(o, section, n) for o in objs for n in names)


Source = Union[Seed, TorchDoc]


@dataclass(frozen=True)
class Erratum:
    """A statement of a source document that is wrong: where it is (a :class:`Seed`) and what it says; the
    claim says what holds. ``Erratum(Seed(S003, "locator", line), says="...")``."""

    seed: Seed
    says: str

    @property
    def file(self) -> str:
        return self.seed.file

    @property
    def locator(self) -> str:
        return self.seed.locator

    @property
    def line(self) -> int:
        return self.seed.line

    def cite(self) -> str:
        return f"{self.seed.cite()}: {self.says}"


# --- contract or torch's own fact ------------------------------------------------------------------------------
# Every claim about torch says which it is (``scope=``), so that the spec can run against other implementations of
# the recurrent API (spec/implementations: opacus, torchrl, torch.ao's, a user's own) claim by claim:
#
# - CONTRACT: what any drop-in implementation promises, and what the claim checks on each one that provides its
#   objects: shapes; the state's layout; parameter names, shapes, initialisation and defaults; semantics against
#   the oracle; argument checking as a refusal (the input is refused with an exception of the documented kind;
#   the wording is torch's); autograd reaching what it should; packed-sequence semantics; dropout rules.
# - TorchOwn(reason): a fact about torch's own implementation, not applicable to another one, with the reason:
#   autograd node (grad_fn) names, the wording of errors and warnings, kernels and backends (cuDNN, TF32, oneDNN,
#   autocast, determinism, foreach), the printed repr, TorchScript, torch.compile, torch.export and the ONNX
#   exporters (the targets), and what past releases did (the version-bound siblings about older torch).
# - The claims about the sources' programs (spec.programs) are torch's own by rule: they reproduce the programs on
#   torch, so they declare nothing and get PROGRAMS_SCOPE.
@dataclass(frozen=True)
class Contract:
    """The claim states the contract every implementation of the recurrent API keeps."""

    def __repr__(self) -> str:
        return "CONTRACT"


CONTRACT = Contract()


@dataclass(frozen=True)
class TorchOwn:
    """The claim states a fact about torch's own implementation; ``reason`` says why it is not the contract."""

    reason: str


Scope = Union[Contract, TorchOwn]

#: The reasons most torch-own claims share.
PAST_RELEASE = TorchOwn("what an older torch release did: a fact of torch's history, not of the contract")
TOOLCHAIN = TorchOwn("torch's own toolchain (TorchScript, torch.compile, torch.export, the ONNX exporters)")
BACKENDS = TorchOwn("torch's kernels and backend switches (cuDNN, TF32, oneDNN, autocast, determinism)")

#: The scope of every claim about the sources' programs (spec.programs), by rule.
PROGRAMS_SCOPE = TorchOwn("a claim about the sources' programs as reproduced on torch")


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    kind: str
    modules: Tuple[str, ...]
    sources: Tuple[Source, ...]
    torch: str = ""
    errata: Tuple[Erratum, ...] = ()
    devices: Tuple[str, ...] = DEVICES
    targets: Tuple[str, ...] = ("eager",)
    #: Other packages the claim's truth depends on, as (distribution, PEP 440 range): the exporter libraries
    #: (``requires={"onnxscript": ">=0.7.1"}``). Outside a range, or with the package missing, the claim is
    #: not applicable, as outside its torch range.
    requires: Tuple[Tuple[str, str], ...] = ()
    where: str = field(default="", compare=False)
    kind_given: bool = field(default=False, compare=False)  # ``kind=`` passed rather than taken from the module
    scope: Optional[Scope] = None  # CONTRACT or TorchOwn(reason): see above

    @property
    def module(self) -> str:
        """The dotted name of the module that defines the check."""
        return self.where.partition(":")[0]

    @property
    def subject(self) -> str:
        """``"torch"`` for :mod:`spec.claims`, ``"programs"`` for :mod:`spec.programs` ("" elsewhere: tests)."""
        return _subject_of(self.module)

    def applies_to(self, torch_version: str) -> bool:
        """Whether the claim's torch range holds ``torch_version`` (local part ignored)."""
        return in_range(self.torch, torch_version)

    def unmet_requirements(self, versions: Optional[dict] = None) -> Optional[str]:
        """Why the installed packages (or ``versions``: distribution -> version or None) fall outside the claim's
        ``requires``; None when every range holds."""
        for dist, wanted in self.requires:
            have = installed_version(dist) if versions is None else versions.get(dist)
            if have is None:
                return f"holds for {dist}{wanted}; {dist} is not installed"
            if not SpecifierSet(wanted).contains(Version(have), prereleases=True):
                return f"holds for {dist}{wanted}; installed {dist} {have}"
        return None

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "statement": self.statement,
            "kind": self.kind,
            "subject": self.subject,
            "modules": list(self.modules),
            "sources": [_source_dict(s) for s in self.sources],
            "torch": self.torch or "all",
            "devices": list(self.devices),
            "targets": list(self.targets),
            "requires": dict(self.requires),
            "errata": [{"file": e.file, "locator": e.locator, "says": e.says} for e in self.errata],
            "scope": "contract" if isinstance(self.scope, Contract) else "torch-own" if self.scope else None,
            "scope_reason": self.scope.reason if isinstance(self.scope, TorchOwn) else None,
            "where": self.where,
        }

    @property
    def contract(self) -> bool:
        """Whether the claim states the contract (runs against every implementation that provides its objects)."""
        return isinstance(self.scope, Contract)


def _subject_of(module: str) -> str:
    return next((subject for package, subject in SUBJECTS.items() if module.startswith(package + ".")), "")


def claim_file(claim_id: str, subject: str) -> str:
    """The one file a claim lives in, read from its ID: ``packed.semantics.state-in-original-order`` about
    torch is in ``spec/claims/semantics/packed.py``; about the sources' programs, in ``spec/programs/...``.

    A family grown past ~500 lines becomes a package, split by the first word of ``<what>``:
    ``rnn.targets.export-static-batch`` is in ``spec/claims/targets/rnn/export.py`` once
    ``spec/claims/targets/rnn/`` is a package."""
    family, kind, what = claim_id.split(".")[:3]
    package = next(p for p, s in SUBJECTS.items() if s == subject).replace(".", "/")
    if (_ROOT / package / kind / family / "__init__.py").is_file():
        return f"{package}/{kind}/{family}/{what.split('-')[0]}.py"
    return f"{package}/{kind}/{family}.py"


#: The checkout's root, where claim_file's packages are.
_ROOT = Path(__file__).resolve().parent.parent


def _source_dict(source: Source) -> dict:
    if isinstance(source, Seed):
        return {"type": "seed", "file": source.file, "locator": source.locator}
    if isinstance(source, TorchDoc):
        return {"type": "torch-doc", "object": source.obj, "section": source.section, "name": source.name}
    return {"type": "unknown", "repr": repr(source)}


def installed_version(dist: str) -> Optional[str]:
    """The installed version of distribution ``dist`` (``"onnxscript"``), or None when it is not installed."""
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def require(claim_id: str) -> None:
    """Make the running case not applicable when the installed packages fall outside the claim's ``requires``
    (for a runner that does not read ``requires`` itself)."""
    c = REGISTRY.get(claim_id)
    reason = c.unmet_requirements() if c is not None else None
    if reason:
        not_applicable(reason)


def in_range(torch_range: str, torch_version: str) -> bool:
    """Whether a PEP 440 range (``""``: every release) holds ``torch_version``, local part ignored."""
    if not torch_range:
        return True
    return SpecifierSet(torch_range).contains(release_of(torch_version), prereleases=True)


def release_of(version: str) -> Version:
    """``"2.13.0+cpu"`` -> ``2.13.0``; a nightly ``"2.14.0a0+git1234"`` -> ``2.14.0``, the release it leads to."""
    return Version(".".join(str(n) for n in Version(version).release))


#: Claims taken back, each with why: stored reports may still name them (the docs and compare leave them out), and
#: no claim may take their ID again (an ID keeps one meaning in every report).
WITHDRAWN = {
    "rnn.targets.onnx-dynamo-refused-2-9": (
        "one serial run on 2.9.1 recorded the dynamo ONNX exporter refusing the layers; no fresh process reproduced "
        "it (the exporter falls back to strict torch.export and matches eager), and run in parallel workers the claim "
        "failed: rnn.targets.onnx-dynamo-matches now holds on 2.9"
    ),
}


class Registry:
    """Claims in registration order. Duplicates are kept so they can be reported."""

    def __init__(self) -> None:
        self._claims: list[Claim] = []

    def add(self, claim: Claim) -> None:
        self._claims.append(claim)

    def __iter__(self):
        return iter(self.unique())

    def __len__(self) -> int:
        return len(self.unique())

    def unique(self) -> list[Claim]:
        seen: dict[str, Claim] = {}
        for c in self._claims:
            seen.setdefault(c.id, c)
        return list(seen.values())

    def get(self, claim_id: str) -> Optional[Claim]:
        return next((c for c in self._claims if c.id == claim_id), None)

    def problems(self) -> list[str]:
        """Every rule a registered claim breaks, one line each, naming its ID."""
        out: list[str] = []
        places: dict[str, list[str]] = {}
        for c in self._claims:
            places.setdefault(c.id, []).append(c.where)
            out.extend(_claim_problems(c))
        for cid, where in places.items():
            if len(where) > 1:
                out.append(f"{cid!r}: duplicate id, registered by {', '.join(where)}")
            if cid in WITHDRAWN:
                out.append(f"{cid!r}: a withdrawn claim's id (spec.registry.WITHDRAWN), registered by {where[0]}")
        return out


def _claim_problems(c: Claim) -> Iterable[str]:
    name = repr(c.id) if c.id else f"<missing id at {c.where}>"
    if not c.id:
        yield f"{name}: missing id"
    elif not ID_PATTERN.match(c.id):
        yield f"{name}: id must be <family>.<kind>.<what>, lower-case words joined by hyphens"
    if not c.statement or not c.statement.strip().endswith("."):
        yield f"{name}: statement must be one sentence ending with a full stop"
    if c.kind not in KINDS:
        yield f"{name}: unknown kind {c.kind!r} (one of {', '.join(KINDS)})"
    elif c.id and ID_PATTERN.match(c.id) and c.id.split(".")[1] != c.kind:
        yield f"{name}: the id's second part must be its kind, {c.kind!r}"
    if c.subject and c.kind_given:
        yield f"{name}: kind is the module's name in {c.where.partition(':')[0]}; do not pass kind="
    if c.subject:
        about_programs = any(m in PROGRAM_MODULES for m in c.modules)
        if about_programs != (c.subject == "programs"):
            home, naming = ("spec.programs", "naming") if about_programs else ("spec.claims", "not naming")
            yield f"{name}: a claim {naming} {' or '.join(PROGRAM_MODULES)} belongs in {home}"
        if c.id and ID_PATTERN.match(c.id):
            expected = claim_file(c.id, "programs" if about_programs else "torch")
            if c.module.replace(".", "/") + ".py" != expected:
                yield f"{name}: lives in {c.module.replace('.', '/')}.py; its id says {expected}"
    if not c.modules:
        yield f"{name}: names no module"
    for m in c.modules:
        if m not in MODULES:
            yield f"{name}: unknown module {m!r}"
    if not c.sources:
        yield f"{name}: has no source"
    for s in c.sources:
        if not isinstance(s, (Seed, TorchDoc)):
            yield f"{name}: source {s!r} is neither Seed nor TorchDoc"
        elif isinstance(s, Seed) and s.file not in SEED_FILES:
            yield f"{name}: unknown source document {s.file!r}"
        elif not (s.locator if isinstance(s, Seed) else s.section):
            yield f"{name}: source {s!r} has no locator"
    for e in c.errata:
        if not isinstance(e, Erratum) or not isinstance(e.seed, Seed) or e.file not in SEED_FILES or not e.says:
            yield f"{name}: erratum {e!r} must hold a Seed of a source document and say what it says"
        elif not e.locator:
            yield f"{name}: erratum {e!r} has no locator"
    if c.subject == "torch" and not isinstance(c.scope, (Contract, TorchOwn)):
        yield f"{name}: says neither scope=CONTRACT nor scope=TorchOwn(reason): is it the contract or torch's own?"
    elif isinstance(c.scope, TorchOwn) and not (isinstance(c.scope.reason, str) and c.scope.reason.strip()):
        yield f"{name}: TorchOwn needs its reason"
    if c.subject == "programs" and c.scope != PROGRAMS_SCOPE:
        yield f"{name}: a claim about the sources' programs is torch's own by rule; do not pass scope="
    if not c.devices or any(d not in DEVICE_TYPES for d in c.devices):
        yield f"{name}: devices must be a non-empty subset of {DEVICE_TYPES}, not {c.devices!r}"
    if not c.targets or c.targets[0] != "eager" or any(t not in TARGETS for t in c.targets):
        yield f"{name}: targets must start with 'eager' and name only {TARGETS}, not {c.targets!r}"
    elif len(set(c.targets)) != len(c.targets):
        yield f"{name}: targets {c.targets!r} name one twice"
    for dist, wanted in c.requires:
        if not isinstance(dist, str) or not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", dist) or dist == "torch":
            yield f"{name}: requires names {dist!r}: a distribution other than torch (torch= holds torch's range)"
        if not is_range(wanted):
            yield f"{name}: requires {dist}{wanted!r}: not a version specifier"
    if c.torch and not is_range(c.torch):
        yield f"{name}: torch range {c.torch!r} is not a version specifier"


def is_range(text) -> bool:
    """Whether ``text`` is a PEP 440 version specifier (``">=2.1,<2.3"``), as a claim's or an entry's range."""
    try:
        SpecifierSet(text)
    except (InvalidSpecifier, TypeError):
        return False
    return True


REGISTRY = Registry()


#: The pytest marker that says a case has nothing to check here, and why (set by spec.helpers.axes, read by the
#: recorder): a claim outside its torch range, or one the implementation under test cannot answer.
NOT_APPLICABLE_MARKER = "spec_not_applicable"


class NotApplicable(pytest.skip.Exception):
    """Raised by :func:`not_applicable`; the recorder reads :attr:`reason` and reports the case not-applicable."""

    def __init__(self, reason: str, implementation: bool = False) -> None:
        super().__init__(f"not applicable: {reason}")
        self.reason = reason
        self.implementation = implementation


def not_applicable(reason: str, implementation: bool = False):
    """Stop a case that has nothing to check here: no outcome recorded for this release, or (``implementation``)
    a configuration the implementation under test does not take (a documented limit: an object, dtype, device or
    argument value it does not provide).

    The case is reported ``not-applicable``, never ``passed``; a skip under the hood, so plain pytest shows it as
    skipped with the reason. A claim whose other cases passed held only in part on this release (it is reported
    skipped), but holds for what an implementation provides when its limits made the others not applicable.
    """
    raise NotApplicable(reason, implementation)


#: The attribute under which a test function carries its claim.
ATTR = "__spec_claim__"


def claim(
    *,
    id: str,
    statement: str,
    kind: Optional[str] = None,
    modules: Iterable[str],
    sources: Iterable[Source],
    torch: str = "",
    devices: Iterable[str] = DEVICES,
    targets: Optional[Iterable[str]] = None,
    requires: Optional[dict] = None,
    erratum: Union[Erratum, Iterable[Erratum], None] = None,
    scope: Optional[Scope] = None,
    registry: Optional[Registry] = None,
) -> Callable[[Callable], Callable]:
    """Declare that the decorated test checks one claim.

    A claim's kind is the package it lives in and its family the module (``spec/claims/errors/packed.py``
    holds the ``packed.errors.*`` claims); ``kind`` is for claims defined elsewhere (the tooling's own tests).

    ``torch`` is a PEP 440 specifier set (``">=1.11"``); outside it the claim
    is reported not-applicable, and a sibling claim should assert what those
    releases do instead. ``devices`` binds a claim to fewer devices than
    cpu and cuda (a fact about cuDNN is bound to cuda). ``targets`` are the ways of running the layer the
    claim is checked through (:data:`TARGETS`, eager first); by default every target for a claim about
    torch of a kind in :data:`TARGET_KINDS`, else eager only. ``requires`` maps another package the claim's
    truth depends on to its range, as ``torch`` does for torch (``{"onnxscript": ">=0.7.1"}``): outside it, or
    without the package, the claim is not applicable (:meth:`Claim.unmet_requirements`).

    ``scope`` is required of a claim about torch: :data:`CONTRACT` or ``TorchOwn("reason")`` (the rule is
    beside :class:`Contract`); a claim about the sources' programs is torch's own by rule and passes none.
    """
    if erratum is None:
        errata: Tuple[Erratum, ...] = ()
    elif isinstance(erratum, Erratum):
        errata = (erratum,)
    else:
        errata = tuple(erratum)

    def decorate(fn: Callable) -> Callable:
        check = getattr(getattr(fn, "hypothesis", None), "inner_test", fn)  # under @given: the test itself
        module = check.__module__
        # spec.<subject package>.<kind>.<family>, or .<family>.<topic> for a family split into a package
        in_package = _subject_of(module) and module.count(".") in (3, 4)
        the_kind = kind if kind is not None else module.split(".")[2] if in_package else module.rpartition(".")[2]
        if targets is not None:
            chosen = tuple(targets)
        elif the_kind in TARGET_KINDS and module.startswith("spec.claims."):
            chosen = TARGETS
        else:
            chosen = ("eager",)
        c = Claim(
            id=id,
            statement=statement,
            kind=the_kind,
            kind_given=kind is not None,
            modules=tuple(modules),
            sources=tuple(sources),
            torch=torch,
            devices=tuple(devices),
            targets=chosen,
            requires=tuple(sorted((requires or {}).items())),
            errata=errata,
            where=f"{module}:{check.__qualname__}",
            scope=PROGRAMS_SCOPE if scope is None and _subject_of(module) == "programs" else scope,
        )
        (registry if registry is not None else REGISTRY).add(c)
        setattr(fn, ATTR, c)
        return fn

    return decorate


def claim_of(fn) -> Optional[Claim]:
    return getattr(fn, ATTR, None)


__all__ = [
    "ATTR",
    "CONTRACT",
    "Contract",
    "BACKENDS",
    "PAST_RELEASE",
    "PROGRAMS_SCOPE",
    "TOOLCHAIN",
    "TorchOwn",
    "DEVICES",
    "Claim",
    "Erratum",
    "KINDS",
    "MODULES",
    "REGISTRY",
    "Registry",
    "SEED_FILES",
    "SUBJECTS",
    "TARGETS",
    "TARGET_KINDS",
    "in_range",
    "installed_version",
    "require",
    "not_applicable",
    "Seed",
    "TorchDoc",
    "claim",
    "claim_file",
    "torch_docs",
    "claim_of",
    "release_of",
]
