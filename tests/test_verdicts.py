"""Verdicts per case (spec/helpers/verdicts.py) and the known entries that name their cases
(spec/implementations/divergences.py): the helpers that decide pass/fail, each against planted mistakes.

What must hold: every case of an item runs whatever its siblings did; a failing case fails the item even beside
not-applicable or known ones; a known entry covers the cases it names and no others; an item whose cases all
had nothing to check is not applicable, never passed; Hypothesis runs every example (no stop at the first
failure, no shrinking), and the item's failure lists each failing example.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spec.helpers import verdicts
from spec.implementations import divergences
from spec.registry import NotApplicable, not_applicable


def run_item(body, covers=None, ids=(), device="cpu"):
    """Run ``body(case)`` as one item's test function; returns (item, the exception finish raised or None)."""
    item = verdicts.begin("test_x", ids=ids, device=device, covers=covers)
    error = None
    try:
        body()
    except BaseException as e:  # what the test function raised: finish judges it
        error = e
    try:
        verdicts.finish(item, error)
    except BaseException as e:  # what the item ends with
        return item, e
    return item, None


def three_cases(fail=(), na=()):
    def body():
        for i in range(3):
            with verdicts.case(f"case {i}"):
                if i in na:
                    not_applicable(f"case {i} cannot run", implementation=True)
                assert i not in fail, f"case {i}: expected 0, got 1"

    return body


def test_every_case_runs_and_each_failure_is_listed():
    item, end = run_item(three_cases(fail=(0, 2)))
    assert item.counts() == {"held": 1, "failed": 2, "known": 0, "n/a": 0}, item.counts()
    assert isinstance(end, verdicts.CasesFailed), f"expected the item to fail, got {end!r}"
    assert "2 of 3 cases failed" in str(end) and "case 0: AssertionError" in str(end) and "case 2" in str(end), end
    assert all(isinstance(e, AssertionError) for e in end.exceptions), end.exceptions  # the campaign reads these


def test_not_applicable_never_hides_a_failure():
    item, end = run_item(three_cases(fail=(1,), na=(0, 2)))
    assert item.counts() == {"held": 0, "failed": 1, "known": 0, "n/a": 2}, item.counts()
    assert isinstance(end, (verdicts.CasesFailed, AssertionError)), f"a failing case must fail the item, got {end!r}"


def test_an_item_whose_cases_all_had_nothing_to_check_is_not_applicable():
    item, end = run_item(three_cases(na=(0, 1, 2)))
    assert isinstance(end, NotApplicable) and end.implementation, f"expected not applicable, got {end!r}"
    _, end = run_item(three_cases(na=(0, 2)))
    assert end is None, f"one case held: the item holds for what the implementation takes, got {end!r}"


def test_a_failure_raised_outside_any_case_is_the_items_own():
    def body():
        with verdicts.case("fine"):
            pass
        raise TypeError("crashed after its cases")

    item, end = run_item(body)
    assert item.counts()["failed"] == 1 and item.counts()["held"] == 1, item.counts()
    assert isinstance(end, verdicts.CasesFailed) and "TypeError: crashed" in str(end), end


def test_a_single_case_item_ends_with_its_own_exception():
    _, end = run_item(lambda: pytest.fail("DID NOT RAISE ValueError"))
    assert isinstance(end, pytest.fail.Exception), f"one case: pytest's own failure, got {end!r}"


def covering(**selector):
    cases = divergences._selectors("t", [selector]) if selector else (divergences.Selector(),)
    entry = divergences.Divergence("rnn.x.y", "why", repro="x", cases=cases)

    def covers(item, case):
        return entry.as_dict() if entry.covers(item.ids, item.device, item.target, case.built) else None

    return covers


def built_body(fail_for=("GRU",)):
    def body():
        for name in ("RNN", "GRU"):
            with verdicts.case(name):
                verdicts.built(name, {"num_layers": 2, "bias": True})
                assert name not in fail_for, f"{name} diverges"

    return body


def test_a_known_entry_covers_the_cases_it_names_and_no_others():
    item, end = run_item(built_body(), covers=covering(modules=["GRU"]))
    assert item.counts() == {"held": 1, "failed": 0, "known": 1, "n/a": 0}, item.counts()
    assert isinstance(end, pytest.xfail.Exception), f"known cases only: an expected failure, got {end!r}"
    # the same divergence in a case the entry does not name is a failure
    item, end = run_item(built_body(fail_for=("RNN", "GRU")), covers=covering(modules=["GRU"]))
    assert item.counts()["failed"] == 1 and item.counts()["known"] == 1, item.counts()
    assert isinstance(end, verdicts.CasesFailed) and "RNN: AssertionError: RNN diverges" in str(end), end


def test_a_covered_case_that_holds_is_counted_against_its_entry():
    item, _ = run_item(built_body(fail_for=()), covers=covering())  # covers every case, none diverges
    assert verdicts.known_held(item) == 2 and item.counts()["held"] == 2, item.counts()


def test_every_hypothesis_example_is_a_case_and_none_is_shrunk():
    seen = []

    @settings(max_examples=20, derandomize=True, database=None)
    @given(n=st.integers(0, 1000))
    def check(n):
        seen.append(n)
        assert n % 3, f"n={n} is a multiple of 3"

    item = verdicts.begin("test_h")
    undo = verdicts.wrap_hypothesis(check)
    try:
        check()
        error = None
    except BaseException as e:  # judged by finish
        error = e
    finally:
        undo()
    with pytest.raises(verdicts.CasesFailed) as end:
        verdicts.finish(item, error)
    failed = [n for n in seen if n % 3 == 0]
    assert len(seen) == 20 and item.counts()["failed"] == len(failed) > 0, (len(seen), item.counts())
    assert f"n={failed[0]}" in str(end.value), "each failing example names its drawn values"


