"""The pytest plugin: parametrizes devices, marks claims outside their torch range
not-applicable, and writes the claim-keyed report. (pytest itself collects the claim
modules, through ``python_files`` in ``pyproject.toml``.)

Loaded by the project's root ``conftest.py``, so plain ``pytest`` and
``python -m spec verify`` behave the same.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from spec.registry import DEVICES, TARGETS, NotApplicable, claim_of
from spec.tools import profiles
from spec.tools import report as rpt

profiles.register()  # before hypothesis's own plugin reads --hypothesis-profile
#: Set on a case whose claim's torch range excludes the installed torch: the reason it is not applicable.
NOT_APPLICABLE = pytest.StashKey[str]()


def pytest_addoption(parser):
    group = parser.getgroup("spec", "executable specification of torch's recurrent layers")
    group.addoption(
        "--spec-report",
        default=None,
        metavar="PATH",
        help="write the claim-keyed JSON report to PATH (atomically)",
    )
    group.addoption(
        "--spec-device",
        default="all",
        choices=("cpu", "cuda", "all"),
        help="which devices claims run on (default: all; cuda skips without a GPU)",
    )
    group.addoption(
        "--spec-target",
        default="eager",
        choices=TARGETS + ("all",),
        help="how claims run the module: eager, compile, export, script, onnx or all (default: eager)",
    )


def chosen_targets(config) -> tuple:
    choice = config.getoption("spec_target", "eager") or "eager"
    return TARGETS if choice == "all" else (choice,)


@pytest.fixture(autouse=True)
def spec_target(request):
    """The target a claim's modules run through (``--spec-target``; eager for everything else)."""
    name = getattr(request, "param", "eager")
    if name == "eager":
        yield name
        return
    from spec.helpers import targets

    targets.require(name)  # a target this release lacks: not applicable, with the reason
    with targets.using(name):
        yield name


def cuda_skip_reason():
    """Why cuda cases cannot run here, or None when they can."""
    import torch

    if torch.version.cuda is None:
        return f"cuda: torch {torch.__version__} is a CPU-only build"
    if not torch.cuda.is_available():
        return f"cuda: no CUDA device visible (torch built for CUDA {torch.version.cuda})"
    return None


def pytest_generate_tests(metafunc):
    """``device`` takes the devices chosen with ``--spec-device`` that the claim is bound to.

    A claim bound to a device that was not chosen still gets its case, skipped with that reason, so the
    report says why it did not run instead of leaving it out.
    """
    _parametrize_targets(metafunc)
    if "device" not in metafunc.fixturenames:
        return
    choice = metafunc.config.getoption("spec_device")
    chosen = DEVICES if choice == "all" else (choice,)
    c = claim_of(metafunc.function)
    bound = c.devices if c is not None else DEVICES
    params = []
    for device in bound:
        reason = None
        if device not in chosen:
            reason = f"{device}: not selected (--device {choice})"
        elif device == "cuda":
            reason = cuda_skip_reason()
        if device in chosen or not any(d in chosen for d in bound):
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            params.append(pytest.param(device, id=device, marks=marks))
    metafunc.parametrize("device", params)


