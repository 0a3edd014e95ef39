"""Figures in the sources' texts (``spec/sources/listings.py``, ``spec/sources/unclaimed.py``): named, never typed.

A timing, an accuracy or a perplexity a listing's or a statement's text gives is a stored figure: the text names
it (``{listings.json:s003-rnn.perplexity:.2f}``) and the sources page fills it in from ``reports/`` with how it was
made, so a re-run changes the page and a figure behind today's claim set is marked.
"""

import json
import re
from pathlib import Path

import pytest

from spec.sources.listings import LISTINGS
from spec.sources.unclaimed import UNCLAIMED
from spec.tools.docs.common import how_made, made_with
from spec.tools.docs.sources import FIGURE, Figures

ROOT = Path(__file__).resolve().parent.parent

#: the lint rule: a number read as a duration, a share or a perplexity, outside a named figure
TYPED = re.compile(r"\b\d[\d,.]*\s?(?:%|(?:s|ms|seconds?|minutes?|hours?)\b)|perplexity (?:of |is )?\d")


def texts():
    """(where, text) of every text the sources page fills in: listings' results and reasons, statements' reasons."""
    for x in LISTINGS:
        for field in ("does", "reason"):
            yield f"{x.file}:{x.first} {field}", getattr(x, field)
    for u in UNCLAIMED:
        yield f"{u.source.file}:{u.source.line} unclaimed", u.reason


def typed(text: str) -> list:
    return TYPED.findall(FIGURE.sub("", text))


def test_the_lint_rule_finds_a_typed_figure_and_passes_a_named_one():
    assert typed("the run took 1121 s, 8 times the other") == ["1121 s"]
    assert typed("it reaches 89.5 % after 74 minutes") == ["89.5 %", "74 minutes"]
    assert typed("ends at perplexity 17.46") == ["perplexity 1"]
    assert typed("its perplexity is 4.2 after 1 hour, 20 ms a step") == ["perplexity is 4", "1 hour", "20 ms"]
    assert (
        typed("ends at perplexity {listings.json:s003-rnn.perplexity:.2f} in {listings.json:s003-rnn.seconds:.0f} s")
        == []
    )
    assert typed("ends at perplexity {listings.json:s003-rnn.perplexity:.2f}, 30 epochs, shapes [10, 3, 20]") == []


def test_no_source_text_types_a_figure():
    found = {where: typed(text) for where, text in texts() if typed(text)}
    assert found == {}, f"name these figures from reports/ ({{FILE:PATH:FORMAT}}) instead of typing them: {found}"


def test_every_figure_a_text_names_is_stored_and_written_as_named():
    fill = Figures(ROOT / "reports", None).fill
    missing = [
        f"{where}: {m.group(0)} -> {fill(m.group(0))}"
        for where, text in texts()
        for m in FIGURE.finditer(text)
        if fill(m.group(0)).startswith(("(not measured", "(cannot write"))
    ]
    assert missing == [], f"named but not stored, or not writable as named (re-run its benchmark): {missing}"


@pytest.fixture
def reports(tmp_path):
    suite = {"git": "abcdef0123456", "date": "2026-01-02", "claims": 1, "claim_digests": {"a.b": "d"}}
    runs = {
        "figure": "listings",
        "runs": [
            {"key": {"run": "one"}, "seconds": 12.34, "curve": [9.0, 7.5, 6.25], "suite": suite},
            {"key": {"run": "two"}, "seconds": 3.0, "flag": True},  # made before runs recorded their suite
        ],
    }
    (tmp_path / "listings.json").write_text(json.dumps(runs))
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "sum.json").write_text(json.dumps({"test_accuracy": 0.8953, "suite": suite}))
    return tmp_path


def test_a_named_figure_is_filled_in_with_where_it_comes_from(reports):
    now = {"a.b": "d"}
    fill = Figures(reports, now).fill
    text = fill("took {listings.json:one.seconds:.1f} s, {listings.json:one.curve.2:.2f} at epoch 2")
    assert text == (
        "took 12.3 s, 7.50 at epoch 2 [reports/listings.json: revision abcdef0, on 2026-01-02, 1 of today's 1 claims]"
    ), text
    assert fill("{programs/sum.json:test_accuracy:.1%}").startswith("89.5 % [reports/programs/sum.json: ")
    behind = Figures(reports, {"a.b": "changed"}).fill("{listings.json:one.seconds:.0f}")
    assert behind.endswith("0 of today's 1 claims †]"), behind
    unrecorded = fill("{listings.json:two.seconds:.0f}")
    assert unrecorded == "3 [reports/listings.json: claim set not recorded †]", unrecorded


@pytest.mark.parametrize(
    "name",
    [
        "{listings.json:three.seconds:.0f}",  # no such run
        "{listings.json:one.minutes:.0f}",  # no such field
        "{listings.json:one.curve.4:.0f}",  # past the curve's last epoch
        "{listings.json:one.curve.0:.0f}",  # epochs count from 1
        "{listings.json:one.curve:.0f}",  # not a number
        "{listings.json:two.flag:d}",  # a flag is not a figure
        "{nothing.json:one.seconds:.0f}",  # no such file
    ],
)
def test_a_figure_not_stored_says_so_and_names_its_file(reports, name):
    text = Figures(reports, {"a.b": "d"}).fill(f"took {name} s")
    file = FIGURE.match(name).group(1)
    assert text == f"took (not measured: no {FIGURE.match(name).group(2)} in reports/{file}) s", text


