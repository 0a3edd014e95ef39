"""Issue #33: our tools under the faults users and scripts make, round 3. One test (or one parametrized test) per
numbered line of the issue, named ``test_33_<line>_...``; each failed on the code before the fix.

Fast where it runs in-process or in a process that stops before importing torch; ``e2e`` where a real ``verify``
runs pytest.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from spec.tools import cli

ROOT = Path(__file__).resolve().parent.parent


def one_line(r, fragment: str) -> None:
    """Exit 2, exactly one line on stderr holding ``fragment``, no traceback."""
    assert r.returncode == 2, f"expected exit 2, got {r.returncode}: {r.stderr}"
    assert r.stderr.count("\n") == 1 and fragment in r.stderr, f"expected one line with {fragment!r}, got {r.stderr!r}"
    assert "Traceback" not in r.stderr, r.stderr


@pytest.fixture
def cores(monkeypatch):
    """cores(n): this process may use n cores."""

    def set_cores(n):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(n)), raising=False)

    return set_cores


# --- 1. --jobs has an upper bound ----------------------------------------------------------------------------------
def test_33_1_jobs_beyond_the_cores_are_capped_saying_so(cores, started, spec_cli):
    cores(2)
    r = spec_cli("verify", "--device", "cpu", "--jobs", "100000")
    cmd = started.get("cmd", [])
    assert "-n" in cmd and cmd[cmd.index("-n") + 1] == "2", f"expected -n 2 (the cores), got {cmd}"
    said = [ln for ln in r.stderr.splitlines() if "--jobs" in ln]
    assert said == ["spec: --jobs 100000 is more than the 2 cores here: running 2"], r.stderr
    assert cli.jobs(2) == 2 and cli.jobs(1) == 1, "a number within the cores is kept"


# --- 2. errors inside the pytest run: validated before any worker, the first real line passed on -------------------
GOOD = {"reason": "why", "repro": "x = 1", "cases": [{}]}
#: (file text, what the one line says): each a way the 21 variants of the issue break the known file
BROKEN_KNOWN = [
    ("{not json", "not a JSON file"),
    ("\ufeff" + json.dumps({"divergences": {}}), "not a JSON file"),
    ("[1, 2]", "not a known-divergence file"),
    ("", "not a JSON file"),
    (json.dumps({"divergences": {"rnn.errors.state": {"repro": "x = 1", "cases": [{}]}}}), "no reason"),
    (json.dumps({"divergences": {"rnn.errors.state": dict(GOOD, torch="two")}}), "is not a range of releases"),
    (json.dumps({"divergences": {"rnn.errors.state": dict(GOOD, repro="x = 1\n" * 6)}}), "more than 5 lines"),
    (json.dumps({"divergences": {"rnn.errors.state": dict(GOOD, fix="later")}}), "unknown keys ['fix']"),
    (json.dumps({"divergences": {"rnn.errors.state": ["why"]}}), "entry must be an object"),
    (json.dumps({"divergences": {"rnn.errors.state": dict(GOOD, cases=None)}}), "'cases' must list"),
    (json.dumps({"divergences": {"rnn.errors.state": dict(GOOD, cases=[{"module": ["GRU"]}])}}), "unknown keys"),
    (json.dumps({"divergences": {"rnn.errors.state": dict(GOOD, repro="x = (")}}), "repro is not Python"),
    (json.dumps({"divergences": {"rnn.errors.state": {"reason": "why", "cases": [{}]}}}), "needs an upstream link"),
    (json.dumps({"divergences": {}, "extra": 1}), "unknown keys ['extra']"),
    (json.dumps({"limits": [{"when": {"hidden": 2}, "reason": "r", "repro": "x = 1"}]}), "'when' names ['hidden']"),
    # 6: a claim that does not exist, misspelt, or withdrawn
    (json.dumps({"divergences": {"rnn.erors.state": GOOD}}), "no such claim (did you mean rnn.errors.state?)"),
    (json.dumps({"divergences": {"rnn.targets.onnx-dynamo-refused-2-9": GOOD}}), "the claim was withdrawn"),
]


@pytest.mark.parametrize(("text", "fragment"), BROKEN_KNOWN, ids=[f for _, f in BROKEN_KNOWN])
@pytest.mark.parametrize("how", ["--known", "RNN_SPEC_KNOWN", "the adapter's own"])
def test_33_2_a_broken_known_file_is_one_line_before_any_work(how, text, fragment, tmp_path, monkeypatch, started,
                                                               spec_cli):  # fmt: skip
    path = tmp_path / "known.json"
    path.write_text(text, encoding="utf-8")
    monkeypatch.delenv("RNN_SPEC_KNOWN", raising=False)
    args = ["verify", "--device", "cpu", "--report", tmp_path / "r.json"]
    if how == "--known":
        args += ["--known", path]
    elif how == "RNN_SPEC_KNOWN":
        monkeypatch.setenv("RNN_SPEC_KNOWN", str(path))
    else:
        adapter(tmp_path, monkeypatch, "own", "known = property(lambda self: Path(__file__).with_name('known.json'))")
        args += ["--impl", "own_adapter:Own"]
    r = spec_cli(*args)
    one_line(r, fragment)
    assert started == {}, "verify started pytest"


def test_33_2_a_bad_keyword_expression_is_one_line_before_any_work(started, spec_cli):
    one_line(spec_cli("verify", "--device", "cpu", "-k", "and or ("), "-k 'and or (' is not a keyword expression")
    assert started == {}, "verify started pytest"


def test_33_2_the_exception_that_stopped_pytest_is_the_line_passed_on():
    """Under workers pytest's own error arrives inside an INTERNALERROR or a crashed worker's report: the exception's
    line is what the user reads, not the last line of the dump."""
    dump = "INTERNALERROR> Traceback\nINTERNALERROR>   File x\nINTERNALERROR> KeyError: 'rnn'\nINTERNALERROR>   ^^^\n"
    assert cli.pytest_stopped(3, dump) == "pytest stopped before the end (exit 3): KeyError: 'rnn'; no report written"
    crash = "[gw1] node down\nE   RuntimeError: worker gw1 crashed\nreplacing crashed worker gw1\n"
    assert "RuntimeError: worker gw1 crashed" in cli.pytest_stopped(1, crash), cli.pytest_stopped(1, crash)


# --- 3. signals: a background job (SIGINT ignored), a child that ignores them, SIGHUP -----------------------------
RUN = """
import signal, sys
from spec.tools import runner
runner.GRACE = 1.0
child = [sys.executable, "-c", {child!r}]
try:
    runner.run(child)
