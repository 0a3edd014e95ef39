"""Reach: every case of a contract claim exercises the implementation under test, and every errors claim checks the
refusal it names. The spec runs, case by case (pytest item by item), under two made-up implementations:

- the null one (tests/impls/null.py: provides everything, every call raises): no contract case may pass, since a
  case that passes there never reached the implementation;
- the lax one (tests/impls/lax.py: torch's layers and cells accepting any argument and any state, checking no
  input): every case of the errors claims about those checks that torch refuses must fail there ("DID NOT RAISE"),
  and every case torch accepts must hold.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

import spec
from spec.helpers.outcomes import Case, outcome_for
from spec.registry import CONTRACT

ROOT = Path(__file__).resolve().parent.parent
NULL, LAX = "tests.impls.null:Null", "tests.impls.lax:Lax"

#: the errors claims about the checks the lax implementation skips (its constructors' argument checks, forward's
#: input and state checks, the names forward takes), and the one parameters claim about a refused argument
LAX_CLAIMS = (
    "rnn.errors.constructor-arguments",
    "rnn.errors.argument-types",
    "rnn.errors.input",
    "rnn.errors.state",
    "rnn.errors.ranks-every-module",
    "rnn.errors.forward-keywords",
    "cells.errors.inconsistent-sizes",
    "cells.errors.unknown-nonlinearity",
    "packed.errors.data-rank",
    "rnn.parameters.nonlinearity-only-rnn",
)


def run_spec(impl: str, paths, tmp_path) -> list:
    """Run the spec's pytest on ``paths`` under ``impl`` (cpu, the quick profile without shrinking); one
    ``(claim, case id, status, message)`` per item, status one of passed, failed, skipped, xfailed."""
    xml = tmp_path / "items.xml"
    env = dict(os.environ, RNN_SPEC_IMPL=impl, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pytest", *paths, "-p", "no:randomly", "-p", "no:cacheprovider", "-p",
           "tests.impls.noshrink", "-q", "--spec-device", "cpu", "--hypothesis-profile", "quick",
           f"--junitxml={xml}"]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=480)
    assert xml.is_file(), f"pytest under {impl} wrote no report (exit {done.returncode}):\n{done.stderr[-2000:]}"
    claims = {c.where: c for c in spec.load_all()}
    items = []
    for tc in ET.parse(xml).getroot().iter("testcase"):
        name = tc.get("name")
        claim = claims.get(f"{tc.get('classname')}:{name.split('[')[0]}")
        status, message = "passed", ""
        for child in tc:
            if child.tag in ("failure", "error"):
                status, message = "failed", child.get("message") or ""
            elif child.tag == "skipped":
                xfail = (child.get("type") or "").endswith("xfail")
                status, message = ("xfailed" if xfail else "skipped"), child.get("message") or ""
        case = name.partition("[")[2].rstrip("]")
        items.append((claim, case[4:] if case.startswith("cpu-") else case, status, message))
    return items


def table_case(claim, case_id: str):
    """The outcome-table Case of ``claim`` named ``case_id``, or None when the claim's cases are not a table."""
    module = importlib.import_module(claim.where.partition(":")[0])
    for value in vars(module).values():
        for case in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(case, Case) and case.name == case_id:
                return case
    return None


@pytest.mark.e2e
def test_no_contract_case_passes_under_the_null_implementation(tmp_path):
    """Before: 21 contract cases passed under an implementation whose every call raises (the 12 of
    rnn.errors.constructor-arguments, 5 of rnn.errors.argument-types, packed.errors.lengths' 2 and
    clip.training.clip-grads-with-norm's 2: they built torch.nn's classes or called torch's functions)."""
    items = run_spec(NULL, ["spec"], tmp_path)
    contract = [(c.id, case, status, msg) for c, case, status, msg in items if c is not None and c.scope is CONTRACT]
    passed = sorted(f"{cid}[{case}]" for cid, case, status, _ in contract if status == "passed")
    assert passed == [], f"{len(passed)} contract cases hold under the null implementation: {passed}"
    failed = [(cid, msg) for cid, _, status, msg in contract if status == "failed"]
    # the run reached the implementation: failures raised by it, in every kind of claim
    assert len(failed) > 100, f"only {len(failed)} contract cases failed under the null implementation"
    kinds = {cid.split(".")[1] for cid, msg in failed if "NullCall" in msg or "null implementation" in msg}
    assert {"shape", "semantics", "errors", "parameters", "training", "state"} <= kinds, sorted(kinds)


@pytest.mark.e2e
def test_every_errors_claim_about_the_skipped_checks_fails_under_the_lax_implementation(tmp_path):
    """Per case: a case torch refuses fails under the lax implementation on the refusal it expects (pytest.raises
    saw nothing); a case torch accepts holds there (the lax implementation computes). Every contract errors claim
    that runs there is one of LAX_CLAIMS."""
    items = run_spec(LAX, ["spec/claims/errors", "spec/claims/parameters/rnn.py"], tmp_path)
    ran = {c.id for c, _, status, _ in items if c is not None and status in ("passed", "failed")}
    errors = {cid for cid in ran if ".errors." in cid}
    assert errors <= set(LAX_CLAIMS), f"errors claims that run under lax but are not listed: {errors - set(LAX_CLAIMS)}"
    assert set(LAX_CLAIMS) <= ran, f"listed claims that did not run under lax: {set(LAX_CLAIMS) - ran}"
    wrong = []
    for claim, case_id, status, message in items:
        if claim is None or claim.id not in LAX_CLAIMS:
            continue
        case = table_case(claim, case_id)
        chosen = outcome_for(case.outcomes, torch.__version__) if case is not None else None
        accepted = chosen is not None and chosen.raises is None
        if accepted and status != "passed":
            wrong.append(f"{claim.id}[{case_id}]: torch accepts it, the lax implementation gave {status}: {message}")
        if not accepted and not (status == "failed" and "DID NOT RAISE" in message):
            wrong.append(f"{claim.id}[{case_id}]: expected to fail for want of a refusal, got {status}: {message}")
    assert wrong == [], "\n".join(wrong)
