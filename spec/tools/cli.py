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

    m = sub.add_parser("matrix", help="the claims x releases table of stored reports")
    m.add_argument("reports", type=Path, nargs="+")
    m.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    m.add_argument("--out", type=Path, help="write the table here (atomically) instead of stdout")
    return p


def main(argv=None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {
            "verify": verify,
            "claims": claims,
            "compare": compare_reports,
            "matrix": matrix_table,
            "docs": docs,
            "mutants": mutants,
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


def _check_writable(path: Path) -> None:
    """Fail early, and leave nothing behind, if the report cannot be written."""
    if path.exists() and path.is_dir():
        raise UsageError(f"report path {path} is a directory")
    folder = path.parent
    existing = folder
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write report to {path}: {existing} is not a writable folder")
    if folder.exists():
        try:
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".spec-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise UsageError(f"cannot write report to {path}: {e.strerror}") from None


def verify(args) -> int:
    # argument errors first: they must not wait for torch to import
    if args.device not in ("cpu", "cuda", "all"):
        raise UsageError(f"unknown device {args.device!r} (choose cpu, cuda or all)")
    profile = profiles.chosen(args.profile)
    if profile not in profiles.PROFILES:
        raise UsageError(f"unknown profile {profile!r} (choose {', '.join(profiles.PROFILES)})")
    # the registry is validated by the plugin in the pytest process (see pytest_stopped): importing
    # every topic here as well would only load torch and the claims twice
    path = args.report or Path("reports") / f"{_torch_version()}-{args.device}.json"
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
    failed = rpt.failed_claims(data)
    for cid in failed:
        print(f"FAILED {cid}: {data['claims'][cid]['first_failure']}")
    print(f"report: {path}")
    return 1 if failed else 0


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
    registry = spec.load_all()
    items = [c.as_dict() for c in registry]
    problems = registry.problems()
    if args.json:
        json.dump({"claims": items, "problems": problems}, sys.stdout, indent=1)
        print()
    else:
        for c in items:
            sources = "; ".join(s.get("file") or s.get("object") for s in c["sources"])
            errata = " [erratum]" if c["errata"] else ""
            print(f"{c['id']}  ({c['kind']}; {', '.join(c['modules'])}; torch {c['torch']}){errata}")
            print(f"    {c['statement']}")
            print(f"    sources: {sources}")
        print(f"{len(items)} claims")
    for p in problems:
        print(f"spec: invalid claim {p}", file=sys.stderr)
    return 1 if problems else 0


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

    table = compare.matrix(compare.load_many(args.reports))
    text = json.dumps(table, indent=1) + "\n" if args.json else compare.format_matrix_markdown(table)
    if args.out:
        _check_writable(args.out)
        rpt.write_text_atomic(args.out, text)
        print(f"matrix: {len(table['rows'])} claims x {len(table['columns'])} reports -> {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def docs(args) -> int:
    from spec.tools import docs as gen

    if not args.reports.is_dir():
        raise UsageError(f"no reports folder {args.reports}")
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
    _check_writable(args.out / "index.md")
    changed = gen.write(pages, args.out)
    print(f"docs: {len(pages)} pages in {args.out}, {len(changed)} changed")
    return 0


def _run_spec(profile: str, mutant=None) -> tuple:
    """One pytest run of the spec on cpu (with a mutant applied, if named): its report, and how each failed
    claim failed ({claim: {"assertion": [nodeid, ...], "crash": ["TypeError: ...", ...]}})."""
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


def _result(name: str, killers: list, crashes: dict) -> dict:
    """One mutant's entry in the results, printed as a row as it comes."""
    from spec.tools.mutants import CATALOGUE

    shown = ", ".join(killers[:3]) + (f" (+{len(killers) - 3})" if len(killers) > 3 else "")
    shown += f" [{len(crashes)} crashed]" if crashes else ""
    print(f"{name:32} {'yes' if killers else 'NO':>6}  {shown}", flush=True)
    description = CATALOGUE[name].description
    return {"description": description, "killed": bool(killers), "claims": killers, "crashes": crashes}


def mutants(args) -> int:
    import time
    from concurrent.futures import ThreadPoolExecutor

    from spec.tools.mutants import CATALOGUE

    if args.list:
        for m in CATALOGUE.values():
            print(f"{m.name:32} {m.description}")
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
        _check_writable(args.out)
    baseline = rpt.failed_claims(_run_spec(args.profile)[0])
    if baseline:
        raise UsageError(f"the spec fails without any mutant ({baseline[0]}): fix that first")
    results, start = {}, time.time()
    print(f"{'mutant':32} {'killed':>6}  claims failing on an assertion [crashes]")
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:  # each run is its own pytest process
        runs = {name: pool.submit(_run_spec, args.profile, name) for name in names}
        for name in names:
            results[name] = _result(name, *kills(*runs[name].result()))
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