except runner.Stopped as e:
    sys.exit(e.code)
sys.exit(0)
"""
CHILD = "import os, time, pathlib; pathlib.Path({pid!r}).write_text(str(os.getpid())); {ignore}time.sleep(120)"


def background(code: str, env=None) -> subprocess.Popen:
    """``python -c code`` started as a script starts a job with ``&``: SIGINT ignored."""
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )


def alive(pid: int) -> bool:
    try:
        return open(f"/proc/{pid}/stat").read().split()[2] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    ("signum", "code", "ignore"),
    [
        (signal.SIGINT, 130, ""),  # the child inherited the ignored SIGINT before the fix
        (signal.SIGHUP, 129, ""),  # not handled at all before the fix
        (signal.SIGINT, 130, "import signal; signal.signal(signal.SIGINT, signal.SIG_IGN); "),  # killed after GRACE
    ],
    ids=["sigint-background", "sighup", "child-ignores-it"],
)
def test_33_3_the_runner_stops_its_child_whatever_it_inherited(signum, code, ignore, tmp_path):
    pid_file = tmp_path / "pid"
    proc = background(RUN.format(child=CHILD.format(pid=str(pid_file), ignore=ignore)))
    deadline = time.time() + 30
    while not pid_file.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert pid_file.exists(), "the child never started"
    time.sleep(0.3)  # the child's own handler (if any) is installed
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{signal.Signals(signum).name} did not stop the runner within 15 s")
    assert proc.returncode == code, f"expected exit {code}, got {proc.returncode}: {err}"
    child = int(pid_file.read_text())
    assert not alive(child), f"the child {child} outlived the runner"


@pytest.mark.e2e
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGHUP, 129)])
def test_33_3_verify_in_the_background_stops_on_sigint_and_sighup(signum, code, tmp_path):
    """A verify a script started with ``&`` (SIGINT ignored): SIGINT or SIGHUP stops it and every pytest process,
    in seconds, with one line and 128 + the signal's number; its temporary folder and no report left."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    report = tmp_path / "r.json"
    main = f"cli.main(['verify', '--device', 'cpu', '--report', {str(report)!r}])"
    code_text = f"import sys; from spec.tools import cli; sys.exit({main})"
    proc = background(code_text, env={**os.environ, "TMPDIR": str(tmp)})
    deadline = time.time() + 120
    while not any(tmp.iterdir()) and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(5)  # pytest and its workers are importing torch

    def descendants(pid):  # pytest, and the workers it started
        kids = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        return [int(k) for k in kids] + [d for k in kids for d in descendants(k)]

    others = descendants(proc.pid)
    started = time.time()
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        for pid in [proc.pid, *others]:  # what this test started
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail(f"{signal.Signals(signum).name} did not stop verify within 60 s")
    assert proc.returncode == code, f"expected {code}, got {proc.returncode}: {err}"
    assert time.time() - started < 25, f"it took {time.time() - started:.0f} s to stop"
    assert "Traceback" not in err and err.strip().count("\n") == 0 and "stopped" in err, err
    assert others, "verify had started no pytest process"
    for pid in others:
        assert not alive(pid), f"{pid} outlived verify"
    assert list(tmp.iterdir()) == [] and not report.exists(), list(tmp.iterdir())


