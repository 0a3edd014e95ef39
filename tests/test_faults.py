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
from test_examples import make_tiny_corpora, tiny_corpora, tiny_imdb  # noqa: F401 (tiny_corpora: a fixture)

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


#: Run as ``python -c FILE_SIZE_LIMIT BYTES ARGS...``: hello with a real limit on the size of any file it writes
#: (RLIMIT_FSIZE: a write past it fails with EFBIG, as a full disk fails with ENOSPC), SIGXFSZ ignored so the
#: write fails rather than the process being killed.
FILE_SIZE_LIMIT = """
import resource, runpy, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["hello", *sys.argv[2:]]
runpy.run_module("reference.programs.hello", run_name="__main__")
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
    bin_ = tmp / "bin"  # a tox (with tox-uv) and a uv that cannot install anything
    bin_.mkdir()
    plugins = "4.0 from tox\\nregistered plugins:\\n    tox-uv-1.0 at tox_uv/plugin.py with uv==0.9\\n"
    (bin_ / "tox").write_text(
        '#!/bin/sh\n[ "$1" = -l ] && printf "torch22\\ntorch215\\n" && exit 0\n'
        f'[ "$1" = --version ] && printf "{plugins}" && exit 0\nexit 1\n'
    )
    (bin_ / "uv").write_text('#!/bin/sh\n[ "$1" = venv ] && exit 0\nexit 1\n')
    bare = tmp / "bare"  # a tox without the tox-uv plugin
    bare.mkdir()
    (bare / "tox").write_text('#!/bin/sh\n[ "$1" = --version ] && printf "4.0 from tox\\n" && exit 0\nexit 1\n')
    for tool in (bin_ / "tox", bin_ / "uv", bare / "tox"):
        tool.chmod(0o755)
    path = f"{bin_}:{os.environ['PATH']}"
    env = {**os.environ, "RNN_SPEC_DATA": str(tmp), "PATH": path}
    no_tox_uv = {**env, "PATH": f"{bare}:{os.environ['PATH']}"}
    return {
        "tmp": tmp,
        "SIGTERM": launch(["-c", STOP_AFTER_AN_EPOCH, "SIGTERM", str(tmp / "SIGTERM")], module=None),
        "extract": launch(["-c", TWO_AT_ONCE, SLOW_EXTRACT, str(archive), str(cache / "aclImdb")], module=None),
        "head": launch(["-c", CLOSED_PIPE, *map(str, sorted(STORED.glob("*.json")))], module=None),
        "no_torch": launch(["claims"], env={**os.environ, "PYTHONPATH": str(fake)}),
        # hello's first state (2.9 kB) fits in 4 kB, the second (Adam's moments: 6 kB) does not
        "disk_full": launch(
            ["-c", FILE_SIZE_LIMIT, "4096", "--epochs", "3", "--out", str(tmp / "full")],
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
            module=None,
        ),
        "release_usage": launch([*BASH, "scripts/check_release.sh"], env=env, module=None),
        "release_install": launch([*BASH, "scripts/check_release.sh", "2.2.1"], env=env, module=None),
        "release_no_tox_uv": launch([*BASH, "scripts/check_release.sh", "2.2.1"], env=no_tox_uv, module=None),
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
        # issue 25, 17: a device that holds no values
        *((name, ["--device", "meta"], "--device 'meta'") for name in ("hello", "lyrics")),
        # 18: a seed torch.manual_seed cannot take
        *((name, ["--seed", "99999999999999999999999"], "--seed") for name in ("hello", "char_lm", "sentiment")),
        ("char_lm", ["--max-tokens", "-5"], "--max-tokens"),  # 21: was the whole corpus
        ("char_lm", ["--prefix", ""], "--prefix"),  # 22: was an IndexError after training
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
    assert "line 1: not a token and numbers" in one_line_error(capsys.readouterr().err, "sentiment: error:")
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


# --- issue 25: what a newcomer's first hour broke (one test per line of its list) ---------------------------


def state_files(folder: Path) -> dict:
    """Every file in ``folder`` (hidden ones too) with its bytes: what a refused or failed run must leave as it was."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())} if folder.exists() else {}


