"""The claim-keyed JSON report: what it holds, how statuses aggregate, how it is written.

One report per run. Per claim: status, status per device and per target (eager, compile, ...), number of cases,
first failure message, duration. Tests not tied to a claim are kept apart under
``"unclaimed"``. Files are written atomically (temp file in the same folder,
then rename), so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Iterable, Optional

from common.files import replacing  # the one atomic writer: temp file, rename, ordinary permissions

SCHEMA_VERSION = 1

#: Per-case outcomes, and the claim statuses they aggregate to.
STATUSES = ("passed", "failed", "skipped", "not-applicable", "xfailed")

ROOT = Path(__file__).resolve().parents[2]


def aggregate(outcomes: Iterable[str]) -> str:
    """One status for many cases: any failure fails; else any pass holds;
    else xfailed; else not-applicable; else skipped."""
    seen = set(outcomes)
    for status in ("failed", "passed", "xfailed", "not-applicable"):
        if status in seen:
            return status
    return "skipped"


def _git_revision() -> Optional[str]:
    """HEAD of the checkout (``-dirty`` with uncommitted changes); ``SPEC_GIT_REVISION`` overrides it for a
    copy of the tree whose ``.git`` is not the one it came from (a run on a borrowed GPU machine)."""
    if os.environ.get("SPEC_GIT_REVISION"):
        return os.environ["SPEC_GIT_REVISION"]
    try:
        rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        if rev.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        return rev.stdout.strip() + ("-dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return None


def environment(profile: str, seed, devices: Optional[str] = None, selection: Optional[dict] = None) -> dict:
    """What a run ran on and what it ran: torch, python, device, the hypothesis profile and seed, the devices
    chosen (``--spec-device``) and the selection (``-k``, ``-m`` and the paths given; None where nothing was left
    out), so that comparing two reports can say when they did not run the same thing."""
    import hypothesis
    import torch

    cuda_ok = torch.cuda.is_available()
    cudnn = torch.backends.cudnn.version() if cuda_ok else None
    try:
        from common.shapecheck import SHAPE_CHECKS
    except ImportError:  # reference/ is optional for the spec on old Pythons
        SHAPE_CHECKS = False
    return {
        "torch": torch.__version__,
        "torch_git": getattr(torch.version, "git_version", None),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cuda": torch.version.cuda,
        "cudnn": cudnn,
        "cuda_available": cuda_ok,
        "device_name": torch.cuda.get_device_name(0) if cuda_ok else None,
        "hypothesis": hypothesis.__version__,
        "hypothesis_profile": profile,
        "seed": seed,
        "shape_checks": SHAPE_CHECKS,
        "threads": torch.get_num_threads(),  # intra-op threads (spec.tools.plugin: one per xdist worker's core)
        "devices": devices,
        "selection": selection,
    }


def target_environment(choice: str = "eager") -> dict:
    """The targets a run chose (``--spec-target``), and per target why it does not exist here (None: it does),
    with the versions of the ONNX tools the onnx target uses."""
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


def build(cases: list, claims: dict, env: dict) -> dict:
    """``cases``: dicts with nodeid, claim (id or None), device, outcome, message, duration.
    ``claims``: id -> Claim for the claims that were selected."""
    from spec import __version__

    per_claim: dict = {}
    for cid in claims:
        mine = [c for c in cases if c["claim"] == cid]
        devices: dict = {}
        targets: dict = {}
        for c in mine:
            devices.setdefault(c["device"] or "none", []).append(c["outcome"])
            targets.setdefault(c.get("target") or "eager", []).append(c["outcome"])
        failures = [c["message"] for c in mine if c["outcome"] == "failed" and c["message"]]
        reasons = [c["message"] for c in mine if c["outcome"] != "failed" and c["message"]]
        per_claim[cid] = {
            "status": aggregate(c["outcome"] for c in mine),
            "devices": {d: aggregate(o) for d, o in sorted(devices.items())},
            "targets": {t: aggregate(o) for t, o in targets.items()},
            "cases": len(mine),
            "kind": claims[cid].kind,
            "subject": claims[cid].subject,
            "first_failure": failures[0] if failures else None,
            "reason": reasons[0] if reasons and not failures else None,
            "duration": round(sum(c["duration"] for c in mine), 4),
        }
    unclaimed = {
        c["nodeid"]: {"outcome": c["outcome"], "duration": round(c["duration"], 4)} for c in cases if c["claim"] is None
    }
    return {
        "schema": SCHEMA_VERSION,
        "suite": {"version": __version__, "git": _git_revision()},
        "environment": env,
        "claims": per_claim,
        "unclaimed": unclaimed,
    }


def provenance(profile: str = "ci", seed="derandomized") -> dict:
    """Where a stored figure came from: the suite (version, git revision, claim count and a digest of the
    claim IDs) and the environment. Every benchmark stores this beside its figures."""
    import hashlib

    import spec

    ids = sorted(c.id for c in spec.load_all())
    return {
        "suite": {
            "version": spec.__version__,
            "git": _git_revision(),
            "claims": len(ids),
            "claim_set": hashlib.sha256("\n".join(ids).encode()).hexdigest()[:12],
        },
        "environment": environment(profile=profile, seed=seed),
    }


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temp file in the same folder and a rename: never half a file."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, data: bytes) -> None:
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def write_atomic(path: Path, data: dict) -> None:
    """Serialise first (a bad value fails before any file is touched), then write atomically."""
    write_text_atomic(path, json.dumps(data, indent=1, sort_keys=True) + "\n")


class ReportError(Exception):
    """A stored report that cannot be used; the message names the file."""


def load_json(path: Path) -> dict:
    """Any stored JSON file of ours; ReportError with a one-line reason if unreadable."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise ReportError(f"{path}: cannot read ({e.strerror or e})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ReportError(f"{path}: not valid JSON ({e})") from None


