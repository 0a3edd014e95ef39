"""The recorder: one :class:`~spec.tools.results.Case` per test case, and the report at the end.

It only records: the outcome pytest gives each case, its device and target (the parameters the axes plugin,
``spec/helpers/axes.py``, gave it), the message from pytest's own crash report (or the skip/xfail reason as
given), and whether the case had nothing to check (the ``spec_not_applicable`` marker, or the reason carried
by :class:`spec.registry.NotApplicable`). Every rule that turns cases into a claim's status lives in
:mod:`spec.tools.results`. Loaded by the root ``conftest.py`` with the axes plugin, so plain ``pytest`` and
``python -m spec verify`` behave the same.

Under pytest-xdist each worker records the cases it ran and hands them, with its claims and environment, to the
controller at its end (``workeroutput``); the controller counts progress, merges what the workers recorded and
writes the one report. The controller collects nothing and never imports torch.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from spec import profiles
from spec.registry import NOT_APPLICABLE_MARKER, NotApplicable, claim_of
from spec.session import LOST, is_controller, is_worker
from spec.tools import claimset
from spec.tools import results as res

profiles.register()  # before hypothesis's own plugin reads --hypothesis-profile
MARKER = NOT_APPLICABLE_MARKER


def pytest_addoption(parser):
    group = parser.getgroup("spec")
    group.addoption(
        "--spec-report", default=None, metavar="PATH", help="write the claim-keyed JSON report to PATH (atomically)"
    )
    group.addoption(
        "--spec-progress", action="store_true", help="write 'spec-progress DONE TOTAL' lines to stderr (for verify)"
    )


class Recorder:
    """Collects one case per test item and writes the report at the end."""

    def __init__(self, config):
        self.config = config
        self.cases: dict = {}  # nodeid -> Case
        self.claims: dict = {}  # id -> Claim, for the selected items (on a controller: what ClaimResult reads)
        self.started = time.time()
        self.done = 0
        self.total = 0  # the cases collected (a controller: its first worker's count)
        self.env: dict = {}  # what the run ran on (a controller: the first worker's, gw0)
        self.order: dict = {}  # a controller: nodeid -> its place in the collection (cases in that order)
        self.ran: set = set()  # the cases this process ran (a worker collects every case and runs its share)
        self.lost: list = []  # a controller: the workers that ended without handing over their cases
        self.worker = is_worker(config)
        self.controller = is_controller(config)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        for item in items:
            c = claim_of(getattr(item, "obj", None))
            callspec = getattr(item, "callspec", None)
            params = callspec.params if callspec else {}
            marker = item.get_closest_marker(MARKER)
            self.cases[item.nodeid] = res.Case(
                nodeid=item.nodeid,
                claim=c.id if c else None,
                device=params.get("device"),
                target=params.get("spec_target", "eager"),
                not_applicable=marker.kwargs["reason"] if marker else None,
            )
            if c is not None:
                self.claims[c.id] = c
        self.total = len(items)

    @pytest.hookimpl(optionalhook=True)  # pytest-xdist's
    def pytest_xdist_node_collection_finished(self, node, ids):
        """A controller's total and the order of collection: every worker collects the same items."""
        if not self.total:
            self.total = len(ids)
            self.order = {nodeid: i for i, nodeid in enumerate(ids)}

    @pytest.hookimpl(optionalhook=True)  # pytest-xdist's
    def pytest_testnodedown(self, node, error):
        """A controller takes a worker's cases, claims and environment as it ends."""
        data = getattr(node, "workeroutput", {}).get(WORKER_KEY)
        if data is None:  # it crashed (pytest-xdist starts another): the cases it ran are lost with it
            if self.config.getoption("spec_report"):
                self.lost.append(f"{getattr(node, 'gateway', None) and node.gateway.id}: {error or 'no output'}")
            return
        data = json.loads(data)
        for case in data["cases"]:
            self.cases[case["nodeid"]] = res.Case(**case)
        self.cases = dict(sorted(self.cases.items(), key=lambda kv: self.order.get(kv[0], len(self.order))))
        for cid, fields in data["claims"].items():
            self.claims[cid] = SimpleNamespace(**fields)
        self.env = self.env or data["env"]

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """The reasons as given: a check that raised :class:`NotApplicable`, a skip's own message."""
        outcome = yield
        case = self.cases.get(item.nodeid)
        if case is None:
            return
        cases = getattr(item, "spec_cases", None)  # the item's cases and their verdicts (spec.helpers.verdicts)
        if cases is not None and call.when == "call":
            case.verdicts = {k: v for k, v in cases.counts().items() if v}
            failed = [c for c in cases.cases if c.verdict == "failed"]
            case.failing = [f"{c.label}: {c.message}" if c.label else c.message for c in failed][: res.KEEP]
            case.known_held = sum(1 for c in cases.cases if c.known_held)
            for c in cases.cases:
                if c.verdict == "known" and c.configuration:
                    case.configurations[c.configuration] = case.configurations.get(c.configuration, 0) + 1
            if failed:  # the first failing case names itself: the item, its configuration, then its error
                case.first = f"{item.name}: {case.failing[0]}"[:1000]
        if call.excinfo is None:
            return
        if call.excinfo.errisinstance(NotApplicable):
            case.not_applicable = call.excinfo.value.reason
            case.limit = call.excinfo.value.implementation
        elif call.excinfo.errisinstance(pytest.skip.Exception):
            outcome.get_result().spec_reason = call.excinfo.value.msg

    def pytest_runtest_logreport(self, report):
        if report.when == "teardown" and self.config.getoption("spec_progress") and not self.worker:
            self.done += 1
            sys.stderr.write(f"spec-progress {self.done} {self.total}\n")
            sys.stderr.flush()
        case = None if self.controller else self.cases.get(report.nodeid)
        if case is None:
            return
        self.ran.add(report.nodeid)
        case.duration += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            case.outcome, case.message = _outcome(report, case)
            if case.outcome == "failed" and case.first:
                case.message = case.first
        elif report.when == "teardown" and report.failed:
            case.outcome, case.message = "failed", _crash(report)

    def environment(self) -> dict:
        env = res.environment(
            profile=profiles.chosen(self.config.getoption("hypothesis_profile", None)),
            seed=_seed(self.config),
            devices=self.config.getoption("spec_device"),
            selection=_selection(self.config),
        )
        env.update(res.target_environment(self.config.getoption("spec_target")))
        env.update(res.implementation_environment())
        env["known"] = res.known_divergences()  # taken out again before the report is built
        return env

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session):
        """The first worker records the environment before its first case (importing Dynamo and onnxscript to
        tell whether the targets exist takes about 2 s): the cases queued for it meanwhile go to the others."""
        if self.worker and self.config.getoption("spec_report") and self.config.workerinput["workerid"] == "gw0":
            self.env = self.environment()

    def pytest_sessionfinish(self, session, exitstatus):
        path = self.config.getoption("spec_report")
        if not path or not self.claims and not self.worker:
            return
        if self.worker:  # handed to the controller (pytest_testnodedown); a worker's exit status is not the run's
            ran = [c for nodeid, c in self.cases.items() if nodeid in self.ran]
            mine = {c.claim for c in ran}  # every selected claim ran a case somewhere: the workers' union is all
            self.config.workeroutput[WORKER_KEY] = json.dumps(
                {
                    "cases": [vars(c) for c in ran],
                    "claims": {  # a digest reads the check's source (0.5 s for all): each worker its own share
                        cid: dict({k: getattr(c, k) for k in CLAIM_FIELDS}, digest=claimset.digest(c))
                        for cid, c in self.claims.items()
                        if cid in mine
                    },
                    "env": self.env,
                }
            )
            return
        if exitstatus not in (0, 1):
            return
        if self.lost:  # a report without their cases would leave claims out, or show a part as the whole
            sys.stderr.write(f"{LOST} ({'; '.join(self.lost)[:300]}); no report written\n")
            return
        env = dict(self.env) if self.controller else self.environment()
        known = env.pop("known", {})
        report = res.Report.build(list(self.cases.values()), self.claims, env, known)
        report.duration = round(time.time() - self.started, 2)
        report.write(Path(path))


