"""The benchmark scripts and the flake check start: each prints its usage (they are run by hand, so an
import error or a broken parser would otherwise go unnoticed until someone needs a figure)."""

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # fresh interpreters: `pytest -m e2e`

ROOT = Path(__file__).resolve().parent.parent

PATHS = [*ROOT.glob("benchmarks/*.py"), ROOT / "scripts" / "flake_check.py"]
SCRIPTS = sorted(p.relative_to(ROOT).as_posix() for p in PATHS)


@pytest.fixture(scope="module")
def helps(launch):
    return {script: launch([script, "--help"], module=None) for script in SCRIPTS}


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_prints_its_usage(script, helps):
    proc = helps[script].result()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:"), proc.stdout[:200]


MISSING_DATA = {  # each benchmark that reads the sources' data, and the file it reads first
    "programs": (["benchmarks/programs.py", "--only", "lyrics", "--epochs", "1"], "jaychou_lyrics"),
    "listings": (["benchmarks/listings.py", "--only", "hello", "deep", "--epochs", "1"], "timemachine.txt"),
    "loop_speed": (["benchmarks/loop_speed.py", "--epochs", "1", "--repeats", "1"], "timemachine.txt"),
}


@pytest.mark.parametrize("name", sorted(MISSING_DATA))
def test_a_benchmark_without_its_data_says_so_in_one_line_before_any_work(name, launch, tmp_path):
    """Data nowhere to be found is the environment's fault: one line naming the file, exit 2, before any work (the
    programs benchmark ran what it could and then failed the program, exit 1; the others printed a traceback), and
    the stored figures are left as they were."""
    import os

    args, filename = MISSING_DATA[name]
    empty = tmp_path / "data"
    empty.mkdir()
    env = {**os.environ, "RNN_SPEC_DATA": str(empty), "RNN_SPEC_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "out"
    out.mkdir()
    stored = out / "stored.json"
    stored.write_text('{"stored": true}')
    target = str(out / "figure.json") if name != "programs" else str(out)
    proc = launch([*args, "--out", target], env=env, module=None).result()
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}: ") and filename in lines[0], proc.stderr
    assert "ohlol" not in proc.stdout and "hello" not in proc.stdout, f"work was done first: {proc.stdout}"
    assert sorted(p.name for p in out.iterdir()) == ["stored.json"], "a run without its data wrote a figure"
    assert stored.read_text() == '{"stored": true}'


def test_a_program_that_fails_makes_the_programs_benchmark_exit_1(tmp_path, monkeypatch, capsys):
    """A run that fails once started (its data found) is named on stderr and in the exit status, and the others
    still run: the refresh's programs step would otherwise count it as made."""
    programs = programs_benchmark()
    monkeypatch.setattr(programs, "DATA", {})
    ran = []

    def run_program(cmd, stem, out, fields, resume=False):
        ran.append(stem)
        if stem == "char_lm-gru1":
            return 1, 0.1, None, "Traceback ...\nRuntimeError: it broke\n"
        return 0, 0.1, {"epochs": 1, "perplexity": 1.0, "tokens_per_s": 1.0}, ""

    monkeypatch.setattr(programs, "run_program", run_program)
    monkeypatch.setattr(programs.sys, "argv", ["programs.py", "--only", "char_lm", "--out", str(tmp_path)])
    assert programs.main() == 1
    assert ran == ["char_lm-rnn1", "char_lm-gru1", "char_lm-lstm1", "char_lm-lstm2"], ran
    err = capsys.readouterr().err
    assert "char_lm gru1: failed: ['RuntimeError: it broke']" in err, err


def programs_benchmark():
    """benchmarks/programs.py as a module (it is a script, not in a package)."""
    import importlib.util

    loader = importlib.util.spec_from_file_location("programs_benchmark", ROOT / "benchmarks" / "programs.py")
    programs = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(programs)
    return programs


def test_a_program_stopped_mid_run_leaves_the_stored_figure_and_resumes(tmp_path):
    """A program writes its summary as it goes (the IMDB run after every epoch): stopped or failing after that, it
    must not leave a partial run in place of the stored one, and --resume continues it; a finished run replaces the
    stored figure, with its provenance, and its work folder goes."""
    import sys

    programs = programs_benchmark()
    programs.WORK = tmp_path / "runs"
    out = tmp_path / "out"
    out.mkdir()
    (out / "x.json").write_text('{"stored": true}')
    writes = (  # a stand-in program: its summary and checkpoint, then the exit status it is given
        "import json, sys; out = sys.argv[sys.argv.index('--out') + 1]; "
        "open(out + '/x.state.pt', 'w').write('state'); "
        "open(out + '/x.json', 'w').write(json.dumps({'epochs': 1, 'asked': '--resume' in sys.argv})); "
        "sys.exit(int(sys.argv[1]))"
    )
    code, _, summary, _ = programs.run_program([sys.executable, "-c", writes, "1"], "x", out, {})
    assert code == 1 and summary is None
    assert (out / "x.json").read_text() == '{"stored": true}', "a partial run replaced the stored figure"
    assert (tmp_path / "runs" / "out" / "x" / "x.state.pt").exists(), "the stopped run was not kept to resume"
    code, _, summary, _ = programs.run_program([sys.executable, "-c", writes, "0"], "x", out, {"p": 1}, resume=True)
    stored = json.loads((out / "x.json").read_text())
    assert code == 0 and stored["asked"] and stored["resumed"] is True and stored["p"] == 1, stored
    assert stored["suite"]["git"], "no provenance"
    assert sorted(p.name for p in out.iterdir()) == ["x.json"], sorted(p.name for p in out.iterdir())
    assert not (tmp_path / "runs" / "out" / "x").exists(), "a finished run's work folder stayed"
    code, _, summary, _ = programs.run_program([sys.executable, "-c", writes, "0"], "x", out, {}, resume=False)
    fresh = json.loads((out / "x.json").read_text())
    assert code == 0 and not fresh["asked"] and "resumed" not in fresh, f"a fresh run resumed: {fresh}"
