"""The one matrix: claims x columns, built once from reports, rendered by the CLI and by the docs.

A column is one report seen through one target: its axes are the implementation under test, the devices
that ran, the machine, the target, and the torch release. Columns that share every axis but the release form
a group (``cpu · eager``, ``cpu+cuda (NVIDIA H100) · eager``, ``opacus 1.6.0 · cpu · eager``, ...), laid side by
side, releases in order within a group. A cell is the claim's status under that column's target in that
report (None: the claim is not in the report, or did not run through the target).

Which cells changed is decided here, once: within a group, a cell whose status differs from the previous
reported cell. A change that enters or leaves "not applicable" is a **range edge** (a claim's declared torch
range starting or ending, or a target appearing); any other is a **change** (a regression, a fix, a claim
that began to skip). Claims that split one behaviour at a release (``X`` and ``X-before-2-2``) are
**siblings**: the docs show them as one row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from spec.registry import WITHDRAWN
from spec.tools.results import MARKS, STATUSES, WORDS, Report

#: The axes of a column, in the order groups are keyed and labelled.
AXES = ("implementation", "devices", "machine", "target")


@dataclass(frozen=True)
class Column:
    release: str
    implementation: str = "torch"
    implementation_version: str = ""
    devices: str = "cpu"
    machine: str = ""
    target: str = "eager"
    #: the stored report it reads, as ``<folder>/<file>`` ("" for a report not read from a file)
    source: str = field(default="", compare=False)

    @property
    def group(self) -> tuple:
        return tuple(getattr(self, a) for a in AXES)

    @property
    def group_label(self) -> str:
        """What the group's columns share, in words: the implementation (unless torch), devices and machine, target."""
        parts = []
        if self.implementation != "torch":
            parts.append(f"{self.implementation} {self.implementation_version}".strip())
        parts.append(self.devices + (f" ({self.machine})" if self.machine else ""))
        parts.append(self.target)
        return " · ".join(parts)