def load(path: Path) -> dict:
    """Read and check a stored report; :class:`ReportError` with a one-line reason if bad."""
    path = Path(path)
    data = load_json(path)
    if not isinstance(data, dict) or "schema" not in data:
        raise ReportError(f"{path}: not a spec report (no schema version)")
    if data["schema"] != SCHEMA_VERSION:
        raise ReportError(f"{path}: unknown schema version {data['schema']!r} (this suite reads {SCHEMA_VERSION})")
    claims = data.get("claims")
    if not isinstance(claims, dict):
        raise ReportError(f"{path}: malformed 'claims' section (none, or not an object)")
    for cid, entry in claims.items():
        if not isinstance(entry, dict) or entry.get("status") not in STATUSES or not isinstance(entry.get("kind"), str):
            raise ReportError(
                f"{path}: malformed 'claims' section: {cid!r} needs a status ({', '.join(STATUSES)}) and a kind"
            )
    env = data.get("environment")
    if not isinstance(env, dict) or not isinstance(env.get("torch"), str):
        raise ReportError(f"{path}: malformed report: no 'environment' naming the torch it ran on")
        # readers may rely on these: absent from a hand-made report, they are read as "none"
        entry.setdefault("first_failure", None)
        entry.setdefault("reason", None)
    return data


def summary_rows(report: dict) -> list:
    """(kind, held, failed, not-applicable, skipped, xfailed) per kind, plus a total row."""
    counts: dict = {}
    for entry in report["claims"].values():
        row = counts.setdefault(entry["kind"], dict.fromkeys(STATUSES, 0))
        row[entry["status"]] += 1
    rows = []
    total = dict.fromkeys(STATUSES, 0)
    for kind in sorted(counts):
        r = counts[kind]
        rows.append((kind, r["passed"], r["failed"], r["not-applicable"], r["skipped"], r["xfailed"]))
        for s in STATUSES:
            total[s] += r[s]
    rows.append(
        ("total", total["passed"], total["failed"], total["not-applicable"], total["skipped"], total["xfailed"])
    )
    return rows


def format_summary(report: dict) -> str:
    head = ("kind", "held", "failed", "n/a", "skipped", "xfailed")
    rows = [head] + [tuple(str(x) for x in r) for r in summary_rows(report)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.insert(len(lines) - 1, "  ".join("-" * w for w in widths))
    env = report["environment"]
    title = f"torch {env['torch']} · python {env['python']} · profile {env['hypothesis_profile']}"
    return title + "\n" + "\n".join(lines)


def failed_claims(report: dict) -> list:
    return sorted(cid for cid, e in report["claims"].items() if e["status"] == "failed")
