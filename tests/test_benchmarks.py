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


def test_a_program_that_fails_makes_the_programs_benchmark_exit_1(launch, tmp_path):
    """A run that fails (here: its data is nowhere) leaves its stored figure alone and says so, on stderr and in the
    exit status: the refresh's programs step would otherwise count it as made."""
    import os

    empty = tmp_path / "data"
    empty.mkdir()
    env = {**os.environ, "RNN_SPEC_DATA": str(empty), "RNN_SPEC_CACHE": str(tmp_path / "cache")}
    out = tmp_path / "out"
    out.mkdir()
    stored = out / "lyrics-lstm1.json"
    stored.write_text('{"stored": true}')
    args = ["benchmarks/programs.py", "--only", "lyrics", "--epochs", "1", "--out", str(out)]
    proc = launch(args, env=env, module=None).result()
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "lyrics lstm1: failed:" in proc.stderr and "jaychou_lyrics" in proc.stderr, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["lyrics-lstm1.json"], "a failed run wrote beside the stored one"
    assert stored.read_text() == '{"stored": true}', "a failed run replaced the stored figure"


def test_a_program_stopped_mid_run_leaves_the_stored_figure_and_resumes(tmp_path):
    """A program writes its summary as it goes (the IMDB run after every epoch): stopped or failing after that, it
    must not leave a partial run in place of the stored one, and --resume continues it; a finished run replaces the
    stored figure, with its provenance, and its work folder goes."""
    import importlib.util
    import sys

    loader = importlib.util.spec_from_file_location("programs_benchmark", ROOT / "benchmarks" / "programs.py")
    programs = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(programs)
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
