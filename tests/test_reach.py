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
from spec.implementations import OBJECTS, Implementation
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
    """Run the spec's pytest on ``paths`` under ``impl`` (cpu, the quick profile; no case is shrunk); one
    ``(claim, case id, status, message)`` per item, status one of passed, failed, skipped, xfailed."""
    xml = tmp_path / "items.xml"
    env = dict(os.environ, RNN_SPEC_IMPL=impl, PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "pytest", *paths, "-p", "no:randomly", "-p", "no:cacheprovider",
           "-q", "--spec-device", "cpu", "--hypothesis-profile", "quick", f"--junitxml={xml}"]  # fmt: skip
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
    items = run_spec(LAX, ["spec/claims/errors", "spec/claims/parameters/rnn"], tmp_path)
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


# --- planted mistakes for the cases and claims of the contract as users call it (fast: in this process) ---------------
@pytest.fixture
def chosen(monkeypatch):
    """Point $RNN_SPEC_IMPL at an implementation for one test (and back after)."""
    from spec import implementations

    def choose(text):
        monkeypatch.setenv(implementations.ENV, text)
        implementations._resolve_env.cache_clear()

    yield choose
    implementations._resolve_env.cache_clear()


def claim_check(claim_id: str):
    claim = next(c for c in spec.load_all() if c.id == claim_id)
    module, _, name = claim.where.partition(":")
    return claim, getattr(importlib.import_module(module), name)


def fails_case(claim_id: str, case_id: str) -> str:
    """The outcome-table case of the claim fails on an assertion (pytest.fail or assert); its message."""
    claim, check = claim_check(claim_id)
    case = table_case(claim, case_id)
    assert case is not None, f"{claim_id} has no case {case_id}"
    with pytest.raises((AssertionError, pytest.fail.Exception)) as failed:
        check(case=case, device="cpu")
    return str(failed.value)


def holds_case(claim_id: str, case_id: str) -> None:
    claim, check = claim_check(claim_id)
    check(case=table_case(claim, case_id), device="cpu")


NEW_LAX_CASES = [("rnn.errors.state", f"hx-layers-batch-swapped-{m}") for m in ("rnn", "lstm", "gru")] + [
    ("rnn.errors.state", "lstm-c0-layers-batch-swapped"),
    ("rnn.errors.state", "hx-batch-first-under-batch-first"),
    *(
        ("rnn.errors.input", f"input-{t}-{m}")
        for t in ("float64-into-float32", "int64")
        for m in ("rnn", "lstm", "gru")
        if (t, m) not in (("float64-into-float32", "gru"), ("int64", "rnn"))
    ),
    *(("rnn.errors.ranks-every-module", f"input-1d-{m}") for m in ("rnn", "gru")),
    ("rnn.errors.ranks-every-module", "rnn-hx-3d-for-unbatched-input"),
    ("rnn.errors.ranks-every-module", "lstm-state-3d-for-unbatched-input"),
    *(
        ("rnn.errors.forward-keywords", f"state-as-h0-{m.lower()}")
        for m in ("RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell")
    ),
]


@pytest.mark.parametrize("claim_id, case_id", NEW_LAX_CASES, ids=lambda v: v)
def test_each_new_refusal_holds_on_torch_and_fails_under_the_lax_implementation(chosen, claim_id, case_id):
    holds_case(claim_id, case_id)
    chosen(LAX)
    assert "DID NOT RAISE" in fails_case(claim_id, case_id)


class _StateNamedState(torch.nn.GRU):
    """A GRU whose forward names its state ``state``, not hx (a plausible port)."""

    def forward(self, input, state=None):
        return super().forward(input, state)


class _Renamed(Implementation):
    name, title, provides = "renamed", "torch's layers and cells, the GRU's forward naming its state state", OBJECTS

    def unavailable(self):
        return None

    def constructor(self, name):
        return _StateNamedState if name == "GRU" else torch.nn.__dict__[name]


def test_forward_keywords_fail_where_forward_names_its_state_otherwise(chosen, monkeypatch):
    import sys
    import types

    monkeypatch.setitem(sys.modules, "reach_planted", types.SimpleNamespace(A=_Renamed))
    holds_case("rnn.errors.forward-keywords", "keywords-gru")
    chosen("reach_planted:A")
    message = fails_case("rnn.errors.forward-keywords", "keywords-gru")
    assert "TypeError" in message and "'hx'" in message, message
    holds_case("rnn.errors.forward-keywords", "keywords-lstm")  # the others are torch's: they hold


class _SwappedGRU(torch.nn.GRU):
    """A GRU whose positional order after num_layers is batch_first, bias (torch's is bias, batch_first)."""

    def __init__(self, input_size, hidden_size, num_layers=1, batch_first=False, bias=True, *args, **kwargs):
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, *args, **kwargs)


class _ForgetfulLSTM(torch.nn.LSTM):
    """An LSTM that keeps dropout as a module of its own and reports the attribute as 0."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dropout = 0.0


class _Planted(_Renamed):
    name = "planted"

    def constructor(self, name):
        return {"GRU": _SwappedGRU, "LSTM": _ForgetfulLSTM}.get(name) or torch.nn.__dict__[name]


@pytest.mark.parametrize(
    "module, how, says",
    [("GRU", "position", "'bias': (True"), ("GRU", "keyword", None), ("LSTM", "keyword", "'dropout': (0.0")],
)
def test_arguments_as_attributes_fails_on_a_swapped_order_and_a_lost_argument(chosen, monkeypatch, module, how, says):
    import sys
    import types

    _, check = claim_check("rnn.parameters.arguments-as-attributes")
    check(module=module, how=how, flags=0)  # torch
    monkeypatch.setitem(sys.modules, "reach_planted", types.SimpleNamespace(A=_Planted))
    chosen("reach_planted:A")
    if says is None:  # by keyword the swapped order does not show
        check(module=module, how=how, flags=0)
        return
    with pytest.raises(AssertionError) as failed:
        check(module=module, how=how, flags=0)
    assert says in str(failed.value), failed.value