def special_files(tmp_path: Path) -> dict:
    """Things at a destination that are not regular files: a FIFO, a symlink (to a file and dangling), a
    folder, and where the test may make one (root), a character device with /dev/null's numbers."""
    target = tmp_path / "target.json"
    target.write_text("{}")
    made = {"fifo": tmp_path / "fifo", "link": tmp_path / "link", "dangling": tmp_path / "dangling"}
    os.mkfifo(made["fifo"])
    made["link"].symlink_to(target)
    made["dangling"].symlink_to(tmp_path / "nowhere")
    made["folder"] = tmp_path / "folder"
    made["folder"].mkdir()
    if hasattr(os, "mknod") and os.geteuid() == 0:
        made["device"] = tmp_path / "null"
        os.mknod(made["device"], 0o666 | __import__("stat").S_IFCHR, os.makedev(1, 3))
    return made


def kinds(paths: dict) -> dict:
    import stat

    return {name: stat.S_IFMT(os.lstat(p).st_mode) for name, p in paths.items()}


@pytest.mark.parametrize("command", ["verify", "matrix", "mutants"])
def test_25_2_16_no_writer_replaces_what_is_not_a_file(command, tmp_path, no_work, capsys):
    """2 and 16: ``--report``/``--out`` naming a device node, a symlink, a FIFO or a folder is refused in one
    line before any work, and the thing is left as it was (the atomic rename used to replace it)."""
    from spec.tools import cli

    made = special_files(tmp_path)
    before = kinds(made)
    option = {"verify": ["verify", "--report"], "matrix": ["matrix", str(STORED / "torch213.json"), "--out"]}
    for name, path in made.items():
        assert cli.main([*option.get(command, ["mutants", "--out"]), str(path)]) == 2, name
        line = one_line_error(capsys.readouterr().err, "spec: error: cannot write")
        assert str(path) in line and "not a regular file" in line, line
    assert kinds(made) == before and (tmp_path / "target.json").read_text() == "{}"


def test_25_2_16_the_writer_refuses_before_and_at_the_rename(tmp_path):
    """The rule lives in the one writer, so every writer shares it: refused before the block runs, and again
    at the rename when something else took the destination's place meanwhile (the temp file removed)."""
    import errno

    from reference.common.files import WriteError, replacing, replacing_file

    made = special_files(tmp_path)
    before = kinds(made)
    for name, path in made.items():
        for writer in (replacing, replacing_file):
            with pytest.raises(WriteError, match="not a regular file") as e, writer(path):
                raise AssertionError(f"{name}: the block ran")
            assert e.value.errno == errno.EEXIST and len(str(e.value).splitlines()) == 1
    assert kinds(made) == before
    target = tmp_path / "raced.json"
    with pytest.raises(WriteError, match="symbolic link"), replacing(target) as tmp:
        tmp.write_text("new")
        target.symlink_to(tmp_path / "target.json")  # a link appears while the file is written
    assert target.is_symlink() and (tmp_path / "target.json").read_text() == "{}"
    assert sorted(p.name for p in tmp_path.glob(".*.tmp")) == []


