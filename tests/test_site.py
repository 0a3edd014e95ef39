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
from spec.tools import render
from spec.tools.docs import common as gen
from spec.tools.docs import site as site_gen
from spec.tools.matrix import Matrix
from spec.tools.results import Report, load_many

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports" / "matrix"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def pages():
    return site_gen.build(ROOT / "reports", ROOT / "docs")


def test_docs_are_fresh(pages):
    """docs/ is what `python -m spec docs` generates from the registry and reports/."""
    stale = site_gen.stale(pages, ROOT / "docs")
    assert stale == [], f"stale docs (run python -m spec docs): {stale}"


def test_docstring_pages_made_under_another_torch_are_kept_not_stale(monkeypatch):
    """A newcomer's torch is not the one docs/torch-docs/ walked: those pages are kept as they are, not stale."""
    import torch

    monkeypatch.setattr(torch, "__version__", "9.9.9+other")
    pages = site_gen.build(ROOT / "reports", ROOT / "docs")
    assert not [rel for rel in site_gen.stale(pages, ROOT / "docs") if rel.startswith("torch-docs/")]
    made = (ROOT / "docs" / "torch-docs" / "index.md").read_text(encoding="utf-8")
    assert pages["torch-docs/index.md"] == made and "<!-- made with torch " in made


