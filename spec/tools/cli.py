"""``python -m spec``: verify the installed torch (or another implementation of its recurrent API), list the
registry, compare reports, tabulate them, draft upstream issues from a report, make the docs, run the mutants,
measure coverage.

``verify``, ``claims``, ``compare``, ``matrix`` and ``drafts`` run the same from an installed wheel, in any folder
(reports go under ``./reports`` unless ``--report`` says where); ``docs``, ``mutants`` and ``coverage`` need a
checkout (its docs/, its reports/, its tests) and say so in one line, exit 2, from a wheel.

This module parses and dispatches; each command's work is in the module it names. Exit codes: 0 every selected
claim held; 1 a claim failed or regressed (or the registry is invalid, for ``claims``); 2 bad input (a one-line
error, nothing written); 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (the pytest child stopped too, nothing left
behind).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional

import spec
from reference.common.files import cannot_write
from spec import profiles, version
from spec.registry import DEVICE_TYPES
from spec.registry import TARGETS as REGISTRY_TARGETS
from spec.session import LOST
from spec.tools import runner
from spec.tools.results import ReportError

SPEC_DIR = Path(spec.__file__).resolve().parent
ROOT = SPEC_DIR.parent
DEVICES = DEVICE_TYPES + ("all",)
TARGETS = REGISTRY_TARGETS + ("all",)


class UsageError(Exception):
    """Bad input to the CLI: printed as one line, exit 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage + message
        # "argument --device: invalid choice: 'tpu' (choose from ...)" -> "unknown device 'tpu' (choose from ...)"
        match = re.match(r"argument --(\w+): invalid choice: (.*)", message)
        raise UsageError(f"unknown {match.group(1)} {match.group(2)}" if match else message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m spec", description=__doc__.splitlines()[0])
    p.add_argument("--version", action=_Version, help="the suite's version and git revision, and where it runs from")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    profile = dict(choices=tuple(profiles.PROFILES), help=f"hypothesis profile: {', '.join(profiles.PROFILES)}")

    v = sub.add_parser("verify", help="run the spec on the installed torch and write a report")
    v.add_argument(
        "--report", type=Path, help="report path (default: reports/<torch>-<device>.json under the current folder)"
    )
    v.add_argument(
        "--device",
        default="all",
        choices=DEVICES,
        help="a device type, or all (default all: cpu, cuda "
        "and any other accelerator; a device type this machine lacks skips with the reason)",
    )
    v.add_argument("--target", default="eager", choices=TARGETS, help="how claims run the module (default eager)")
    v.add_argument(
        "--impl",
        default=None,
        metavar="NAME|MODULE:ATTR",
        help="the implementation under test (default $RNN_SPEC_IMPL, else torch): torch, opacus, torchrl, "
        "ao-quantizable, ao-dynamic-qint8, ao-dynamic-float16, or MODULE:ATTR naming an adapter",
    )
    v.add_argument(
        "--known",
        type=Path,
        default=None,
        metavar="FILE",
        help="known divergences kept in your repository (the schema of spec/implementations/known/*.json); it "
        "replaces the adapter's own file (default $RNN_SPEC_KNOWN)",
    )
    v.add_argument(
        "-k",
        dest="keyword",
        help="only these claims: a pytest -k expression, in which a claim ID (rnn.errors.input) selects that claim",
    )
    v.add_argument("--profile", default=None, **profile)
    v.add_argument("--quiet", "-q", action="store_true", help="print only the summary table")
    v.add_argument(
        "--jobs",
        "-j",
        type=_jobs,
        default=None,
        metavar="N",
        help="pytest processes the claims run in (default: one per core, at most 4, with pytest-xdist "
        "installed; 1: this process alone)",
    )

    c = sub.add_parser("claims", help="list the registry without running anything")
    c.add_argument("--json", action="store_true", help="JSON instead of a table")

    cmp = sub.add_parser(
        "compare", help="claims whose status changed between two reports (exit 1 on a regression or on lost coverage)"
    )
    cmp.add_argument("old", type=Path, help="a report, or a folder of reports: its newest torch release")
    cmp.add_argument("new", type=Path)
    cmp.add_argument("--json", action="store_true", help="JSON instead of text")
    cmp.add_argument(
        "--allow-lost",
        action="store_true",
        help="accept, knowingly, claims of OLD missing from NEW or no longer passing",
    )
    cmp.add_argument(
        "--across-implementations",
        action="store_true",
        help="compare reports of two implementations claim for claim (refused otherwise)",
    )

    mu = sub.add_parser(
        "mutants", help="run the spec against simulated torch regressions; exit 1 if one survives (checkout only)"
    )
    mu.add_argument("--only", nargs="+", metavar="NAME", help="only these mutants (see --list)")
    mu.add_argument("--list", action="store_true", help="list the catalogue and exit")
    mu.add_argument("--profile", default="quick", choices=tuple(profiles.PROFILES), help="default quick")
    mu.add_argument("--out", type=Path, help="write the results as JSON here (atomically), e.g. reports/mutants.json")
    mu.add_argument("--jobs", type=int, default=1, help="run this many mutants at a time (default 1)")

    d = sub.add_parser("docs", help="regenerate docs/ from the registry and the stored reports (checkout only)")
    d.add_argument("--reports", type=Path, default=ROOT / "reports", help="the reports folder (default reports/)")
    d.add_argument("--out", type=Path, default=ROOT / "docs", help="docs folder")
    d.add_argument("--check", action="store_true", help="only say whether docs/ is fresh (exit 1 if not)")
    d.add_argument(
        "--torch-docs",
        action="store_true",
        help="make the torch-docs pages from the installed torch even if they were made with another",
    )

    cv = sub.add_parser(
        "coverage", help="which lines and branches of torch's recurrent Python code the claims run (checkout only)"
    )
    cv.add_argument("--out", type=Path, help="where to store it (default reports/coverage/<torch-version>.json)")
    cv.add_argument("-k", dest="keyword", help="only claims whose test matches this pytest -k expression")
    cv.add_argument("--claims", type=Path, help="only the claims in this module or folder of spec/ (default: all)")
    cv.add_argument("--profile", default="ci", choices=tuple(profiles.PROFILES), help="default ci")

    rf = sub.add_parser("refresh", help="make every stored result again that this machine can (resumable)")
    rf.add_argument("--list", action="store_true", help="list the steps, what each makes and its command")
    rf.add_argument("--only", nargs="+", metavar="STEP", help="the steps to run (glob patterns: 'matrix/*')")
    rf.add_argument("--again", action="store_true", help="run steps already made at today's claim set too")
    rf.add_argument("--reports", type=Path, default=ROOT / "reports", help="the reports folder")
    m = sub.add_parser("matrix", help="the claims x releases table of stored reports")
    m.add_argument("reports", type=Path, nargs="+")
    m.add_argument("--format", default="text", choices=("text", "markdown", "json"), help="default text")
    m.add_argument("--json", action="store_true", help="the same as --format json")
    m.add_argument("--target", default="eager", choices=TARGETS, help="the target column groups (default eager)")
    m.add_argument("--out", type=Path, help="write the table here (atomically) instead of stdout")

    dr = sub.add_parser(
        "drafts", help="from one report, an issue draft per cause of its failures and known divergences (Markdown)"
    )
    dr.add_argument("report", type=Path)
    dr.add_argument("--out", type=Path, default=Path("drafts"), help="the folder to write them in (default drafts/)")
    dr.add_argument(
        "--install",
        default=None,
        metavar="PIP-ARGS",
        help="what the repro pip-installs beside torch (default: rnn-spec at the report's version and the "
        "implementation's packages at the versions the report recorded)",
    )
    return p


class _Version(argparse.Action):
    """``--version``: computed when asked (it may run git), then exit 0."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(version.describe())
        parser.exit(0)


def main(argv=None) -> int:
    # SIGINT, SIGTERM and SIGHUP stop any command the same way, whenever they come (also to a job a script started
    # in the background, which begins with SIGINT ignored): a temporary folder is removed on the way out, one line
    # says so, and the exit code is 128 + the signal's number
    if sys.stdout is None:  # started with its output closed (`>&-`): what it prints would go nowhere, or into a file
        if sys.stderr is not None:
            print("spec: error: standard output is closed (send it somewhere: >/dev/null)", file=sys.stderr)
        return 2
    handle = threading.current_thread() is threading.main_thread()
    previous = {s: signal.signal(s, _stop) for s in runner.SIGNALS} if handle else {}
    try:
        return _main(argv)
    except runner.Stopped as e:  # between two steps, outside _main's own handling
        print(f"\nspec: stopped ({e}); nothing written", file=sys.stderr)
        return e.code
    except BrokenPipeError:
        # the reader went away (`python -m spec claims | head -1`): stop writing, quietly; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("\nspec: stopped (SIGINT)", file=sys.stderr)
        return 130
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _stop(signum, frame):
    raise runner.Stopped(signum)


def _main(argv=None) -> int:
    commands = {
        "verify": verify,
        "claims": claims,
        "compare": compare_reports,
        "matrix": matrix_table,
        "docs": docs,
        "mutants": mutants,
        "coverage": coverage,
        "drafts": drafts,
        "refresh": _refresh,
    }
    try:
        args = _parser().parse_args(argv)
        if args.command not in commands:
            raise UsageError(f"a command is required: {', '.join(commands)} (see --help)")
        if args.command in CHECKOUT_ONLY and version.checkout() is None:
            raise UsageError(
                f"{args.command} needs a checkout of rnn-spec (its docs/, reports/ and tests/); this one is installed "
                f"at {SPEC_DIR}: git clone the repository and run it there"
            )
        return commands[args.command](args)
    except (ReportError, UsageError) as e:
        print(f"spec: error: {e}", file=sys.stderr)
        return 2
    except runner.Stopped as e:
        print(f"\nspec: stopped ({e}); nothing written", file=sys.stderr)
        return e.code
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


#: the commands that read or write the checkout's own folders (docs/, reports/, tests/): refused from a wheel
CHECKOUT_ONLY = ("docs", "mutants", "coverage", "refresh")


def _refresh(args) -> int:
    from spec.tools import refresh

    return refresh.command(args)


def _check_writable(path: Path, what: str = "report") -> None:
    """Fail early, and leave nothing behind, if ``path`` cannot be written: before any work starts."""
    problem = cannot_write(path)
    if problem:
        raise UsageError(f"cannot write {what} to {path}: {problem}")


# --- verify ------------------------------------------------------------------------------------------------------
def installed_torch() -> str:
    """The installed torch's version with its build tag (``2.15.0+cu132``), read from ``torch/version.py`` without
    importing torch (the package metadata drops the tag)."""
    import importlib.util

    found = importlib.util.find_spec("torch")
    if found is None or not found.submodule_search_locations:
        raise UsageError("torch is not installed")
    text = Path(found.submodule_search_locations[0], "version.py").read_text(encoding="utf-8", errors="replace")
    match = re.search(r"""^__version__\s*=\s*['"]([^'"]+)['"]""", text, re.M)
    if not match:
        from importlib import metadata

        return metadata.version("torch")
    return match.group(1)


def impl_text(given) -> str:
    """What names the implementation under test: ``--impl``, else $RNN_SPEC_IMPL, else ``torch``."""
    return (given or os.environ.get("RNN_SPEC_IMPL") or "torch").strip()


def resolve_impl(text):
    """The implementation named by ``--impl`` or $RNN_SPEC_IMPL (None: torch), checked before any work: an adapter
    whose own code raises (building it, ``unavailable()``, ``versions()``) is a one-line error naming it."""
    text = impl_text(text)
    if text == "torch":
        return None
    from spec.tools.results import resolve_implementation

    try:
        impl = resolve_implementation(text)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for method in ("unavailable", "versions"):
        try:
            answer = getattr(impl, method)()
        except Exception as e:  # the adapter's own code
            first = str(e).strip().splitlines()[0] if str(e).strip() else ""
            raise UsageError(
                f"implementation {impl.name} ({text}): its {method}() raised {type(e).__name__}"
                + (f": {first}" if first else "")
            ) from None
        if method == "unavailable" and answer:
            raise UsageError(f"implementation {impl.name}: {answer}")
    return impl


def _jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"a whole number of processes, 1 or more, not {text!r}")
    return int(text)


def jobs(chosen) -> int:
    """How many pytest processes verify runs the claims in: ``--jobs``, at most one per core this process may use
    (more only crowd the cores: a larger number is capped, saying so in one line), else one per core, at most
    :data:`MAX_JOBS` (each worker imports torch and collects every claim: beyond four the start-up costs more than
    the cases share), and 1 where pytest-xdist is not installed."""
    from importlib.util import find_spec

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if chosen is not None:
        if chosen > cores:
            print(f"spec: --jobs {chosen} is more than the {cores} cores here: running {cores}", file=sys.stderr)
            chosen = cores
        if chosen > 1 and find_spec("xdist") is None:
            raise UsageError(f"--jobs {chosen} needs pytest-xdist (pip install pytest-xdist, or --jobs 1)")
        return chosen
    return min(cores, MAX_JOBS) if find_spec("xdist") is not None else 1


MAX_JOBS = 4


def default_report(device: str, target: str = "eager", impl=None, torch: Optional[str] = None) -> Path:
    """reports/<torch>-<device>.json; through targets, reports/targets/...; another implementation,
    reports/implementations/<name>-<torch>-<device>.json (``torch``: the installed one unless given)."""
    torch = torch or installed_torch()
    if impl is not None:
        return Path("reports") / "implementations" / f"{impl.name.replace(':', '-')}-{torch}-{device}.json"
    if target == "eager":
        return Path("reports") / f"{torch}-{device}.json"
    return Path("reports") / "targets" / f"{torch}-{device}{'' if target == 'all' else '-' + target}.json"


def verify(args) -> int:
    from spec.tools import summary
    from spec.tools.results import Report

    profile = profiles.chosen(args.profile)
    if profile not in profiles.PROFILES:  # $SPEC_PROFILE
        raise UsageError(f"unknown profile {profile!r} (choose {', '.join(profiles.PROFILES)})")
    from reference.common.shapemode import read as shape_checks  # without importing torch

    problem = shape_checks()[1]
    if problem:
        raise UsageError(problem)
    # the text, not the adapter's name: the pytest process resolves it again (MODULE:ATTR, as given)
    text = impl_text(args.impl)
    processes = jobs(args.jobs)
    keyword_problem(args.keyword)
    impl = resolve_impl(text)
    known = known_file(args.known)
    known_rules(known or (impl.known if impl is not None else None))
    path = args.report or default_report(args.device, args.target, impl)
    _check_writable(path)
    # pytest runs in a fresh interpreter (so the claims' asserts are rewritten) and writes a temp report; only a
    # complete run is copied into place, atomically
    with tempfile.TemporaryDirectory(prefix="spec-verify-") as tmp:
        tmp_report = Path(tmp) / "report.json"
        ini = Path(tmp) / "pytest.ini"
        ini.write_text(runner.INI, encoding="utf-8")
        cmd = runner.pytest_command(
            report=tmp_report,
            device=args.device,
            target=args.target,
            impl=text,
            profile=profile,
            keyword=args.keyword,
            # pytest's log capture attaches a handler to each of torch's many non-propagating loggers three times a
            # case, and its unraisable-exception check runs five full garbage collections as each process ends
            # (about 2 s of the ci profile's 25 s of work, for nothing a claim reads: warnings are off too)
            extra=["-q", "--tb=short", "-p", "no:warnings", "-p", "no:logging", "-p", "no:unraisableexception"]
            + ["--spec-progress"]
            + (["-n", str(processes)] if processes > 1 else ["-p", "no:xdist"]),
            inifile=ini,
            known=known,
        )
        progress = summary.Progress(enabled=not args.quiet)
        # the run's own temporary files (pytest's, its workers', torch's caches) go in this folder, and with it; it
        # runs in this folder, so an adapter module here imports there as it did here
        # and an installed suite reports the revision its wheel recorded
        installed = {version.ENV: version.revision()} if version.checkout() is None else {}
        env = runner.environ(TMPDIR=tmp, **installed)
        code, out, err = runner.run(cmd, env=env, on_line=progress.line, cwd=Path.cwd())
        progress.done()
        lost = [line for line in err.splitlines() if line.startswith(LOST)]
        if lost:  # a worker crashed (a segfault in torch, killed for memory): no partial report
            raise UsageError(lost[0][len("spec: ") :] + " (rerun with --jobs 1 to see where)")
        if code == 5 or (code in (0, 1) and not tmp_report.exists()):
            raise UsageError(f"-k {args.keyword!r} selects no claim" if args.keyword else "no claim collected")
        if code not in (0, 1):
            raise UsageError(pytest_stopped(code, err or out))
        report = Report.load(tmp_report)
        # the import path the run was given, which a repro needs (the adapter's name alone does not import)
        report.environment["implementation"].setdefault("adapter", text)
        report.write(path)
    if code == 1 and not args.quiet:
        sys.stdout.write(summary.failure_details(out))
    print(summary.table(report))
    if not args.quiet:
        for line in summary.explanations(report):
            print(line)
    for line in summary.flags(report):
        print(line)
    if not args.quiet:
        print(f"report: {path}")
    return 1 if report.failed() else 0


def known_file(given) -> Path:
    """``--known`` (else $RNN_SPEC_KNOWN) as an absolute path, checked to be a JSON object before any work (the
    pytest process checks its entries against the rules, and stops in one line if one breaks them); None: the
    adapter's own file."""
    given = given or os.environ.get("RNN_SPEC_KNOWN") or None
    if given is None:
        return None
    path = Path(given).resolve()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"--known {given}: {e.strerror or e}") from None
    except ValueError as e:  # not UTF-8, not JSON
        raise UsageError(f"--known {given}: not a JSON file ({str(e).splitlines()[0]})") from None
    if not isinstance(data, dict):
        raise UsageError(f"--known {given}: not a known-divergence file (a JSON object with 'divergences')")
    return path


