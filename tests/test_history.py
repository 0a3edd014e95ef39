"""The headlines' history (spec/tools/docs/history.py): append-only, a line per change of a column's headline."""

from spec.tools.docs import history


def line(column="2.15.0", revision="abc", failed=0, held=10):
    return {"column": column, "report": "matrix/x.json", "revision": revision, "date": "2026-12-07",
            "counts": {"passed": held, "failed": failed, "xfailed": 0}}  # fmt: skip


def test_a_line_is_appended_only_when_a_columns_headline_changes(tmp_path):
    path = tmp_path / history.FILE
    assert history.record(path, [line(), line("2.14.1")]) == 2
    assert history.record(path, [line(), line("2.14.1")]) == 0, "an unchanged headline was recorded again"
    assert history.record(path, [line(failed=1, held=9), line("2.14.1")]) == 1
    assert history.record(path, [line(revision="def", failed=1, held=9)]) == 1, "a new revision is a line"
    stored = history.read(path)
    assert [e["column"] for e in stored] == ["2.15.0", "2.14.1", "2.15.0", "2.15.0"], stored


def test_the_page_says_what_changed_newest_first(tmp_path):
    page = history.section([line(), line(failed=1, held=9), line("2.14.1")])
    rows = [r for r in page.splitlines() if r.startswith("| 2026")]
    assert "2.14.1" in rows[0] and "first recorded" in rows[0], rows
    assert "failed 0 → 1" in rows[1] and "passed 10 → 9" in rows[1], rows
    assert "No history recorded yet" in history.section([])


def test_a_broken_line_is_left_out_never_fatal(tmp_path):
    path = tmp_path / history.FILE
    path.write_text('{"column": "2.15.0", "counts": {}}\nnot json\n', encoding="utf-8")
    assert [e["column"] for e in history.read(path)] == ["2.15.0"]


def test_docs_records_the_history_and_docs_check_never_does(monkeypatch):
    """``site.build(record=True)`` (docs) records the headlines; ``record=False`` (docs --check) leaves the file
    alone: a check that wrote would change what it checks."""
    from pathlib import Path

    import pytest

    from spec.tools.docs import site

    root = Path(__file__).resolve().parent.parent
    calls = []
    monkeypatch.setattr(history, "record", lambda path, rows: calls.append((path, rows)))
    site.build(root / "reports", root / "docs", record=True)
    assert len(calls) == 1 and calls[0][1] and calls[0][0].name == history.FILE, calls[:1]
    monkeypatch.setattr(history, "record", lambda *a: pytest.fail("docs --check recorded the history"))
    pages = site.build(root / "reports", root / "docs", record=False)
    assert "## How the headlines changed" in pages["matrix.md"]
