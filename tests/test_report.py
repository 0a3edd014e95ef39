"""The report: status aggregation, atomic writing, and loading stored reports."""

import json
from pathlib import Path

import pytest

from spec.registry import Claim, TorchDoc
from spec.tools import report as rpt

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        (["passed", "skipped"], "passed"),
        (["passed", "failed", "skipped"], "failed"),
        (["not-applicable", "not-applicable"], "not-applicable"),
        (["skipped", "skipped"], "skipped"),
        (["xfailed", "skipped"], "xfailed"),
        (["not-applicable", "skipped"], "not-applicable"),
        ([], "skipped"),
    ],
)
def test_aggregate(outcomes, status):
    assert rpt.aggregate(outcomes) == status


def case(nodeid, claim, device, outcome, message=None, duration=0.5):
    return dict(nodeid=nodeid, claim=claim, device=device, outcome=outcome, message=message, duration=duration)


def claims(*ids):
    return {i: Claim(i, "S.", "shape", ("RNN",), (TorchDoc("x", "y"),)) for i in ids}


def test_build_aggregates_per_claim_and_per_device():
    cases = [
        case("t::a[cpu-1]", "a.b.c", "cpu", "passed"),
        case("t::a[cpu-2]", "a.b.c", "cpu", "failed", "boom"),
        case("t::a[cuda]", "a.b.c", "cuda", "skipped", "cuda: none"),
        case("t::b", "a.b.d", None, "passed"),
        case("tests/x.py::t", None, None, "passed"),
    ]
    data = rpt.build(cases, claims("a.b.c", "a.b.d"), {"torch": "x"})
    a = data["claims"]["a.b.c"]
    assert a["status"] == "failed" and a["devices"] == {"cpu": "failed", "cuda": "skipped"}
    assert a["cases"] == 3 and a["first_failure"] == "boom" and a["duration"] == 1.5
    assert data["claims"]["a.b.d"]["devices"] == {"none": "passed"}
    assert list(data["unclaimed"]) == ["tests/x.py::t"]
    assert data["schema"] == rpt.SCHEMA_VERSION and data["suite"]["version"]


def test_a_target_that_cannot_run_a_case_leaves_the_claims_own_outcome_alone():
    from spec.tools.plugin import _no_partial_holds

    cases = [
        {**case("t::a[eager-cpu]", "a.b.c", "cpu", "passed"), "target": "eager"},
        {**case("t::a[export-cpu]", "a.b.c", "cpu", "not-applicable", "export: arrived in 2.1"), "target": "export"},
        {**case("t::b[eager-1]", "a.b.d", None, "passed"), "target": "eager"},
        {**case("t::b[eager-2]", "a.b.d", None, "not-applicable", "no outcome"), "target": "eager"},
    ]
    data = rpt.build(cases, claims("a.b.c", "a.b.d"), {"torch": "x"})
    _no_partial_holds(data, cases)
    assert data["claims"]["a.b.c"]["status"] == "passed"
    assert data["claims"]["a.b.c"]["targets"] == {"eager": "passed", "export": "not-applicable"}
    assert data["claims"]["a.b.d"]["status"] == "skipped"  # its own case had nothing to check: held in part


def test_plugin_default_markers_are_pyprojects():
    import tomllib

    from spec.tools.plugin import DEFAULT_MARKERS

    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert addopts[addopts.index("-m") + 1] == DEFAULT_MARKERS


def test_write_atomic_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "r.json"
    rpt.write_atomic(target, {"schema": 1, "claims": {}})
    rpt.write_atomic(target, {"schema": 1, "claims": {}, "second": True})
    assert json.loads(target.read_text())["second"] is True
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.json"
    rpt.write_atomic(target, {"old": 1})
    with pytest.raises(TypeError):
        rpt.write_atomic(target, {"bad": object()})  # not JSON-serialisable, fails mid-write
    assert json.loads(target.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "no schema version"),
        ('{"schema": 99, "claims": {}}', "unknown schema version 99"),
        ('{"schema": 1, "claims": {"a": {"status": "great"}}}', "malformed 'claims'"),
    ],
)
def test_load_rejects_bad_reports_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(rpt.ReportError) as e:
        rpt.load(path)
    assert str(path) in str(e.value) and fragment in str(e.value) and "\n" not in str(e.value)


def test_load_missing_file(tmp_path):
    with pytest.raises(rpt.ReportError, match="cannot read"):
        rpt.load(tmp_path / "absent.json")


def test_summary_counts_claims_per_kind():
    data = {
        "environment": {"torch": "2.13.0", "python": "3.11", "hypothesis_profile": "ci"},
        "claims": {
            "a": {"kind": "shape", "status": "passed"},
            "b": {"kind": "shape", "status": "failed"},
            "c": {"kind": "errors", "status": "not-applicable"},
        },
    }
    rows = rpt.summary_rows(data)
    assert rows == [("errors", 0, 0, 1, 0, 0), ("shape", 1, 1, 0, 0, 0), ("total", 1, 1, 1, 0, 0)]
    text = rpt.format_summary(data)
    assert "torch 2.13.0" in text and "held" in text
    assert rpt.failed_claims(data) == ["b"]
