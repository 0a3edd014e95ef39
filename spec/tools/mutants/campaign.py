"""The mutant campaign: the spec run once per mutant (``python -m spec mutants``), and what caught each.

Each run is its own pytest process (:mod:`spec.tools.runner`) with the mutants' plugin loaded and
``SPEC_MUTANT=<name>``. A mutant of a target other than eager runs through that target, and eagerly too,
where it should survive. The campaign exits 1 if any mutant survives, since a survivor is a missing or weak claim.
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Optional

from spec.tools import runner
from spec.tools.mutants.catalogue import CATALOGUE
from spec.tools.mutants.plugin import ENV, FAILURES_ENV, read_failures
from spec.tools.results import Report


class CampaignError(Exception):
    """The campaign cannot start (the spec fails without a mutant, a target is missing); one line."""


def run_spec(profile: str, mutant: Optional[str] = None, target: str = "eager", impl: Optional[str] = None) -> tuple:
    """One run of the spec on cpu through ``target`` (with a mutant applied, if named): its :class:`Report`, and
    how each failed claim failed ({claim: {"assertion": [nodeid, ...], "crash": ["TypeError: ...", ...]}})."""
    with tempfile.TemporaryDirectory(prefix="spec-mutant-") as tmp:
        report_path, failures_path = Path(tmp) / "r.json", Path(tmp) / "failures.json"
        cmd = runner.pytest_command(
            report=report_path,
            target=target,
            impl=impl,
            profile=profile,
            extra=["-q", "--no-header", "--tb=no", "-p", "spec.tools.mutants.plugin"],
        )
        env = runner.environ(**{ENV: mutant, FAILURES_ENV: str(failures_path)})
        runner.run(cmd, env=env)
        if not report_path.exists():
            raise CampaignError(f"the spec did not run{' under mutant ' + mutant if mutant else ''}")
        return Report.load(report_path), read_failures(failures_path)


def kills(report: Report, failures: dict) -> tuple:
    """(claims failed on an assertion, {claim: first crash} for the claims that failed only by crashing)."""
    failed = report.failed()
    caught = [c for c in failed if failures.get(c, {}).get("assertion")]
    crashed = {
        c: (failures.get(c, {}).get("crash") or ["failed outside its check"])[0] for c in failed if c not in caught
    }
    return caught, crashed


def result(name: str, killers: list, crashes: dict, eager=None) -> dict:
    """One mutant's entry in the results, printed as a row as it comes. ``eager``: for a mutant of another
    target (or implementation), (claims, crashes) of the plain run with the same mutant, which should catch nothing."""
    mutant = CATALOGUE[name]
    shown = ", ".join(killers[:3]) + (f" (+{len(killers) - 3})" if len(killers) > 3 else "")
    shown += f" [{len(crashes)} crashed]" if crashes else ""
    entry = {"description": mutant.description, "killed": bool(killers), "claims": killers, "crashes": crashes}
    if mutant.target != "eager" or mutant.impl != "torch":
        via = f"--target {mutant.target}" if mutant.target != "eager" else f"--impl {mutant.impl}"
        if mutant.target != "eager":
            entry["target"] = mutant.target
        if mutant.impl != "torch":
            entry["impl"] = mutant.impl
        entry["eager_claims"] = eager[0]
        shown = f"{via}: {shown}; plain run: {', '.join(eager[0][:3]) or 'survives'}"
    print(f"{name:32} {'yes' if killers else 'NO':>6}  {shown}", flush=True)
    return entry


def campaign(names: list, profile: str, jobs: int = 1) -> dict:
    """Run each mutant (``jobs`` at a time); {name: entry}. :class:`CampaignError` if the spec fails unmutated."""
    from spec.registry import TARGETS
    from spec.tools.results import target_unavailable

    absent = {n: why for n in names for why in [impl_unavailable(CATALOGUE[n].impl)] if why}
    names = [n for n in names if n not in absent]
    needed = sorted({(CATALOGUE[n].target, CATALOGUE[n].impl) for n in names} | {("eager", "torch")})
    for target, impl in needed:
        missing = target_unavailable(target) if target in TARGETS else None
        if missing:
            raise CampaignError(f"a mutant of the {target} target needs it here: {missing}")
        baseline = run_spec(profile, target=target, impl=None if impl == "torch" else impl)[0].failed()
        if baseline:
            raise CampaignError(
                f"the spec fails without any mutant ({baseline[0]}, --target {target}, --impl {impl}): fix that first"
            )
    results, start = {}, time.time()
    print(f"{'mutant':32} {'killed':>6}  claims failing on an assertion [crashes]")
    for n, why in absent.items():
        results[n] = skipped(n, why)
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each run is its own pytest process
        runs = {
            n: pool.submit(
                run_spec, profile, n, CATALOGUE[n].target, None if CATALOGUE[n].impl == "torch" else CATALOGUE[n].impl
            )
            for n in names
        }
        plain = {
            n: pool.submit(run_spec, profile, n)
            for n in names
            if CATALOGUE[n].target != "eager" or CATALOGUE[n].impl != "torch"
        }
        for n in names:
            also = kills(*plain[n].result()) if n in plain else None
            results[n] = result(n, *kills(*runs[n].result()), eager=also)
    killed = sum(r["killed"] for r in results.values())
    crashed = sum(bool(r["crashes"]) for r in results.values())
    print(
        f"killed {killed} of {len(results) - len(absent)} mutants by assertion ({crashed} with crashes, listed apart) "
        f"in {time.time() - start:.0f} s"
        + (f"; {len(absent)} skipped: their implementation is not here" if absent else "")
    )
    return results


def impl_unavailable(name: str) -> Optional[str]:
    """Why implementation ``name`` cannot run here (opacus not installed), or None: its mutants are then skipped,
    with that reason, not run to a spec that cannot reach them."""
    if name == "torch":
        return None
    from spec.tools.results import resolve_implementation

    return resolve_implementation(name).unavailable()


def skipped(name: str, why: str) -> dict:
    """A mutant not run, with its reason: neither killed nor a survivor (``survivors`` leaves it out)."""
    mutant = CATALOGUE[name]
    print(f"{name:32} {'-':>6}  skipped: {why}", flush=True)
    entry = {"description": mutant.description, "killed": False, "claims": [], "crashes": {}, "skipped": why}
    if mutant.impl != "torch":
        entry["impl"] = mutant.impl
    return entry


def survivors(results: dict) -> list:
    """The mutants that ran and that no claim caught by an assertion."""
    return [n for n, r in results.items() if not r["killed"] and not r.get("skipped")]
