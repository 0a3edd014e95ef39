"""The generated docs: fresh, a strict static build, and what a real browser renders: every statement verbatim,
the matrix readable in one window."""

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import spec
from spec.tools import compare
from spec.tools import docs as gen
from spec.tools import report as rpt

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports" / "matrix"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_docs_are_fresh():
    """docs/ is what `python -m spec docs` generates from the registry and reports/matrix.

    The pages of torch's docstrings (docs/torch-docs/) are walked on the installed torch: under another
    release than the one they were made with they differ by design, and are left out of the comparison."""
    import torch

    pages = gen.build(REPORTS)
    walked = (ROOT / "docs" / "torch-docs" / "index.md").read_text(encoding="utf-8")
    if f"torch {torch.__version__}" not in walked:
        pages = {rel: page for rel, page in pages.items() if not rel.startswith("torch-docs/")}
    stale = gen.stale(pages, ROOT / "docs")
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


@pytest.mark.e2e
def test_site_builds_strict(site):
    assert (site / "matrix" / "index.html").exists()
    assert (site / "claims" / "shape" / "index.html").exists()
    assert (site / "program-claims" / "data" / "index.html").exists()


#: A page placed in the built site and opened by Chromium: it shows the matrix page in a 1400-pixel frame and
#: reads its geometry, and reads every claim page's statements as the browser renders them.
PROBE = """<!doctype html><html><body style="margin:0">
<iframe id="matrix" src="matrix/index.html" style="width:1400px;height:1000px;border:0"></iframe>
<pre id="probe"></pre>
<script>
const PAGES = %s;
function rows(table) {
  return [...table.querySelectorAll("tbody tr")].map(tr => [...tr.children].map(c => c.innerText.trim()));
}
async function statements() {
  const out = {};
  for (const url of PAGES) {
    const doc = new DOMParser().parseFromString(await (await fetch(url)).text(), "text/html");
    const holder = document.createElement("div");
    holder.append(...doc.querySelector("article").childNodes);
    document.body.append(holder);
    for (const p of holder.querySelectorAll("p.statement")) {
      let h = p.previousElementSibling;
      while (h && h.tagName !== "H2") h = h.previousElementSibling;
      out[h.id] = p.innerText;
    }
    holder.remove();
  }
  return out;
}
document.getElementById("matrix").addEventListener("load", async () => {
  const d = document.getElementById("matrix").contentDocument, out = {};
  try {
    const tables = [...d.querySelectorAll(".spec-matrix table")];
    out.window = d.documentElement.clientWidth;
    out.right = Math.max(...tables.map(t => t.getBoundingClientRect().right));
    out.sticky = d.defaultView.getComputedStyle(tables[0].querySelector("tbody th")).position;
    out.header = [...tables[0].querySelectorAll("thead tr:last-child th")].map(c => c.innerText.trim());
    out.differing = tables.map(rows).flat();
    out.grid = [...d.querySelectorAll("ul.spec-grid li")].map(li => li.innerText.trim());
    out.statements = await statements();
  } catch (e) { out.error = String(e); }
  document.getElementById("probe").textContent = JSON.stringify(out);
});
</script></body></html>"""


@pytest.fixture(scope="module")
def rendered(site, tmp_path_factory):
    """What Chromium renders: the matrix page's tables and geometry, and every claim's statement."""
    if CHROMIUM is None:
        pytest.skip("no chromium on this machine (apt-get install chromium)")
    pages = sorted(p.relative_to(site).as_posix() for p in site.glob("*claims/*/index.html"))
    probe = site / "probe.html"
    probe.write_text(PROBE % json.dumps(pages), encoding="utf-8")
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
            "--allow-file-access-from-files",
            "--window-size=1500,1100",
            "--virtual-time-budget=60000",
            f"--user-data-dir={tmp_path_factory.mktemp('chromium')}",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', r.stdout, re.S)
    assert found and found.group(1), "the probe page did not report"
    data = json.loads(html.unescape(found.group(1)))
    assert "error" not in data, data["error"]
    return data


@pytest.mark.e2e
def test_statements_render_verbatim_in_chromium(rendered):
    """Every claim's statement, as the browser shows it, is the registry's text: nothing read as markup."""
    registry = spec.load_all()
    assert rendered["statements"] == {gen.anchor(c.id): c.statement for c in registry}


@pytest.mark.e2e
def test_matrix_page_reads_at_a_glance_in_chromium(rendered):
    """The claims whose status differs come first, in a grid that fits a 1400-pixel window with the claim
    column fixed; every other claim is listed once below it."""
    # the cpu matrix, then the device axis (reports/cuda/), as `python -m spec docs` reads them
    reports = compare.load_many(sorted(REPORTS.glob("*.json"))) + compare.load_many(
        sorted((REPORTS.parent / "cuda").glob("*.json"))
    )
    columns = gen.matrix_columns(reports)
    assert rendered["header"] == [label for _, label, _ in columns]
    assert rendered["right"] <= rendered["window"] and rendered["sticky"] == "sticky"
    registry, expected = {c.id: c for c in spec.load_all()}, []
    for subject in gen.SUBJECT_PAGES:  # the page's order: a section per subject, claims sorted within it
        for cid in sorted({cid for _, d in reports for cid in d["claims"] if registry[cid].subject == subject}):
            marks = [compare.MARKS[d["claims"][cid]["status"]] if cid in d["claims"] else "" for _, d in reports]
            if len(set(m for m in marks if m)) > 1:
                expected.append([cid, *marks])
    assert rendered["differing"] == expected
    every = {cid for _, d in reports for cid in d["claims"]}
    assert sorted(rendered["grid"]) == sorted(every - {row[0] for row in expected})


def test_every_stored_report_loads():
    for path in sorted(REPORTS.glob("*.json")):
        assert rpt.load(path)["environment"]["devices"] == "cpu", path
