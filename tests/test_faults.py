"""Our own tools under faults, as an adversary would drive them: signals mid-run, unwritable and missing paths,
concurrent runs on one cache, malformed reports, invalid numbers, a closed pipe, a missing torch.

The convention under test (README, "Exit codes"): 0 ok; 1 a claim failed or regressed; 2 usage, input or
environment, as one line on stderr and before any work; 130/143 a program stopped by SIGINT/SIGTERM, with its
last finished epoch saved. Subprocesses run two at a time (``launch``); the rest runs in-process.
"""

import json
import os
import signal
from pathlib import Path

import pytest
from test_datasets import imdb_members, make_tar
from test_examples import tiny_corpora, tiny_imdb  # noqa: F401 (tiny_corpora: a fixture)

ROOT = Path(__file__).resolve().parent.parent
STORED = ROOT / "reports" / "matrix"
UNWRITABLE = "/proc/x"  # no new entries here, even for root (the usual user in containers)


def one_line_error(text: str, prefix: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(prefix), text
    return lines[0]


#: Run as ``python -c SIGNAL OUT``: start hello for a long run, signal it once it prints its second epoch (so
#: the first is saved), print its exit code and stderr as JSON.
STOP_AFTER_AN_EPOCH = """
import json, signal, subprocess, sys
cmd = [sys.executable, "-m", "reference.programs.hello", "--epochs", "100000", "--out", sys.argv[2]]
proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
for line in proc.stdout:
    if line.startswith("epoch   2"):
        break
proc.send_signal(getattr(signal, sys.argv[1]))
_, err = proc.communicate(timeout=120)
print(json.dumps({"rc": proc.returncode, "stderr": err}))
"""

#: Run as ``python -c ARCHIVE TARGET``: extract an archive slowly, exit with the one-line error if it fails.
SLOW_EXTRACT = """
import sys, tarfile, time
from pathlib import Path
from reference.programs import datasets
plain = tarfile.TarFile.extract
def slow(self, *args, **kwargs):
    time.sleep(0.05)
    return plain(self, *args, **kwargs)
tarfile.TarFile.extract = slow
try:
    datasets.extract(Path(sys.argv[1]), Path(sys.argv[2]))
except datasets.DataError as e:
    sys.exit(str(e))
"""

#: Run as ``python -c SLOW_EXTRACT ARCHIVE TARGET``: two such runs at once (so that they overlap); prints their
#: exit codes and stderr as JSON.
TWO_AT_ONCE = """
import json, subprocess, sys
procs = [subprocess.Popen([sys.executable, "-c", *sys.argv[1:]], stderr=subprocess.PIPE, text=True) for _ in "ab"]
print(json.dumps([(p.wait(), p.stderr.read()) for p in procs]))
"""

#: Run as ``python -c REPORT...``: ``spec matrix`` into a pipe whose reader has gone (``| head -1`` once it has
#: its line).
CLOSED_PIPE = """
import subprocess, sys
cmd = [sys.executable, "-m", "spec", "matrix", *sys.argv[1:]]
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
p.stdout.close()
err = p.stderr.read().decode()
print(p.wait())
print(err, end="")
"""


#: ``python -c`` that becomes bash: a shell script run through ``launch``
BASH = ["-c", "import os, sys; os.execvp('bash', ['bash', *sys.argv[1:]])"]


@pytest.fixture(scope="module")
def runs(launch, tmp_path_factory):
    """Every subprocess of this module, started together and run two at a time."""
    tmp = tmp_path_factory.mktemp("faults")
    archive = make_tar(tmp / "imdb.tar.gz", imdb_members())
    cache = tmp / "cache"
    fake = tmp / "fake"  # a torch that is not installed
    (fake / "torch").mkdir(parents=True)
    (fake / "torch" / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
    )
    bin_ = tmp / "bin"  # a tox and a uv that cannot install anything
    bin_.mkdir()
    (bin_ / "tox").write_text('#!/bin/sh\n[ "$1" = -l ] && printf "torch22\\ntorch215\\n" && exit 0\nexit 1\n')
    (bin_ / "uv").write_text('#!/bin/sh\n[ "$1" = venv ] && exit 0\nexit 1\n')
    for tool in ("tox", "uv"):
        (bin_ / tool).chmod(0o755)
    path = f"{bin_}:{os.environ['PATH']}"
    env = {**os.environ, "RNN_SPEC_DATA": str(tmp), "PATH": path}
    return {
        "tmp": tmp,
        "SIGTERM": launch(["-c", STOP_AFTER_AN_EPOCH, "SIGTERM", str(tmp / "SIGTERM")], module=None),
        "extract": launch(["-c", TWO_AT_ONCE, SLOW_EXTRACT, str(archive), str(cache / "aclImdb")], module=None),
        "head": launch(["-c", CLOSED_PIPE, *map(str, sorted(STORED.glob("*.json")))], module=None),
        "no_torch": launch(["claims"], env={**os.environ, "PYTHONPATH": str(fake)}),
        "release_usage": launch([*BASH, "scripts/check_release.sh"], env=env, module=None),
        "release_install": launch([*BASH, "scripts/check_release.sh", "2.2.1"], env=env, module=None),
    }


# --- programs: stopped mid-run, resumed -----------------------------------------------------------------


def resumes_where_it_stopped(out: Path, signame: str, code: int, rc: int, stderr: str) -> None:
    """The stopped run said so in one line and kept its finished epochs; resuming it gives the run that was
    never stopped."""
    from reference.programs import hello

    line = one_line_error(stderr, f"hello: stopped by {signame} after epoch")
    assert rc == code and "--resume" in line
    summary = json.loads((out / "hello-cell.json").read_text())
    done = summary["epochs"]
    assert summary["stopped"] == signame and done >= 1 and (out / "hello-cell.pt").stat().st_size > 0
    assert hello.main(["--resume", "--epochs", str(done + 2), "--out", str(out)]) == 0
    resumed = json.loads((out / "hello-cell.json").read_text())
    straight = hello.train("cell", done + 2)[1]
    assert resumed["losses"] == [round(loss, 4) for _, loss in straight] and "stopped" not in resumed


@pytest.mark.e2e
def test_sigterm_mid_run_keeps_the_epochs_and_resumes(runs, capsys):
    r = json.loads(runs["SIGTERM"].result().stdout)
    resumes_where_it_stopped(runs["tmp"] / "SIGTERM", "SIGTERM", 143, r["rc"], r["stderr"])


def test_ctrl_c_mid_run_keeps_the_epochs_and_resumes(tmp_path, monkeypatch, capsys):
    """The same with SIGINT, sent by the process to itself during its third epoch (in-process: no torch import)."""
    from reference.programs import hello

    plain, calls = hello.epoch, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        return plain(*args)

    monkeypatch.setattr(hello, "epoch", interrupted)
    rc = hello.main(["--epochs", "100", "--out", str(tmp_path)])
    monkeypatch.setattr(hello, "epoch", plain)
    resumes_where_it_stopped(tmp_path, "SIGINT", 130, rc, capsys.readouterr().err)


# --- programs: what they will write is checked before any work ---------------------------------------------


def test_an_unwritable_out_is_refused_before_training(capsys):
    from reference.programs import hello

    assert hello.main(["--smoke", "--out", UNWRITABLE]) == 2
    out, err = capsys.readouterr()
    assert "epoch" not in out and UNWRITABLE in one_line_error(err, "hello: error: cannot write")


def test_char_lm_checks_out_before_reading_data(tiny_corpora, capsys):  # noqa: F811
    from reference.programs import char_lm

    assert char_lm.main(["--smoke", "--data", str(tiny_corpora), "--out", UNWRITABLE]) == 2
    out, err = capsys.readouterr()
    assert out == "" and UNWRITABLE in one_line_error(err, "char_lm: error:")


def test_nothing_is_overwritten_without_being_asked(tmp_path, capsys):
    from reference.programs import hello

    assert hello.main(["--smoke", "--epochs", "1", "--out", str(tmp_path)]) == 0
    before = (tmp_path / "hello-cell.json").read_text()
    assert hello.main(["--smoke", "--epochs", "1", "--seed", "1", "--out", str(tmp_path)]) == 2
    assert "--overwrite" in one_line_error(capsys.readouterr().err, "hello: error:")
    assert (tmp_path / "hello-cell.json").read_text() == before
    assert hello.main(["--smoke", "--epochs", "1", "--seed", "1", "--out", str(tmp_path), "--overwrite"]) == 0
    assert json.loads((tmp_path / "hello-cell.json").read_text())["seed"] == 1


def test_names_are_stems_not_suffixes_or_paths(tmp_path, capsys):
    from reference.programs import hello

    for name in ("lr1e-3.v1", "lr1e-3.v2"):
        assert hello.main(["--smoke", "--epochs", "1", "--out", str(tmp_path), "--name", name]) == 0
    assert {p.name for p in tmp_path.glob("*.json")} == {"lr1e-3.v1.json", "lr1e-3.v2.json"}
    for name in ("", "../escape", ".hidden"):
        assert hello.main(["--smoke", "--epochs", "1", "--out", str(tmp_path / "x"), "--name", name]) == 2
        one_line_error(capsys.readouterr().err, "hello: error: --name")
    assert not (tmp_path / "x").exists()


def test_smoke_keeps_explicit_settings(tmp_path, tiny_corpora, capsys):  # noqa: F811
    from reference.programs import char_lm, hello

    assert hello.main(["--smoke", "--epochs", "2"]) == 0
    assert capsys.readouterr().out.count("predicted") == 2
    args = ["--smoke", "--batch", "4", "--epochs", "1", "--data", str(tiny_corpora), "--out", str(tmp_path)]
    assert char_lm.main(args) == 0
    settings = json.loads((tmp_path / "char_lm-rnn1.json").read_text())["settings"]
    assert (settings["batch"], settings["epochs"], settings["hidden"]) == ("4", "1", "32")


@pytest.mark.parametrize(
    ("program", "args", "fragment"),
    [
        ("hello", ["--lr", "nan"], "--lr"),
        ("hello", ["--epochs", "0"], "--epochs"),
        ("char_lm", ["--lr", "nan"], "--lr"),
        ("char_lm", ["--lr", "-1"], "--lr"),
        ("char_lm", ["--batch", "0"], "--batch"),
        ("char_lm", ["--steps", "0"], "--steps"),
        ("char_lm", ["--layers", "0"], "--layers"),
        ("char_lm", ["--hidden", "0"], "--hidden"),
        ("char_lm", ["--epochs", "0"], "--epochs"),
        ("lyrics", ["--clip", "inf"], "--clip"),
        ("sentiment", ["--batch", "0"], "--batch"),
        ("sentiment", ["--lr", "-0.1"], "--lr"),
        *((name, ["--device", "nonsense"], "--device") for name in ("hello", "char_lm", "lyrics", "sentiment")),
    ],
)
def test_invalid_numbers_and_devices_are_one_line(program, args, fragment, tmp_path, tiny_corpora, capsys):  # noqa: F811
    module = __import__(f"reference.programs.{program}", fromlist=["main"])
    data = {"hello": [], "sentiment": ["--data", str(tiny_imdb(tmp_path / "imdb")[0])]}
    try:
        code = module.main(
            ["--smoke", *data.get(program, ["--data", str(tiny_corpora)]), "--out", str(tmp_path / "out"), *args]
        )
    except SystemExit as e:  # argparse's way out
        code = e.code
    out, err = capsys.readouterr()
    assert code == 2 and "epoch" not in out and fragment in one_line_error(err, f"{program}: error:")
    assert not (tmp_path / "out").exists()


def test_sentiment_bad_inputs_are_one_line(tmp_path, capsys):
    from reference.programs import sentiment

    data, vectors = tiny_imdb(tmp_path / "data")
    vectors.write_text("film 0.5 not-a-number\n")
    args = ["--smoke", "--embedding", "2", "--data", str(data)]
    assert sentiment.main([*args, "--vectors", str(vectors)]) == 2
    assert "not a GloVe-format" in one_line_error(capsys.readouterr().err, "sentiment: error:")
    (data / "aclImdb" / "train" / "pos" / "9_8.txt").write_bytes(b"caf\xe9 latin-1")
    assert sentiment.main(args) == 2
    assert "not UTF-8" in one_line_error(capsys.readouterr().err, "sentiment: error:")


# --- the data cache --------------------------------------------------------------------------------------


@pytest.mark.e2e
def test_concurrent_runs_share_one_extraction(runs):
    results = json.loads(runs["extract"].result().stdout)
    assert [code for code, _ in results] == [0, 0], results
    cache = runs["tmp"] / "cache"
    assert [p.name for p in cache.iterdir()] == ["aclImdb"]  # no lock file, no temp folder left


def test_a_killed_runs_leftovers_are_removed_by_the_next(tmp_path, monkeypatch):
    from reference.programs import datasets

    monkeypatch.delenv("RNN_SPEC_DATA", raising=False)
    cache = tmp_path / "cache"
    (cache / ".aclImdb.k1ll3d").mkdir(parents=True)  # what SIGKILL mid-extraction leaves
    (cache / ".aclImdb.k1ll3d" / "part.txt").write_text("half")
    (cache / ".timemachine.txt.abc.tmp").write_text("half a download")
    datasets.extract(make_tar(tmp_path / "a.tar.gz", imdb_members()), cache / "aclImdb")
    spec = datasets.DataFile("timemachine", "timemachine.txt", (("sha1", "0" * 40),), "http://127.0.0.1:9/x")
    monkeypatch.setitem(datasets.FILES, "timemachine", spec)
    monkeypatch.setenv("RNN_SPEC_CACHE", str(cache))
    with pytest.raises(datasets.DataError, match="download from"):
        datasets.locate("timemachine", download=True)
    assert [p.name for p in cache.iterdir()] == ["aclImdb"]


def test_cache_write_failures_are_named_as_such(tmp_path, monkeypatch):
    import errno
    import tarfile

    from reference.programs import datasets

    archive = make_tar(tmp_path / "a.tar.gz", imdb_members())
    with pytest.raises(datasets.DataError, match="cannot write to the cache /proc/x"):
        datasets.extract(archive, Path(UNWRITABLE) / "aclImdb")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tarfile.TarFile, "extract", full)
    with pytest.raises(datasets.DataError) as e:
        datasets.extract(archive, tmp_path / "cache" / "aclImdb")
    assert "No space left on device" in str(e.value) and "truncated" not in str(e.value)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []


