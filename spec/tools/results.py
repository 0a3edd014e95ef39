"""The results model: a case, a claim's result and a report, as types.

Everything that reads or writes a run's results goes through these types: the pytest plugin records
:class:`Case` objects, :meth:`Report.build` aggregates them (every rule in one place: statuses, devices,
targets, partial holds, not applicable, known divergences), :meth:`Report.to_json` writes the claim-keyed
JSON and :meth:`Report.from_json` reads it back, validating it (a one-line :class:`ReportError` naming the
file for anything malformed: a missing key, an unknown status, claims given as a list, a schema from the
future, bytes that are not UTF-8, nesting too deep to read).

A report has axes. Per case: the device and the target (how the module was run). Per report: the torch
release, the devices chosen, and the implementation of the recurrent API under test (``torch`` itself,
or an adapter: ``environment.implementation`` holds its name and the versions of its libraries). The
matrix (``spec.tools.matrix``) turns every axis into column groups the same way, so a new axis is one more
key here, not a special case there.

Schema 2 (written now) adds the implementation and, per claim, the torch range it was checked against and
its known-divergence entry; schema 1 reports (everything stored before) read as implementation ``torch``.

Declared needs (the only imports of ``spec.helpers`` / ``spec.implementations`` from ``spec/tools``): when
a run's environment is captured (:func:`environment`, in the pytest process) it asks
``spec.helpers.targets`` which targets exist on this release and which ONNX exporters there are, and
``spec.implementations`` which implementation is under test and its libraries' versions; the docs ask
:func:`target_descriptions` what each target is, the mutant campaign :func:`target_unavailable`, and the recorder
:func:`known_divergences` (the implementation's expected failures, recorded on each claim's result). Reading
reports needs neither torch nor those modules.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from reference.common.files import replacing  # the one atomic writer
from spec.tools import claimset

#: The schema this suite writes, and the ones it reads.
SCHEMA = 2
READS = (1, 2)

#: Per-case outcomes, and the claim statuses they aggregate to, in the order of precedence.
STATUSES = ("passed", "failed", "skipped", "not-applicable", "xfailed")
#: One character and one word per status (the CLI's text and the docs' HTML use the same).
MARKS = {"passed": "✓", "failed": "✗", "not-applicable": "–", "skipped": "○", "xfailed": "x"}
WORDS = {
    "passed": "holds",
    "failed": "fails",
    "not-applicable": "not applicable",
    "skipped": "skipped",
    "xfailed": "known divergence",
}

ROOT = Path(__file__).resolve().parents[2]
#: How many failing cases a claim's result keeps word for word.
KEEP = 10
#: A case's verdicts, as a claim's result counts them.
VERDICTS = ("held", "failed", "known", "n/a")
#: JSON nested deeper than this is not a report of ours (and would exhaust the parser's recursion).
MAX_DEPTH = 64


class ReportError(Exception):
    """A stored report that cannot be used; the message is one line naming the file."""


def aggregate(outcomes: Iterable[str]) -> str:
    """One status for many cases: any failure fails; else any pass holds; else xfailed (a known divergence);
    else not-applicable; else skipped."""
    seen = set(outcomes)
    for status in ("failed", "passed", "xfailed", "not-applicable"):
        if status in seen:
            return status
    return "skipped"


# --- a case ----------------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One test case's outcome, as the plugin records it.

    ``not_applicable``: why the case has nothing to check here (the claim's torch range excludes the installed
    torch, the implementation does not provide the object, the check raised ``not_applicable``); such a case's
    outcome is ``not-applicable`` whatever pytest called it. ``message``: the failure (pytest's own crash
    report) or the skip/xfail reason."""

    nodeid: str
    claim: Optional[str] = None
    device: Optional[str] = None
    target: str = "eager"
    outcome: str = "skipped"
    message: Optional[str] = None
    duration: float = 0.0
    not_applicable: Optional[str] = None
    #: the case was not applicable because of a limit of the implementation under test (not of this release)
    limit: bool = False
    #: the verdicts of the cases it ran (``spec.helpers.verdicts``: held, failed, known, n/a -> how many)
    verdicts: dict = field(default_factory=dict)
    #: its failing cases, each "configuration: error" (at most KEEP)
    failing: list = field(default_factory=list)
    #: cases a known entry covers that held (the entry names more than diverges)
    known_held: int = 0
    #: the first failing case, as recorded (the message of a failed item)
    first: Optional[str] = None
    #: known configurations (their description) -> how many of its cases they cover that failed
    configurations: dict = field(default_factory=dict)


