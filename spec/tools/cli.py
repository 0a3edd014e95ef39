"""``python -m spec``: verify the installed torch, or list the registry.

Exit codes: 0 every selected claim held; 1 a claim failed (or the registry is
invalid, for ``claims``); 2 bad input (a one-line error, no report left behind).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import spec
from common.files import cannot_write
from spec.tools import profiles
from spec.tools import report as rpt

SPEC_DIR = Path(spec.__file__).resolve().parent


class UsageError(Exception):
    """Bad input to the CLI: printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        raise UsageError(message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m spec", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    v = sub.add_parser("verify", help="run the spec on the installed torch and write a report")
    v.add_argument("--report", type=Path, help="report path (default reports/<torch>-<device>.json)")
    v.add_argument("--device", default="all", help="cpu, cuda or all (default all)")
    v.add_argument(
        "--target",
        default="eager",
        help="how claims run the module: eager, compile, export, script, onnx or all (default eager; "
        "other than eager the default report is reports/targets/<torch>-<device>[-<target>].json)",
    )
    v.add_argument("-k", dest="keyword", help="only claims whose test matches this pytest -k expression")
    v.add_argument("--profile", help=f"hypothesis profile: {', '.join(profiles.PROFILES)} (default ci)")
    v.add_argument("--quiet", "-q", action="store_true", help="print only the summary table")

    c = sub.add_parser("claims", help="list the registry without running anything")
    c.add_argument("--json", action="store_true", help="JSON instead of a table")

    cmp = sub.add_parser(
        "compare",
        help="claims whose status changed between two reports (exit 1 on a regression or on lost coverage)",
    )
    cmp.add_argument("old", type=Path, help="a report, or a folder of reports: its newest torch release")
    cmp.add_argument("new", type=Path)
    cmp.add_argument("--json", action="store_true", help="JSON instead of text")
    cmp.add_argument(
        "--allow-lost",
        action="store_true",
        help="accept, knowingly, claims of OLD missing from NEW or no longer passing (skipped, xfailed, n/a)",
    )

    mu = sub.add_parser("mutants", help="run the spec against simulated torch regressions; exit 1 if one survives")
    mu.add_argument("--only", nargs="+", metavar="NAME", help="only these mutants (see --list)")
    mu.add_argument("--list", action="store_true", help="list the catalogue and exit")
    mu.add_argument("--profile", default="quick", help="hypothesis profile for each run (default quick)")
    mu.add_argument("--out", type=Path, help="write the results as JSON here (atomically), e.g. reports/mutants.json")
    mu.add_argument("--jobs", type=int, default=1, help="run this many mutants at a time (default 1)")

    d = sub.add_parser("docs", help="regenerate docs/ from the registry and the stored reports")
    d.add_argument("--reports", type=Path, default=SPEC_DIR.parent / "reports" / "matrix", help="folder of reports")
    d.add_argument("--out", type=Path, default=SPEC_DIR.parent / "docs", help="docs folder")
    d.add_argument("--check", action="store_true", help="only say whether docs/ is fresh (exit 1 if not)")

    cv = sub.add_parser("coverage", help="which lines and branches of torch's recurrent Python code the claims run")
    cv.add_argument("--out", type=Path, help="where to store it (default reports/coverage/<torch-version>.json)")
    cv.add_argument("-k", dest="keyword", help="only claims whose test matches this pytest -k expression")
    cv.add_argument("--claims", type=Path, help="only the claims in this module or folder of spec/ (default: all)")
    cv.add_argument("--profile", default="ci", help=f"hypothesis profile: {', '.join(profiles.PROFILES)} (default ci)")

    m = sub.add_parser("matrix", help="the claims x releases table of stored reports")
    m.add_argument("reports", type=Path, nargs="+")
    m.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    m.add_argument("--out", type=Path, help="write the table here (atomically) instead of stdout")
    return p


def main(argv=None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:
        # the reader went away (`python -m spec claims | head -1`): stop writing, quietly; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv=None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {
            "verify": verify,
            "claims": claims,
            "compare": compare_reports,
            "matrix": matrix_table,
            "docs": docs,
            "mutants": mutants,
            "coverage": coverage,
        }
        if args.command not in commands:
            raise UsageError(f"a command is required: {', '.join(commands)} (see --help)")
        return commands[args.command](args)
    except rpt.ReportError as e:
        print(f"spec: error: {e}", file=sys.stderr)
        return 2
    except UsageError as e:
        print(f"spec: error: {e}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as e:
        if e.name not in ("torch", "hypothesis", "numpy", "packaging"):
            raise
        print(f"spec: error: {e.name} is not installed (pip install -e .)", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # not a failure: see main
    except OSError as e:  # a write that failed after the checks (a full disk): one line, nothing half-written
        print(f"spec: error: {e.filename or ''}{': ' if e.filename else ''}{e.strerror or e}", file=sys.stderr)
        return 2


def _check_writable(path: Path, what: str = "report") -> None:
    """Fail early, and leave nothing behind, if ``path`` cannot be written: before any work starts."""
    problem = cannot_write(path)
    if problem:
        raise UsageError(f"cannot write {what} to {path}: {problem}")


def verify(args) -> int:
    # argument errors first: they must not wait for torch to import
    if args.device not in ("cpu", "cuda", "all"):
        raise UsageError(f"unknown device {args.device!r} (choose cpu, cuda or all)")
    from spec.registry import TARGETS

    if args.target not in TARGETS + ("all",):
        raise UsageError(f"unknown target {args.target!r} (choose {', '.join(TARGETS)} or all)")
    profile = profiles.chosen(args.profile)
    if profile not in profiles.PROFILES:
        raise UsageError(f"unknown profile {profile!r} (choose {', '.join(profiles.PROFILES)})")
    # the registry is validated by the plugin in the pytest process (see pytest_stopped): importing
    # every topic here as well would only load torch and the claims twice
    path = args.report or default_report(args.device, args.target)
    _check_writable(path)

    # pytest runs in a fresh interpreter (so the claims' asserts are rewritten) and writes a
    # temp report; only a complete run is copied into place, atomically.
    tmp_dir = tempfile.mkdtemp(prefix="spec-verify-")
    tmp_report = Path(tmp_dir) / "report.json"
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        str(SPEC_DIR),
        "--rootdir",
        str(SPEC_DIR.parent),
        f"--spec-report={tmp_report}",
        f"--spec-device={args.device}",
        f"--spec-target={args.target}",
        f"--hypothesis-profile={profile}",
        "--tb=short",
        "-q" if not args.quiet else "-qq",
    ]
    if args.keyword:
        cmd += ["-k", args.keyword]
    try:
        proc = subprocess.run(cmd, cwd=SPEC_DIR.parent, stderr=subprocess.PIPE, text=True)
        code = proc.returncode
        if code == 5 or (code in (0, 1) and not tmp_report.exists()):
            raise UsageError(f"-k {args.keyword!r} selects no claim" if args.keyword else "no claim collected")
        if code not in (0, 1):
            raise UsageError(pytest_stopped(code, proc.stderr))
        sys.stderr.write(proc.stderr)
        data = rpt.load(tmp_report)
        rpt.write_atomic(path, data)
    finally:
        if tmp_report.exists():
            tmp_report.unlink()
        os.rmdir(tmp_dir)

    print()
    print(rpt.format_summary(data))
    if args.target != "eager":
        from spec.tools import compare

        print("\nclaims held / run, per target:")
        print(compare.format_target_summary(compare.target_summary([(path, data)]), markdown=False), end="")
    failed = rpt.failed_claims(data)
    for cid in failed:
        print(f"FAILED {cid}: {data['claims'][cid]['first_failure']}")
    print(f"report: {path}")
    return 1 if failed else 0


def default_report(device: str, target: str = "eager") -> Path:
    """reports/<torch>-<device>.json; a run through targets goes to reports/targets/ (named by target unless all)."""
    if target == "eager":
        return Path("reports") / f"{_torch_version()}-{device}.json"
    return Path("reports") / "targets" / f"{_torch_version()}-{device}{'' if target == 'all' else '-' + target}.json"


def _torch_version() -> str:
    """The installed torch's version, from its package metadata (no need to import torch here)."""
    from importlib import metadata

    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        raise UsageError("torch is not installed") from None


def pytest_stopped(code: int, stderr: str) -> str:
    """One line for a pytest run that ended before the report: an invalid registry, or anything else."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    if any(ln.endswith("invalid claims:") for ln in lines):
        first = lines[next(i for i, ln in enumerate(lines) if ln.endswith("invalid claims:")) + 1]
        return f"the registry is invalid: {first} (python -m spec claims lists all)"
    sys.stderr.write(stderr)
    return f"pytest stopped before the end (exit {code}); no report written"


def claims(args) -> int:
    from spec.sources import docstrings

    registry = spec.load_all()
    items = [c.as_dict() for c in registry]
    problems = registry.problems()
    walk = docstring_walk(docstrings, [c.id for c in registry])
    if args.json:
        json.dump({"claims": items, "problems": problems, "docstrings": walk}, sys.stdout, indent=1)
        print()
    else:
        for c in items:
            sources = "; ".join(s.get("file") or s.get("object") for s in c["sources"])
            errata = " [erratum]" if c["errata"] else ""
            print(f"{c['id']}  ({c['kind']}; {', '.join(c['modules'])}; torch {c['torch']}){errata}")
            print(f"    {c['statement']}")
            print(f"    sources: {sources}")
        print(f"{len(items)} claims")
        print()
        print(format_docstring_coverage(walk))
    for p in problems:
        print(f"spec: invalid claim {p}", file=sys.stderr)
    for p in walk["problems"]:
        print(f"spec: invalid docstring walk entry {p}", file=sys.stderr)
    for p in walk["unmapped"]:
        print(f"spec: unmapped docstring statement {p}", file=sys.stderr)
    return 1 if problems or walk["problems"] or walk["unmapped"] else 0


def docstring_walk(docstrings, claim_ids) -> dict:
    """The docstring walk against the installed torch: coverage per object, unmapped statements, bad entries."""
    return {
        "torch": _torch_version(),
        "coverage": docstrings.coverage(),
        "unmapped": docstrings.unmapped(),
        "problems": docstrings.walk_problems(claim_ids),
    }


def format_docstring_coverage(walk: dict) -> str:
    """The per-object table of the docstring walk, then every unmapped statement by name."""
    lines = [
        f"torch {walk['torch']} docstrings: statements claimed, left with a reason, unmapped",
        f"{'object':42} {'statements':>10} {'claimed':>8} {'reason':>7} {'unmapped':>9}",
    ]
    total = dict.fromkeys(("statements", "claimed", "unclaimed", "unmapped"), 0)
    for obj, row in walk["coverage"].items():
        if not row["present"]:
            lines.append(f"{obj:42} {'not in this torch':>37}")
            continue
        lines.append(f"{obj:42} {row['statements']:>10} {row['claimed']:>8} {row['unclaimed']:>7} {row['unmapped']:>9}")
        total = {k: total[k] + row[k] for k in total}
    lines.append(
        f"{'all':42} {total['statements']:>10} {total['claimed']:>8} {total['unclaimed']:>7} {total['unmapped']:>9}"
    )
    lines += [f"unmapped: {u}" for u in walk["unmapped"]]
    return "\n".join(lines)


def coverage(args) -> int:
    from spec.tools import coverage as cov

    if args.profile not in profiles.PROFILES:
        raise UsageError(f"unknown profile {args.profile!r} (choose {', '.join(profiles.PROFILES)})")
    target = (args.claims or SPEC_DIR).resolve()
    if not target.exists() or not (target == SPEC_DIR or SPEC_DIR in target.parents):
        raise UsageError(f"--claims {args.claims} is not a module or folder of {SPEC_DIR}")
    path = args.out or SPEC_DIR.parent / "reports" / "coverage" / f"{_torch_version()}.json"
    _check_writable(path)
    try:
        data = cov.result(args.keyword, args.profile, target)
    except cov.CoverageError as e:
        raise UsageError(str(e)) from None
    rpt.write_atomic(path, data)
    print(cov.format_table(data))
    print(f"claims: {data['pytest']}")
    print(f"coverage: {path}")
    return 0


def compare_reports(args) -> int:
    from spec.tools import compare

    old, new = _newest(args.old) if args.old.is_dir() else rpt.load(args.old), rpt.load(args.new)
    diff = compare.compare(old, new)
    if args.json:
        json.dump(diff, sys.stdout, indent=1)
        print()
    else:
        print(compare.format_comparison(old, new, diff))
    code = compare.exit_code(diff, allow_lost=args.allow_lost)
    if code and not (diff["regressions"] or diff["failing_added"]):
        print(
            "spec: coverage lost: claims of the old report are missing or no longer pass (--allow-lost accepts that)",
            file=sys.stderr,
        )
    return code


def _newest(folder: Path) -> dict:
    """The report of the newest torch release in ``folder`` (the newest stored report, to compare a new one with)."""
    from spec.tools import compare

    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise UsageError(f"no report in {folder}")
    path, data = compare.load_many(paths)[-1]
    print(f"old: {path} (the newest of {len(paths)} in {folder})", file=sys.stderr)
    return data


def matrix_table(args) -> int:
    from spec.tools import compare

    if args.out:
        _check_writable(args.out, "the matrix")
    table = compare.matrix(compare.load_many(args.reports))
    text = json.dumps(table, indent=1) + "\n" if args.json else compare.format_matrix_markdown(table)
    if args.out:
        rpt.write_text_atomic(args.out, text)
        print(f"matrix: {len(table['rows'])} claims x {len(table['columns'])} reports -> {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def docs(args) -> int:
    from spec.tools import docs as gen

    if not args.reports.is_dir():
        raise UsageError(f"no reports folder {args.reports}")
    if not args.check:
        _check_writable(args.out / "index.md", "docs")
    pages = gen.build(args.reports)
    if args.check:
        stale = gen.stale(pages, args.out)
        for rel in stale:
            print(f"stale: {args.out / rel}", file=sys.stderr)
        for line in gen.outdated_figures(args.reports.parent, gen.claim_set()):
            print(f"outdated: {line}: re-run the command it names", file=sys.stderr)
        if stale:
            print("spec: docs are not fresh: run python -m spec docs", file=sys.stderr)
        return 1 if stale else 0
    changed = gen.write(pages, args.out)
    print(f"docs: {len(pages)} pages in {args.out}, {len(changed)} changed")
    return 0


def _run_spec(profile: str, mutant=None, target: str = "eager") -> tuple:
    """One pytest run of the spec on cpu through ``target`` (with a mutant applied, if named): its report, and
    how each failed claim failed ({claim: {"assertion": [nodeid, ...], "crash": ["TypeError: ...", ...]}})."""
    from spec.tools.mutants import ENV, FAILURES_ENV, read_failures

    with tempfile.TemporaryDirectory(prefix="spec-mutant-") as tmp:
        report_path, failures_path = Path(tmp) / "r.json", Path(tmp) / "failures.json"
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            str(SPEC_DIR),
            "-q",
            "--no-header",
            "-p",
            "no:cacheprovider",
            "--spec-device=cpu",
            f"--spec-target={target}",
            f"--hypothesis-profile={profile}",
            f"--spec-report={report_path}",
            "-p",
            "spec.tools.mutants",
            "--tb=no",
            "-o",
            "addopts=",
        ]
        env = {k: v for k, v in os.environ.items() if k != ENV}
        env[FAILURES_ENV] = str(failures_path)
        if mutant:
            env[ENV] = mutant
        subprocess.run(cmd, cwd=SPEC_DIR.parent, env=env, capture_output=True, text=True)
        if not report_path.exists():
            raise UsageError(f"the spec did not run{' under mutant ' + mutant if mutant else ''}")
        return rpt.load(report_path), read_failures(failures_path)


def kills(report: dict, failures: dict) -> tuple:
    """(claims failed on an assertion, {claim: first crash} for the claims that failed only by crashing)."""
    failed = rpt.failed_claims(report)
    caught = [c for c in failed if failures.get(c, {}).get("assertion")]
    crashed = {
        c: (failures.get(c, {}).get("crash") or ["failed outside its check"])[0] for c in failed if c not in caught
    }
    return caught, crashed


def _result(name: str, killers: list, crashes: dict, eager=None) -> dict:
    """One mutant's entry in the results, printed as a row as it comes. ``eager``: for a mutant of another
    target, (claims, crashes) of the eager run with the same mutant, which should catch nothing."""
    from spec.tools.mutants import CATALOGUE

    mutant = CATALOGUE[name]
    shown = ", ".join(killers[:3]) + (f" (+{len(killers) - 3})" if len(killers) > 3 else "")
    shown += f" [{len(crashes)} crashed]" if crashes else ""
    entry = {"description": mutant.description, "killed": bool(killers), "claims": killers, "crashes": crashes}
    if mutant.target != "eager":
        entry["target"] = mutant.target
        entry["eager_claims"] = eager[0]
        shown = f"--target {mutant.target}: {shown}; eagerly: {', '.join(eager[0][:3]) or 'survives'}"
    print(f"{name:32} {'yes' if killers else 'NO':>6}  {shown}", flush=True)
    return entry


def mutants(args) -> int:
    import time
    from concurrent.futures import ThreadPoolExecutor

    from spec.tools.mutants import CATALOGUE

    if args.list:
        for m in CATALOGUE.values():
            target = f" (--target {m.target})" if m.target != "eager" else ""
            print(f"{m.name:32} {m.description}{target}")
        return 0
    names = args.only or list(CATALOGUE)
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise UsageError(f"unknown mutant {unknown[0]!r} (python -m spec mutants --list)")
    if args.profile not in profiles.PROFILES:
        raise UsageError(f"unknown profile {args.profile!r} (choose {', '.join(profiles.PROFILES)})")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.out:
        _check_writable(args.out, "the results")
    from spec.helpers import targets as tg
    from spec.registry import TARGETS

    needed = sorted({CATALOGUE[n].target for n in names} | {"eager"}, key=TARGETS.index)
    for target in needed:
        missing = tg.unavailable(target)
        if missing:
            raise UsageError(f"a mutant of the {target} target needs it here: {missing}")
        baseline = rpt.failed_claims(_run_spec(args.profile, target=target)[0])
        if baseline:
            raise UsageError(f"the spec fails without any mutant ({baseline[0]}, --target {target}): fix that first")
    results, start = {}, time.time()
    print(f"{'mutant':32} {'killed':>6}  claims failing on an assertion [crashes]")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each run is its own pytest process
        runs = {name: pool.submit(_run_spec, args.profile, name, CATALOGUE[name].target) for name in names}
        eager = {n: pool.submit(_run_spec, args.profile, n) for n in names if CATALOGUE[n].target != "eager"}
        for name in names:
            also = kills(*eager[name].result()) if name in eager else None
            results[name] = _result(name, *kills(*runs[name].result()), eager=also)
    killed = sum(r["killed"] for r in results.values())
    crashed = sum(bool(r["crashes"]) for r in results.values())
    print(
        f"killed {killed} of {len(results)} mutants by assertion ({crashed} with crashes, listed apart) "
        f"in {time.time() - start:.0f} s"
    )
    if args.out:
        stored = {"profile": args.profile, "mutants": results, **rpt.provenance(profile=args.profile)}
        stored["environment"]["devices"] = "cpu"
        stored["command"] = "python -m spec mutants" + (f" --only {' '.join(names)}" if args.only else "")
        rpt.write_atomic(args.out, stored)
    return 0 if killed == len(results) else 1