def test_a_data_folder_that_does_not_exist_is_an_error(monkeypatch, tmp_path):
    from reference.programs import datasets

    monkeypatch.setenv("RNN_SPEC_DATA", str(tmp_path / "missing"))
    with pytest.raises(datasets.DataError, match="RNN_SPEC_DATA is .*missing, which is not a folder"):
        datasets.locate("timemachine")


# --- python -m spec -------------------------------------------------------------------------------------


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a command starts its work (runs pytest, the mutants, or builds the docs)."""
    from spec.tools import runner
    from spec.tools.docs import site
    from spec.tools.mutants import campaign

    def started(*args, **kwargs):
        raise AssertionError("the command started its work before checking where it writes")

    monkeypatch.setattr(runner, "run", started)
    monkeypatch.setattr(campaign, "campaign", started)
    monkeypatch.setattr(site, "build", started)


@pytest.mark.parametrize(
    "args",
    [
        ["verify", "--report", f"{UNWRITABLE}/r.json"],
        ["mutants", "--out", f"{UNWRITABLE}/m.json"],
        ["matrix", str(STORED / "torch213.json"), "--out", f"{UNWRITABLE}/m.md"],
        ["docs", "--out", f"{UNWRITABLE}/docs"],
    ],
)
def test_spec_checks_what_it_writes_before_working(args, no_work, capsys):
    from spec.tools import cli

    assert cli.main(args) == 2
    assert UNWRITABLE in one_line_error(capsys.readouterr().err, "spec: error: cannot write")


@pytest.mark.parametrize("command", ["compare", "matrix"])
@pytest.mark.parametrize(
    ("damage", "fragment"),
    [("environment", "no 'environment'"), ("kind", "has no kind")],
)
def test_malformed_reports_are_one_line(command, damage, fragment, tmp_path, capsys):
    from spec.tools import cli

    good = json.loads((STORED / "torch213.json").read_text())
    bad = json.loads(json.dumps(good))
    if damage == "environment":
        del bad["environment"]
    else:
        del bad["claims"]["rnn.errors.input"]["kind"]
    (tmp_path / "good.json").write_text(json.dumps(good))
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    assert cli.main([command, str(tmp_path / "good.json"), str(tmp_path / "bad.json")]) == 2
    assert fragment in one_line_error(capsys.readouterr().err, f"spec: error: {tmp_path / 'bad.json'}")


def test_docs_check_calls_an_orphaned_page_stale(tmp_path):
    from spec.tools.docs import common as gen
    from spec.tools.docs import site

    (tmp_path / "claims").mkdir()
    (tmp_path / "index.md").write_text("fresh")
    (tmp_path / "claims" / "retired.md").write_text(f"# Retired\n\n{gen.GENERATED}")
    (tmp_path / "notes.md").write_text("hand-written, kept")
    assert site.stale({"index.md": "fresh"}, tmp_path) == ["claims/retired.md"]


def test_docs_show_statements_verbatim():
    import markdown

    from spec.tools.docs import common as gen

    text = "output is [seq, batch, D*H_out]; h_n is [num_layers*D, batch, H_out] | <b>x</b> & `y`"
    rendered = markdown.markdown(gen.md(text), extensions=["tables", "attr_list"])
    assert rendered == f"<p>{text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>"


@pytest.mark.e2e
def test_a_closed_pipe_is_not_an_error(runs):
    r = runs["head"].result()
    code, *err = r.stdout.splitlines()
    assert code == "0" and err == [], r.stdout


@pytest.mark.e2e
def test_a_missing_torch_is_one_line(runs):
    r = runs["no_torch"].result()
    assert r.returncode == 2 and "torch" in one_line_error(r.stderr, "spec: error:")


# --- scripts/check_release.sh -----------------------------------------------------------------------------


@pytest.mark.e2e
@pytest.mark.parametrize(("case", "fragment"), [("release_usage", "usage:"), ("release_install", "torch 2.2.1")])
def test_check_release_usage_and_environment_errors_exit_2(runs, case, fragment):
    r = runs[case].result()
    assert r.returncode == 2 and fragment in r.stderr.strip().splitlines()[-1], r.stderr