#: A case recorded without verdicts of its own (an item that did not run its check): its outcome as one verdict.
_VERDICT_OF = {"passed": "held", "failed": "failed", "xfailed": "known", "not-applicable": "n/a"}


# --- a claim's result ------------------------------------------------------------------------------------------
@dataclass
class ClaimResult:
    """A claim's result in one report: its status, and per device and per target."""

    kind: str
    status: str
    subject: str = "torch"
    devices: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    cases: int = 0
    first_failure: Optional[str] = None
    reason: Optional[str] = None
    duration: float = 0.0
    torch_range: Optional[str] = None  # the claim's declared range when it ran (schema 2)
    known: Optional[dict] = None  # the implementation's known-divergence entry for it (schema 2)
    verdicts: dict = field(default_factory=dict)  # its cases' verdicts: held, failed, known, n/a -> how many
    failing: list = field(default_factory=list)  # its failing cases, "test[params] configuration: error"

    # the rules, in one place ------------------------------------------------------------------------------------
    @classmethod
    def from_cases(cls, claim, cases: list, known: Optional[dict] = None) -> ClaimResult:
        """Aggregate one claim's cases.

        - status: :func:`aggregate` of every case (any target); per device and per target the same rule.
        - first_failure: the first failed case's message; reason: the first message of a claim that did not fail.
        - No partial holds: a case of the claim's own (eager) target that has nothing to check on this torch never
          counts toward "passed": a claim whose other cases passed held only in part, so it is skipped, naming the
          cases (give them an outcome, or split the claim by range). A case another target cannot take leaves the
          claim's own outcome alone (its per-target status says so).
        - A case not applicable by a limit of the implementation under test (an object, dtype, device or argument
          value it does not take) is no gap: the claim holds for what the implementation provides.
        - A known divergence of the implementation (or a known regression of the installed torch) is ``xfailed``
          while any of its cases still diverges, and so is each device and target where one does; when none does,
          it now holds, and its entry is stale (``known["stale"]``).
        """
        statuses = [c.outcome for c in cases]

        def status(outcomes: list) -> str:  # a known divergence still there in some cases: xfailed, on every axis
            found = aggregate(outcomes)
            return "xfailed" if known is not None and found == "passed" and "xfailed" in outcomes else found

        devices: dict = {}
        targets: dict = {}
        for c in cases:
            devices.setdefault(c.device or "none", []).append(c.outcome)
            targets.setdefault(c.target or "eager", []).append(c.outcome)
        failures = [c.message for c in cases if c.outcome == "failed" and c.message]
        reasons = [c.message for c in cases if c.outcome != "failed" and c.message]
        result = cls(
            kind=claim.kind,
            subject=claim.subject or "torch",
            status=status(statuses),
            devices={d: status(o) for d, o in sorted(devices.items())},
            targets={t: status(o) for t, o in targets.items()},
            cases=len(cases),
            first_failure=failures[0] if failures else None,
            reason=reasons[0] if reasons and not failures else None,
            duration=round(sum(c.duration for c in cases), 4),
            torch_range=claim.torch or "",
        )
        empty = [c for c in cases if c.outcome == "not-applicable" and (c.target or "eager") == "eager" and not c.limit]
        if result.status == "passed" and empty:
            names = ", ".join(c.nodeid.split("::")[-1] for c in empty[:3]) + (" ..." if len(empty) > 3 else "")
            result.status = "skipped"
            result.reason = f"held only in part: {len(empty)} of {len(cases)} cases have no outcome here ({names})"
            for c in empty:
                if result.devices.get(c.device or "none") == "passed":
                    result.devices[c.device or "none"] = "skipped"
        counts = dict.fromkeys(VERDICTS, 0)
        for c in cases:
            for verdict, n in (c.verdicts or {_VERDICT_OF.get(c.outcome, ""): 1}).items():
                if verdict in counts:
                    counts[verdict] += n
            result.failing.extend(f"{c.nodeid.split('::')[-1]} {line}" for line in c.failing or ())
        result.verdicts = {k: n for k, n in counts.items() if n}
        result.failing = result.failing[:KEEP]
        if known is not None:
            held = sum(c.known_held for c in cases)
            # stale: no case it covers diverges any more (they hold, or none of them ran here)
            result.known = dict(known, stale=counts["known"] == 0, held=held)
        return result

    # JSON ---------------------------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        data = asdict(self)
        for key in ("torch_range", "known"):
            if data[key] is None:
                del data[key]
        for key in ("verdicts", "failing"):
            if not data[key]:
                del data[key]
        return data

    @classmethod
    def from_json(cls, cid: str, entry, where: str) -> ClaimResult:
        if not isinstance(entry, dict):
            raise ReportError(f"{where}: claim {cid!r} is not an object")
        status = entry.get("status")
        if status not in STATUSES:
            raise ReportError(f"{where}: claim {cid!r} has status {status!r} (one of {', '.join(STATUSES)})")
        if not isinstance(entry.get("kind"), str):
            raise ReportError(f"{where}: claim {cid!r} has no kind")
        for axis in ("devices", "targets"):
            value = entry.get(axis, {})
            if not isinstance(value, dict) or any(s not in STATUSES for s in value.values()):
                raise ReportError(f"{where}: claim {cid!r}: {axis} must map names to statuses")
        for key, kinds in (("first_failure", (str, type(None))), ("reason", (str, type(None))), ("subject", str)):
            if key in entry and not isinstance(entry[key], kinds):
                raise ReportError(f"{where}: claim {cid!r}: {key} must be text")
        if "known" in entry and not isinstance(entry["known"], (dict, type(None))):
            raise ReportError(f"{where}: claim {cid!r}: known must be an object")
        for key in ("cases", "duration"):
            if key in entry and (not isinstance(entry[key], (int, float)) or isinstance(entry[key], bool)):
                raise ReportError(f"{where}: claim {cid!r}: {key} must be a number")
        verdicts = entry.get("verdicts", {})
        if not isinstance(verdicts, dict) or any(
            k not in VERDICTS or not isinstance(n, int) or isinstance(n, bool) for k, n in verdicts.items()
        ):
            raise ReportError(f"{where}: claim {cid!r}: verdicts must map {', '.join(VERDICTS)} to counts")
        failing = entry.get("failing", [])
        if not isinstance(failing, list) or not all(isinstance(f, str) for f in failing):
            raise ReportError(f"{where}: claim {cid!r}: failing must be a list of text")
        return cls(
            kind=entry["kind"],
            status=status,
            subject=entry.get("subject", "torch"),
            devices=dict(entry.get("devices", {})),
            # a report from before targets were recorded ran everything eagerly
            targets=dict(entry.get("targets") or {"eager": status}),
            cases=entry.get("cases", 0),
            first_failure=entry.get("first_failure"),
            reason=entry.get("reason"),
            duration=entry.get("duration", 0.0),
            torch_range=entry.get("torch_range"),
            known=entry.get("known"),
            verdicts=dict(verdicts),
            failing=list(failing),
        )

    def status_under(self, target: str) -> Optional[str]:
        """The claim's status under one target (None: not run through it)."""
        return self.targets.get(target)


