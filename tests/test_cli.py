"""``python -m spec``: the main job and its error paths, as a user runs it."""

import json
from pathlib import Path

import pytest

import spec
from spec.registry import Registry
from spec.tools import cli

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def verify_runs(launch, tmp_path_factory):
    """The two verify runs that reach pytest, started together."""
    tmp = tmp_path_factory.mktemp("verify")
    ok = tmp / "out" / "r.json"
    none = tmp / "none" / "r.json"
    (tmp / "none").mkdir()
    args = ["verify", "--device", "cpu", "--profile", "quick", "--report"]
    return {
        "ok": (ok, launch([*args, str(ok), "-k", "signature_defaults or repr"])),
        "none": (none, launch([*args, str(none), "-k", "no_such_claim_anywhere"])),
        **{
            f"jobs {n}": (tmp / f"j{n}.json", launch([*args, str(tmp / f"j{n}.json"), "-k", "repr or errors", "-j", n]))
            for n in ("1", "2")
        },
    }


@pytest.mark.e2e
def test_verify_writes_a_report_and_prints_the_summary(verify_runs):
    target, future = verify_runs["ok"]
    r = future.result()
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(target.read_text())
    assert data["claims"]["rnn.parameters.signature-defaults"]["status"] == "passed"
    assert data["environment"]["hypothesis_profile"] == "quick"
    assert "held" in r.stdout and str(target) in r.stdout
    assert [p.name for p in target.parent.iterdir()] == ["r.json"]


@pytest.mark.e2e
def test_verify_in_one_process_or_in_workers_writes_the_same_report(verify_runs):
    """``--jobs 2`` (pytest-xdist workers, each recording its share, the controller merging) and ``--jobs 1`` (one
    process): every claim's result the same, cases in collection order (a claim's reason is its first case's)."""
    reports = {}
    for n in ("1", "2"):
        path, future = verify_runs[f"jobs {n}"]
        r = future.result()
        assert r.returncode == 0, r.stdout + r.stderr
        reports[n] = json.loads(path.read_text())
    one, two = reports["1"], reports["2"]
    assert len(one["claims"]) > 20 and one["claims"] == {
        cid: dict(r, duration=one["claims"][cid]["duration"]) for cid, r in two["claims"].items()
    }
    assert one["environment"] == two["environment"] and one["unclaimed"] == two["unclaimed"] == {}


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["verify", "--jobs", "0"], "a whole number of processes, 1 or more, not '0'"),
        (["verify", "-j", "two"], "a whole number of processes, 1 or more, not 'two'"),
        (["verify", "--device", "tpu"], "unknown device 'tpu'"),
        (["verify", "--profile", "fast"], "unknown profile 'fast'"),
        (["verify", "--bogus"], "unrecognized arguments"),
        ([], "a command is required"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(args, fragment, spec_cli):
    r = spec_cli(*args)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and fragment in r.stderr and "Traceback" not in r.stderr


def test_verify_jobs_needs_xdist_for_more_than_one(monkeypatch, spec_cli):
    import importlib.util
    import os

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)  # --jobs 2 is not capped

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xdist" else real(name, *a))
    r = spec_cli("verify", "--jobs", "2")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--jobs 2 needs pytest-xdist" in r.stderr
    assert cli.jobs(None) == 1  # by default: one process where xdist is missing


