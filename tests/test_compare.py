"""``python -m spec compare`` and ``matrix``: on made-up reports, and on the stored release reports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from spec.tools import compare, render
from spec.tools.matrix import Matrix
from spec.tools.results import Report, load_many

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
    assert lines[0] == "old: torch 2.2.0 · devices cpu · targets eager · profile ci"
    assert lines[1] == "new: torch 2.3.0 · devices cpu · targets eager · profile ci"
    assert lines[2] == "new failures (1):" and lines[3] == "  a.b.c: passed -> failed" and "boom" in lines[4]
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
    table = Matrix.build(load_many(paths))
    assert [c.release for c in table.columns] == ["2.9.1", "2.10.0"]  # by version, not by name
    assert table.rows == {"a.b.c": ["failed", "passed"]} and table.changes("a.b.c") == {1: "change"}
    assert "| `a.b.c` | ✗ | **✓** |" in render.matrix(table, "markdown")


def test_a_known_regression_has_its_own_section_and_is_named_in_the_docs(tmp_path):
    """A release's known regression (torch's known file) is an expected failure: not a ✗, its own section on the
    matrix page, listed with the releases, the reason and the link the reports recorded."""
    from spec.tools.docs.matrix import known_list

    paths = [report(tmp_path / f"{v}.json", v, a_b_c=s) for v, s in (("2.0.1", "passed"), ("2.1.2", "xfailed"))]
    data = json.loads(paths[1].read_text())
    entry = {"reason": "LSTM skips its input checks", "link": "https://github.com/pytorch/pytorch/issues/114874"}
    data["claims"]["a.b.c"]["known"] = dict(entry, torch=">=2.1,<2.3", stale=False)
    paths[1].write_text(json.dumps(data))
    table = Matrix.build(load_many(paths))
    assert table.rows == {"a.b.c": ["passed", "xfailed"]} and not table.failing("a.b.c")
    assert table.sections()["known"] == ["a.b.c"] and table.known["a.b.c"][1]["reason"] == entry["reason"]
    text = known_list(table, ["a.b.c"], lambda cid: cid)
    assert "a.b.c: on 2.1.2, declared for torch&gt;=2.1,&lt;2.3. LSTM skips its input checks" in text
    assert entry["link"] in text


def test_a_range_edge_is_not_a_change(tmp_path):
    paths = [
        report(tmp_path / "a.json", "2.1.0", a_b_c="not-applicable", a_b_c_before_2_2="passed"),
        report(tmp_path / "b.json", "2.2.0", a_b_c="passed", a_b_c_before_2_2="not-applicable"),
    ]
    data = json.loads(paths[0].read_text())
    data["claims"] = {k.replace(".before.2.2", "-before-2-2"): v for k, v in data["claims"].items()}
    paths[0].write_text(json.dumps(data))
    data = json.loads(paths[1].read_text())
    data["claims"] = {k.replace(".before.2.2", "-before-2-2"): v for k, v in data["claims"].items()}
    paths[1].write_text(json.dumps(data))
    table = Matrix.build(load_many(paths))
    assert table.changes("a.b.c") == {1: "edge"}
    assert table.sections()["edges"] == ["a.b.c", "a.b.c-before-2-2"]
    [(family, cells)] = table.siblings(["a.b.c", "a.b.c-before-2-2"])
    assert family == ["a.b.c", "a.b.c-before-2-2"]
    assert cells == [("passed", "a.b.c-before-2-2"), ("passed", "a.b.c")]


def test_matrix_is_eager_and_the_target_groups_have_the_rest(tmp_path):
    path = report(tmp_path / "r.json", "2.3.0", a_b_c="failed")
    data = json.loads(path.read_text())
    data["environment"]["targets"] = "all"
    data["claims"]["a.b.c"]["targets"] = {"eager": "passed", "export": "failed"}
    path.write_text(json.dumps(data))
    reports = load_many([path])
    assert Matrix.build(reports).rows == {"a.b.c": ["passed"]}
    every = Matrix.build(reports, targets=None)
    assert [c.group_label for c in every.columns] == ["cpu · eager", "cpu · export"]
    assert every.rows == {"a.b.c": ["passed", "failed"]}


def test_matrix_out_writes_the_file(tmp_path, spec_cli):
    out = tmp_path / "t" / "matrix.md"
    r = spec_cli(
        "matrix", str(report(tmp_path / "a.json", "2.2.0", a_b_c="passed")), "--format", "markdown", "--out", str(out)
    )
    assert r.returncode == 0 and "| claim | 2.2.0 |" in out.read_text()


def test_reading_reports_needs_neither_torch_nor_hypothesis():
    """The CI table job installs only packaging."""
    code = "import sys, spec.tools.cli, spec.tools.compare; assert not {'torch', 'hypothesis'} & set(sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def stored(env):
    path = STORED / f"{env}.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/matrix.sh {env}")
    return Report.load(path)


def test_stored_reports_show_unbatched_input_arriving_in_1_11():
    diff = compare.compare(stored("torch110"), stored("torch111"))
    assert diff["other"]["rnn.shape.unbatched"] == ("not-applicable", "passed")
    # its declared range ends before 1.11: an expected ending, not lost coverage
    assert diff["ended"]["rnn.errors.unbatched-rejected"] == ("passed", "not-applicable")
    assert "rnn.errors.unbatched-rejected" not in diff["lost"]


def test_stored_reports_show_the_lstm_input_check_regression_of_2_1_and_2_2():
    """torch's known regression (known/torch.json): expected to fail on 2.1 and 2.2, named with its link in those
    reports; 2.3's fix reads as fixed."""
    statuses = [stored(e).claims["rnn.errors.input"].status for e in ("torch20", "torch21", "torch22", "torch23")]
    assert statuses == ["passed", "xfailed", "xfailed", "passed"]
    for e in ("torch21", "torch22"):
        known = stored(e).claims["rnn.errors.input"].known
        assert known["link"].endswith("/114874") and known["torch"] == ">=2.1,<2.3" and known["stale"] is False
    assert compare.compare(stored("torch22"), stored("torch23"))["fixed"]["rnn.errors.input"] == ("xfailed", "passed")


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
    shown = f"a.b.c: passed -> {after}" if after else "claims only in the old (lost) (1): a.b.c (passed)"
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
    assert "new: torch 2.3.0 · devices cpu · targets eager · profile quick · selection keyword='shape'" in r.stdout
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
    assert r.returncode == 0 and r.stdout.startswith("old: torch 2.10.0 ·"), r.stdout
    assert "torch210.json" in r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    r = spec_cli("compare", str(empty), str(new))
    assert r.returncode == 2 and r.stderr.count("\n") == 1