# --- a report --------------------------------------------------------------------------------------------------
@dataclass
class Report:
    """One run: where and what it ran (``environment``), and a :class:`ClaimResult` per claim."""

    environment: dict
    claims: dict  # id -> ClaimResult
    suite: dict = field(default_factory=dict)
    unclaimed: dict = field(default_factory=dict)
    duration: Optional[float] = None
    target_durations: dict = field(default_factory=dict)
    schema: int = SCHEMA
    path: Optional[Path] = field(default=None, compare=False)

    @classmethod
    def build(cls, cases: list, claims: dict, env: dict, known: Optional[dict] = None) -> Report:
        """``cases``: every :class:`Case` of the run; ``claims``: id -> Claim for the selected claims; ``known``:
        the implementation's known divergences (id -> entry)."""
        from spec import __version__

        known = known or {}
        mine: dict = {cid: [] for cid in claims}
        for c in cases:
            if c.claim in mine:
                mine[c.claim].append(c)
        per_target: dict = {}
        for c in cases:
            if c.claim:
                per_target[c.target] = per_target.get(c.target, 0.0) + c.duration
        for config in (env.get("implementation") or {}).get("configurations") or ():  # how many cases each covered
            config["known"] = sum(c.configurations.get(config["what"], 0) for c in cases)
        return cls(
            environment=env,
            claims={cid: ClaimResult.from_cases(claims[cid], mine[cid], known.get(cid)) for cid in claims},
            suite={
                "version": __version__,
                "git": git_revision(),
                "date": today(),
                **claimset.suite_claims(claims),
            },
            unclaimed={
                c.nodeid: {"outcome": c.outcome, "duration": round(c.duration, 4)} for c in cases if c.claim is None
            },
            target_durations={t: round(s, 2) for t, s in per_target.items()},
        )

    # JSON ---------------------------------------------------------------------------------------------------------
    def to_json(self) -> dict:
        data = {
            "schema": self.schema,
            "suite": self.suite,
            "environment": self.environment,
            "claims": {cid: r.to_json() for cid, r in self.claims.items()},
            "unclaimed": self.unclaimed,
            "target_durations": self.target_durations,
        }
        if self.duration is not None:
            data["duration"] = self.duration
        return data

    @classmethod
    def from_json(cls, data, where: str = "report") -> Report:
        if not isinstance(data, dict) or "schema" not in data:
            raise ReportError(f"{where}: not a spec report (no schema version)")
        schema = data["schema"]
        if schema not in READS:
            raise ReportError(
                f"{where}: unknown schema version {schema!r} (this suite reads {READS[0]} to {READS[-1]})"
            )
        claims = data.get("claims")
        if not isinstance(claims, dict):
            raise ReportError(f"{where}: malformed 'claims' section (none, or not an object keyed by claim ID)")
        env = data.get("environment")
        if not isinstance(env, dict) or not isinstance(env.get("torch"), str):
            raise ReportError(f"{where}: malformed report: no 'environment' naming the torch it ran on")
        impl = env.get("implementation", {"name": "torch"})
        if not isinstance(impl, dict) or not isinstance(impl.get("name"), str):
            raise ReportError(f"{where}: malformed 'environment.implementation' (an object with a name)")
        if not isinstance(env.get("devices"), (str, type(None))):  # what the matrix and compare read it as
            raise ReportError(f"{where}: malformed 'environment.devices' (the devices chosen, as text: 'all', 'cpu')")
        for key in ("suite", "unclaimed", "target_durations"):
            if not isinstance(data.get(key, {}), dict):
                raise ReportError(f"{where}: malformed {key!r} section (not an object)")
        env = dict(env, implementation=impl)
        return cls(
            environment=env,
            claims={str(cid): ClaimResult.from_json(cid, entry, where) for cid, entry in claims.items()},
            suite=data.get("suite") or {},
            unclaimed=data.get("unclaimed") or {},
            duration=data.get("duration"),
            target_durations=data.get("target_durations") or {},
            schema=schema,
        )

    @classmethod
    def load(cls, path) -> Report:
        path = Path(path)
        report = cls.from_json(load_json(path), str(path))
        report.path = path
        return report

    def write(self, path) -> None:
        """Serialise first (a bad value fails before any file is touched), then write atomically."""
        write_json(Path(path), self.to_json())

    # the report's axes --------------------------------------------------------------------------------------------
    @property
    def torch(self) -> str:
        return self.environment["torch"]

    @property
    def release(self) -> str:
        """``2.13.0+cpu`` -> ``2.13.0`` (the build tag stays in the environment)."""
        return self.torch.split("+")[0]

    @property
    def devices(self) -> str:
        """Which devices ran: ``cpu``, ``cuda``, ``cpu+cuda`` (``--device all`` without a GPU ran cpu only)."""
        chosen = self.environment.get("devices") or "all"
        if chosen == "all":
            return "cpu+cuda" if self.environment.get("cuda_available") else "cpu"
        return chosen

    @property
    def implementation(self) -> str:
        return (self.environment.get("implementation") or {}).get("name", "torch")

    @property
    def implementation_versions(self) -> dict:
        return (self.environment.get("implementation") or {}).get("versions") or {}

    @property
    def machine(self) -> str:
        """The accelerator a run used (its device name), '' for a cpu-only run."""
        return self.environment.get("device_name") or ""

    @property
    def targets_run(self) -> list:
        from spec.registry import TARGETS

        seen = {t for r in self.claims.values() for t in r.targets}
        return [t for t in TARGETS if t in seen]

    def order_key(self):
        from spec.registry import release_of

        try:
            version = release_of(self.torch)
        except Exception:  # an unparsable version sorts last
            from packaging.version import Version

            version = Version("9999")
        return (self.implementation != "torch", self.implementation, version, self.devices)

    def failed(self) -> list:
        return sorted(cid for cid, r in self.claims.items() if r.status == "failed")


