"""The mutation harness: its catalogue, its CLI's error paths, and one mutant applied for real."""

import subprocess
import sys
from pathlib import Path

import pytest

from spec.tools.mutants.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent


def test_catalogue_has_at_least_twenty_described_mutants():
    assert len(CATALOGUE) >= 20
    for name, m in CATALOGUE.items():
        assert m.name == name and m.description and "\n" not in m.description


def test_list(spec_cli):
    r = spec_cli("mutants", "--list")
    assert r.returncode == 0 and len(r.stdout.splitlines()) == len(CATALOGUE)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--only", "no-such-mutant"], "unknown mutant 'no-such-mutant'"),
        (["--profile", "slow"], "unknown profile"),
        (["--jobs", "0"], "--jobs must be at least 1"),
    ],
)
def test_bad_arguments(args, fragment, spec_cli):
    r = spec_cli("mutants", *args)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr


@pytest.mark.e2e
def test_a_mutant_changes_torch_in_its_process_only():
    """lstm-state-swapped applied at import: LSTM's state comes back as (c, h) in that process alone."""
    code = (
        "import torch, spec.tools.mutants.plugin as m\n"
        "out, (h, c) = torch.nn.LSTM(2, 3)(torch.randn(4, 1, 2))\n"
        "assert torch.equal(h, out[-1:]) is False and torch.equal(c, out[-1:])\n"
    )
    env = {**__import__("os").environ, "SPEC_MUTANT": "lstm-state-swapped"}
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env).returncode == 0
    import torch

    out, (h, _) = torch.nn.LSTM(2, 3)(torch.randn(4, 1, 2))
    assert torch.equal(h, out[-1:])


class Group(Exception):
    """Stands in for an ExceptionGroup (hypothesis raises one for several distinct failures; Python >= 3.11)."""

    def __init__(self, *members):
        super().__init__("several")
        self.exceptions = members


def test_a_kill_is_an_assertion_and_anything_else_a_crash():
    from spec.tools.mutants.plugin import RaisesMismatch, failure_kind

    assert failure_kind(AssertionError("x")) == "assertion"
    assert failure_kind(RaisesMismatch("pytest.raises(ValueError) got TypeError")) == "assertion"
    assert failure_kind(pytest.fail.Exception("DID NOT RAISE")) == "assertion"
    assert failure_kind(TypeError("unsupported operand")) == "TypeError"
    assert failure_kind(Group(RuntimeError("a"), AssertionError("b"))) == "assertion"
    assert failure_kind(Group(RuntimeError("a"), KeyError("b"))) == "Group"


def test_strict_raises_turns_another_exception_type_into_an_assertion():
    from spec.tools.mutants.plugin import RaisesMismatch, strict_raises

    raises = strict_raises(pytest.raises)
    with raises(ValueError, match="bad"):
        raise ValueError("bad value")
    with pytest.raises(RaisesMismatch, match=r"pytest.raises\(ValueError\) got TypeError: no"):
        with raises(ValueError):
            raise TypeError("no")
    with pytest.raises(pytest.fail.Exception, match="DID NOT RAISE"):
        with raises(ValueError):
            pass


def test_kills_count_assertions_and_list_crashes_apart():
    from spec.tools.mutants.campaign import kills
    from spec.tools.results import Report

    claims = {c: {"status": s, "kind": "x"} for c, s in (("a.b.c", "failed"), ("a.b.d", "failed"), ("a.b.e", "passed"))}
    report = Report.from_json({"schema": 1, "environment": {"torch": "2.13.0"}, "claims": claims})
    failures = {"a.b.c": {"assertion": ["t::x"], "crash": []}, "a.b.d": {"assertion": [], "crash": ["TypeError: t"]}}
    assert kills(report, failures) == (["a.b.c"], {"a.b.d": "TypeError: t"})


def test_restack_keeps_the_kernels_autograd_node():
    """A mutant that reorders h_n must not change its grad_fn (StackBackward0 on CPU): that is not its behaviour."""
    import torch

    from spec.tools.mutants.catalogue import restack

    _, h = torch.nn.GRU(2, 3, batch_first=True)(torch.randn(4, 5, 2))
    moved = restack(h.transpose(0, 1))
    assert type(h.grad_fn).__name__ == type(moved.grad_fn).__name__ == "StackBackward0"
    assert torch.equal(moved, h.transpose(0, 1))
