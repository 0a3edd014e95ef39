"""``python -m spec compare`` and ``matrix``: on made-up reports, and on the stored release reports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spec.tools import compare

ROOT = Path(__file__).resolve().parent.parent
STORED = ROOT / "reports" / "matrix"


def report(path: Path, torch: str, **statuses) -> Path:
    claims = {
        cid.replace("_", "."): {"status": s, "kind": "shape", "first_failure": "boom" if s == "failed" else None}
        for cid, s in statuses.items()
    }
    env = {"torch": torch, "devices": "cpu", "python": "3.11", "hypothesis_profile": "ci"}
    path.write_text(json.dumps({"schema": 1, "environment": env, "claims": claims}))
    return path


def test_compare_lists_new_failures_first_and_exits_1(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.2.0", a_b_c="passed", a_b_d="failed", a_b_e="not-applicable")
    new = report(tmp_path / "b.json", "2.3.0", a_b_c="failed", a_b_d="passed", a_b_e="passed")
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0] == "2.2.0 [cpu] -> 2.3.0 [cpu]"
    assert lines[1] == "new failures (1):" and lines[2] == "  a.b.c: passed -> failed" and "boom" in lines[3]
    assert "fixed (1):" in lines and "  a.b.d: failed -> passed" in lines
    assert "  a.b.e: not-applicable -> passed" in lines


def test_compare_without_regressions_exits_0(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.2.0", a_b_c="failed")
    new = report(tmp_path / "b.json", "2.3.0", a_b_c="passed", a_b_new="passed")
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 0 and "claims only in the new report (1): a.b.new (passed)" in r.stdout


@pytest.mark.parametrize("content", ["{broken", '{"schema": 7, "claims": {}}'])
def test_compare_bad_report_is_one_line_exit_2(tmp_path, content, spec_cli):
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    good = report(tmp_path / "a.json", "2.2.0", a_b_c="passed")
    r = spec_cli("compare", str(good), str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and str(bad) in r.stderr


def test_matrix_orders_releases_and_marks_changes(tmp_path):
    paths = [
        report(tmp_path / "new.json", "2.10.0", a_b_c="passed"),
        report(tmp_path / "old.json", "2.9.1", a_b_c="failed"),
    ]
    table = compare.matrix(compare.load_many(paths))
    assert table["columns"] == ["2.9.1", "2.10.0"]  # by version, not by name
    assert table["rows"] == {"a.b.c": ["failed", "passed"]} and table["changes"] == {"a.b.c": [1]}
    assert "| `a.b.c` | ✗ | **✓** |" in compare.format_matrix_markdown(table)


def test_matrix_is_eager_and_the_target_matrix_has_the_rest(tmp_path):
    path = report(tmp_path / "r.json", "2.3.0", a_b_c="failed")
    data = json.loads(path.read_text())
    data["environment"]["targets"] = "all"
    data["claims"]["a.b.c"]["targets"] = {"eager": "passed", "export": "failed"}
    path.write_text(json.dumps(data))
    reports = compare.load_many([path])
    assert compare.matrix(reports)["rows"] == {"a.b.c": ["passed"]}
    assert compare.target_matrix(reports, "export")["rows"] == {"a.b.c": ["failed"]}
    assert compare.target_summary(reports)["rows"]["export"] == [(0, 1, 1, 0)]


def test_matrix_out_writes_the_file(tmp_path, spec_cli):
    out = tmp_path / "t" / "matrix.md"
    r = spec_cli("matrix", str(report(tmp_path / "a.json", "2.2.0", a_b_c="passed")), "--out", str(out))
    assert r.returncode == 0 and out.read_text().startswith("| claim | 2.2.0 |")


def test_reading_reports_needs_neither_torch_nor_hypothesis():
    """The CI table job installs only packaging."""
    code = "import sys, spec.tools.cli, spec.tools.compare; assert not {'torch', 'hypothesis'} & set(sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def stored(env):
    path = STORED / f"{env}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/matrix.sh {env}")
    return json.loads(path.read_text())


def test_stored_reports_show_unbatched_input_arriving_in_1_11():
    diff = compare.compare(stored("torch110"), stored("torch111"))
    assert diff["other"]["rnn.shape.unbatched"] == ("not-applicable", "passed")
    assert diff["lost"]["rnn.errors.unbatched-rejected"] == ("passed", "not-applicable")  # by design: --allow-lost


def test_stored_reports_show_the_lstm_input_check_regression_of_2_1_and_2_2():
    statuses = [stored(e)["claims"]["rnn.errors.input"]["status"] for e in ("torch20", "torch21", "torch22", "torch23")]
    assert statuses == ["passed", "failed", "failed", "passed"]
    assert compare.compare(stored("torch22"), stored("torch23"))["fixed"]["rnn.errors.input"] == ("failed", "passed")


def conditioned(path: Path, **env) -> Path:
    data = json.loads(path.read_text())
    data["environment"].update(env)
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("after", ["skipped", "xfailed", "not-applicable", None])
def test_compare_fails_on_lost_coverage_unless_allowed(tmp_path, after, spec_cli):
    """A claim that held and is now skipped, xfailed, not applicable or gone is lost coverage: exit 1."""
    old = report(tmp_path / "a.json", "2.2.0", a_b_c="passed", a_b_d="passed")
    new = report(tmp_path / "b.json", "2.3.0", a_b_d="passed", **({"a_b_c": after} if after else {}))
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 1 and "coverage lost" in r.stderr
    shown = f"a.b.c: passed -> {after}" if after else "claims only in the old (1): a.b.c (passed)"
    assert shown in r.stdout
    assert spec_cli("compare", str(old), str(new), "--allow-lost").returncode == 0


def test_compare_allow_lost_never_hides_a_regression(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.2.0", a_b_c="passed")
    new = report(tmp_path / "b.json", "2.3.0", a_b_c="failed")
    assert spec_cli("compare", str(old), str(new), "--allow-lost").returncode == 1


def test_compare_against_an_empty_report_fails(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.2.0", a_b_c="passed")
    assert spec_cli("compare", str(old), str(report(tmp_path / "b.json", "2.3.0"))).returncode == 1


def test_compare_says_when_devices_selection_or_profile_differ(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.2.0", a_b_c="passed")
    new = conditioned(
        report(tmp_path / "b.json", "2.3.0", a_b_c="passed"),
        devices="all",
        selection={"keyword": "shape"},
        hypothesis_profile="quick",
    )
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 0
    assert "note: the reports differ in devices: cpu -> all" in r.stdout
    assert "note: the reports differ in selection: none recorded -> keyword='shape'" in r.stdout
    assert "note: the reports differ in profile: ci -> quick" in r.stdout
    assert "no claim changed status" in r.stdout


def test_compare_with_a_folder_takes_its_newest_release(tmp_path, spec_cli):
    folder = tmp_path / "stored"
    folder.mkdir()
    report(folder / "torch29.json", "2.9.1", a_b_c="failed")
    report(folder / "torch210.json", "2.10.0", a_b_c="passed")  # newer, though it sorts first by name
    new = report(tmp_path / "latest.json", "2.16.0", a_b_c="passed")
    r = spec_cli("compare", str(folder), str(new))
    assert r.returncode == 0 and r.stdout.startswith("2.10.0 [cpu] -> 2.16.0 [cpu]"), r.stdout
    assert "torch210.json" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = spec_cli("compare", str(empty), str(new))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
