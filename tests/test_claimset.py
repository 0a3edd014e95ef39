"""The claim set a stored result records: a digest per claim that changes with its statement or its check (and not
with a comment or a citation), and the reading of a stored result against today's set."""

import pytest

from spec.registry import Claim, TorchDoc
from spec.tools import claimset as cs
from spec.tools import results as res


def claim(
    cid="a.shape.x", statement="S.", where="tests.test_claimset:check_one", torch=">=1.8", sources=("x", "y")
) -> Claim:
    return Claim(cid, statement, "shape", ("RNN",), (TorchDoc(*sources),), torch=torch, where=where)


# Checks as a claim module has them: the digest reads their source. Their bodies differ only where the names say.
@pytest.mark.parametrize("n", [1, 2])
def check_one(n):
    assert n > 0, f"expected a positive n, got {n}"


@pytest.mark.parametrize("n", [1, 2])
def check_one_commented(n):
    # a comment is no change to the check
    assert n > 0, f"expected a positive n, got {n}"  # nor is this one


@pytest.mark.parametrize("n", [1, 2])
def check_one_changed(n):
    assert n >= 0, f"expected a positive n, got {n}"


@pytest.mark.parametrize("n", [1, 2])
def check_one_reworded(n):
    assert n > 0, (
        f"n must be positive: got {n}"  # a message reworded (over two lines) is no change to what is checked
    )


@pytest.mark.parametrize("n", [1, 2, 3])
def check_one_more_cases(n):
    assert n > 0, f"expected a positive n, got {n}"


def same_body(name: str) -> str:
    return cs._check_text(claim(where=f"tests.test_claimset:{name}")).replace(name, "check_one")


def test_a_comment_is_no_change_and_a_changed_body_or_case_list_is():
    base = cs._check_text(claim())
    assert base is not None and "assert n > 0" in base, f"expected the check's source, got {base!r}"
    assert same_body("check_one_commented") == base, "a comment changed the check's text"
    assert same_body("check_one_reworded") == base, "a reworded assert message changed the check's text"
    assert same_body("check_one_changed") != base, "a changed assertion left the check's text alone"
    assert same_body("check_one_more_cases") != base, "a changed parametrize list left the check's text alone"


def test_the_digest_follows_the_statement_the_range_and_the_check_not_the_citation():
    base = cs.digest(claim())
    assert base is not None and len(base) == cs.DIGITS, f"expected a {cs.DIGITS}-digit digest, got {base!r}"
    assert cs.digest(claim(sources=("z", "w"))) == base, "a changed citation changed the digest"
    for changed in (
        claim(statement="T."),
        claim(torch=">=2.0"),
        claim(where="tests.test_claimset:check_one_changed"),
    ):
        assert cs.digest(changed) != base, f"the digest missed a change: {changed}"


def test_a_claim_whose_check_cannot_be_read_has_no_digest():
    assert cs.digest(claim(where="no.such.module:f")) is None
    assert cs.digest(claim(where="")) is None


def test_the_claim_decorator_is_left_out_of_a_real_claims_text():
    import spec

    registry = {c.id: c for c in spec.load_all()}
    c = registry["rnn.autograd.detach-cuts-graph"]
    text = cs._check_text(c)
    assert text is not None and "@claim" not in text and c.statement not in text, text[:300]
    assert "@pytest.mark.parametrize" in text, f"the decorator that makes its cases is part of the check: {text[:300]}"


def test_a_report_records_the_claims_it_ran():
    claims = {"a.shape.x": claim(), "a.shape.y": claim("a.shape.y", where="tests.test_claimset:check_one_changed")}
    cases = [res.Case("t::x", "a.shape.x", "cpu", "eager", "passed"), res.Case("t::y", "a.shape.y", "cpu")]
    report = res.Report.build(cases, claims, {"torch": "2.13.0"})
    suite = report.suite
    assert suite["claims"] == 2 and suite["claim_set"] == cs.ids_digest(claims), suite
    assert suite["claim_digests"] == {cid: cs.digest(c) for cid, c in claims.items()}, suite
    assert len(suite["date"]) == 10 and suite["date"][4] == "-", suite["date"]
    back = res.Report.from_json(report.to_json())
    assert back.suite == suite, "the claim set did not survive the JSON"


NOW = {"a.x": "d1", "a.y": "d2", "a.z": "d3"}


def test_a_result_at_todays_set_is_current():
    s = cs.compare({"git": "abcdef0123", "claim_digests": dict(NOW)}, NOW)
    assert s.current and s.same == 3 and s.text() == "ran 3 of the 3 claims of today's set, at abcdef0", s.text()


def test_a_changed_check_and_a_missing_claim_are_behind():
    s = cs.compare({"git": "abcdef0123-dirty", "claim_digests": {"a.x": "d1", "a.y": "old"}}, NOW)
    assert not s.current and s.same == 1 and s.changed == ["a.y"] and s.missing == ["a.z"], s
    assert (
        s.text() == "ran 1 of the 3 claims of today's set, at abcdef0-dirty (1 with a check changed since; 1 not run)"
    )


def test_a_report_from_before_digests_matches_by_id():
    s = cs.compare({"git": "abcdef0"}, NOW, ran={"a.x", "a.y", "a.z", "a.gone"})
    assert s.current and s.by_id_only and s.same == 3, s
    s = cs.compare({"git": "abcdef0"}, NOW, ran={"a.x"})
    assert not s.current and s.missing == ["a.y", "a.z"], s


def test_a_report_run_with_k_compares_only_the_claims_it_holds():
    """A report's digests cover what it ran; the IDs it holds results for are what counts."""
    s = cs.compare({"claim_digests": dict(NOW)}, NOW, ran={"a.x"})
    assert s.same == 1 and s.missing == ["a.y", "a.z"], s


def test_a_figure_with_only_the_id_digest():
    same = cs.compare({"claims": 3, "claim_set": cs.ids_digest(NOW)}, NOW)
    assert same.current and same.by_id_only, same
    other = cs.compare({"claims": 2, "claim_set": "0" * 12, "git": "1234567890"}, NOW)
    assert not other.known and not other.current and other.text() == "ran 2 claims (today's set: 3), at 1234567", other
    none = cs.compare({}, NOW)
    assert not none.current and none.text() == "its claim set was not recorded (today's set: 3), revision not recorded"