# --- 4. docs from a folder holding only matrix/ ----------------------------------------------------------------------
def test_33_4_docs_refuse_to_remove_pages_whose_input_is_absent(tmp_path, spec_cli):
    reports = tmp_path / "reports"
    shutil.copytree(ROOT / "reports" / "matrix", reports / "matrix")
    out = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", out)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    for args in ([], ["--check"]):
        r = spec_cli("docs", "--reports", reports, "--out", out, *args)
        one_line(r, f"{reports} has no implementations/")
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before, "pages were removed"


# --- 5. adapters: their names, their own exceptions -------------------------------------------------------------------
def adapter(folder: Path, monkeypatch, name: str, body: str) -> None:
    """``{name}_adapter.{Name}``, an adapter of torch's own layers under another name, with ``body`` added (imported
    afresh: each test writes its own, in its own folder)."""
    monkeypatch.delitem(sys.modules, f"{name}_adapter", raising=False)
    (folder / f"{name}_adapter.py").write_text(
        textwrap.dedent(f"""
        from pathlib import Path
        from spec.implementations import OBJECTS, Implementation

        class {name.capitalize()}(Implementation):
            name, title, provides = {name!r}, "torch's layers", frozenset(OBJECTS)
            {body}
        """),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(folder))


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("name = '../../../escaped'", "the adapter's name '../../../escaped' is not a file stem"),
        ("name = 'torch'", "the adapter's name 'torch' is the shipped adapter spec.implementations.stock:Torch's"),
        (
            "def __init__(self): raise RuntimeError('no licence')",
            "building the adapter raised RuntimeError: no licence",
        ),
        ("def unavailable(self): raise OSError('disk')", "its unavailable() raised OSError: disk"),
        ("def versions(self): raise KeyError('mylib')", "its versions() raised KeyError: 'mylib'"),
    ],
    ids=["path", "torch", "constructor", "unavailable", "versions"],
)
def test_33_5_an_adapter_s_name_and_exceptions_are_one_line(body, fragment, tmp_path, monkeypatch, started, spec_cli):
    adapter(tmp_path, monkeypatch, "odd", body)
    monkeypatch.chdir(tmp_path / "..")
    r = spec_cli("verify", "--device", "cpu", "--impl", "odd_adapter:Odd")
    one_line(r, fragment)
    assert started == {}, "verify started pytest"
    assert not list(tmp_path.parent.parent.parent.glob("escaped*")), "a report was written outside"


# --- 6. a known entry for a claim the spec does not have ------------------------------------------------------------
def test_33_6_the_loader_names_a_misspelt_claim_with_the_nearest(tmp_path):
    from spec.implementations import divergences

    path = tmp_path / "lib.json"
    path.write_text(json.dumps({"divergences": {"rnn.errors.stat": GOOD}}))
    with pytest.raises(divergences.KnownFileError) as e:
        divergences.load(path)
    assert str(e.value) == "lib.json: rnn.errors.stat: no such claim (did you mean rnn.errors.state?)", str(e.value)
    path.write_text(json.dumps({"divergences": {"rnn.errors.state": GOOD}}))
    divergences.load.cache_clear()
    assert set(divergences.load(path).divergences) == {"rnn.errors.state"}, "a real claim is accepted"


