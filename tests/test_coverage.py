"""``python -m spec coverage``: torch's recurrent code reached by the claims, measured, stored and documented."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spec.tools import cli
from spec.tools import coverage as cov
from spec.tools.docs import coverage as gen
from spec.tools.results import ReportError

ROOT = Path(__file__).resolve().parent.parent

SOURCE = """import torch


class RNNBase:
    def forward(self, x):
        if x is None:
            raise ValueError("no input")
        return x


def helper():
    return 1
"""


def fake_torch(tmp_path: Path) -> Path:
    for rel in cov.FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(SOURCE)
    return tmp_path


def test_summarise_names_each_missed_line_and_branch_with_its_code_and_function(tmp_path):
    root = fake_torch(tmp_path)
    raw = {
        "files": {
            str(root / cov.FILES[0]): {
                "summary": {
                    "num_statements": 8,
                    "covered_lines": 6,
                    "num_branches": 2,
                    "covered_branches": 1,
                    "percent_covered": 70.0,
                },
                "missing_lines": [7, 12],
                "missing_branches": [[6, 7]],
            }
        }
    }
    out = cov.summarise(raw, root)
    rnn = out[cov.FILES[0]]
    assert rnn["missing_lines"] == [
        {"line": 7, "code": 'raise ValueError("no input")', "function": "RNNBase.forward"},
        {"line": 12, "code": "return 1", "function": "helper"},
    ]
    assert rnn["missing_branches"] == [{"line": 6, "code": "if x is None:", "function": "RNNBase.forward", "to": 7}]
    assert (rnn["statements"], rnn["covered_branches"], rnn["percent"]) == (8, 1, 70.0)
    assert out[cov.FILES[1]] == {"measured": False}


def test_a_reason_matches_by_file_function_and_code(monkeypatch):
    monkeypatch.setattr(cov, "REASONS", (("torch/nn/modules/rnn.py", "RNNBase", "raise", "why"),))
    miss = {"line": 7, "code": 'raise ValueError("no input")', "function": "RNNBase.forward"}
    assert cov.reason_for("torch/nn/modules/rnn.py", miss) == "why"
    assert cov.reason_for("torch/nn/utils/rnn.py", miss) is None
    assert cov.reason_for("torch/nn/modules/rnn.py", dict(miss, function="helper")) is None
    assert cov.reason_for("torch/nn/modules/rnn.py", dict(miss, function="RNNBaseX.forward")) is None


def test_every_reason_names_a_measured_file_and_says_why():
    for file, function, code, why in cov.REASONS:
        assert file in cov.FILES and why.strip() and (function or code), (file, function, code)


def test_the_stored_report_of_the_installed_torch_meets_the_bar():
    """The stored measurement of the CI torch: each file at or above the bar, and every line and branch it leaves
    unreached has its reason (none is a claim still to write)."""
    import torch

    stored = ROOT / "reports" / "coverage" / f"{torch.__version__}.json"
    if not stored.exists():
        pytest.skip(f"no stored coverage for torch {torch.__version__}")
    files = json.loads(stored.read_text())["files"]
    for rel in cov.FILES:
        assert files[rel]["measured"] and files[rel]["percent"] >= cov.BAR, (rel, files[rel].get("percent"))
        missed = files[rel]["missing_lines"] + files[rel]["missing_branches"]
        assert [m for m in missed if cov.reason_for(rel, m) is None] == [], rel


def test_bad_input_is_one_line_and_exit_2(monkeypatch, capsys, tmp_path):
    assert cli.main(["coverage", "--profile", "fast"]) == 2
    assert "unknown profile 'fast'" in capsys.readouterr().err
    assert cli.main(["coverage", "--claims", str(tmp_path)]) == 2
    assert "is not a module or folder of" in capsys.readouterr().err

    def no_claim(cmd, **kw):
        return subprocess.CompletedProcess(cmd, 5, "", "")

    monkeypatch.setattr(cov.subprocess, "run", no_claim)
    out = tmp_path / "c.json"
    assert cli.main(["coverage", "-k", "nothing_at_all", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "spec: error: -k 'nothing_at_all' selects no claim" and not out.exists()


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    out = tmp_path_factory.mktemp("coverage") / "c.json"
    # one small claim module keeps the run short: collection and tracing of the whole spec take most of a minute
    cmd = [sys.executable, "-m", "spec", "coverage", "--claims", "spec/claims/repr/rnn.py", "--profile", "quick"]
    cmd += ["-k", "hides_nonlinearity", "--out", str(out)]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600), out


@pytest.mark.e2e
def test_a_measurement_is_stored_with_its_provenance_and_documented(measured, tmp_path):
    proc, out = measured
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == 1
    assert data["selection"] == "the claims in spec/claims/repr/rnn.py matching -k 'hides_nonlinearity'"
    assert {"suite", "environment"} <= set(data) and data["environment"]["torch"]
    rnn = data["files"]["torch/nn/modules/rnn.py"]
    assert rnn["measured"] and 0 < rnn["covered_lines"] < rnn["statements"]
    assert any(m["function"] == "RNN.forward" for m in rnn["missing_lines"])  # the repr claims run no layer
    assert "torch/nn/modules/rnn.py" in proc.stdout and str(out) in proc.stdout
    (tmp_path / "x.json").write_text(out.read_text())
    pages = gen.coverage_pages(tmp_path)
    assert set(pages) == {"coverage/index.md", "coverage/x.md"}
    assert "**to do**" in pages["coverage/x.md"] or all(
        cov.reason_for(rel, m) for rel, f in data["files"].items() for m in f.get("missing_lines", [])
    )


def test_a_bad_stored_measurement_stops_the_docs(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"schema": 2}))
    with pytest.raises(ReportError, match="not a coverage measurement"):
        gen.coverage_pages(tmp_path)