# --- files -----------------------------------------------------------------------------------------------------
def load_json(path: Path):
    """Any stored JSON file of ours; :class:`ReportError` with a one-line reason if it cannot be read."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise ReportError(f"{path}: cannot read ({e.strerror or e})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ReportError(f"{path}: not UTF-8 text (byte {e.start})") from None
    # a cheap bound before parsing: json's parser recurses once per nesting level
    if text.count("[") + text.count("{") > MAX_DEPTH and _nesting(text) > MAX_DEPTH:
        raise ReportError(f"{path}: JSON nested deeper than {MAX_DEPTH} levels: not a report of ours")
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise ReportError(f"{path}: not valid JSON ({str(e).splitlines()[0]})") from None


def _nesting(text: str) -> int:
    """The deepest bracket nesting of JSON text, outside strings."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def write_json(path: Path, data) -> None:
    """Serialise first, then write atomically (never half a file; never replacing what is not a regular file)."""
    write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    with replacing(Path(path)) as tmp:
        tmp.write_bytes(data)


def load_many(paths) -> list:
    """Reports, in matrix order (torch first, then other implementations; by release); ReportError if any is bad."""
    return sorted((Report.load(p) for p in paths), key=Report.order_key)


# --- the environment of a run (in the pytest process) ----------------------------------------------------------
def git_revision() -> Optional[str]:
    """The suite's revision (:func:`spec.version.revision`: ``$SPEC_GIT_REVISION``, the checkout's HEAD with
    ``-dirty``, or the revision a wheel was built from); None when none of these says."""
    from spec import version

    rev = version.revision()
    return None if rev == version.UNKNOWN else rev