# --- the known file's cases ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "selector, ids, where, built, want",
    [
        ({}, (), "cpu", [], True),
        ({"ids": ["input-4d"]}, ("cpu", "input-4d"), "cpu", [], True),
        ({"ids": ["input-4d"]}, ("cpu", "input-4d-rnn"), "cpu", [], False),  # a whole id, not a prefix
        ({"ids": ["0.3-GRU"]}, ("cuda", "0.3", "GRU"), "cuda", [], True),  # every id but the device's, joined
        ({"ids": ["GRU"]}, ("cpu", "0.3", "GRU"), "cpu", [], True),  # one parameter's id
        ({"modules": ["GRU"]}, (), "cpu", [("RNN", {})], False),
        ({"modules": ["GRU"]}, (), "cpu", [("RNN", {}), ("GRU", {})], True),
        ({"when": {"bias": True}}, (), "cpu", [("LSTM", {"bias": False})], False),
        ({"when": {"num_layers": 2}}, (), "cpu", [("LSTM", {"num_layers": 3})], True),  # a number: a lower bound
        ({"when": {"num_layers": 2}}, (), "cpu", [("LSTM", {"num_layers": 1})], False),
        (
            {"modules": ["GRU"], "when": {"bidirectional": True}},
            (),
            "cpu",
            [("GRU", {"bidirectional": False}), ("LSTM", {"bidirectional": True})],
            False,
        ),
        ({"devices": ["cuda"]}, (), "cpu", [], False),
    ],
)
def test_a_selector_matches_exactly_what_it_names(selector, ids, where, built, want):
    (sel,) = divergences._selectors("t", [selector])
    assert sel.matches(ids, where, "eager", built) is want, (selector, ids, built)


@pytest.mark.parametrize(
    "cases, message",
    [
        (None, "'cases' must list the cases it covers"),
        ([], "'cases' must list the cases it covers"),
        ("all", "'cases' must list the cases it covers"),
        (["GRU"], "a selector is an object"),
        ([{"module": ["GRU"]}], "unknown keys ['module']"),
        ([{"modules": ["Transformer"]}], "not among"),
        ([{"when": {"hidden": 3}}], "'when' maps arguments"),
        ([{"ids": "input-4d"}], "ids must be a list of names"),
    ],
)
def test_an_entry_without_proper_cases_is_refused_in_one_line(tmp_path, cases, message):
    entry = {"reason": "why", "repro": "x = 1"}
    if cases is not None:
        entry["cases"] = cases
    with pytest.raises(divergences.KnownFileError, match=message.replace("[", r"\[").replace("]", r"\]")) as e:
        divergences.parse({"divergences": {"rnn.shape.x": entry}}, tmp_path / "lib.json")
    assert "\n" not in str(e.value) and "rnn.shape.x" in str(e.value), e.value


def test_a_rewritten_assert_keeps_the_values_pytest_found():
    """``assert torch.equal(a, b)`` fails as "assert False" with pytest's "where" lines below: they are kept."""
    error = AssertionError("assert False\n +  where False = <built-in method equal>(tensor([1.]), tensor([2.]))")
    line = verdicts._one_line(error)
    assert "tensor([1.]), tensor([2.])" in line and "\n" not in line, line
    assert verdicts._one_line(AssertionError("plain: 3 against 4")) == "AssertionError: plain: 3 against 4"


def test_a_known_configuration_covers_its_failing_cases_in_any_claim_and_leaves_held_ones_held():
    """A configuration the implementation computes wrongly with (known file's ``configurations``): a failing case
    that built it is known whatever the claim, one that holds stays held (no WIDE flag), and a failing case that
    did not build it still fails."""
    from spec.helpers.axes import _coverer

    (config,) = divergences._limits(
        __import__("pathlib").Path("lib.json"),
        {"configurations": [{"when": {"proj_size": 1}, "modules": ["LSTM"], "reason": "never projects", "repro": "x"}]},
        "configurations",
    )

    def body():
        for proj, fails in ((2, True), (2, False), (0, True)):
            with verdicts.case(f"proj_size={proj} fails={fails}"):
                verdicts.built("LSTM", {"proj_size": proj})
                assert not fails, f"proj_size={proj} diverges"

    item, end = run_item(body, covers=_coverer(None, [config]))
    assert item.counts() == {"held": 1, "failed": 1, "known": 1, "n/a": 0}, item.counts()
    assert verdicts.known_held(item) == 0, "a configuration's held case is no sign of a wide entry"
    assert isinstance(end, verdicts.CasesFailed) and "proj_size=0" in str(end), end


def test_an_outcome_table_takes_an_assertion_error_that_a_release_raises():
    """torch 1.11-2.0 refuse a 3-D cell input with AssertionError: an outcome expecting it holds (planted: the
    release raising ValueError instead fails), and an AssertionError of a check inside an accepted call fails."""
    from spec.helpers.outcomes import Case, Outcome, check

    def raising(kind):
        def call(device):
            raise kind("RNNCell: Expected input to be 1-D or 2-D but received 3-D tensor")

        return call

    check(Case("as-1-13", raising(AssertionError), (Outcome(raises=AssertionError, match="1-D or 2-D"),)), "cpu")
    with pytest.raises(pytest.fail.Exception, match="expected AssertionError, got ValueError"):
        check(Case("planted", raising(ValueError), (Outcome(raises=AssertionError),)), "cpu")
    with pytest.raises(AssertionError, match="1-D or 2-D"):
        check(Case("accepted", raising(AssertionError), (Outcome(),)), "cpu")
