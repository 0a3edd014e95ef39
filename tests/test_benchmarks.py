"""The benchmark scripts and the flake check start: each prints its usage (they are run by hand, so an
import error or a broken parser would otherwise go unnoticed until someone needs a figure)."""

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
    args = ["benchmarks/programs.py", "--only", "lyrics", "--epochs", "1", "--out", str(out)]
    proc = launch(args, env=env, module=None).result()
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "lyrics lstm1: failed:" in proc.stderr and "jaychou_lyrics" in proc.stderr, proc.stderr
    assert not list(out.glob("*.json")), "a failed run stored a figure"
