"""The results model: cases aggregated into a claim's result, reports written and read back, and every kind of
malformed or hand-made report refused with one line naming the file."""

import json
from pathlib import Path

import pytest

from spec.registry import Claim, TorchDoc
from spec.tools import results as res
from spec.tools import summary

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
    assert res.aggregate(outcomes) == status


def case(nodeid, claim, device, outcome, message=None, duration=0.5, target="eager"):
    return res.Case(nodeid, claim, device, target, outcome, message, duration)


def claims(*ids):
    return {i: Claim(i, "S.", "shape", ("RNN",), (TorchDoc("x", "y"),), torch=">=1.8") for i in ids}


def test_build_aggregates_per_claim_and_per_device():
    cases = [
        case("t::a[cpu-1]", "a.b.c", "cpu", "passed"),
        case("t::a[cpu-2]", "a.b.c", "cpu", "failed", "boom"),
        case("t::a[cuda]", "a.b.c", "cuda", "skipped", "cuda: none"),
        case("t::b", "a.b.d", None, "passed"),
        case("tests/x.py::t", None, None, "passed"),
    ]
    report = res.Report.build(cases, claims("a.b.c", "a.b.d"), {"torch": "x"})
    data = report.to_json()
    a = data["claims"]["a.b.c"]
    assert a["status"] == "failed" and a["devices"] == {"cpu": "failed", "cuda": "skipped"}
    assert a["cases"] == 3 and a["first_failure"] == "boom" and a["duration"] == 1.5
    assert a["torch_range"] == ">=1.8"
    assert data["claims"]["a.b.d"]["devices"] == {"none": "passed"}
    assert list(data["unclaimed"]) == ["tests/x.py::t"]
    assert data["schema"] == res.SCHEMA and data["suite"]["version"]


def test_a_target_that_cannot_run_a_case_leaves_the_claims_own_outcome_alone():
    cases = [
        case("t::a[eager-cpu]", "a.b.c", "cpu", "passed"),
        case("t::a[export-cpu]", "a.b.c", "cpu", "not-applicable", "export: arrived in 2.1", target="export"),
        case("t::b[eager-1]", "a.b.d", None, "passed"),
        case("t::b[eager-2]", "a.b.d", None, "not-applicable", "no outcome"),
    ]
    report = res.Report.build(cases, claims("a.b.c", "a.b.d"), {"torch": "x"})
    assert report.claims["a.b.c"].status == "passed"
    assert report.claims["a.b.c"].targets == {"eager": "passed", "export": "not-applicable"}
    assert report.claims["a.b.d"].status == "skipped"  # its own case had nothing to check: held in part
    assert report.claims["a.b.d"].reason.startswith("held only in part: 1 of 2 cases")


def test_a_known_divergence_that_holds_is_flagged_stale():
    cases = [case("t::a", "a.b.c", "cpu", "passed"), case("t::b", "a.b.d", "cpu", "xfailed", "known")]
    known = {"a.b.c": {"reason": "r", "link": "l"}, "a.b.d": {"reason": "r", "link": "l"}}
    report = res.Report.build(cases, claims("a.b.c", "a.b.d"), {"torch": "x"}, known)
    assert report.claims["a.b.c"].known["stale"] is True
    assert report.claims["a.b.d"].known["stale"] is False and report.claims["a.b.d"].status == "xfailed"
    assert any(line.startswith("STALE known divergence a.b.c") for line in summary.flags(report))


def test_a_report_survives_its_round_trip(tmp_path):
    cases = [case("t::a", "a.b.c", "cpu", "failed", "boom"), case("t::b", "a.b.d", "cpu", "passed")]
    env = {"torch": "2.13.0+cpu", "implementation": {"name": "opacus", "versions": {"opacus": "1.6.0"}}}
    report = res.Report.build(cases, claims("a.b.c", "a.b.d"), env)
    report.write(tmp_path / "r.json")
    back = res.Report.load(tmp_path / "r.json")
    assert back.to_json() == report.to_json()
    assert back.implementation == "opacus" and back.implementation_versions == {"opacus": "1.6.0"}


def test_plugin_default_markers_are_pyprojects():
    import tomllib

    from spec.tools.plugin import DEFAULT_MARKERS

    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]
    assert addopts[addopts.index("-m") + 1] == DEFAULT_MARKERS


def test_write_replaces_and_leaves_no_temp(tmp_path):
    target = tmp_path / "sub" / "r.json"
    res.write_json(target, {"schema": 1, "claims": {}})
    res.write_json(target, {"schema": 1, "claims": {}, "second": True})
    assert json.loads(target.read_text())["second"] is True
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


def test_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "r.json"
    res.write_json(target, {"old": 1})
    with pytest.raises(TypeError):
        res.write_json(target, {"bad": object()})  # not JSON-serialisable: fails before the file is touched
    assert json.loads(target.read_text()) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