def test_25_4_a_full_disk_is_one_line_the_original_untouched(tmp_path, monkeypatch):
    """4, in the writer: a full disk while torch.save writes (torch turns it into a RuntimeError naming no
    cause) or while a file is written is a one-line WriteError naming the file; the temporary file is
    removed and what was there before is untouched."""
    import errno

    import torch

    from reference.common import files

    def full(self, data):
        self.error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        raise self.error

    target = tmp_path / "weights.pt"
    target.write_bytes(b"the earlier run")
    monkeypatch.setattr(files._Sink, "write", full)
    with pytest.raises(files.WriteError) as e, files.replacing_file(target) as f:
        torch.save({"w": torch.zeros(100)}, f)
    assert str(e.value) == f"cannot write {target} (No space left on device)" and e.value.errno == errno.ENOSPC
    with pytest.raises(files.WriteError, match="No space left"), files.replacing(target) as tmp:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
    assert [p.name for p in tmp_path.iterdir()] == ["weights.pt"] and target.read_bytes() == b"the earlier run"


@pytest.mark.e2e
def test_25_4_a_real_write_limit_keeps_the_last_epoch_resumable(runs):
    """4 against the operating system rather than a stand-in: a write past the file-size limit fails inside
    torch.save; one line, exit 2, epoch 0 whole, and the run resumes to the end."""
    from reference.programs import hello

    r, out = runs["disk_full"].result(), runs["tmp"] / "full"
    line = one_line_error(r.stderr, "hello: error: cannot save epoch 1: cannot write")
    assert r.returncode == 2 and "File too large" in line and "the training state of epoch 0 is saved" in line, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["hello-cell.json", "hello-cell.pt", "hello-cell.state.pt"]
    assert hello.main(["--epochs", "3", "--out", str(out), "--resume"]) == 0
    resumed = json.loads((out / "hello-cell.json").read_text())
    assert resumed["losses"] == [round(loss, 4) for _, loss in hello.train("cell", 3)[1]]


@pytest.fixture
def disk(monkeypatch):
    """A disk that fills up: ``disk.fill_at(name, n)`` makes the n-th write of a file called ``name`` through
    torch.save (a training state or a checkpoint) fail with ENOSPC part-way, as torch.save meets it."""
    import errno

    from reference.common import files

    plain, writes = files.replacing_file, []

    class Disk:
        rule = None

        def fill_at(self, name, n):
            self.rule = (name, n)
            writes.clear()

    disk = Disk()

    @__import__("contextlib").contextmanager
    def filling(path):
        with plain(path) as sink:
            if disk.rule and Path(path).name == disk.rule[0]:
                writes.append(path)
                if len(writes) == disk.rule[1]:
                    sink.write(b"half a state")

                    def full(data):
                        sink.error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                        raise sink.error

                    sink.write = full
            yield sink

    from reference.programs import checkpoint

    monkeypatch.setattr(files, "replacing_file", filling)
    monkeypatch.setattr(checkpoint, "replacing_file", filling)
    return disk


def test_25_4_hello_disk_full_mid_run_keeps_the_last_epoch_resumable(tmp_path, disk, capsys):
    """4: the disk fills while hello saves epoch 2: one line, exit 2, epoch 1 kept whole; after freeing space
    the same command with --resume ends where a run never interrupted ends."""
    from reference.programs import hello

    disk.fill_at("hello-cell.state.pt", 3)  # epochs 0 and 1 saved; the state of epoch 2 meets the full disk
    assert hello.main(["--epochs", "4", "--out", str(tmp_path)]) == 2
    line = one_line_error(capsys.readouterr().err, "hello: error: cannot save epoch 2: cannot write")
    assert "No space left on device" in line and "the training state of epoch 1 is saved" in line and "--resume" in line
    assert json.loads((tmp_path / "hello-cell.json").read_text())["epochs"] == 1
    assert not list(tmp_path.glob(".*"))  # no temporary file, no lock left
    disk.fill_at("never", 0)
    assert hello.main(["--epochs", "4", "--out", str(tmp_path), "--resume"]) == 0
    resumed = json.loads((tmp_path / "hello-cell.json").read_text())
    assert resumed["losses"] == [round(loss, 4) for _, loss in hello.train("cell", 4)[1]]