def test_docs_refuse_a_bad_report_and_leave_docs_alone(tmp_path, capsys):
    reports = tmp_path / "reports" / "matrix"
    reports.mkdir(parents=True)
    shutil.copy(sorted(REPORTS.glob("*.json"))[0], reports / "good.json")
    bad = json.loads((reports / "good.json").read_text())
    bad["claims"]["rnn.shape.retired-claim"] = {"status": "passed", "kind": "shape"}
    (reports / "bad.json").write_text(json.dumps(bad))
    out = tmp_path / "docs"
    out.mkdir()
    (out / "index.md").write_text("untouched")
    from spec.tools import cli

    assert cli.main(["docs", "--reports", str(reports.parent), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"spec: error: {reports / 'bad.json'}: claim 'rnn.shape.retired-claim' is not in the registry"
    ]
    assert [p.name for p in out.iterdir()] == ["index.md"] and (out / "index.md").read_text() == "untouched"


def test_docs_refuse_a_reports_folder_without_reports(tmp_path, capsys):
    """An empty or wrong --reports would otherwise rewrite every page without figures: exit 2, nothing written."""
    from spec.tools import cli

    (tmp_path / "empty").mkdir()
    out = tmp_path / "copy"
    assert cli.main(["docs", "--reports", str(tmp_path / "empty"), "--out", str(out)]) == 2
    assert "holds no reports/matrix" in capsys.readouterr().err and not out.exists()


def stored_reports() -> list:
    """The reports `python -m spec docs` tabulates on its matrix and targets pages."""
    return load_many(sorted(REPORTS.glob("*.json")) + sorted((REPORTS.parent / "cuda").glob("*.json")))


def html_cells(page: str) -> list:
    """(claim, column, status) of every cell of every grid on a page, and (claim, None, status) of every listed
    claim that reads the same wherever reported."""
    cells = re.findall(r'<td class="[^"]*" data-status="([^"]+)" data-claim="([^"]+)" data-column="([^"]+)"', page)
    listed = re.findall(r'<li markdown="span" data-claim="([^"]+)" data-status="([^"]+)">', page)
    return [(c, col, st) for st, c, col in cells] + [(c, None, st) for c, st in listed]


def test_the_cli_and_the_docs_show_the_same_status_in_every_cell(pages):
    """For every stored report: each cell of the docs' matrix and targets pages is the status the CLI's
    `python -m spec matrix --format json --target all` gives that claim and column; and every cell the CLI gives
    appears on the docs' pages (a sibling's row standing in only where the claim is not applicable)."""
    reports = stored_reports()
    cli = json.loads(render.matrix(Matrix.build(reports, targets=None), "json"))
    keys = [f"{c['group']} {c['label']}" for c in cli["columns"]]
    by = {(cid, keys[i]): status for cid, row in cli["rows"].items() for i, status in enumerate(row)}
    shown: dict = {}
    for name in ("matrix.md", "targets.md"):
        for cid, column, status in html_cells(pages[name]):
            if column is None:  # a claim listed as reading the same: every eager column that reports it
                eager = [k for k in keys if " · eager " in k and by.get((cid, k)) is not None]
                assert {by[(cid, k)] for k in eager} == {status}, cid
                shown.update({(cid, k): status for k in eager})
                continue
            assert by[(cid, column)] == status, (name, cid, column)
            shown[(cid, column)] = status
    missing = [
        (cid, k)
        for (cid, k), status in by.items()
        if status is not None and (cid, k) not in shown and status != "not-applicable" and "· eager " in k
    ]
    assert missing == []


def test_a_uniform_group_names_its_releases_per_group_of_columns(pages):
    """ "holds on 23 columns, 1.8.1 to 2.11.0" read as a range ending at 2.11 where the columns ran to 2.15.0 and
    then a GPU run: each title names a release range per group of columns, its counts add up, and one is singular."""
    m = Matrix.build(stored_reports(), targets=("eager",))
    releases: dict = {}
    for col in m.columns:
        releases.setdefault(col.group_label, []).append(col.release)
    titles = [html.unescape(t) for t in re.findall(r'<p class="grid-title">([^<]*)</p>', pages["matrix.md"])]
    assert titles
    for title in titles:
        head, _, count = title.rpartition(": ")
        assert re.fullmatch(r"1 claim|([02-9]|\d\d+) claims", count), title
        n = re.search(r" on (\d+) columns: ", head)
        ranges = re.findall(r"(\S+?)(?: to (\S+))? \(((?:[^()]|\([^()]*\))*)\)(?: and |$)", head.split(": ", 1)[-1])
        assert ranges, title
        total = 0
        for first, last, label in ranges:
            shown = releases[label]
            assert first in shown and (last or first) in shown, (title, label, shown)
            total += shown.index(last or first) - shown.index(first) + 1
        assert total == (int(n.group(1)) if n else 1), title


def test_a_failure_band_comes_first_on_the_matrix_page(pages):
    """What a reader must see first: the claims failing somewhere, then the known regressions of a release (each
    named with its releases, reason and link), before anything that only changes."""
    page = pages["matrix.md"]
    order = [page.index(f"### {title}") for title in ("Failing somewhere", "Known regressions of a release")]
    order += [page.index("### Changing status"), page.index("### Changing only at a range edge")]
    assert order == sorted(order)
    first_table = page.index('<table class="grid"')
    band = page[first_table : page.index("</table>", first_table)]
    assert first_table < order[2] and ('data-status="failed"' in band or 'data-status="xfailed"' in band)
    known = page[order[1] : order[2]]
    assert "rnn.errors.input" in known and "on 2.1.2, 2.2.2, declared for torch&gt;=2.1,&lt;2.3" in known
    assert "https://github.com/pytorch/pytorch/issues/114874" in known


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
<iframe id="targets" src="targets/index.html" style="width:1400px;height:1000px;border:0"></iframe>
<iframe id="phone" src="matrix/index.html" style="width:390px;height:844px;border:0"></iframe>
<pre id="probe"></pre>
<script>
const PAGES = %s;
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
function geometry(d) {
  const out = {window: d.documentElement.clientWidth, height: d.documentElement.clientHeight};
  const boxes = [...d.querySelectorAll(".spec-scroll, .md-typeset__table")];
  out.boxes = Math.max(0, ...boxes.map(b => b.getBoundingClientRect().right));
  // a table is clipped when it is wider than what shows it and nothing lets the reader scroll to the rest
  const clipped = t => {
    let box = t.parentElement;
    while (box && box.tagName !== "ARTICLE" && !/auto|scroll/.test(d.defaultView.getComputedStyle(box).overflowX))
      box = box.parentElement;
    const edge = box && box.tagName !== "ARTICLE" ? box.getBoundingClientRect().right : out.window;
    return t.getBoundingClientRect().right > out.window + 1 && edge > out.window + 1;
  };
  out.clipped = [...d.querySelectorAll("article table")].filter(clipped).map(t => t.innerText.slice(0, 60));
  const sticky = d.querySelector(".spec-matrix tbody th");
  out.sticky = sticky ? d.defaultView.getComputedStyle(sticky).position : null;
  const failed = d.querySelector('td[data-status="failed"], td[data-status="xfailed"]');
  out.first_failure_top = failed ? failed.getBoundingClientRect().top : -1;
  // the headline: every release's and implementation's row, where it shows
  out.headline = [...d.querySelectorAll("table.headline tr[data-headline]")].map(r => {
    const b = r.getBoundingClientRect();
    return [r.dataset.headline, b.top, b.bottom];
  });
  out.headline_clipped = [...d.querySelectorAll("table.headline")].filter(clipped).length;
  return out;
}
let loaded = 0;
const out = {pages: {}};
for (const name of ["matrix", "targets", "phone"]) {
  document.getElementById(name).addEventListener("load", async () => {
    try { out.pages[name] = geometry(document.getElementById(name).contentDocument); }
    catch (e) { out.error = String(e); }
    if (++loaded === 3) {
      try { out.statements = await statements(); } catch (e) { out.error = String(e); }
      document.getElementById("probe").textContent = JSON.stringify(out);
    }
  });
}
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
    """In a 1400-pixel window: no table is clipped (each fits, or scrolls inside its own box, which fits the
    window); the claim column stays put; the first failure band is in the first screen."""
    for name in ("matrix", "targets"):
        geometry = rendered["pages"][name]
        assert geometry["boxes"] <= geometry["window"], (name, geometry)
        assert geometry["clipped"] == [], (name, geometry["clipped"][:3])
    matrix = rendered["pages"]["matrix"]
    assert matrix["sticky"] == "sticky"
    # the answer first: every release's and every implementation's headline row in the first screen, unclipped;
    # the first failure band right after the headline, within the next screen
    rows = matrix["headline"]
    assert rows, "no headline rows on the matrix page"
    below = [(name, round(bottom)) for name, _, bottom in rows if bottom > matrix["height"]]
    assert below == [], f"headline rows below the first screen ({matrix['height']} px): {below}"
    assert matrix["headline_clipped"] == 0, matrix
    last = max(bottom for _, _, bottom in rows)
    assert 0 < matrix["first_failure_top"] < last + matrix["height"], matrix
    # on a 390-pixel phone: no headline table clipped (it scrolls in its own box), its first rows in the first screen
    phone = rendered["pages"]["phone"]
    assert phone["headline_clipped"] == 0 and phone["clipped"] == [], phone
    assert phone["headline"] and phone["headline"][0][2] < phone["height"], phone["headline"][:2]


def test_every_stored_report_loads():
    for path in sorted(REPORTS.glob("*.json")):
        assert Report.load(path).devices == "cpu", path