def known_rules(path) -> None:
    """The known-divergence file in force (``--known``, else the adapter's own, else torch's) checked against its
    rules here, before any worker starts: a broken entry, or one naming a claim that does not exist, is one line
    (the pytest session's own check, :func:`spec.pytest_plugin.known_file_problem`)."""
    from spec.pytest_plugin import known_file_problem
    from spec.tools.results import resolve_implementation

    path = Path(path) if path is not None else resolve_implementation("torch").known
    if not (path.exists() or path.is_symlink()):
        return  # none: nothing known (an adapter's own file is optional)
    problem = known_file_problem(str(path))
    if problem:
        raise UsageError(problem.replace(f"{path}: {path}: ", f"{path}: ", 1))


def keyword_problem(keyword) -> None:
    """A ``-k`` expression pytest cannot parse, named here in one line (under workers pytest's own message is lost)."""
    if not keyword:
        return
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # another pytest: it says so itself, and pytest_stopped passes that on
        return
    try:
        Expression.compile(keyword)
    except Exception as e:  # ParseError (pytest < 9) or SyntaxError: the expression's own fault, in pytest's words
        where = f" at column {e.column}" if getattr(e, "column", None) else ""
        what = getattr(e, "message", None) or getattr(e, "msg", None) or str(e)
        raise UsageError(f"-k {keyword!r} is not a keyword expression ({what}{where})") from None