def test_33_6_the_claim_ids_read_from_source_are_the_registry_s():
    """The loader reads the IDs without importing the claims (before a run, without torch): the same set."""
    import spec
    from spec.implementations import divergences

    registered = {c.id for c in spec.load_all()}
    read = divergences.claim_ids()
    assert read == registered, f"only read: {sorted(read - registered)}; only registered: {sorted(registered - read)}"


def test_33_6_the_ids_are_read_as_claims_write_them_and_nothing_else():
    from spec.implementations.divergences import CLAIM_ID

    text = '@claim(\n    id="a.shape.one",\n)\n@registry.claim(id="b.shape.two")\n'
    text += 'claim_of(id="c.x.y")\nclaimed(id="d.x.y")\n@claim(scope=1, id="e.x.y")\n'  # the last: the test above fails
    assert CLAIM_ID.findall(text) == ["a.shape.one", "b.shape.two"], CLAIM_ID.findall(text)


# --- 7. compare: a claim skipped by a target or device choice is not lost ------------------------------------------
def report(devices: str, cuda: bool, targets: str, claims: dict):
    from spec.tools.results import Report

    env = {"torch": "2.13.0+cpu", "devices": devices, "cuda_available": cuda, "targets": targets,
           "hypothesis_profile": "ci", "implementation": {"name": "torch"}}  # fmt: skip
    entries = {
        cid: {"status": status, "kind": kind, "devices": devs, "targets": tgts, "cases": 1}
        for cid, (status, kind, devs, tgts) in claims.items()
    }
    return Report.from_json({"schema": 2, "environment": env, "claims": entries}, "t")


def test_33_7_claims_skipped_by_a_target_or_device_choice_are_not_lost():
    from spec.tools import compare

    every = {t: "passed" for t in ("eager", "compile", "export", "script", "onnx")}
    old = report("all", True, "all", {
        "rnn.numerics.cpu-matches-cuda": ("passed", "numerics", {"cuda": "passed"}, every),
        "rnn.targets.compile-matches-eager": ("passed", "targets", {"cpu": "passed"}, {"eager": "passed"}),
        "rnn.shape.hn-batch-second": ("passed", "shape", {"cpu": "passed"}, every),
        "rnn.state.carry": ("passed", "state", {"cpu": "passed"}, every),
        # both axes only partly shared: the report keeps them apart, so (cpu, eager) is not known
        "rnn.semantics.both": ("passed", "semantics", {"cpu": "passed", "cuda": "passed"}, every),
    })  # fmt: skip
    new = report("cpu", False, "eager", {
        "rnn.numerics.cpu-matches-cuda": ("skipped", "numerics", {"cuda": "skipped"}, {"eager": "skipped"}),
        "rnn.targets.compile-matches-eager": ("skipped", "targets", {"cpu": "skipped"}, {"eager": "skipped"}),
        "rnn.shape.hn-batch-second": ("failed", "shape", {"cpu": "failed"}, {"eager": "failed"}),  # planted
        "rnn.state.carry": ("skipped", "state", {"cpu": "skipped"}, {"eager": "skipped"}),  # planted
        "rnn.semantics.both": ("skipped", "semantics", {"cpu": "skipped"}, {"eager": "skipped"}),
    })  # fmt: skip
    diff = compare.compare(old, new)
    by_choice = {"rnn.numerics.cpu-matches-cuda", "rnn.targets.compile-matches-eager", "rnn.semantics.both"}
    assert set(diff["not_compared"]) == by_choice, diff["not_compared"]
    assert compare.exit_code(dict(diff, regressions={})) == 1, "the planted loss still fails the comparison"
    assert set(diff["regressions"]) == {"rnn.shape.hn-batch-second"}, "a failure on what both ran is still one"
    assert set(diff["lost"]) == {"rnn.state.carry"}, "a skip on what both ran is still lost"