def test_25_4_char_lm_disk_full_at_its_first_save_leaves_nothing(tmp_path, tiny_corpora, disk, capsys):  # noqa: F811
    """4: char_lm used to leave only the .pt when its first save met a full disk, so the run could be neither
    resumed nor started again without --overwrite. Now the state is written first: nothing is left."""
    from reference.programs import char_lm

    out = tmp_path / "out"
    disk.fill_at("char_lm-rnn1.state.pt", 1)
    args = ["--smoke", "--data", str(tiny_corpora), "--out", str(out)]
    assert char_lm.main(args) == 2
    line = one_line_error(capsys.readouterr().err, "char_lm: error: cannot save epoch 0")
    assert "No space left on device" in line and "nothing of this run is saved" in line
    assert not out.exists()  # the folder it made, empty again, removed
    disk.fill_at("char_lm-rnn1.pt", 2)  # now the weights of epoch 1 (after its state) meet the full disk
    assert char_lm.main(args) == 2
    assert "the training state of epoch 1 is saved" in one_line_error(
        capsys.readouterr().err, "char_lm: error: cannot save epoch 1"
    )
    disk.fill_at("never", 0)
    assert char_lm.main([*args, "--resume"]) == 0  # the state of epoch 1 was whole: resumable
    summary = json.loads((out / "char_lm-rnn1.json").read_text())
    assert summary["epochs"] == 2 and "stopped" not in summary


def lm_state(program: str, out: Path) -> Path:
    return out / {"char_lm": "char_lm-rnn1.state.pt", "lyrics": "lyrics-lstm1.state.pt"}[program]


def other_lyrics(tiny_corpora, monkeypatch) -> Path:  # noqa: F811
    """A second made-up lyrics file with other characters, accepted beside the first (both hashes)."""
    import zipfile

    from reference.programs import datasets

    folder = tiny_corpora.parent / "other"
    folder.mkdir()
    with zipfile.ZipFile(folder / "jaychou_lyrics.txt.zip", "w") as z:
        z.writestr("jaychou_lyrics.txt", "星晴 一步两步三步四步望着天\n" * 30)
    entry = datasets.FILES["lyrics"]
    digests = (*entry.digests, ("sha256", datasets.digest(folder / entry.filename, "sha256")))
    monkeypatch.setitem(datasets.FILES, "lyrics", datasets.DataFile("lyrics", entry.filename, digests, entry.url))
    return folder


def test_25_5_resume_on_other_data_or_sizes_is_refused_naming_it(tmp_path, tiny_corpora, monkeypatch, capsys):  # noqa: F811
    """5: --resume on other data (another vocabulary: the smoke cut, or another file) or with another size
    is refused, naming what differs, before any training; the checkpoint is left as it was."""
    from reference.programs import lyrics

    out = tmp_path / "out"
    args = ["--smoke", "--epochs", "1", "--hidden", "8", "--out", str(out)]
    assert lyrics.main([*args, "--data", str(tiny_corpora)]) == 0
    before = state_files(out)
    capsys.readouterr()
    assert (
        lyrics.main([*args, "--resume", "--epochs", "2", "--data", str(other_lyrics(tiny_corpora, monkeypatch))]) == 2
    )
    out_, err = capsys.readouterr()
    line = one_line_error(err, f"lyrics: error: {lm_state('lyrics', out)} was made with a vocabulary of")
    assert "other data" in line and "epoch" not in out_
    assert lyrics.main([*args, "--resume", "--epochs", "2", "--data", str(tiny_corpora), "--hidden", "9"]) == 2
    assert "--hidden 8, not 9" in one_line_error(capsys.readouterr().err, "lyrics: error:")
    assert state_files(out) == before


