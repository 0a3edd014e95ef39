"""Two reports compared, like with like: which claims changed status, and whether that is a regression.

Only what both runs ran is compared: the targets both ran, the devices both ran, the claims both selected.
A case the newer run did not run is "not compared", never lost. A claim whose declared torch range ends
before the newer release is an expected ending. Reports of two implementations are not comparable claim for
claim unless asked for (``--across-implementations``).
"""

from __future__ import annotations

from typing import Optional

from spec.registry import DEVICE_TYPES, WITHDRAWN
from spec.tools.results import Report, aggregate

#: The run conditions a comparison names for both sides: (key in the environment, what to call it).
CONDITIONS = (
    ("devices", "devices"),
    ("targets", "targets"),
    ("selection", "selection"),
    ("hypothesis_profile", "profile"),
)


class NotComparable(Exception):
    """Two reports that must not be compared claim for claim (another implementation)."""


def _show(value) -> str:
    if value is None:
        return "none recorded"
    if isinstance(value, dict):
        return " ".join(f"{k}={v!r}" for k, v in sorted(value.items()))
    return str(value)


def describe(r: Report) -> str:
    """One line naming what a report ran: release, implementation, devices, targets, selection, profile."""
    env = r.environment
    impl = "" if r.implementation == "torch" else f" · {r.implementation}"
    parts = [
        f"torch {r.torch}{impl}",
        f"devices {r.devices}",
        f"targets {', '.join(r.targets_run) or 'eager'}",
        f"profile {env.get('hypothesis_profile') or '?'}",
    ]
    if env.get("selection"):
        parts.append(f"selection {_show(env['selection'])}")
    return " · ".join(parts)


def _ran_devices(r: Report) -> set:
    return {"cpu", "cuda"} if r.devices == "cpu+cuda" else set(r.devices.split("+"))


def _restricted(per: dict, keep) -> Optional[str]:
    seen = [per[k] for k in keep if k in per]
    return aggregate(seen) if seen else None


def _target_claims_by_choice(old: Report, new: Report) -> Optional[str]:
    """Why the newer run skipped its targets claims by choice, or None: they run under a target other than eager
    or the thorough profile (``spec.helpers.targets.expensive``), and the newer run chose neither where the older
    did."""

    def chose(r: Report) -> bool:
        return r.targets_run not in ([], ["eager"]) or r.environment.get("hypothesis_profile") == "thorough"

    if chose(old) and not chose(new):
        return "a targets claim the newer run skipped by its choice (eager only, not the thorough profile)"
    return None


def _ends(cid: str, entry, new: Report) -> bool:
    """Whether the claim's declared torch range excludes the newer report's release (an expected ending)."""
    from spec.registry import in_range

    rng = entry.torch_range
    if rng is None:  # a schema-1 report records no range: the registry says
        import spec

        c = spec.load_all().get(cid)
        rng = c.torch if c else None
    return bool(rng) and not in_range(rng, new.torch)


