"""What ``verify`` and ``claims`` print: progress on one line, the table of claims per kind, one line per reason
the table's skipped and not-applicable counts have, and the docstring walk's coverage table."""

from __future__ import annotations

import sys

from spec.tools.render import table as render_table
from spec.tools.results import Report

#: The prefix of the progress lines the recorder writes to stderr under ``--spec-progress``.
PROGRESS = "spec-progress "
COLUMNS = (
    ("passed", "held"),
    ("failed", "failed"),
    ("xfailed", "known"),
    ("not-applicable", "n/a"),
    ("skipped", "skipped"),
)


class Progress:
    """Shows the recorder's progress lines as one line rewritten in place (on a terminal; silent otherwise)."""

    def __init__(self, enabled: bool = True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.shown = False

    def line(self, text: str) -> bool:
        if not text.startswith(PROGRESS):
            return False
        if self.enabled:
            done, total = text[len(PROGRESS) :].split()[:2]
            self.stream.write(f"\rrunning the spec: {done}/{total} cases ({100 * int(done) // max(int(total), 1)} %)")
            self.stream.flush()
            self.shown = True
        return True

    def done(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def table(report: Report) -> str:
    """The title (torch, implementation, python, profile), then claims per kind and status, and a total."""
    counts: dict = {}
    for r in report.claims.values():
        counts.setdefault(r.kind, dict.fromkeys(s for s, _ in COLUMNS))
        counts[r.kind][r.status] = (counts[r.kind][r.status] or 0) + 1
    rows, total = [], dict.fromkeys((s for s, _ in COLUMNS), 0)
    for kind in sorted(counts):
        rows.append([kind] + [counts[kind][s] or 0 for s, _ in COLUMNS])
        for s, _ in COLUMNS:
            total[s] += counts[kind][s] or 0
    rows.append(["total"] + [total[s] for s, _ in COLUMNS])
    env = report.environment
    impl = "" if report.implementation == "torch" else f" · implementation {report.implementation}"
    title = f"torch {env['torch']}{impl} · python {env.get('python', '?')} · profile {env.get('hypothesis_profile')}"
    text = render_table(["claims by kind"] + [w for _, w in COLUMNS], rows)
    return title + "\n" + text.rstrip("\n")


def _gist(reason: str) -> str:
    """A reason's kind, for grouping: up to its first colon ("cuda", "data", "held only in part", ...)."""
    return reason.split(":", 1)[0] if ":" in reason[:40] else reason


def explanations(report: Report) -> list:
    """One line per reason behind the table's skipped, not-applicable and known counts, and what the cases were."""
    from spec.registry import in_range

    lines = []
    na: dict = {}
    skipped: dict = {}
    for cid, r in report.claims.items():
        if r.status == "not-applicable":
            if r.torch_range and not in_range(r.torch_range, report.torch):
                na.setdefault(
                    "outside the claim's declared torch range (a sibling claim covers this release)", []
                ).append(cid)
            else:
                na.setdefault(r.reason or "no reason recorded", []).append(cid)
        elif r.status == "skipped":
            skipped.setdefault(_gist(r.reason or "no reason recorded"), []).append((cid, r.reason))
    for why, ids in sorted(na.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"n/a {len(ids)}: {why}")
    for gist, items in sorted(skipped.items(), key=lambda kv: -len(kv[1])):
        example = items[0][1] or gist
        lines.append(
            f"skipped {len(items)}: {example}" + (f" (and {len(items) - 1} more like it)" if len(items) > 1 else "")
        )
    known = [cid for cid, r in report.claims.items() if r.status == "xfailed"]
    if known:
        lines.append(
            f"known {len(known)}: divergences of {report.implementation} listed with their reasons "
            f"({report.environment.get('implementation', {}).get('known_file') or 'its known file'})"
        )
    devices = {}
    for r in report.claims.values():
        for d, s in r.devices.items():
            devices.setdefault(d, []).append(s)
    for d, statuses in sorted(devices.items()):
        if d != "none" and all(s == "skipped" for s in statuses):
            reason = next((r.reason for r in report.claims.values() if r.reason and r.reason.startswith(d + ":")), "")
            lines.append(
                f"{d}: no case ran here{' (' + reason + ')' if reason else ''}; its cases are counted as skipped"
            )
    return lines


def flags(report: Report) -> list:
    """The lines a reader must not miss: failed claims, and known divergences that now hold (stale entries)."""
    out = []
    for cid in report.failed():
        r = report.claims[cid]
        counts = verdict_counts(r)
        out.append(f"FAILED {cid}{f' ({counts})' if counts else ''}: {r.first_failure}")
        out.extend(f"    {line}" for line in r.failing[1:5])
        if len(r.failing) > 5:
            out.append(f"    ... {len(r.failing) - 5} more failing cases in the report")
    whole = not report.environment.get("selection")  # a run of some claims says nothing of the others' cases
    for config in (report.environment.get("implementation") or {}).get("configurations") or ():
        if whole and config.get("known") == 0:
            out.append(f"STALE known configuration {config['what']}: none of its cases failed; remove it")
    for cid, r in sorted(report.claims.items()):
        known = r.known or {}
        if known.get("stale") and r.status == "passed":
            out.append(f"STALE known divergence {cid}: it now holds on {report.implementation}; remove its entry")
        elif known.get("stale"):
            out.append(f"STALE known divergence {cid}: none of its cases ran here ({r.status}); it covers nothing")
        if known.get("held"):
            out.append(
                f"WIDE known divergence {cid}: {known['held']} case(s) it covers held on {report.implementation}; "
                "narrow its cases"
            )
    return out


def verdict_counts(r) -> str:
    """``12 held, 2 failed, 1 n/a``: a claim's cases by verdict."""
    return ", ".join(f"{n} {v}" for v, n in r.verdicts.items() if n)


def failure_details(pytest_output: str) -> str:
    """pytest's failure section (tracebacks and the falsifying examples), for a run that failed."""
    lines = pytest_output.splitlines(keepends=True)
    start = next((i for i, ln in enumerate(lines) if "= FAILURES =" in ln), None)
    end = next((i for i, ln in enumerate(lines) if "short test summary info" in ln), len(lines))
    return "".join(lines[start:end]) if start is not None else ""


def docstring_coverage(walk: dict) -> str:
    """The per-object table of the docstring walk, then every unmapped statement by name."""
    rows = []
    total = dict.fromkeys(("statements", "claimed", "unclaimed", "unmapped"), 0)
    for obj, row in walk["coverage"].items():
        if not row["present"]:
            rows.append([obj, "not in this torch", "", "", ""])
            continue
        rows.append([obj, row["statements"], row["claimed"], row["unclaimed"], row["unmapped"]])
        total = {k: total[k] + row[k] for k in total}
    rows.append(["all", total["statements"], total["claimed"], total["unclaimed"], total["unmapped"]])
    head = ["object", "statements", "claimed", "reason", "unmapped"]
    text = f"torch {walk['torch']} docstrings: statements claimed, left with a reason, unmapped\n"
    text += render_table(head, rows)
    return text + "".join(f"unmapped: {u}\n" for u in walk["unmapped"])