def test_verify_says_when_a_worker_crashed_and_writes_no_report(tmp_path, monkeypatch, spec_cli):
    from spec.session import LOST
    from spec.tools import runner

    line = f"{LOST} (gw1: worker 'gw1' crashed while running 'x'); no report written\n"
    monkeypatch.setattr(runner, "run", lambda cmd, **kw: (1, "", line))
    r = spec_cli("verify", "--report", str(tmp_path / "r.json"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "a pytest worker stopped before the end" in r.stderr
    assert "--jobs 1" in r.stderr and not (tmp_path / "r.json").exists()


def test_verify_jobs_default_to_the_cores_at_most_four(monkeypatch):
    import os

    for cores, expected in ((1, 1), (2, 2), (16, cli.MAX_JOBS)):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, n=cores: set(range(n)), raising=False)
        assert cli.jobs(None) == expected
    assert cli.jobs(3) == 3


def test_unwritable_report_path(tmp_path, spec_cli):
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = spec_cli("verify", "--report", str(blocker / "r.json"))
    assert r.returncode == 2 and "cannot write report" in r.stderr and r.stderr.count("\n") == 1


def test_report_path_that_is_a_directory(tmp_path, spec_cli):
    r = spec_cli("verify", "--report", str(tmp_path))
    assert r.returncode == 2 and "is a directory" in r.stderr


@pytest.mark.e2e
def test_k_selecting_no_claim_leaves_no_report(verify_runs):
    target, future = verify_runs["none"]
    r = future.result()
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == ["spec: error: -k 'no_such_claim_anywhere' selects no claim"]
    assert list(target.parent.iterdir()) == []


def test_claims_json_lists_every_claim_with_a_source(capsys):
    assert cli.main(["claims", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ids = {c["id"] for c in data["claims"]}
    assert {
        "rnn.shape.output-seq-first",
        "rnn.shape.hn-batch-second",
        "cells.semantics.loop-equals-layer",
        "rnn.parameters.names-shapes",
        "lstm.shape.state-pair",
    } <= ids
    assert all(c["sources"] for c in data["claims"]) and data["problems"] == []


def test_claims_fails_naming_invalid_claims(monkeypatch, capsys, make_claim):
    bad = Registry()
    make_claim(bad, id="x.shape.twice")
    make_claim(bad, id="x.shape.twice")
    make_claim(bad, id="x.shape.orphan", sources=())
    from spec.sources import docstrings

    monkeypatch.setattr(spec, "load_all", lambda: bad)
    docstrings.walk.cache_clear()  # the walk is cached from the registry it first reads: this one, and only here
    try:
        assert cli.main(["claims"]) == 1
    finally:
        docstrings.walk.cache_clear()  # a later test reads the real registry's walk, not this one's
    err = capsys.readouterr().err
    assert "'x.shape.twice': duplicate id" in err and "'x.shape.orphan': has no source" in err


# --- what verify prints, and how it stops ----------------------------------------------------------------------
class FakeTerminal:
    def __init__(self):
        self.text = ""

    def isatty(self):
        return True

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_verify_progress_is_one_line_rewritten_in_place():
    from spec.tools.summary import Progress

    term = FakeTerminal()
    progress = Progress(stream=term)
    assert progress.line("spec-progress 1 4\n") and progress.line("spec-progress 4 4\n")
    assert not progress.line("some warning\n")  # not ours: handed back
    progress.done()
    assert "\n" not in term.text and term.text.count("\r") == 3 and "4/4 cases (100 %)" in term.text


def test_verify_progress_is_silent_off_a_terminal():
    import io

    from spec.tools.summary import Progress

    stream = io.StringIO()
    progress = Progress(stream=stream)
    assert progress.line("spec-progress 1 4\n") and stream.getvalue() == ""


@pytest.fixture(scope="module")
def quiet_run(launch, tmp_path_factory):
    out = tmp_path_factory.mktemp("quiet") / "r.json"
    args = ["verify", "--device", "cpu", "--profile", "quick", "-q", "--report", str(out), "-k", "signature_defaults"]
    return launch(args)


@pytest.mark.e2e
def test_verify_quiet_prints_the_table_only(quiet_run):
    r = quiet_run.result()
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("torch ") and lines[1].split()[:3] == ["claims", "by", "kind"]
    assert lines[-1].split()[0] == "total" and len(lines) <= 20, r.stdout
    assert r.stderr == ""


@pytest.mark.e2e
@pytest.mark.parametrize(("signum", "code"), [(15, 143), (2, 130)])
def test_verify_stopped_by_a_signal_stops_pytest_and_leaves_nothing(tmp_path, signum, code):
    """SIGTERM or SIGINT to verify: the pytest child and its workers are stopped too (no orphan), the temporary
    folder removed, no report written, one line on stderr and no traceback."""
    import os
    import signal
    import subprocess
    import sys
    import time

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    report = tmp_path / "r.json"
    env = {**os.environ, "TMPDIR": str(tmp)}
    cmd = [sys.executable, "-m", "spec", "verify", "--device", "cpu", "--report", str(report)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not any(tmp.iterdir()) and time.time() < deadline:  # the run's temporary folder: pytest is starting
        time.sleep(0.2)
    time.sleep(5)

    def descendants(pid):  # pytest, and the workers it started
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        return kids + [d for k in kids for d in descendants(k)]

    children = descendants(proc.pid)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, out + err
    assert "Traceback" not in err and err.strip().count("\n") == 0 and "stopped" in err, err
    assert children, "verify had started no pytest child"
    workers = cli.jobs(None)
    assert len(children) >= 1 + (workers if workers > 1 else 0), children  # pytest, then its xdist workers
    for pid in children:
        assert not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z"
    assert list(tmp.iterdir()) == [] and not report.exists()
    signal.getsignal(signal.SIGINT)  # the test process's own handlers are untouched


def test_a_device_type_this_machine_lacks_skips_cleanly_with_the_reason():
    """--device mps (or xpu) on a machine without one: every case skips, saying why; nothing crashes."""
    from spec.helpers import axes

    reason = axes.device_skip_reason("mps")
    assert reason is None or reason.startswith("mps: ")
    assert axes.device_skip_reason("cpu") is None
    assert axes.claim_devices(None, ("mps",)) == ("cpu", "cuda", "mps")


def test_the_cli_offers_every_device_type_the_registry_knows():
    from spec.registry import DEVICE_TYPES

    assert cli.DEVICES == DEVICE_TYPES + ("all",)


# --- the package and the implementer's entry points (issues #29, #30) -----------------------------------------------
def test_version_names_the_suite_and_its_revision(spec_cli):
    from spec import version

    r = spec_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith(f"rnn-spec {spec.__version__} (git "), r.stdout
    assert version.revision() in r.stdout and f"checkout {ROOT}" in r.stdout, r.stdout


@pytest.mark.parametrize(
    ("environment", "args", "expected"),
    [
        ({"RNN_SPEC_IMPL": "spec.implementations.example:Example"}, [], "spec.implementations.example:Example"),
        ({}, ["--impl", "spec.implementations.example:Example"], "spec.implementations.example:Example"),
        ({"RNN_SPEC_IMPL": "spec.implementations.example:Example"}, ["--impl", "torch"], "torch"),
        ({}, [], "torch"),
    ],
)
def test_the_implementation_reaches_pytest_as_it_was_named(environment, args, expected, monkeypatch, started, spec_cli):
    """$RNN_SPEC_IMPL and --impl the same: pytest gets the MODULE:ATTR as given (not the adapter's name, which does
    not import), and an explicit --impl torch wins over the environment."""
    monkeypatch.delenv("RNN_SPEC_IMPL", raising=False)
    for k, v in environment.items():
        monkeypatch.setenv(k, v)
    r = spec_cli("verify", "--device", "cpu", *args)
    assert r.returncode == 2 and "no claim collected" in r.stderr, r.stderr
    assert f"--spec-impl={expected}" in started["cmd"], started["cmd"]
    assert started["cwd"] == Path.cwd() and "spec.pytest_plugin" in started["cmd"], started


def test_known_file_reaches_pytest_as_an_absolute_path(tmp_path, monkeypatch, started, spec_cli):
    known = tmp_path / "known.json"
    known.write_text('{"divergences": {}}')
    monkeypatch.chdir(tmp_path)
    r = spec_cli("verify", "--device", "cpu", "--known", "known.json")
    assert r.returncode == 2 and "no claim collected" in r.stderr, r.stderr
    assert f"--spec-known={known}" in started["cmd"], started["cmd"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [(None, "No such file"), ("{not json", "not a JSON file"), ("[1, 2]", "not a known-divergence file")],
)
def test_a_bad_known_file_is_one_line_and_exit_2_before_any_work(text, fragment, tmp_path, started, spec_cli):
    path = tmp_path / "known.json"
    if text is not None:
        path.write_text(text)
    r = spec_cli("verify", "--known", path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr, r.stderr
    assert started == {}, "verify started pytest"


def test_a_usage_error_pytest_gives_is_verify_s_one_line():
    err = "ERROR: known-divergence file /x/k.json: k.json: rnn.a.b: no reason\n"
    assert cli.pytest_stopped(4, err) == "known-divergence file /x/k.json: k.json: rnn.a.b: no reason"
    assert cli.pytest_stopped(3, "INTERNALERROR> boom\n").startswith("pytest stopped before the end (exit 3)")
    invalid = "ERROR: invalid claims:\n  'a.b.c': duplicate id\n"
    assert cli.pytest_stopped(4, invalid).startswith("the registry is invalid: 'a.b.c': duplicate id")


@pytest.mark.parametrize("command", cli.CHECKOUT_ONLY)
def test_checkout_only_commands_are_refused_from_a_wheel(command, monkeypatch, spec_cli):
    from spec import version

    monkeypatch.setattr(version, "checkout", lambda: None)
    r = spec_cli(command)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and f"{command} needs a checkout" in r.stderr, r.stderr
