"""The generated docs: fresh, a strict static build, and the matrix page rendered by a real browser."""

import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from spec.tools import compare
from spec.tools import docs as gen
from spec.tools import report as rpt

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports" / "matrix"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_docs_are_fresh():
    """docs/ is what `python -m spec docs` generates from the registry and reports/matrix."""
    stale = gen.stale(gen.build(REPORTS), ROOT / "docs")
    assert stale == [], f"stale docs (run python -m spec docs): {stale}"


def test_docs_refuse_a_bad_report_and_leave_docs_alone(tmp_path, capsys):
    reports = tmp_path / "reports"
    reports.mkdir()
    shutil.copy(sorted(REPORTS.glob("*.json"))[0], reports / "good.json")
    bad = json.loads((reports / "good.json").read_text())
    bad["claims"]["rnn.shape.retired-claim"] = {"status": "passed", "kind": "shape"}
    (reports / "bad.json").write_text(json.dumps(bad))
    out = tmp_path / "docs"
    out.mkdir()
    (out / "index.md").write_text("untouched")
    from spec.tools import cli

    assert cli.main(["docs", "--reports", str(reports), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"spec: error: {reports / 'bad.json'}: claim 'rnn.shape.retired-claim' is not in the registry"
    ]
    assert [p.name for p in out.iterdir()] == ["index.md"] and (out / "index.md").read_text() == "untouched"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if shutil.which("mkdocs") is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    out = tmp_path_factory.mktemp("site")
    r = subprocess.run(
        ["mkdocs", "build", "--strict", "-q", "-d", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )
    assert r.returncode == 0, r.stderr
    return out


def test_site_builds_strict(site):
    assert (site / "matrix" / "index.html").exists()
    assert (site / "claims" / "shape" / "index.html").exists()
    assert (site / "program-claims" / "data" / "index.html").exists()


class Tables(HTMLParser):
    """Rows of the first <table> in a page, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self.depth, self.cell = [], 0, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.depth += 1
        elif tag == "tr" and self.depth == 1 and not self.rows_done:
            self.rows.append([])
        elif tag in ("td", "th") and self.depth == 1 and self.rows and not self.rows_done:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.depth -= 1
            self.rows_done = True
        elif tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    rows_done = False


@pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine (apt-get install chromium)")
def test_matrix_page_renders_in_chromium(site, tmp_path):
    page = site / "matrix" / "index.html"
    r = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    parser = Tables()
    parser.feed(r.stdout)
    import spec

    reports = compare.load_many(sorted(REPORTS.glob("*.json"))) + compare.load_many(
        sorted((REPORTS.parent / "cuda").glob("*.json"))
    )
    registry = spec.load_all()
    header, *rows = parser.rows  # the first table: the claims about torch
    table = compare.matrix(reports, only={c.id for c in registry if c.subject == "torch"})
    assert header == ["claim"] + table["columns"]
    assert [row[0] for row in rows] == list(table["rows"])
    first = next(iter(table["rows"].values()))
    assert rows[0][1:] == [compare.MARKS.get(s, "") if s else "" for s in first]


def test_every_stored_report_loads():
    for path in sorted(REPORTS.glob("*.json")):
        assert rpt.load(path)["environment"]["devices"] == "cpu", path