def pytest_stopped(code: int, text: str) -> str:
    """One line for a pytest run that ended before the report: an invalid registry, a usage error pytest gave (an
    option's value, a known-divergence file that breaks its rules), the exception that stopped it (under workers
    pytest prints it inside an INTERNALERROR or a worker's crash), or, failing all these, its last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if any(ln.endswith("invalid claims:") for ln in lines):
        first = lines[next(i for i, ln in enumerate(lines) if ln.endswith("invalid claims:")) + 1]
        return f"the registry is invalid: {first} (python -m spec claims lists all)"
    usage = [ln[len("ERROR: ") :] for ln in lines if ln.startswith("ERROR: ") and not ln.endswith(":")]
    if usage:
        return usage[0]
    raised = [m.group(1) for m in map(RAISED.match, lines) if m]
    last = raised[-1] if raised else lines[-1] if lines else "no output"
    return f"pytest stopped before the end (exit {code}): {last[:300]}; no report written"


#: an exception's closing line in pytest's output, maybe inside an INTERNALERROR or a ``E   `` line of a report
RAISED = re.compile(r"(?:INTERNALERROR>\s*)?(?:E\s+)?((?:[A-Za-z_]\w*\.)*[A-Z]\w*(?:Error|Exception|Exit)\b.*)")


# --- claims ------------------------------------------------------------------------------------------------------
def claims(args) -> int:
    from spec.sources import docstrings
    from spec.tools import summary

    registry = spec.load_all()
    items = [c.as_dict() for c in registry]
    problems = registry.problems()
    walk = {
        "torch": installed_torch(),
        "coverage": docstrings.coverage(),
        "unmapped": docstrings.unmapped(),
        "problems": docstrings.walk_problems([c.id for c in registry]),
    }
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
        print(summary.docstring_coverage(walk))
    for p in problems:
        print(f"spec: invalid claim {p}", file=sys.stderr)
    for p in walk["problems"]:
        print(f"spec: invalid docstring walk entry {p}", file=sys.stderr)
    for p in walk["unmapped"]:
        print(f"spec: unmapped docstring statement {p}", file=sys.stderr)
    return 1 if problems or walk["problems"] or walk["unmapped"] else 0


# --- coverage ----------------------------------------------------------------------------------------------------
def coverage(args) -> int:
    from spec.tools import coverage as cov
    from spec.tools.results import write_json

    target = (args.claims or SPEC_DIR).resolve()
    if not target.exists() or not (target == SPEC_DIR or SPEC_DIR in target.parents):
        raise UsageError(f"--claims {args.claims} is not a module or folder of {SPEC_DIR}")
    path = args.out or ROOT / "reports" / "coverage" / f"{installed_torch()}.json"
    _check_writable(path)
    try:
        data = cov.result(args.keyword, args.profile, target)
    except cov.CoverageError as e:
        raise UsageError(str(e)) from None
    write_json(path, data)
    print(cov.format_table(data))
    print(f"claims: {data['pytest']}")
    print(f"coverage: {path}")
    return 0


# --- compare and matrix --------------------------------------------------------------------------------------------
def compare_reports(args) -> int:
    from spec.tools import compare
    from spec.tools.results import Report

    _regular(args.new, *([] if args.old.is_dir() else [args.old]))
    old = _newest(args.old) if args.old.is_dir() else Report.load(args.old)
    new = Report.load(args.new)
    try:
        diff = compare.compare(old, new, across_implementations=args.across_implementations)
    except compare.NotComparable as e:
        raise UsageError(str(e)) from None
    if args.json:
        json.dump(diff, sys.stdout, indent=1)
        print()
    else:
        print(compare.format_comparison(old, new, diff))
    code = compare.exit_code(diff, allow_lost=args.allow_lost)
    if code and not diff["regressions"]:
        print(
            "spec: coverage lost: claims of the old report are missing or no longer pass (--allow-lost accepts that)",
            file=sys.stderr,
        )
    return code


def _newest(folder: Path):
    """The report of the newest torch release in ``folder`` (the newest stored report, to compare a new one with)."""
    from spec.tools.results import load_many

    paths = sorted(folder.glob("*.json"))
    if not paths:
        raise UsageError(f"no report in {folder}")
    _regular(*paths)
    newest = load_many(paths)[-1]
    print(f"old: {newest.path} (the newest of {len(paths)} in {folder})", file=sys.stderr)
    return newest


def _regular(*paths) -> None:
    """A report that is a FIFO (its read would wait for a writer for ever), a socket or a device is refused."""
    for path in paths:
        if path.exists() and not path.is_file():
            raise UsageError(f"{path}: not a report file ({'a folder' if path.is_dir() else 'not a regular file'})")


def matrix_table(args) -> int:
    from spec.tools import render
    from spec.tools.matrix import Matrix
    from spec.tools.results import load_many, write_text

    if args.out:
        _check_writable(args.out, "the matrix")
    fmt = "json" if args.json else args.format
    _regular(*args.reports)
    reports = load_many(args.reports)
    table = Matrix.build(reports, targets=None if args.target == "all" else (args.target,))
    text = render.matrix(table, fmt)
    if args.out:
        write_text(args.out, text)
        print(f"matrix: {len(table.rows)} claims x {len(table.columns)} columns -> {args.out}")
    else:
        sys.stdout.write(text)
    return 0


# --- docs --------------------------------------------------------------------------------------------------------
def docs(args) -> int:
    from spec.tools.docs import site

    if not args.reports.is_dir():
        raise UsageError(f"no reports folder {args.reports}")
    if not (args.reports / "matrix").is_dir() or not any((args.reports / "matrix").glob("*.json")):
        raise UsageError(f"{args.reports} holds no reports/matrix/*.json: --reports names the reports folder")
    problem = site.input_problem(args.reports, args.out)
    if problem:
        raise UsageError(problem)
    readme = site.readme(args.reports, args.out)  # (path, text) of the README's rendered samples, or None
    if not args.check:
        _check_writable(args.out / "index.md", "docs")
        if readme:
            _check_writable(readme[0], "the README")
    pages = site.build(args.reports, args.out, torch_docs=args.torch_docs, record=not args.check)
    if args.check:
        from spec.tools.docs.common import claim_set, outdated_figures

        stale = site.stale(pages, args.out) + ([readme[0]] if readme and not site.fresh(*readme) else [])
        for rel in stale:
            print(f"stale: {args.out / rel}", file=sys.stderr)
        for line in outdated_figures(args.reports, claim_set()):
            print(f"outdated: {line}: re-run the command it names", file=sys.stderr)
        if stale:
            print("spec: docs are not fresh: run python -m spec docs", file=sys.stderr)
        return 1 if stale else 0
    changed = site.write(pages, args.out)
    if readme and not site.fresh(*readme):
        from spec.tools import results as res

        res.write_text(*readme)
        changed.append(readme[0].name)
    print(f"docs: {len(pages)} pages in {args.out}, {len(changed)} changed")
    return 0


# --- mutants -----------------------------------------------------------------------------------------------------
def mutants(args) -> int:
    from spec.tools.mutants import campaign
    from spec.tools.mutants.catalogue import CATALOGUE
    from spec.tools.results import provenance, write_json

    if args.list:
        for m in CATALOGUE.values():
            via = (
                f" (--target {m.target})" if m.target != "eager" else f" (--impl {m.impl})" if m.impl != "torch" else ""
            )
            print(f"{m.name:32} {m.description}{via}")
        return 0
    names = args.only or list(CATALOGUE)
    unknown = [n for n in names if n not in CATALOGUE]
    if unknown:
        raise UsageError(f"unknown mutant {unknown[0]!r} (python -m spec mutants --list)")
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, not {args.jobs}")
    if args.out:
        _check_writable(args.out, "the results")
    try:
        results = campaign.campaign(names, args.profile, args.jobs)
    except campaign.CampaignError as e:
        raise UsageError(str(e)) from None
    if args.out:
        stored = {"profile": args.profile, "mutants": results, **provenance(profile=args.profile)}
        stored["environment"]["devices"] = "cpu"
        stored["command"] = "python -m spec mutants" + (f" --only {' '.join(names)}" if args.only else "")
        write_json(args.out, stored)
    return 1 if campaign.survivors(results) else 0


# --- drafts ------------------------------------------------------------------------------------------------------
def drafts(args) -> int:
    from importlib.util import find_spec

    from spec.tools import drafts as upstream
    from spec.tools.results import Report

    _regular(args.report)
    report = Report.load(args.report)
    _check_writable(args.out / "README.md", "the drafts")
    statements = {}
    if find_spec("torch") is not None:  # the claims' statements, where the registry can be loaded
        statements = {c.id: c.statement for c in spec.load_all()}
    paths = upstream.write(report, args.out, install=args.install, statements=statements)
    print(f"drafts: {len(paths)} cause(s) in {args.out}" + ("" if paths else " (nothing failed or known)"))
    for p in paths:
        print(f"  {p}")
    return 0
