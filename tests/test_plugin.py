"""The pytest plugin end to end, in a subprocess (the registry is process-global)."""

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CLAIMS = """
import pytest
from spec.registry import TorchDoc, claim

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

def test_unclaimed():
    pass
"""


def run_pytest(folder: Path, *args, source=CLAIMS):
    """pytest with the spec plugin on a made-up claims module, in a fresh interpreter."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conftest.py").write_text('pytest_plugins = ["spec.plugin"]\n')
    (folder / "test_claims.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-rs", "--spec-report=r.json", *args]
    result = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    report = folder / "r.json"
    return result, (json.loads(report.read_text()) if report.exists() else None)


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    return run_pytest(tmp_path_factory.mktemp("full"))


def test_report_statuses(full_run):
    result, data = full_run
    assert result.returncode == 1
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


def test_cuda_cases_skip_with_a_reason_without_a_gpu(full_run):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present: cuda cases run instead of skipping")
    result, data = full_run
    assert "SKIPPED" in result.stdout and "cuda: " in result.stdout
    assert data["claims"]["t.shape.passes"]["devices"] == {"cpu": "passed", "cuda": "skipped"}


def test_device_option_restricts_the_cases(tmp_path):
    _, data = run_pytest(tmp_path, "-k", "passes", "--spec-device=cpu")
    assert data["claims"]["t.shape.passes"]["devices"] == {"cpu": "passed"}


def test_duplicate_ids_stop_the_run_naming_them(tmp_path):
    result, data = run_pytest(tmp_path, source=CLAIMS + CLAIMS.replace("def test_", "def test_again_"))
    assert result.returncode not in (0, 1)
    assert "'t.shape.passes': duplicate id" in result.stderr
    assert data is None


def test_no_report_when_no_claim_is_selected(tmp_path):
    result, data = run_pytest(tmp_path, "-k", "unclaimed")
    assert result.returncode == 0 and data is None


def test_topic_modules_get_assertion_rewriting():
    """Without it a failed claim would print a bare AssertionError, not the compared values."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    assert isinstance(importlib.import_module("spec.shapes").__loader__, AssertionRewritingHook)