def test_a_figure_without_a_recorded_claim_set_is_marked_behind():
    """Made before figures recorded what they were made with: the pages cannot say it is today's, so it is †."""
    assert made_with({}, {"a.b": "d"}) == ", claim set not recorded †"
    assert how_made({"seconds": 1}, {"a.b": "d"}) == "claim set not recorded †"
    assert made_with({}) == "" and how_made({}) == "environment not recorded"


def test_the_readme_sample_of_verify_is_rendered_from_its_stored_report():
    """The README's sample output is `verify`'s own rendering of a stored report, with where it comes from; a
    number typed into it is stale (`python -m spec docs` puts the report's back)."""
    from spec.tools.docs import readme, site

    path, rendered = site.readme(ROOT / "reports", ROOT / "docs")
    text = path.read_text(encoding="utf-8")
    samples = list(readme.MARKERS.finditer(text))
    assert samples, "the README has no rendered sample of verify's output"
    assert text == rendered, "the README's sample is not what its stored report gives: run python -m spec docs"
    body = samples[0].group("body")
    assert "reports/implementations/torch.json" in body and "of today's" in body, body
    typed_in = text.replace(body, body.replace("total ", "total 1", 1))
    assert typed_in != text and readme.render(typed_in, ROOT / "reports") != typed_in


def test_a_build_elsewhere_leaves_the_readme_alone(tmp_path):
    from spec.tools.docs import site

    assert site.readme(ROOT / "reports", tmp_path / "docs") is None


def test_a_coverage_measurement_is_dated_against_todays_set_and_marked_when_behind():
    from spec.tools.docs.coverage import coverage_page

    suite = {"git": "abcdef0123", "date": "2026-01-02", "claims": 2, "claim_digests": {"a.b": "d", "a.c": "e"}}
    data = {
        "environment": {"torch": "2.13.0+cpu", "python": "3.11.7", "hypothesis_profile": "ci"},
        "suite": suite,
        "selection": "all claims",
        "pytest": "2 passed",
        "files": {},
    }
    today = coverage_page(data, {"a.b": "d", "a.c": "e"})
    assert "2 of today's 2 claims" in today and "Stale" not in today, today
    behind = coverage_page(data, {"a.b": "d", "a.c": "changed", "a.d": "new"})
    assert "1 of today's 3 claims †" in behind and '!!! warning "Stale"' in behind, behind
    assert "re-run `python -m spec coverage`" in behind, behind


def test_a_release_timing_says_which_run_it_was_and_whether_its_report_is_that_run(tmp_path):
    """`scripts/matrix.sh` records each run's date and revision beside its seconds: the benchmarks page shows them,
    says when the stored report came from another run, and marks a line from before as its report's."""
    import shutil

    import spec
    from spec.tools.docs.benchmarks import timings_section
    from spec.tools.docs.provenance import today_of
    from spec.tools.results import load_json

    (tmp_path / "matrix").mkdir()
    for env in ("torch18", "torch19", "torch110"):
        shutil.copy(ROOT / "reports" / "matrix" / f"{env}.json", tmp_path / "matrix" / f"{env}.json")
    suite = load_json(tmp_path / "matrix" / "torch18.json")["suite"]
    lines = [
        f"torch18\t0\t10\t{suite['date']}\t{suite['git']}",  # the run that made the stored report
        "torch19\t0\t9\t2026-01-01\tfeedbeef00000",  # a later run whose report was not stored
        "torch110\t1\t12",  # timed before runs recorded their date and revision
    ]
    (tmp_path / "matrix" / "timings.tsv").write_text("\n".join(lines) + "\n")
    text = timings_section(tmp_path, today_of(spec.load_all()))
    rows = {line.split(" | ")[1]: line for line in text.splitlines() if line.startswith("| 1.")}
    rev = suite["git"][:7] + ("-dirty" if suite["git"].endswith("-dirty") else "")
    assert f"| {suite['date']} | {rev} |" in rows["torch18"], rows["torch18"]
    assert "| 2026-01-01 (its report: " in rows["torch19"] and "| feedbee (its report: " in rows["torch19"]
    assert "(its report's) |" in rows["torch110"] and "| 1 (a claim failed) |" in rows["torch110"], rows["torch110"]


def test_docs_check_names_a_program_run_behind_todays_set(tmp_path):
    from spec.tools.docs.common import outdated_figures

    suite = {"git": "abcdef0123", "date": "2026-01-02", "claims": 1, "claim_digests": {"a.b": "d"}}
    (tmp_path / "programs").mkdir()
    (tmp_path / "programs" / "old.json").write_text(json.dumps({"test_accuracy": 0.9}))
    (tmp_path / "programs" / "new.json").write_text(json.dumps({"test_accuracy": 0.9, "suite": suite}))
    lines = outdated_figures(tmp_path, {"a.b": "d"})
    assert len(lines) == 1 and lines[0].startswith("reports/programs/old.json: "), lines


def test_a_figure_that_does_not_fit_its_format_says_so_and_the_page_is_made(reports):
    text = Figures(reports, {"a.b": "d"}).fill("took {listings.json:one.seconds:d} s")
    assert text == "took (cannot write one.seconds of reports/listings.json as 'd') s", text


def test_the_readme_sample_without_its_report_says_so_and_the_docs_go_on(tmp_path):
    from spec.tools.docs import readme

    text = "a\n<!-- verify-output: implementations/torch.json -->\nold\n<!-- /verify-output -->\nb\n"
    out = readme.render(text, tmp_path)
    assert out.startswith("a\n<!-- verify-output: implementations/torch.json -->\n(not measured: ") and "old" not in out
    assert out.endswith("<!-- /verify-output -->\nb\n"), out