def test_25_5_sentiment_resume_on_other_reviews_is_refused(tmp_path, capsys):
    from reference.programs import sentiment

    first, _ = tiny_imdb(tmp_path / "first")
    second, _ = tiny_imdb(tmp_path / "second")
    (second / "aclImdb" / "train" / "pos" / "0_8.txt").write_text("a masterpiece of quiet cinema")
    out = tmp_path / "out"
    args = ["--smoke", "--embedding", "4", "--hidden", "4", "--out", str(out)]
    assert sentiment.main([*args, "--data", str(first)]) == 0
    capsys.readouterr()
    assert sentiment.main([*args, "--resume", "--epochs", "2", "--data", str(second)]) == 2
    assert "was made with a vocabulary of" in one_line_error(capsys.readouterr().err, "sentiment: error:")


def test_25_6_two_runs_into_one_out_at_once(tmp_path, monkeypatch, capsys):
    """6: a second run into the same files while the first is training is refused in one line (the lock),
    instead of both passing the 'already exists' check and one dying mid-save; the first finishes whole, and
    once it has, the name is free again."""
    from reference.programs import hello

    plain, second = hello.epoch, []

    def with_a_second_run(*args):
        if not second:
            second.append(hello.main(["--epochs", "2", "--out", str(tmp_path)]))
        return plain(*args)

    monkeypatch.setattr(hello, "epoch", with_a_second_run)
    assert hello.main(["--epochs", "3", "--out", str(tmp_path)]) == 0
    monkeypatch.setattr(hello, "epoch", plain)
    assert second == [2]
    line = one_line_error(capsys.readouterr().err, f"hello: error: {tmp_path} is in use: another run (pid")
    assert "hello-cell" in line
    assert json.loads((tmp_path / "hello-cell.json").read_text())["epochs"] == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"hello-cell{s}" for s in (".json", ".png", ".pt", ".state.pt")
    ]
    assert hello.main(["--epochs", "4", "--out", str(tmp_path), "--resume"]) == 0


@pytest.mark.parametrize("case", ["a file", "a corrupt file"])
def test_25_14_data_configured_wrongly_fails_the_data_claims(case, tmp_path, monkeypatch, capsys):
    """14: $RNN_SPEC_DATA naming a file, or a folder whose file is corrupt, fails the data claims with the
    reason (a user who named their data expects it checked, as the programs do: exit 2) rather than skipping
    them as if no data were configured; only data that is nowhere skips."""
    from reference.programs import char_lm
    from spec.helpers.modules import data_file

    monkeypatch.setenv("RNN_SPEC_CACHE", str(tmp_path / "cache"))
    if case == "a file":
        (tmp_path / "data").write_text("not a folder")
        reason = "which is not a folder"
    else:
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "timemachine.txt").write_text("not the Time Machine")
        reason = "does not match the expected"
    monkeypatch.setenv("RNN_SPEC_DATA", str(tmp_path / "data"))
    with pytest.raises(BaseException) as outcome:  # BaseException: a skip must not end this test as skipped
        data_file("timemachine")
    assert outcome.type is pytest.fail.Exception and reason in str(outcome.value), outcome
    assert char_lm.main(["--smoke"]) == 2
    assert reason in one_line_error(capsys.readouterr().err, "char_lm: error:")
    monkeypatch.setenv("RNN_SPEC_DATA", str(tmp_path))  # a folder without the file: not configured, skipped
    with pytest.raises(BaseException) as outcome:
        data_file("timemachine")
    assert outcome.type is pytest.skip.Exception and "not found" in str(outcome.value), outcome


