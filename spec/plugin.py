"""The pytest plugin: collects the topic modules, parametrizes devices, marks claims
outside their torch range not-applicable, and writes the claim-keyed report.

Loaded by the project's root ``conftest.py``, so plain ``pytest`` and
``python -m spec verify`` behave the same.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import spec
from spec import profiles
from spec import report as rpt
from spec.registry import claim_of

SPEC_DIR = Path(spec.__file__).resolve().parent
profiles.register()  # before hypothesis's own plugin reads --hypothesis-profile
DEVICES = ("cpu", "cuda")


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


def cuda_skip_reason():
    """Why cuda cases cannot run here, or None when they can."""
    import torch

    if torch.version.cuda is None:
        return f"cuda: torch {torch.__version__} is a CPU-only build"
    if not torch.cuda.is_available():
        return f"cuda: no CUDA device visible (torch built for CUDA {torch.version.cuda})"
    return None


def pytest_collect_file(file_path, parent):
    """Claims live in ``spec/<topic>.py`` (named in ``spec.TOPICS``), not ``test_*.py``."""
    path = Path(file_path)
    if path.suffix != ".py" or path.resolve().parent != SPEC_DIR or path.stem not in spec.TOPICS:
        return None
    if parent.session.isinitpath(path):  # named on the command line: pytest collects it itself
        return None
    return pytest.Module.from_parent(parent, path=path)


def pytest_generate_tests(metafunc):
    if "device" not in metafunc.fixturenames:
        return
    choice = metafunc.config.getoption("spec_device")
    params = []
    if choice in ("cpu", "all"):
        params.append(pytest.param("cpu", id="cpu"))
    if choice in ("cuda", "all"):
        reason = cuda_skip_reason()
        marks = [pytest.mark.skip(reason=reason)] if reason else []
        params.append(pytest.param("cuda", id="cuda", marks=marks))
    metafunc.parametrize("device", params)


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
            self.cases[item.nodeid] = {
                "nodeid": item.nodeid,
                "claim": c.id if c else None,
                "device": device,
                "outcome": "skipped",
                "message": None,
                "duration": 0.0,
            }
            if c is None:
                continue
            self.claims[c.id] = c
            if not c.applies_to(torch.__version__):
                reason = f"{rpt.NOT_APPLICABLE} holds for torch{c.torch}; installed {torch.__version__}"
                # first, so that it wins over a device skip: out of range is out of range everywhere
                item.add_marker(pytest.mark.skip(reason=reason), append=False)

    def pytest_runtest_logreport(self, report):
        case = self.cases.get(report.nodeid)
        if case is None:
            return
        case["duration"] += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            case["outcome"], case["message"] = _outcome(report)
        elif report.when == "teardown" and report.failed:
            case["outcome"], case["message"] = "failed", _first_line(report)

    def pytest_sessionfinish(self, session, exitstatus):
        path = self.config.getoption("spec_report")
        if not path or not self.claims or exitstatus not in (0, 1):
            return
        env = rpt.environment(
            profile=profiles.chosen(self.config.getoption("hypothesis_profile", None)),
            seed=_seed(self.config),
        )
        env["devices"] = self.config.getoption("spec_device")
        data = rpt.build(list(self.cases.values()), self.claims, env)
        data["duration"] = round(time.time() - self.started, 2)
        rpt.write_atomic(Path(path), data)


def _first_line(rep) -> str:
    text = getattr(rep, "longreprtext", "") or str(rep.longrepr or "")
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("E ")]
    return (errors[0][2:].strip() if errors else (lines[-1] if lines else "failed"))[:500]


def _outcome(rep):
    if hasattr(rep, "wasxfail"):
        return ("xfailed", rep.wasxfail or None) if rep.skipped else ("failed", "unexpectedly passed")
    if rep.passed:
        return "passed", None
    if rep.skipped:
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        reason = reason.removeprefix("Skipped: ") if hasattr(reason, "removeprefix") else reason
        if reason.startswith(rpt.NOT_APPLICABLE):
            return "not-applicable", reason
        return "skipped", reason
    return "failed", _first_line(rep)


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