@dataclass
class Matrix:
    columns: list  # [Column]
    rows: dict  # claim id -> [status or None per column]
    kinds: dict = field(default_factory=dict)  # claim id -> kind
    subjects: dict = field(default_factory=dict)  # claim id -> "torch" / "programs"
    #: claim id -> {column index: the known-divergence entry (reason, link, releases)} where its cell is xfailed
    known: dict = field(default_factory=dict)

    # --- building --------------------------------------------------------------------------------------------------
    @classmethod
    def build(cls, reports: list, targets: Optional[tuple] = ("eager",), only=None) -> Matrix:
        """From :class:`Report` objects. ``targets``: the targets to make columns of (None: every target each
        report ran); ``only``: the claim IDs to keep. A withdrawn claim (``spec.registry.WITHDRAWN``) is no row."""
        reports = sorted(reports, key=Report.order_key)
        cols: list = []
        for r in reports:
            for t in r.targets_run or ["eager"]:
                if targets is None or t in targets:
                    version = r.implementation_versions.get(r.implementation, "")
                    machine = r.machine if r.devices != "cpu" else ""
                    source = f"{r.path.parent.name}/{r.path.name}" if r.path else ""
                    col = Column(r.release, r.implementation, version, r.devices, machine, t, source)
                    cols.append((col, r))
        # a group's columns side by side, in the order the groups first appear
        first: dict = {}
        for col, _ in cols:
            first.setdefault(col.group, len(first))
        cols.sort(key=lambda cr: first[cr[0].group])
        ids = sorted(
            {cid for _, r in cols for cid in r.claims if (only is None or cid in only) and cid not in WITHDRAWN}
        )
        rows, kinds, subjects, known = {}, {}, {}, {}
        for cid in ids:
            rows[cid] = [r.claims[cid].status_under(col.target) if cid in r.claims else None for col, r in cols]
            entry = next(r.claims[cid] for _, r in cols if cid in r.claims)
            kinds[cid], subjects[cid] = entry.kind, entry.subject
            marked = {i: r.claims[cid].known for i, (_, r) in enumerate(cols) if rows[cid][i] == "xfailed"}
            if any(marked.values()):
                known[cid] = {i: k for i, k in marked.items() if k}
        return cls([c for c, _ in cols], rows, kinds, subjects, known)

    # --- reading ---------------------------------------------------------------------------------------------------
    def groups(self) -> list:
        """[(group label, [column index, ...])] in order."""
        out: list = []
        for i, col in enumerate(self.columns):
            if out and self.columns[out[-1][1][0]].group == col.group:
                out[-1][1].append(i)
            else:
                out.append((col.group_label, [i]))
        return [(label, idx) for label, idx in out]

    def changes(self, cid: str) -> dict:
        """{column index: "change" or "edge"}: the cells that differ from the previous reported cell of their group."""
        row, out = self.rows[cid], {}
        for _, idx in self.groups():
            before = None
            for i in idx:
                status = row[i]
                if status is None:
                    continue
                if before is not None and status != before:
                    out[i] = "edge" if "not-applicable" in (status, before) else "change"
                before = status
        return out

    def failing(self, cid: str) -> bool:
        return "failed" in self.rows[cid]

    def reported(self, cid: str) -> list:
        return [s for s in self.rows[cid] if s is not None]

    def sections(self, ids=None) -> dict:
        """The rows in the docs' sections: ``failing`` (a ✗ anywhere), ``known`` (an expected failure somewhere: a
        known regression of a release, or a known divergence of an implementation, with its entry in
        :attr:`known`), ``changing`` (a real change, or column groups that disagree: skipped on cpu, held on cuda),
        ``edges`` (only range edges), ``uniform`` (one status wherever reported)."""
        ids = list(self.rows) if ids is None else ids
        out: dict = {"failing": [], "known": [], "changing": [], "edges": [], "uniform": []}
        for cid in ids:
            kinds = set(self.changes(cid).values())
            if self.failing(cid):
                out["failing"].append(cid)
            elif cid in self.known:
                out["known"].append(cid)
            elif "change" in kinds or (not kinds and len(set(self.reported(cid))) > 1):
                out["changing"].append(cid)  # a change within a group, or two groups that disagree
            elif kinds:
                out["edges"].append(cid)
            else:
                out["uniform"].append(cid)
        return out

    def siblings(self, ids: list) -> list:
        """Rows to show as one: [(ids, [(status, claim id) or None per column])]. ``X`` and each ``X-before-...``
        (or ``X-absent``) are siblings when no column reports both as applicable; every other row stands alone."""
        pool = set(ids)
        merged, used = [], set()
        for cid in sorted(ids, key=len):
            if cid in used:
                continue
            family = [cid] + sorted(
                other
                for other in pool - used - {cid}
                if other.startswith(cid + "-before-") or other == cid.rsplit("-", 1)[0] + "-absent"
            )
            family = [f for f in family if f not in used]
            cells = []
            for i in range(len(self.columns)):
                live = [(self.rows[f][i], f) for f in family if self.rows[f][i] not in (None, "not-applicable")]
                if len(live) > 1:
                    family = [cid]  # both applicable somewhere: not a split of one behaviour
                    break
                if live:
                    cells.append(live[0])
                else:
                    present = [(self.rows[f][i], f) for f in family if self.rows[f][i] is not None]
                    cells.append(present[0] if present else None)
            if len(family) == 1:
                cells = [(s, cid) if s is not None else None for s in self.rows[cid]]
            used.update(family)
            merged.append((family, cells))
        return merged

    def uniform_groups(self, ids: list) -> list:
        """Claims with one status wherever reported, grouped by (status, first, last, count of reporting columns)."""
        groups: dict = {}
        for cid in ids:
            present = [i for i, s in enumerate(self.rows[cid]) if s is not None]
            if not present:  # no column ran it (a claim newer than every stored report): nothing to group
                continue
            status = self.rows[cid][present[0]]
            groups.setdefault((status, present[0], present[-1], len(present)), []).append(cid)
        order = list(MARKS)
        return sorted(groups.items(), key=lambda kv: (order.index(kv[0][0]), -kv[0][3], kv[0][1]))

    def to_json(self) -> dict:
        return {
            "columns": [
                {"label": c.release, "group": c.group_label, **{a: getattr(c, a) for a in AXES}} for c in self.columns
            ],
            "rows": self.rows,
            "changes": {cid: self.changes(cid) for cid in self.rows if self.changes(cid)},
            "legend": {s: {"mark": MARKS[s], "word": WORDS[s]} for s in STATUSES},
        }


def summary(reports: list) -> dict:
    """Target x column: per cell (held, failed, ran, not applicable) among the claims run through the target."""
    m = Matrix.build(reports, targets=None)
    per: dict = {}
    for i, col in enumerate(m.columns):
        statuses = [row[i] for row in m.rows.values() if row[i] is not None]
        held, failed = statuses.count("passed"), statuses.count("failed")
        ran = held + failed + statuses.count("xfailed")
        per.setdefault(col.target, {})[(col.release, col.devices, col.implementation)] = (
            held,
            failed,
            ran,
            statuses.count("not-applicable"),
        )
    return per