def _parametrize_targets(metafunc):
    """``spec_target`` takes the chosen targets that the claim applies to; with eager alone nothing changes.

    A claim whose targets were not chosen (``--spec-target onnx`` for a repr claim) keeps one case, skipped
    with that reason, as for devices; the claims about the targets themselves (kind ``targets``) always run.
    """
    c = claim_of(metafunc.function)
    chosen = chosen_targets(metafunc.config)
    if c is None or chosen == ("eager",):
        return
    params = [pytest.param(t, id=t) for t in c.targets if t in chosen]
    if not params and c.kind == "targets":
        return  # the claims about the targets call them themselves: they run whichever target was chosen
    if not params:
        reason = f"{c.targets[0]}: not selected (--target {metafunc.config.getoption('spec_target')})"
        params = [pytest.param(c.targets[0], id=c.targets[0], marks=pytest.mark.skip(reason=reason))]
    metafunc.parametrize("spec_target", params, indirect=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    """Fewer hypothesis examples for a case under a target other than eager (``targets.EXAMPLES``)."""
    callspec = getattr(item, "callspec", None)
    target = callspec.params.get("spec_target", "eager") if callspec else "eager"
    fn = getattr(item.obj, "__func__", item.obj)
    current = getattr(fn, "_hypothesis_internal_use_settings", None)
    from spec.helpers.targets import max_examples

    limit = max_examples(profiles.chosen(item.config.getoption("hypothesis_profile", None)))
    if target == "eager" or current is None or limit is None or current.max_examples <= limit:
        yield
        return
    from hypothesis import settings

    fn._hypothesis_internal_use_settings = settings(current, max_examples=limit)
    try:
        yield
    finally:
        fn._hypothesis_internal_use_settings = current


class Recorder:
    """Collects one outcome per test case and writes the report at the end."""

    def __init__(self, config):
        self.config = config
        self.cases: dict = {}  # nodeid -> case dict
        self.claims: dict = {}  # id -> Claim, for the selected items
        self.started = time.time()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        import torch

        for item in items:
            c = claim_of(getattr(item, "obj", None))
            callspec = getattr(item, "callspec", None)
            device = callspec.params.get("device") if callspec else None
            target = callspec.params.get("spec_target", "eager") if callspec else "eager"
            self.cases[item.nodeid] = {
                "nodeid": item.nodeid,
                "claim": c.id if c else None,
                "device": device,
                "target": target,
                "outcome": "skipped",
                "message": None,
                "duration": 0.0,
            }
            if c is None:
                continue
            self.claims[c.id] = c
            if not c.applies_to(torch.__version__):
                reason = f"holds for torch{c.torch}; installed {torch.__version__}"
                item.stash[NOT_APPLICABLE] = self.cases[item.nodeid]["not_applicable"] = reason
                # first, so that it wins over a device skip: out of range is out of range everywhere
                item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"), append=False)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        """A check that called :func:`spec.registry.not_applicable` makes its case not-applicable."""
        yield
        case = self.cases.get(item.nodeid)
        if case is not None and call.excinfo is not None and call.excinfo.errisinstance(NotApplicable):
            case["not_applicable"] = str(call.excinfo.value.msg).replace("not applicable: ", "", 1)

    def pytest_runtest_logreport(self, report):
        case = self.cases.get(report.nodeid)
        if case is None:
            return
        case["duration"] += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            case["outcome"], case["message"] = _outcome(report, case.get("not_applicable"))
        elif report.when == "teardown" and report.failed:
            case["outcome"], case["message"] = "failed", _first_line(report)

    def pytest_sessionfinish(self, session, exitstatus):
        path = self.config.getoption("spec_report")
        if not path or not self.claims or exitstatus not in (0, 1):
            return
        env = rpt.environment(
            profile=profiles.chosen(self.config.getoption("hypothesis_profile", None)),
            seed=_seed(self.config),
            devices=self.config.getoption("spec_device"),
            selection=_selection(self.config),
        )
        env.update(rpt.target_environment(self.config.getoption("spec_target")))
        data = rpt.build(list(self.cases.values()), self.claims, env)
        _no_partial_holds(data, self.cases.values())
        data["duration"] = round(time.time() - self.started, 2)
        per_target: dict = {}
        for case in self.cases.values():
            if case["claim"]:
                per_target[case["target"]] = per_target.get(case["target"], 0.0) + case["duration"]
        data["target_durations"] = {t: round(sec, 2) for t, sec in per_target.items()}  # seconds of claim cases
        rpt.write_atomic(Path(path), data)


def _no_partial_holds(data: dict, cases) -> None:
    """A case with no outcome recorded for this torch (``not_applicable()`` inside a claim in range) never
    counts toward "passed": a claim whose other cases passed held only in part, so it is reported skipped,
    with the cases that had nothing to check named (give them an outcome, or split the claim by range).

    Only the claim's own (eager) cases count: a case that a target other than eager cannot take, or that runs
    through a target the release does not have, is not applicable under that target (the report's per-target
    status says so) and leaves the claim's own outcome alone."""
    for cid, entry in data["claims"].items():
        empty = [
            c
            for c in cases
            if c["claim"] == cid and c["outcome"] == "not-applicable" and (c.get("target") or "eager") == "eager"
        ]
        if entry["status"] != "passed" or not empty:
            continue
        names = ", ".join(c["nodeid"].split("::")[-1] for c in empty[:3]) + (" ..." if len(empty) > 3 else "")
        entry["status"] = "skipped"
        entry["reason"] = f"held only in part: {len(empty)} of {entry['cases']} cases have no outcome here ({names})"
        for c in empty:
            if entry["devices"].get(c["device"] or "none") == "passed":
                entry["devices"][c["device"] or "none"] = "skipped"


def _first_line(rep) -> str:
    text = getattr(rep, "longreprtext", "") or str(rep.longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("E ")]
    return (errors[0][2:].strip() if errors else (lines[-1] if lines else "failed"))[:500]


def _outcome(rep, not_applicable=None):
    if hasattr(rep, "wasxfail"):
        return ("xfailed", rep.wasxfail or None) if rep.skipped else ("failed", "unexpectedly passed")
    if rep.passed:
        return "passed", None
    if rep.skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason[len("Skipped: ") :] if reason.startswith("Skipped: ") else reason
        if not_applicable is not None:
            return "not-applicable", not_applicable
        return "skipped", reason
    return "failed", _first_line(rep)


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


def share_cores() -> None:
    """Under pytest-xdist (``pytest -n 2``), give each worker its share of the cores as intra-op threads: two
    workers with torch's default (every core each) would oversubscribe the machine, and the claims' tensors
    are far below the size where a second thread pays for its start-up and spin-waiting."""
    workers = os.environ.get("PYTEST_XDIST_WORKER_COUNT")
    if workers:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(workers)))


def pytest_configure(config):
    from spec.helpers import targets

    share_cores()
    targets.configure(chosen_targets(config), profiles.chosen(config.getoption("hypothesis_profile", None)))
    config.pluginmanager.register(Recorder(config), "spec-recorder")
