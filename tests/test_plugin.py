"""The pytest plugin end to end, in a subprocess.

Not pytester's in-process runs: the registry is process-global, so claims made up for a test run would
join the real registry of the process running the suite (and its duplicate-ID check would stop it).
"""

import importlib
import json
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # fresh interpreters: `pytest -m e2e`

ROOT = Path(__file__).resolve().parent.parent

CLAIMS = """
import pytest
from spec.registry import TorchDoc, claim, not_applicable

SRC = (TorchDoc("torch.nn.RNN", "Outputs"),)

@claim(id="t.shape.passes", statement="P.", kind="shape", modules=("RNN",), sources=SRC)
def test_passes(device):
    assert device in ("cpu", "cuda")

@claim(id="t.errors.fails", statement="F.", kind="errors", modules=("GRU",), sources=SRC)
@pytest.mark.parametrize("n", [1, 2])
def test_fails(n, device):
    assert n == 1, "n was not one"

@claim(id="t.shape.future", statement="N.", kind="shape", modules=("RNN",), sources=SRC, torch=">=99")
def test_future(device):
    assert False

@claim(id="t.shape.known", statement="X.", kind="shape", modules=("RNN",), sources=SRC)
@pytest.mark.xfail(reason="a known torch bug", strict=True)
def test_known():
    assert False

@claim(id="t.shape.on-cuda", statement="C.", kind="shape", modules=("RNN",), sources=SRC, devices=("cuda",))
def test_on_cuda(device):
    assert device == "cuda"

@claim(id="t.errors.unrecorded", statement="U.", kind="errors", modules=("RNN",), sources=SRC)
def test_unrecorded(device):
    from spec.registry import not_applicable

    not_applicable("no outcome recorded for this release")

@claim(id="t.errors.partial", statement="H.", kind="errors", modules=("RNN",), sources=SRC)
@pytest.mark.parametrize("n", [1, 2])
def test_partial(n):
    if n == 2:
        not_applicable("no outcome recorded for n=2")

def test_unclaimed():
    pass
"""


CRASH = """
@claim(id="t.shape.crash", statement="K.", kind="shape", modules=("RNN",), sources=SRC)
def test_crash():
    import os

    os._exit(3)  # a worker dies (as in a segfault): its cases never reach the controller
"""


