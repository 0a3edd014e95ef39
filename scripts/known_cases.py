"""Propose the ``cases`` of each known divergence from a run's cases, for an adapter's author.

Run the spec with ``RNN_SPEC_CASES=cases.jsonl`` (every case's verdict and what it built, a JSON line each; the
known file's entries covering every case, ``"cases": [{}]``), then::

    python scripts/known_cases.py cases.jsonl known/<name>.json            # print the proposal
    python scripts/known_cases.py cases.jsonl known/<name>.json --write    # and write it into the file

For each entry, the selectors (``modules``, one argument value, an item's id) that cover every case of the claim
that failed and none that held, found greedily; an entry none can separate keeps ``[{}]`` and is listed. A
claim none of whose cases failed is listed as stale (its entry can go). Exit 2 on unreadable input.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

FIELDS = ("num_layers", "bias", "batch_first", "dropout", "bidirectional", "proj_size", "nonlinearity", "dtype")


def claim_ids(rows) -> dict:
    """nodeid -> claim ID, by importing each claim module once."""
    from spec.registry import claim_of

    out, modules = {}, {}
    for row in rows:
        nodeid = row["item"]
        path, fn = nodeid.split("::")[0], nodeid.split("::")[-1].split("[")[0]
        if path not in modules:
            modules[path] = importlib.import_module(path[: -len(".py")].replace("/", "."))
        c = claim_of(getattr(modules[path], fn, None))
        out[nodeid] = c.id if c else None
    return out


def candidates(rows) -> list:
    """Every one-key selector some failing case matches."""
    seen, out = set(), []
    for row in rows:
        for name, values in row["built"]:
            for sel in ({"modules": [name]},) + tuple(
                {"modules": [name], "when": {k: values[k]}} for k in FIELDS if k in values
            ):
                key = json.dumps(sel, sort_keys=True)
                if key not in seen:
                    seen.add(key)
                    out.append(sel)
        for token in _ids(row):
            sel = {"ids": [token]}
            if json.dumps(sel) not in seen:
                seen.add(json.dumps(sel))
                out.append(sel)
    return out


def _ids(row) -> list:
    """The case's name among its item's parameters: all ids but device and target, joined."""
    parts = [p for p in row.get("ids") or () if p not in (row.get("device"), row.get("target"))]
    return ["-".join(parts)] if parts else []


def matches(sel: dict, row) -> bool:
    from spec.implementations.divergences import Selector

    s = Selector(
        modules=tuple(sel.get("modules", ())),
        when=tuple(sorted(sel.get("when", {}).items())),
        ids=tuple(sel.get("ids", ())),
    )
    return s.matches(row.get("ids") or (), row.get("device"), row.get("target") or "eager", row["built"])


def propose(rows) -> list:
    """Selectors covering every failing case and no held case (None: none found)."""
    bad = [r for r in rows if r["verdict"] in ("known", "failed")]
    good = [r for r in rows if r["verdict"] == "held"]
    if not good:
        return [{}]
    bad_ids = {i for r in bad for i in _ids(r)}
    if all(_ids(r) for r in bad) and not bad_ids & {i for r in good for i in _ids(r)}:
        return [{"ids": sorted(bad_ids)}]  # the item's parameters name them (an error table's rows)
    chosen, left = [], list(bad)
    options = [s for s in candidates(bad) if not any(matches(s, r) for r in good)]
    while left:
        best = max(options, key=lambda s: sum(matches(s, r) for r in left), default=None)
        if best is None or not any(matches(best, r) for r in left):
            return None
        chosen.append(best)
        left = [r for r in left if not matches(best, r)]
    return merged(chosen)


def merged(selectors: list) -> list:
    """Selectors that differ only in their modules, as one (``{"modules": [a, b], "when": ...}``)."""
    out: dict = {}
    for sel in selectors:
        rest = json.dumps({k: v for k, v in sel.items() if k != "modules"}, sort_keys=True)
        if rest in out and "modules" in sel and "modules" in out[rest]:
            out[rest]["modules"] = sorted(set(out[rest]["modules"]) | set(sel["modules"]))
        else:
            out[rest] = dict(sel)
    return list(out.values())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", type=Path)
    parser.add_argument("known", type=Path)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    try:
        rows = [json.loads(line) for line in args.cases.read_text(encoding="utf-8").splitlines() if line.strip()]
        data = json.loads(args.known.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        print(f"known_cases: {e}", file=sys.stderr)
        return 2
    ids = claim_ids(rows)
    per = defaultdict(list)
    for row in rows:
        per[ids[row["item"]]].append(row)
    for cid, entry in data.get("divergences", {}).items():
        mine = per.get(cid, [])
        if not mine:
            print(f"{cid}: no case ran (not run here, or every case not applicable)")
            continue
        if not any(r["verdict"] in ("known", "failed") for r in mine):
            print(f"{cid}: STALE: none of its {len(mine)} cases diverges")
            continue
        found = propose(mine)
        if found is None:
            print(f"{cid}: no selector separates its failing cases from those that hold; kept")
            continue
        print(f"{cid}: {json.dumps(found)}")
        entry["cases"] = found
    if args.write:
        from spec.implementations import divergences

        divergences.parse(data, args.known)  # refuse to write what the loader would refuse
        args.known.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