GOOD_ENV = '"environment": {"torch": "2.13.0"}'
#: Every way a stored or hand-made report can be unusable, and the words its one-line error uses.
BAD = [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "no schema version"),
    (b'{"schema": 99, "claims": {}, ' + GOOD_ENV.encode() + b"}", "unknown schema version 99"),
    (b'{"schema": 1, "claims": [], ' + GOOD_ENV.encode() + b"}", "malformed 'claims'"),
    (
        b'{"schema": 1, "claims": {"a": {"status": "great", "kind": "shape"}}, ' + GOOD_ENV.encode() + b"}",
        "status 'great'",
    ),
    (b'{"schema": 1, "claims": {"a": {"status": "passed"}}, ' + GOOD_ENV.encode() + b"}", "no kind"),
    (
        b'{"schema": 1, "claims": {"a": {"status": "passed", "kind": "shape", "targets": ["eager"]}}, '
        + GOOD_ENV.encode()
        + b"}",
        "targets must map",
    ),
    (
        b'{"schema": 1, "claims": {"a": {"status": "passed", "kind": "shape", "devices": {"cpu": "ok"}}}, '
        + GOOD_ENV.encode()
        + b"}",
        "devices must map",
    ),
    (b'{"schema": 1, "claims": {}}', "no 'environment'"),
    (b'{"schema": 2, "claims": {}, "environment": {"torch": "2.13.0", "implementation": "opacus"}}', "implementation"),
    (b'{"schema": 1, "claims": {}, "environment": {"torch": "\xff\xfe"}}', "not UTF-8"),
    (b"[" * 100000 + b"]" * 100000, "nested deeper"),
    (b'{"schema": 1, "claims": {"a": "passed"}, ' + GOOD_ENV.encode() + b"}", "not an object"),
]


@pytest.mark.parametrize(("content", "fragment"), BAD, ids=[b[1] for b in BAD])
def test_load_rejects_bad_reports_naming_the_file(tmp_path, content, fragment):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(res.ReportError) as e:
        res.Report.load(path)
    assert str(path) in str(e.value) and fragment in str(e.value) and "\n" not in str(e.value)


def test_a_hand_made_report_gets_the_defaults(tmp_path):
    path = tmp_path / "hand.json"
    path.write_text('{"schema": 1, "claims": {"a.b.c": {"status": "failed", "kind": "shape"}}, ' + GOOD_ENV + "}")
    r = res.Report.load(path)
    entry = r.claims["a.b.c"]
    assert entry.first_failure is None and entry.reason is None and entry.targets == {"eager": "failed"}
    assert r.implementation == "torch" and r.devices == "cpu"


def test_load_missing_file(tmp_path):
    with pytest.raises(res.ReportError, match="cannot read"):
        res.Report.load(tmp_path / "absent.json")


def test_every_stored_report_reads_and_writes_back_unchanged():
    """The typed model loses nothing of a stored report: its JSON comes back the same, bar the fields it adds."""
    for path in sorted((ROOT / "reports").rglob("*.json")):
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or "claims" not in data or "schema" not in data:
            continue  # a figure, not a report
        back = res.Report.load(path).to_json()
        for cid, entry in data["claims"].items():
            for key in ("status", "devices", "kind", "cases", "first_failure", "reason"):
                assert back["claims"][cid].get(key) == entry.get(key), (path.name, cid, key)
            assert back["claims"][cid]["targets"] == entry.get("targets", {"eager": entry["status"]})


def test_summary_counts_claims_per_kind():
    report = res.Report.from_json(
        {
            "schema": 1,
            "environment": {"torch": "2.13.0", "python": "3.11", "hypothesis_profile": "ci"},
            "claims": {
                "a": {"kind": "shape", "status": "passed"},
                "b": {"kind": "shape", "status": "failed", "first_failure": "boom"},
                "c": {"kind": "errors", "status": "not-applicable", "reason": "r"},
            },
        }
    )
    text = summary.table(report)
    assert "torch 2.13.0" in text and "held" in text
    lines = text.splitlines()
    assert lines[3].split() == ["errors", "0", "0", "0", "1", "0"]
    assert lines[4].split() == ["shape", "1", "1", "0", "0", "0"]
    assert lines[-1].split() == ["total", "1", "1", "0", "1", "0"]
    assert report.failed() == ["b"]
    assert summary.flags(report) == ["FAILED b: boom"]


def test_a_known_divergence_still_present_in_one_case_is_not_stale():
    cases = [case("t::a[1]", "a.b.c", "cpu", "passed"), case("t::a[2]", "a.b.c", "cpu", "xfailed", "known")]
    report = res.Report.build(cases, claims("a.b.c"), {"torch": "x"}, {"a.b.c": {"reason": "r", "link": "l"}})
    assert report.claims["a.b.c"].status == "xfailed" and report.claims["a.b.c"].known["stale"] is False
    # on every axis: the device and target where a case diverges (the matrix's cell) say so too
    result = report.claims["a.b.c"]
    assert result.devices == {"cpu": "xfailed"} and result.targets == {"eager": "xfailed"}


def test_an_implementations_limit_is_no_gap_in_what_held():
    limited = case("t::a[2]", "a.b.c", "cpu", "not-applicable", "opacus refuses proj_size>=1")
    limited.limit = True
    gap = case("t::b[2]", "a.b.d", "cpu", "not-applicable", "no outcome recorded for this release")
    cases = [case("t::a[1]", "a.b.c", "cpu", "passed"), limited, case("t::b[1]", "a.b.d", "cpu", "passed"), gap]
    report = res.Report.build(cases, claims("a.b.c", "a.b.d"), {"torch": "x"})
    assert report.claims["a.b.c"].status == "passed"
    assert report.claims["a.b.d"].status == "skipped"  # a release's gap still makes it held only in part