def environment(profile: str, seed, devices: Optional[str] = None, selection: Optional[dict] = None) -> dict:
    """What a run ran on and what it ran: torch, python, device, the hypothesis profile and seed, the devices
    chosen and the selection (``-k``, ``-m`` and the paths given; None where nothing was left out), so that
    comparing two reports can say when they did not run the same thing."""
    import hypothesis
    import torch

    cuda_ok = torch.cuda.is_available()
    try:
        from reference.common.shapecheck import SHAPE_CHECKS
    except ImportError:  # reference/ is optional for the spec on old Pythons
        SHAPE_CHECKS = False
    return {
        "torch": torch.__version__,
        "torch_git": getattr(torch.version, "git_version", None),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if cuda_ok else None,
        "cuda_available": cuda_ok,
        "device_name": torch.cuda.get_device_name(0) if cuda_ok else None,
        "hypothesis": hypothesis.__version__,
        "hypothesis_profile": profile,
        "seed": seed,
        "shape_checks": SHAPE_CHECKS,
        "threads": torch.get_num_threads(),
        "devices": devices,
        "selection": selection,
    }


def target_environment(choice: str = "eager") -> dict:
    """Declared need: the targets a run chose, and per target why it does not exist here (None: it does), with
    the versions of the ONNX tools the onnx target uses."""
    from importlib import metadata

    from spec.helpers import targets as tg
    from spec.registry import TARGETS

    tools = {}
    for name in ("onnx", "onnxruntime", "onnxscript"):
        try:
            tools[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            tools[name] = None
    return {
        "targets": choice or "eager",
        "target_unavailable": {t: tg.unavailable(t) for t in TARGETS},
        "onnx_exporters": tg.onnx_exporters() if tools["onnx"] and tools["onnxruntime"] else {},
        "onnx_tools": tools,
    }


def target_descriptions() -> dict:
    """Declared need: what each target is (its class's docstring in ``spec.helpers.targets``), for the docs."""
    from spec.helpers import targets as tg

    return {name: t.describe() for name, t in tg.BY_NAME.items()}


def target_unavailable(name: str):
    """Declared need: why target ``name`` does not exist on this release (None: it does), for the mutant campaign."""
    from spec.helpers import targets as tg

    return tg.unavailable(name)


def known_divergences() -> dict:
    """Declared need: the implementation under test's known divergences (``spec.implementations``)."""
    from spec.helpers.axes import known_divergences as known

    return known()


def resolve_implementation(text: str):
    """Declared need: the implementation ``--impl`` names (``spec.implementations.resolve``), checked before a run;
    ValueError (one line) for a name or ``MODULE:ATTR`` that is not one."""
    from spec import implementations

    return implementations.resolve(text)


def implementation_environment() -> dict:
    """Declared need: the implementation under test (``spec.implementations``), its title, versions and limits
    (the argument values it refuses, each with its reason and repro or link)."""
    from spec import implementations

    impl = implementations.current()
    limits = [
        {"what": limit.describe(), "modules": list(limit.modules), "repro": limit.repro, "link": limit.link}
        for limit in implementations.limits(impl)
    ]
    configurations = [
        {"what": c.describe(), "modules": list(c.modules), "repro": c.repro, "link": c.link}
        for c in implementations.configurations(impl)
    ]
    return {
        "implementation": {
            "name": impl.name,
            "title": impl.title,
            "adapter": implementations.chosen(),  # what to set RNN_SPEC_IMPL to, to run it again
            "known_file": _shown(implementations.known_file(impl)),  # where its known divergences were read
            "versions": impl.versions(),
            "limits": limits,
            "configurations": configurations,
        }
    }


def today() -> str:
    """The date a result is made (UTC, ``2026-01-31``): the docs show how old each stored figure is."""
    import datetime

    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def _shown(path) -> str:
    """A path as a reader finds it: relative to the working folder when inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def provenance(profile: str = "ci", seed="derandomized") -> dict:
    """Where a stored figure came from: the suite (version, git revision, the date, and the claim set it was made
    with: ``claims``, ``claim_set`` and per claim a digest of its statement and check, ``claim_digests``,
    :mod:`spec.tools.claimset`) and the environment. Every benchmark stores this beside its figures."""
    import spec

    return {
        "suite": {
            "version": spec.__version__,
            "git": git_revision(),
            "date": today(),
            **claimset.suite_claims(spec.load_all()),
        },
        "environment": environment(profile=profile, seed=seed),
    }