def test_25_15_shape_checks_setting_is_one_of_the_documented_values(monkeypatch, capsys):
    """15: REFERENCE_SHAPE_CHECKS other than 1, all, 0 (or unset) is refused, never read as on: the programs
    exit 2 in one line before any work; a checked function called anyway raises, naming the setting."""
    import importlib.util

    from reference.common import shapecheck
    from reference.programs import hello

    for value in ("banana", "off", "ON", "2"):
        monkeypatch.setenv("REFERENCE_SHAPE_CHECKS", value)
        fresh = importlib.util.spec_from_file_location("shapecheck_under_test", shapecheck.__file__)
        module = importlib.util.module_from_spec(fresh)
        fresh.loader.exec_module(module)
        assert module.MODE_PROBLEM == f"REFERENCE_SHAPE_CHECKS={value!r} is not one of 1 (the default), all or 0"
        with pytest.raises(module.ShapeCheckSetting, match=value):
            module.checked(lambda x: x)(1)
        monkeypatch.setattr(shapecheck, "MODE_PROBLEM", module.MODE_PROBLEM)
        with pytest.raises(SystemExit) as e:
            hello.main(["--smoke"])
        out, err = capsys.readouterr()
        assert e.value.code == 2
        assert out == "" and value in one_line_error(err, "hello: error: REFERENCE_SHAPE_CHECKS=")
    for value, checks in (("", True), ("1", True), ("all", True), ("0", False)):
        monkeypatch.setenv("REFERENCE_SHAPE_CHECKS", value)
        fresh = importlib.util.spec_from_file_location("shapecheck_under_test", shapecheck.__file__)
        module = importlib.util.module_from_spec(fresh)
        fresh.loader.exec_module(module)
        assert module.MODE_PROBLEM is None and module.SHAPE_CHECKS == (checks and shapecheck.SHAPE_CHECKS)


def test_25_15_verify_refuses_an_unknown_shape_checks_setting_in_one_line(monkeypatch, spec_cli):
    from reference.common import shapecheck

    for value in ("banana", "off"):
        monkeypatch.setenv("REFERENCE_SHAPE_CHECKS", value)
        r = spec_cli("verify", "--device", "cpu")
        assert r.returncode == 2 and r.stderr.count("\n") == 1
        assert f"REFERENCE_SHAPE_CHECKS={value!r} is not one of 1 (the default), all or 0" in r.stderr
        assert set(shapecheck.MODES) == {"1", "all", "0"}  # the values verify accepts, written there once


@pytest.mark.e2e
def test_25_15_shape_checks_setting_stops_a_program_and_pytest_at_start(launch):
    env = {**os.environ, "REFERENCE_SHAPE_CHECKS": "off"}
    program = launch(["--smoke"], env=env, module="reference.programs.hello")
    session = launch(["tests/test_reference.py"], env=env, module="pytest")
    r = program.result()
    assert r.returncode == 2 and r.stdout == ""
    one_line_error(r.stderr, "hello: error: REFERENCE_SHAPE_CHECKS='off' is not one of")
    r = session.result()
    assert r.returncode == 4 and "passed" not in r.stdout  # pytest's usage error, before any test
    assert "REFERENCE_SHAPE_CHECKS='off' is not one of" in r.stderr


def test_25_19_a_folder_named_like_a_review_is_one_line(tmp_path, capsys):
    from reference.programs import sentiment

    data, _ = tiny_imdb(tmp_path / "data")
    (data / "aclImdb" / "train" / "neg" / "9_1.txt").mkdir()
    assert sentiment.main(["--smoke", "--data", str(data), "--out", str(tmp_path / "out")]) == 2
    line = one_line_error(capsys.readouterr().err, "sentiment: error:")
    assert "9_1.txt: cannot be read as a review (Is a directory)" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("vectors", "reason"),
    [
        ("film " + " ".join(["0.5"] * 8) + "\n", "no line has 16 numbers, the embedding's width: its vectors have 8"),
        ("film " + " ".join(["x"] * 16) + "\n", "line 1: not a token and numbers"),
        ("zebra " + " ".join(["x"] * 16) + "\nfilm " + " ".join(["1"] * 16) + "\n", "line 1: not a token and numbers"),
        ("", "no vectors in the file (it is empty)"),
        ("zebra " + " ".join(["1"] * 16) + "\n", "none of the 16 vocabulary words has a vector"),
    ],
    ids=["width", "not-a-number", "not-a-number-elsewhere", "empty", "other-words"],
)
def test_25_20_vectors_that_give_nothing_are_refused_with_the_reason(vectors, reason, tmp_path, capsys):
    """20: used to print '0 of N words found' and train on, exit 0."""
    from reference.programs import sentiment

    data, path = tiny_imdb(tmp_path / "data")
    path.write_text(vectors)
    out = tmp_path / "out"
    assert sentiment.main(["--smoke", "--data", str(data), "--vectors", str(path), "--out", str(out)]) == 2
    stdout, err = capsys.readouterr()
    assert reason in one_line_error(err, f"sentiment: error: {path}: ") and "epoch" not in stdout
    assert not out.exists()