def test_a_run_of_fewer_targets_compares_only_what_both_ran(tmp_path, spec_cli):
    """The stored report ran --target all; a user's eager run of the same release is compared on eager alone."""
    old = report(tmp_path / "a.json", "2.13.0", a_b_c="failed", a_b_d="passed")
    data = json.loads(old.read_text())
    data["environment"]["targets"] = "all"
    data["claims"]["a.b.c"]["targets"] = {"eager": "passed", "export": "failed"}
    data["claims"]["a.b.d"]["targets"] = {"eager": "passed", "export": "passed"}
    old.write_text(json.dumps(data))
    new = report(tmp_path / "b.json", "2.13.0", a_b_c="passed", a_b_d="passed")
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "targets eager, export" in r.stdout and "not compared: targets only the old run ran (export)" in r.stdout
    assert "no claim changed status" in r.stdout


def test_a_new_run_with_a_narrower_selection_does_not_lose_what_it_did_not_select(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.13.0", a_b_c="passed", a_b_d="passed")
    new = conditioned(report(tmp_path / "b.json", "2.13.0", a_b_c="passed"), selection={"keyword": "a_b_c"})
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 0 and "not compared (1): not selected by the newer run" in r.stdout


def test_a_claim_whose_range_ends_is_not_lost(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.1.0", a_b_c="passed")
    new = report(tmp_path / "b.json", "2.2.0", a_b_c="not-applicable")
    data = json.loads(new.read_text())
    data["claims"]["a.b.c"]["torch_range"] = "<2.2"
    new.write_text(json.dumps(data))
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 0 and "ended as declared" in r.stdout
    data["claims"]["a.b.c"]["torch_range"] = ">=2.0"  # in range, and no longer passing: lost
    new.write_text(json.dumps(data))
    assert spec_cli("compare", str(old), str(new)).returncode == 1


def test_reports_of_two_implementations_are_compared_only_when_asked(tmp_path, spec_cli):
    old = report(tmp_path / "a.json", "2.13.0", a_b_c="passed")
    new = conditioned(report(tmp_path / "b.json", "2.13.0", a_b_c="xfailed"), implementation={"name": "opacus"})
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 2 and "different implementations (torch -> opacus)" in r.stderr
    assert r.stderr.count("\n") == 1
    r = spec_cli("compare", str(old), str(new), "--across-implementations", "--allow-lost")
    assert r.returncode == 0 and "different implementations: torch -> opacus" in r.stdout


@pytest.mark.parametrize(
    "content",
    [
        b'{"schema": 1, "claims": {"a": {"status": "passed"}}, "environment": {"torch": "2.0"}}',  # a missing key
        b'{"schema": 1, "claims": {"a": {"status": "fine", "kind": "x"}}, "environment": {"torch": "2.0"}}',
        b'{"schema": 1, "claims": [], "environment": {"torch": "2.0"}}',  # claims as a list
        b'{"schema": 3, "claims": {}, "environment": {"torch": "2.0"}}',  # a future schema
        b'{"schema": 1, "claims": {}, "environment": {"torch": "\xff"}}',  # not UTF-8
        b"[" * 50000 + b"]" * 50000,  # nested too deep for the parser
        b'{"schema": 1, "claims": {"a": {"status": "passed", "kind": "x", "targets": ["eager"]}}, '
        b'"environment": {"torch": "2.0"}}',  # a claim's targets as a list
    ],
)
@pytest.mark.parametrize("command", ["compare", "matrix", "docs"])
def test_malformed_reports_are_one_line_exit_2_for_every_reader(tmp_path, content, command, spec_cli):
    bad = tmp_path / "reports" / "matrix" / "bad.json"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content)
    good = report(tmp_path / "a.json", "2.2.0", a_b_c="passed")
    args = {
        "compare": ["compare", str(good), str(bad)],
        "matrix": ["matrix", str(good), str(bad)],
        "docs": ["docs", "--check", "--reports", str(tmp_path / "reports"), "--out", str(tmp_path / "docs")],
    }[command]
    r = spec_cli(*args)
    assert r.returncode == 2, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr and "bad.json" in r.stderr


def test_a_withdrawn_claim_in_an_old_report_is_not_lost_coverage(tmp_path, spec_cli):
    """A claim taken back (spec.registry.WITHDRAWN) is in older reports only: not compared, not lost."""
    from spec.registry import WITHDRAWN

    [cid] = list(WITHDRAWN)[:1]
    old = report(tmp_path / "a.json", "2.9.1", a_b_c="passed")
    data = json.loads(old.read_text())
    data["claims"][cid] = dict(data["claims"]["a.b.c"])
    old.write_text(json.dumps(data))
    new = report(tmp_path / "b.json", "2.9.1", a_b_c="passed")
    r = spec_cli("compare", str(old), str(new))
    assert r.returncode == 0, r.stdout + r.stderr
    assert compare.compare(load_many([old])[0], load_many([new])[0])["not_compared"] == {cid: "withdrawn from the spec"}
