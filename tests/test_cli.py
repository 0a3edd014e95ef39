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


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
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
    monkeypatch.setattr(spec, "load_all", lambda: bad)
    assert cli.main(["claims"]) == 1
    err = capsys.readouterr().err
    assert "'x.shape.twice': duplicate id" in err and "'x.shape.orphan': has no source" in err
