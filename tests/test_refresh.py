"""`python -m spec refresh`: its steps read from what is stored, resumable at today's claim set, one line for bad
arguments."""

import json
import shutil
from pathlib import Path

from spec.tools import cli, refresh

ROOT = Path(__file__).resolve().parent.parent


def stored(tmp_path: Path) -> Path:
    reports = tmp_path / "reports"
    for folder in ("matrix", "implementations", "cuda"):
        (reports / folder).mkdir(parents=True)
    shutil.copy(ROOT / "reports" / "matrix" / "torch213.json", reports / "matrix" / "torch213.json")
    shutil.copy(ROOT / "reports" / "matrix" / "torch18.json", reports / "matrix" / "torch18.json")
    shutil.copy(ROOT / "reports" / "implementations" / "opacus.json", reports / "implementations" / "opacus.json")
    shutil.copy(ROOT / "reports" / "cuda" / "2.11.0-h100.json", reports / "cuda" / "2.11.0-h100.json")
    figure = {"runs": [{"command": "K=1 python benchmarks/x.py --out reports/x.json"}] * 2, "figure": "x"}
    (reports / "x.json").write_text(json.dumps(figure))
    return reports


def test_the_steps_are_what_is_stored_and_say_what_this_machine_cannot_make(tmp_path):
    steps = refresh.steps(stored(tmp_path), has_tox=False, has_gpu=False)
    names = [s.name for s in steps]
    assert names == [
        "matrix/torch18",  # releases in order, not by file name
        "matrix/torch213",
        "implementations/opacus",
        "cuda/2.11.0-h100",
        "figure/x.json#1",  # two runs of one command: one step
        "docs",
    ], names
    cannot = {s.name: s.cannot for s in steps if s.cannot}
    assert set(cannot) == {"matrix/torch18", "matrix/torch213", "cuda/2.11.0-h100"}, cannot
    figure = steps[4]
    assert figure.env == {"K": "1"} and figure.argv[1:] == ["benchmarks/x.py", "--out", "reports/x.json"], figure
    assert "--impl" in steps[2].argv and steps[2].argv[steps[2].argv.index("--impl") + 1] == "opacus", steps[2].argv


def test_a_refresh_resumes_where_it_stopped_and_redoes_a_failure_or_a_new_claim_set(tmp_path):
    steps = [refresh.Step("a", ["a"], "A"), refresh.Step("b", ["b"], "B"), refresh.Step("gpu", ["g"], "G", cannot="x")]
    ran, said = [], []
    codes = {"a": 0, "b": 1}

    def execute(step):
        ran.append(step.name)
        return codes[step.name]

    state = tmp_path / "refresh.json"
    assert refresh.run(steps, state, "k1", execute=execute, say=said.append) == 1
    assert ran == ["a", "b"], ran
    recorded = json.loads(state.read_text())["steps"]
    assert recorded["a"]["exit"] == 0 and recorded["b"]["exit"] == 1 and "gpu" not in recorded, recorded
    assert any("not here (x)" in line for line in said), said
    codes["b"] = 0
    ran.clear()
    assert refresh.run(steps, state, "k1", execute=execute, say=said.append) == 0
    assert ran == ["b"], f"a finished step ran again, or the failed one did not: {ran}"
    ran.clear()
    assert refresh.run(steps, state, "k2", execute=execute, say=said.append) == 0
    assert ran == ["a", "b"], f"a new claim set must remake every step: {ran}"
    ran.clear()
    refresh.run(steps, state, "k2", again=True, execute=execute, say=said.append)
    assert ran == ["a", "b"], ran


def test_refresh_refuses_an_only_that_selects_nothing_in_one_line(tmp_path, capsys):
    assert cli.main(["refresh", "--reports", str(stored(tmp_path)), "--only", "nothing/*"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "selects no step" in err, err


def test_a_step_that_ends_0_without_rewriting_its_file_failed(tmp_path):
    """A stored figure whose recorded command stores nothing (a run converted from a text file had no --out): the
    step ran and exited 0, but made nothing; it is counted as failed, naming the file."""
    figure = tmp_path / "x.json"
    figure.write_text("{}")
    steps = [refresh.Step("figure/x.json#1", ["x"], "reports/x.json", writes=figure)]
    said: list = []
    state = tmp_path / "refresh.json"
    assert refresh.run(steps, state, "k", execute=lambda step: 0, say=said.append) == 1, said
    assert any("did not rewrite reports/x.json" in line for line in said), said
    assert json.loads(state.read_text())["steps"]["figure/x.json#1"]["exit"] == 1

    def rewrite(step):
        import os

        os.utime(figure, ns=(figure.stat().st_atime_ns, figure.stat().st_mtime_ns + 1_000_000))
        return 0

    assert refresh.run(steps, state, "k", execute=rewrite, say=said.append) == 0, said


def test_a_step_records_the_revision_that_ran_it_not_the_one_it_left(tmp_path, monkeypatch):
    revision = {"now": "abc"}
    monkeypatch.setattr(refresh.res, "git_revision", lambda: revision["now"])

    def execute(step):  # the step changes the checkout (a commit, an edit) as it runs
        revision["now"] = "def-dirty"
        return 0

    state = tmp_path / "refresh.json"
    assert refresh.run([refresh.Step("a", ["a"], "A")], state, "k", execute=execute, say=lambda _: None) == 0
    assert json.loads(state.read_text())["steps"]["a"]["git"] == "abc"