def project(folder: Path, source=CLAIMS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conftest.py").write_text('pytest_plugins = ["spec.helpers.axes", "spec.tools.plugin"]\n')
    (folder / "test_claims.py").write_text(source)
    return folder


@pytest.fixture(scope="module")
def runs(launch, tmp_path_factory):
    """pytest with the spec plugin on made-up claims, one fresh interpreter per case, started together."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base = ["-p", "no:cacheprovider", "-p", "no:randomly", "-rs", "--spec-report=r.json"]
    cases = {
        "full": ([], CLAIMS),
        "cpu-only": (["-k", "passes", "--spec-device=cpu"], CLAIMS),
        "cpu-only-bound": (["-k", "on_cuda", "--spec-device=cpu"], CLAIMS),
        "duplicates": ([], CLAIMS + CLAIMS.replace("def test_", "def test_again_")),
        "no-claim": (["-k", "unclaimed"], CLAIMS),
        "workers": (["-n", "2"], CLAIMS),
        "crash": (["-n", "2"], CLAIMS + CRASH),
    }
    started = {}
    for name, (args, source) in cases.items():
        folder = project(tmp_path_factory.mktemp(name), source)
        started[name] = (folder, launch([*base, *args], cwd=folder, env=env, module="pytest"))
    return started


def result(runs, name):
    folder, future = runs[name]
    report = folder / "r.json"
    return future.result(), (json.loads(report.read_text()) if report.exists() else None)


def test_report_statuses(runs):
    r, data = result(runs, "full")
    assert r.returncode == 1
    c = data["claims"]
    assert c["t.shape.passes"]["status"] == "passed"
    assert c["t.shape.passes"]["devices"]["cpu"] == "passed"
    assert c["t.errors.fails"]["status"] == "failed" and c["t.errors.fails"]["cases"] == 4
    assert "n was not one" in c["t.errors.fails"]["first_failure"]
    assert c["t.shape.future"]["status"] == "not-applicable"
    assert set(c["t.shape.future"]["devices"].values()) == {"not-applicable"}
    assert "torch>=99" in c["t.shape.future"]["reason"]
    assert c["t.shape.known"]["status"] == "xfailed" and c["t.shape.known"]["devices"] == {"none": "xfailed"}
    assert list(data["unclaimed"]) == ["test_claims.py::test_unclaimed"]
    env = data["environment"]
    assert env["torch"] and env["python"] and env["hypothesis_profile"] in ("quick", "ci", "thorough")
    assert env["devices"] == "all" and env["selection"] is None


def test_a_case_without_an_outcome_never_counts_toward_passed(runs):
    _, data = result(runs, "full")
    partial = data["claims"]["t.errors.partial"]
    assert partial["status"] == "skipped" and partial["devices"] == {"none": "skipped"}
    assert partial["reason"].startswith("held only in part: 1 of 2 cases") and "test_partial[2]" in partial["reason"]


def test_the_selection_and_devices_are_recorded(runs):
    _, data = result(runs, "cpu-only")
    assert data["environment"]["selection"] == {"keyword": "passes"} and data["environment"]["devices"] == "cpu"


def test_cuda_cases_skip_with_a_reason_without_a_gpu(runs):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: cuda cases run instead of skipping")
    r, data = result(runs, "full")
    assert "SKIPPED" in r.stdout and "cuda: " in r.stdout
    assert data["claims"]["t.shape.passes"]["devices"] == {"cpu": "passed", "cuda": "skipped"}


def test_device_option_restricts_the_cases(runs):
    _, data = result(runs, "cpu-only")
    assert data["claims"]["t.shape.passes"]["devices"] == {"cpu": "passed"}


def test_a_claim_bound_to_a_device_runs_only_there(runs):
    import torch

    _, data = result(runs, "full")
    bound = data["claims"]["t.shape.on-cuda"]
    assert list(bound["devices"]) == ["cuda"]  # never a cpu case
    if not torch.cuda.is_available():
        assert bound["status"] == "skipped" and bound["reason"].startswith("cuda: ")
    _, cpu_only = result(runs, "cpu-only-bound")
    assert cpu_only["claims"]["t.shape.on-cuda"]["status"] == "skipped"
    assert "not selected (--device cpu)" in cpu_only["claims"]["t.shape.on-cuda"]["reason"]


def test_a_check_with_nothing_to_check_is_not_applicable_not_passed(runs):
    _, data = result(runs, "full")
    entry = data["claims"]["t.errors.unrecorded"]
    assert entry["status"] == "not-applicable"
    assert entry["reason"] == "no outcome recorded for this release"


def test_duplicate_ids_stop_the_run_naming_them(runs):
    r, data = result(runs, "duplicates")
    assert r.returncode not in (0, 1)
    assert "'t.shape.passes': duplicate id" in r.stderr
    assert data is None
    # what `python -m spec verify` makes of that run: one line naming the first offending id
    from spec.tools.cli import pytest_stopped

    message = pytest_stopped(r.returncode, r.stderr)
    assert message.startswith("the registry is invalid: 't.shape.") and "duplicate id" in message


def test_no_report_when_no_claim_is_selected(runs):
    r, data = result(runs, "no-claim")
    assert r.returncode == 0 and data is None


def test_topic_modules_get_assertion_rewriting():
    """Without it a failed claim would print a bare AssertionError, not the compared values."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    assert isinstance(importlib.import_module("spec.claims.shape.rnn").__loader__, AssertionRewritingHook)


def test_workers_write_the_same_report_as_one_process(runs):
    """pytest-xdist: each worker records its share, the controller merges them in collection order."""
    (one, data), (two, merged) = result(runs, "full"), result(runs, "workers")
    assert two.returncode == one.returncode == 1
    strip = {"duration"}
    assert {k: {f: v for f, v in e.items() if f not in strip} for k, e in data["claims"].items()} == {
        k: {f: v for f, v in e.items() if f not in strip} for k, e in merged["claims"].items()
    }
    assert merged["unclaimed"].keys() == data["unclaimed"].keys()


def test_a_crashed_worker_leaves_no_report(runs):
    """A worker that dies takes its cases with it: the controller writes no report (one that leaves claims out
    would read as complete) and says why on stderr."""
    r, data = result(runs, "crash")
    assert data is None and "spec: a pytest worker stopped before the end" in r.stderr, r.stdout[-2000:]