# --- 8. programs stopped during start-up --------------------------------------------------------------------------
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_33_8_a_program_stopped_while_starting_is_one_line(signum, code, tmp_path, monkeypatch, capsys):
    """hello --resume: the signal comes while it loads the state it continues from (a real signal, to itself)."""
    from reference.programs import hello, runs

    assert hello.main(["--epochs", "1", "--out", str(tmp_path)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    real = runs.Run.load

    def load(self, *args, **kwargs):
        os.kill(os.getpid(), signum)
        time.sleep(1)  # the handler runs here
        return real(self, *args, **kwargs)

    monkeypatch.setattr(runs.Run, "load", load)
    rc = hello.main(["--epochs", "100000", "--out", str(tmp_path), "--resume"])
    err = capsys.readouterr().err
    name = signal.Signals(signum).name
    assert rc == code and err == f"hello: stopped by {name} before training; nothing saved\n", (rc, err)


# --- 9. a report's devices as a number, a FIFO among the reports ----------------------------------------------------
@pytest.mark.parametrize("command", ["matrix", "compare"])
def test_33_9_devices_that_are_not_text_are_one_line(command, tmp_path, spec_cli):
    data = json.loads((ROOT / "reports" / "matrix" / "torch213.json").read_text())
    data["environment"]["devices"] = 3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    args = [bad] if command == "matrix" else [ROOT / "reports" / "matrix" / "torch213.json", bad]
    one_line(spec_cli(command, *args), "malformed 'environment.devices'")


def test_33_9_a_fifo_among_the_reports_is_one_line_not_a_hang(tmp_path):
    reports = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", reports)
    fifo = reports / "matrix" / "zz.json"
    os.mkfifo(fifo)
    cmds = {"docs": ["docs", "--reports", str(reports), "--check"], "matrix": ["matrix", str(fifo)]}
    for what, args in cmds.items():
        try:
            r = subprocess.run(
                [sys.executable, "-m", "spec", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"{what} hung on a FIFO")
        one_line(r, f"{fifo}: not a")


# --- 10. the tests themselves, plain pytest, a closed stdout ---------------------------------------------------------
def test_33_10_jobs_need_xdist_in_a_read_only_checkout(monkeypatch, cores, spec_cli):
    """The folder verify runs in takes no files (/proc, as a read-only checkout): the --jobs error is still the one
    given, before the report's path is looked at."""
    import importlib.util

    cores(4)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "xdist" else real(name, *a))
    monkeypatch.chdir("/proc")
    one_line(spec_cli("verify", "--jobs", "2"), "--jobs 2 needs pytest-xdist")


def test_33_10_plain_pytest_with_a_bad_implementation_is_one_line(tmp_path):
    env = {**os.environ, "RNN_SPEC_IMPL": "garbage"}
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "spec/claims/repr", "-q", "-p", "no:randomly", "-p", "no:cacheprovider"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
    assert r.returncode == 4 and lines == [lines[0]] and "unknown implementation 'garbage'" in lines[0], (
        r.returncode,
        lines,
    )


def test_33_10_a_closed_stdout_is_one_line():
    r = subprocess.run(
        [sys.executable, "-m", "spec", "claims", "--json"],
        cwd=ROOT, capture_output=False, stderr=subprocess.PIPE, text=True, timeout=120,
        preexec_fn=lambda: os.close(1),
    )  # fmt: skip
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "standard output is closed" in r.stderr, r.stderr


# --- 11. mutants of an implementation that is not installed --------------------------------------------------------
def test_33_11_mutants_of_an_absent_implementation_are_skipped_with_the_reason(monkeypatch, capsys):
    """opacus not importable: its mutant is skipped with the reason and the campaign's verdict is the others'. The
    spec's runs are stood in for by what they give: under opacus, no report (it cannot import it)."""
    from spec.tools.mutants import campaign
    from spec.tools.results import Report

    monkeypatch.setitem(sys.modules, "opacus", None)  # import opacus raises ImportError
    held = Report.from_json({"schema": 2, "environment": {"torch": "2.13.0"}, "claims": {}})
    caught = Report.from_json(
        {"schema": 2, "environment": {"torch": "2.13.0"}, "claims": {"rnn.x.y": {"status": "failed", "kind": "shape"}}}
    )

    def run_spec(profile, mutant=None, target="eager", impl=None):
        if impl == "opacus" and mutant:
            raise campaign.CampaignError(f"the spec did not run under mutant {mutant}")
        return (caught, {"rnn.x.y": {"assertion": ["x"]}}) if mutant else (held, {})

    monkeypatch.setattr(campaign, "run_spec", run_spec)
    names = ["opacus-lstm-drops-initial-state", "hn-batch-first"]
    results = campaign.campaign(names, "quick")
    skipped = results["opacus-lstm-drops-initial-state"].get("skipped") or ""
    assert "cannot import opacus" in skipped, results
    assert results["hn-batch-first"]["killed"] and campaign.survivors(results) == [], results