#: where a worker's recording travels to the controller; what of a claim the controller's report needs
WORKER_KEY = "spec-recorder"
CLAIM_FIELDS = ("kind", "subject", "torch")


def _crash(rep) -> str:
    """The first line of pytest's own crash report (the exception and its message), else its last line."""
    crash = getattr(rep.longrepr, "reprcrash", None)
    if crash is not None and crash.message:
        return crash.message.splitlines()[0][:500]
    text = getattr(rep, "longreprtext", "") or str(rep.longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return (lines[-1] if lines else "failed")[:500]


def _outcome(rep, case) -> tuple:
    if hasattr(rep, "wasxfail"):
        if rep.skipped:
            return "xfailed", rep.wasxfail or None
        # a known divergence that now holds: passed (the report flags its entry as stale); else strict xfail
        return ("passed", None) if rep.passed else ("failed", "unexpectedly passed")
    if rep.passed:
        return "passed", None
    if rep.skipped:
        if case.not_applicable is not None:
            return "not-applicable", case.not_applicable
        return "skipped", getattr(rep, "spec_reason", None) or _skip_reason(rep)
    return "failed", _crash(rep)


def _skip_reason(rep) -> str:
    """A skip whose exception this plugin did not see (raised at collection): the reason pytest recorded."""
    return rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)


#: pyproject's default ``-m``: it leaves out the end-to-end tests (tests/), never a claim, so it narrows nothing.
DEFAULT_MARKERS = "not e2e"


def _selection(config):
    """What narrowed the run: ``-k``, ``-m`` and paths below ``spec/`` (a file, a test); None for every claim."""
    spec_dir = Path(__file__).resolve().parents[1]
    paths = []
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path != spec_dir and spec_dir in path.parents or "::" in arg:
            paths.append(os.path.relpath(path, config.rootpath) + arg[len(arg.split("::")[0]) :])
    chosen = {
        "keyword": config.getoption("keyword") or None,
        "markers": config.getoption("markexpr") if config.getoption("markexpr") != DEFAULT_MARKERS else None,
        "paths": paths or None,
    }
    return {k: v for k, v in chosen.items() if v} or None


def _seed(config):
    seed = config.getoption("hypothesis_seed", None)
    if seed is not None:
        return str(seed)
    name = profiles.chosen(config.getoption("hypothesis_profile", None))
    return "derandomized" if profiles.PROFILES[name]["derandomize"] else "random (printed on failure)"


def pytest_collection_finish(session):
    """An invalid registry (duplicate or missing id, no source, ...) stops the run, naming the ids."""
    from spec.registry import REGISTRY

    problems = REGISTRY.problems()
    if problems:
        raise pytest.UsageError("invalid claims:\n  " + "\n  ".join(problems))


def pytest_configure(config):
    config.pluginmanager.register(Recorder(config), "spec-recorder")
    if is_worker(config) and config.getoption("spec_report"):
        atexit.register(_skip_teardown)  # registered now, so it runs after every exit handler registered later


def _skip_teardown() -> None:
    """A worker of a recording run ends without the interpreter's teardown: it has handed its cases over, the
    exit handlers registered after it (Inductor's compile workers, ...) have run, and tearing down torch's modules
    takes about 0.7 s that the controller waits for at the end of every run."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