def hand_made(path: Path, good: Path, damage: str) -> None:
    import torch

    state = torch.load(good, weights_only=True)
    if damage == "settings not a dict":
        state["settings"] = ["model", "rnn"]
    elif damage == "no model":
        del state["model"]
    elif damage == "a list":
        state = [state]
    elif damage == "wrong shapes":
        state["model"] = {k: torch.zeros(3, 3) for k in state["model"]}
        del state["settings"]["data-vocabulary"]  # as an older checkpoint: the sizes must tell
    elif damage == "a missing history":
        del state["curve"]
    elif damage == "a bad random state":
        state["torch_rng"] = torch.zeros(3)
    torch.save(state, path)


@pytest.fixture(scope="module")
def trained_char_lm(tmp_path_factory):
    """One char_lm smoke run of one epoch on the made-up corpus, shared by the hand-made-state cases (each
    works on a copy): (its data, its --out)."""
    from reference.programs import char_lm

    tmp = tmp_path_factory.mktemp("char_lm")
    with pytest.MonkeyPatch.context() as monkeypatch:
        data = make_tiny_corpora(tmp / "data", monkeypatch)
        assert char_lm.main(["--smoke", "--epochs", "1", "--data", str(data), "--out", str(tmp / "out")]) == 0
    return data, tmp / "out"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        ("settings not a dict", "its 'settings' is a list, not a dict"),
        ("no model", "no 'model'"),
        ("a list", "a list, not a dict"),
        ("wrong shapes", "holds a model of other sizes (rnn.weight_ih_l0 is [3, 3] there"),
        ("a missing history", "KeyError"),
        ("a bad random state", "not a checkpoint of this program ("),
    ],
)
def test_25_23_a_hand_made_state_is_one_line(damage, reason, trained_char_lm, tmp_path, monkeypatch, capsys):
    """23: char_lm --resume with a hand-made .state.pt: three different tracebacks before; now each is one
    line naming the file and what is wrong, exit 2, nothing trained, nothing rewritten."""
    import shutil

    from reference.programs import char_lm

    data, trained = trained_char_lm
    make_tiny_corpora(tmp_path / "data", monkeypatch)  # its hashes registered again, for this test
    out = Path(shutil.copytree(trained, tmp_path / "out"))
    state = lm_state("char_lm", out)
    hand_made(state, state, damage)
    before = state_files(out)
    capsys.readouterr()
    assert char_lm.main(["--smoke", "--data", str(data), "--out", str(out), "--resume", "--epochs", "2"]) == 2
    stdout, err = capsys.readouterr()
    line = one_line_error(err, f"char_lm: error: {state}")
    assert reason in line and "epoch" not in stdout
    assert state_files(out) == before


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
@pytest.mark.parametrize(
    ("case", "fragment"),
    [
        ("release_usage", "usage:"),
        ("release_install", "torch 2.2.1"),
        ("release_no_tox_uv", "needs tox and tox-uv, the dev extra (pip install -e '.[dev]'): tox 4.0 has no tox-uv"),
    ],
)
def test_check_release_usage_and_environment_errors_exit_2(runs, case, fragment):
    r = runs[case].result()
    assert r.returncode == 2 and fragment in r.stderr.strip().splitlines()[-1], r.stderr
