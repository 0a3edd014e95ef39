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