def compare(old: Report, new: Report, across_implementations: bool = False) -> dict:
    """Claims whose status changed, grouped.

    ``regressions``: failing now and not before (or a new claim failing). ``lost``: held before, and now skipped,
    xfailed or not applicable without its range ending, or missing from the new report though both selected it.
    ``ended``: held before and now outside its declared range. ``not_compared``: claims or cases the newer run
    did not run (another selection, targets or devices). ``notes``: the conditions that differ.
    """
    if old.implementation != new.implementation and not across_implementations:
        raise NotComparable(
            f"the reports are of different implementations ({old.implementation} -> {new.implementation}); "
            "--across-implementations compares them anyway"
        )
    a_env, b_env = old.environment, new.environment
    notes = [
        f"the reports differ in {name}: {_show(a_env.get(key))} -> {_show(b_env.get(key))}"
        for key, name in CONDITIONS
        if a_env.get(key) != b_env.get(key)
    ]
    if old.implementation != new.implementation:
        notes.insert(0, f"the reports are of different implementations: {old.implementation} -> {new.implementation}")
    targets = [t for t in old.targets_run if t in new.targets_run]
    devices = _ran_devices(old) & _ran_devices(new)
    same_targets = old.targets_run == new.targets_run
    same_devices = _ran_devices(old) == _ran_devices(new)
    by_choice = _target_claims_by_choice(old, new)

    def on_shared(entry) -> Optional[str]:
        """A claim's status over what both runs ran (a case with no device, ``none``, runs whatever the choice). A
        report keeps the devices and the targets apart: where one axis of this entry is all shared, the other's
        restriction is exact; where neither is, None."""
        shared_devices = same_devices or all(d in devices or d not in DEVICE_TYPES for d in entry.devices)
        shared_targets = same_targets or all(t in targets for t in entry.targets)
        if shared_devices and shared_targets:
            return entry.status
        if shared_targets:
            keep = sorted(devices | {d for d in entry.devices if d not in DEVICE_TYPES})
            return _restricted(entry.devices, keep)
        if shared_devices:
            return _restricted(entry.targets, targets)
        return None

    out: dict = {k: {} for k in ("regressions", "lost", "ended", "fixed", "other", "added", "removed", "not_compared")}
    for cid in sorted(set(old.claims) | set(new.claims)):
        a, b = old.claims.get(cid), new.claims.get(cid)
        if a is None:
            out["added"][cid] = b.status
            if b.status == "failed":
                out["regressions"][cid] = (None, "failed")
            continue
        if b is None and cid in WITHDRAWN:  # taken back (spec.registry.WITHDRAWN): nothing to compare it with
            out["not_compared"][cid] = "withdrawn from the spec"
            continue
        if b is None:
            if new.environment.get("selection") and new.environment.get("selection") != old.environment.get(
                "selection"
            ):
                out["not_compared"][cid] = "not selected by the newer run"
            else:
                out["removed"][cid] = a.status
            continue
        before, after = on_shared(a), on_shared(b)
        if before is None or after is None:
            out["not_compared"][cid] = "no target or device that both runs ran"
            continue
        if after == "skipped" and before != "skipped" and b.kind == "targets" and by_choice:
            out["not_compared"][cid] = by_choice
            continue
        if before == after:
            continue
        if after == "failed":
            out["regressions"][cid] = (before, after)
        elif before == "failed" or (before, after) == ("xfailed", "passed"):  # a known regression ended: fixed
            out["fixed"][cid] = (before, after)
        elif before == "passed" and after == "not-applicable" and _ends(cid, b, new):
            out["ended"][cid] = (before, after)
        elif before == "passed":
            out["lost"][cid] = (before, after)
        else:
            out["other"][cid] = (before, after)
    if not same_targets:
        dropped = [t for t in old.targets_run if t not in new.targets_run]
        if dropped:
            out["not_compared_targets"] = dropped
    if not same_devices:
        dropped = sorted(_ran_devices(old) - _ran_devices(new))
        if dropped:
            out["not_compared_devices"] = dropped
    out["notes"] = notes
    return out


def exit_code(diff: dict, allow_lost: bool = False) -> int:
    """1 on a regression (a claim failing now, new or not), or (unless ``allow_lost``) lost coverage; else 0."""
    if diff["regressions"]:
        return 1
    return 1 if (diff["lost"] or diff["removed"]) and not allow_lost else 0


def format_comparison(old: Report, new: Report, diff: dict) -> str:
    lines = [f"old: {describe(old)}", f"new: {describe(new)}"]
    lines += [f"note: {n}" for n in diff.get("notes", ())]
    if diff.get("not_compared_targets"):
        lines.append(f"not compared: targets only the old run ran ({', '.join(diff['not_compared_targets'])})")
    if diff.get("not_compared_devices"):
        lines.append(f"not compared: devices only the old run ran ({', '.join(diff['not_compared_devices'])})")
    sections = (
        ("new failures", diff["regressions"]),
        ("lost coverage (held before, not now)", diff["lost"]),
        ("fixed", diff["fixed"]),
        ("ended as declared (the claim's torch range ends before the new release)", diff["ended"]),
        ("other changes", diff["other"]),
    )
    body = 0
    for title, items in sections:
        if items:
            body += 1
            lines.append(f"{title} ({len(items)}):")
            lines += [f"  {cid}: {before or 'absent'} -> {after}" for cid, (before, after) in items.items()]
            if title == "new failures":
                lines += [f"    {new.claims[c].first_failure}" for c in items if new.claims[c].first_failure]
    for title, items in (
        ("claims only in the new report", diff["added"]),
        ("claims only in the old (lost)", diff["removed"]),
    ):
        if items:
            body += 1
            lines.append(f"{title} ({len(items)}): " + ", ".join(f"{c} ({s})" for c, s in items.items()))
    if diff["not_compared"]:
        body += 1
        reasons: dict = {}
        for cid, why in diff["not_compared"].items():
            reasons.setdefault(why, []).append(cid)
        for why, ids in reasons.items():
            lines.append(f"not compared ({len(ids)}): {why}")
    if not body:
        lines.append("no claim changed status")
    return "\n".join(lines)
