"""The mutation harness: its catalogue, its CLI's error paths, and one mutant applied for real."""

import subprocess
import sys
from pathlib import Path

import pytest

from spec.tools.mutants import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "spec", *args], cwd=ROOT, capture_output=True, text=True, env=env)


def test_catalogue_has_at_least_twenty_described_mutants():
    assert len(CATALOGUE) >= 20
    for name, m in CATALOGUE.items():
        assert m.name == name and m.description and "\n" not in m.description


def test_list():
    r = run("mutants", "--list")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == len(CATALOGUE)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--only", "no-such-mutant"], "unknown mutant 'no-such-mutant'"), (["--profile", "slow"], "unknown profile")],
)
def test_bad_arguments(args, fragment):
    r = run("mutants", *args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr


def test_a_mutant_changes_torch_in_its_process_only():
    """lstm-state-swapped applied at import: LSTM's state comes back as (c, h) in that process alone."""
    code = (
        "import torch, spec.tools.mutants as m\n"
        "out, (h, c) = torch.nn.LSTM(2, 3)(torch.randn(4, 1, 2))\n"
        "assert torch.equal(h, out[-1:]) is False and torch.equal(c, out[-1:])\n"
    )
    env = {**__import__("os").environ, "SPEC_MUTANT": "lstm-state-swapped"}
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env).returncode == 0
    import torch

    out, (h, _) = torch.nn.LSTM(2, 3)(torch.randn(4, 1, 2))
    assert torch.equal(h, out[-1:])
