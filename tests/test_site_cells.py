"""Every cell the docs show, against the stored report JSON read here directly: not through ``Report`` or the
``Matrix`` object the pages are made from, so an error in the matrix's own logic (a column read from the wrong
report or target, a release counted twice, a status merged across releases) shows up as a cell that disagrees.

Each cell names the report and target it shows (``data-report``, ``data-target``); the expected status is that
report's entry for the claim: its status under the target, or "not run" (no entry, or not through that target).
"""

import json
import re
from pathlib import Path

import pytest

from spec.tools.docs import site as site_gen

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "reports"
FOLDERS = ("matrix", "cuda", "implementations")
WITHDRAWN_KEY = "rnn.targets.onnx-dynamo-refused-2-9"  # withdrawn claims are no row (spec.registry.WITHDRAWN)


def raw_reports(root: Path = REPORTS) -> dict:
    """'folder/file.json' -> the JSON, for every stored report the docs read."""
    out = {}
    for folder in FOLDERS:
        for path in sorted((root / folder).glob("*.json")):
            out[f"{folder}/{path.name}"] = json.loads(path.read_text(encoding="utf-8"))
    return out


def expected(data: dict, cid: str, target: str):
    """A claim's status under a target in one report's JSON (None: not run there)."""
    entry = data["claims"].get(cid)
    if entry is None:
        return None
    return (entry.get("targets") or {"eager": entry["status"]}).get(target)


def release(data: dict) -> str:
    return data["environment"]["torch"].split("+")[0]


CELL = re.compile(r"<td ([^>]*)>")
ATTR = re.compile(r'([a-z-]+)="([^"]*)"')


def cells(page: str) -> list:
    """The attributes of every cell that names the report it shows."""
    out = []
    for m in CELL.finditer(page):
        attrs = dict(ATTR.findall(m.group(1)))
        if "data-report" in attrs:
            out.append(attrs)
    return out


def mismatches(pages: dict, reports: dict) -> list:
    """Every cell on the matrix, targets and claim pages whose status is not the one its report's JSON gives."""
    bad = []
    for name, page in pages.items():
        if not isinstance(page, str) or not (name in ("matrix.md", "targets.md") or "claims/" in name):
            continue
        for a in cells(page):
            data = reports[a["data-report"]]
            status = a.get("data-status")
            claims = (a.get("data-claim") or "").split()
            want = [expected(data, cid, a["data-target"]) for cid in claims]
            if status is None and any(w is not None for w in want):
                bad.append((name, a["data-report"], a["data-target"], claims, "not run", want))
            elif status is not None and want != [status]:
                bad.append((name, a["data-report"], a["data-target"], claims, status, want))
    return bad


@pytest.fixture(scope="module")
def pages():
    return site_gen.build(REPORTS, ROOT / "docs")


@pytest.fixture(scope="module")
def reports():
    return raw_reports()


def test_every_cell_is_its_reports_status(pages, reports):
    """The matrix, targets and claim pages: each cell is what its report's JSON says for the claim and target."""
    assert mismatches(pages, reports) == []
    shown = {a["data-report"] for page in pages.values() if isinstance(page, str) for a in cells(page)}
    assert shown == set(reports), f"reports no page shows: {sorted(set(reports) - shown)}"


def sections(page: str) -> dict:
    """claim id -> its section of a claim page."""
    parts = re.split(r"^## ([a-z0-9.-]+) \{#", page, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_claim_cards_count_each_release_once_and_show_every_recorded_status(pages, reports):
    """A claim's card: one column per stored release (no release twice, the implementations' torch run apart),
    in each row one cell per release showing that release's report; every status the JSON records for the claim
    (per release report and target, and per implementation) has its cell; no sentence spans releases."""
    releases = {release(d) for key, d in reports.items() if key.startswith("matrix/")}
    checked = 0
    for name, page in pages.items():
        if not (isinstance(page, str) and "claims/" in name and name.endswith(".md")):
            continue
        assert not re.search(r"\bto \d+\.\d+\.\d+ \(\d+ releases\)", page), f"{name}: a sentence spans releases"
        for cid, text in sections(page).items():
            card = re.search(r'<table class="card">(.*?)</table>', text, re.S)
            heads = re.findall(r'<th class="release"><span>([^<]+)</span>', card.group(1)) if card else []
            if card:
                assert len(heads) == len(set(heads)) and set(heads) <= releases, (cid, heads)
                for row in re.findall(r"<tr data-row=[^>]*>(.*?)</tr>", card.group(1), re.S):
                    tds = re.findall(r"<td [^>]*>", row)
                    assert len(tds) == len(heads), (cid, "a row's cells are not one per release")
                    for head, td in zip(heads, tds):
                        attrs = dict(ATTR.findall(td))
                        if "data-report" in attrs:
                            assert release(reports[attrs["data-report"]]) == head, (cid, head, attrs["data-report"])
            shown = {(a["data-report"], a["data-target"]) for a in cells(text)}
            for key, data in reports.items():
                entry = data["claims"].get(cid)
                if entry is None:
                    continue
                targets = entry.get("targets") or {"eager": entry["status"]}
                want = {"eager"} if key.startswith("implementations/") else set(targets)
                missing = {(key, t) for t in want} - shown
                assert not missing, (cid, sorted(missing))
            checked += 1
    assert checked > 200, f"only {checked} claim sections were read"


def test_claim_cards_frame_each_change_and_mark_rows_behind_todays_set(pages, reports):
    """On a card, as on the matrix page: a cell whose status differs from the one before it in its row is framed
    (a range edge, to or from n/a, is not a change), read here from the cells' own statuses; and a row read from a
    report behind today's claim set (here: the GPU run, which recorded no claim digests) carries its mark."""
    import spec
    from spec.tools import claimset

    now = claimset.today(spec.load_all())
    behind = {key for key, data in reports.items() if not claimset.compare(data.get("suite"), now).current}
    assert behind, "no stored report is behind today's set: this test checks nothing of the marks"
    framed = marked = 0
    for name, page in pages.items():
        if not (isinstance(page, str) and "claims/" in name and name.endswith(".md")):
            continue
        for cid, text in sections(page).items():
            card = re.search(r'<table class="card">(.*?)</table>', text, re.S)
            for head, row in re.findall(
                r'<tr data-row=[^>]*><th class="row"[^>]*>([^<]*)</th>(.*?)</tr>', card.group(1) if card else "", re.S
            ):
                tds = [dict(ATTR.findall(td)) for td in re.findall(r"<td ([^>]*)>", row)]
                sources = {a["data-report"] for a in tds if "data-report" in a}
                assert head.endswith(("†", "‡")) == bool(sources & behind), (cid, head, sorted(sources & behind))
                marked += bool(sources & behind)
                before = None
                for a in tds:
                    status = a.get("data-status")
                    if status is None:
                        continue
                    change = before is not None and status != before and "not-applicable" not in (status, before)
                    assert ("change" in a["class"].split()) == change, (cid, head, a.get("data-column"))
                    framed += change
                    before = status
    assert framed and marked, (framed, marked)


def test_the_headline_counts_are_the_reports_counts(pages, reports):
    """Home and matrix pages: per release and implementation, today's claims by status, straight from the JSON."""
    import spec

    today = {c.id for c in spec.load_all()}
    for name in ("index.md", "matrix.md"):
        rows = re.findall(r'<tr data-headline="[^"]*" data-report="([^"]+)">(.*?)</tr>', pages[name], re.S)
        assert {key for key, _ in rows} == set(reports), (name, "a report without its headline")
        for key, row in rows:
            claims = reports[key]["claims"]
            want = {"passed": 0, "failed": 0, "xfailed": 0, "not-applicable": 0, "skipped": 0, "not-run": 0}
            for cid in today:
                want[claims[cid]["status"] if cid in claims else "not-run"] += 1
            got = {k: int(v) for k, v in re.findall(r'data-count="([a-z-]+)">(\d+)<', row)}
            assert got == want, (name, key, got, want)


def test_the_targets_summary_counts_are_the_reports_counts(pages, reports):
    """The targets page's table: held, ran to a verdict, failed, known and n/a per target and release."""
    spans = re.findall(r"<span (data-target=[^>]*)>", pages["targets.md"])
    assert spans, "no counted cell on the targets page"
    for span in spans:
        a = dict(ATTR.findall(span))
        statuses = [
            expected(reports[a["data-report"]], cid, a["data-target"])
            for cid in reports[a["data-report"]]["claims"]
            if cid != WITHDRAWN_KEY
        ]
        held, failed, known = statuses.count("passed"), statuses.count("failed"), statuses.count("xfailed")
        want = {"held": held, "failed": failed, "known": known, "ran": held + failed + known}
        want["na"] = statuses.count("not-applicable")
        got = {k: int(a[f"data-{k}"]) for k in want}
        assert got == want, (a["data-report"], a["data-target"], got, want)


def test_the_implementation_pages_show_each_claims_status_and_case_verdicts(pages, reports):
    for key, data in reports.items():
        if not key.startswith("implementations/"):
            continue
        name = data["environment"]["implementation"]["name"]
        page = pages[f"implementations/{name.replace(':', '-').replace('.', '-')}.md"]
        shown = dict(re.findall(r'<span class="st-[a-z-]+" data-claim="([^"]+)" data-status="([^"]+)">', page))
        about_torch = {cid: e["status"] for cid, e in data["claims"].items() if e.get("subject", "torch") == "torch"}
        assert shown == about_torch, key
        for cid, entry in data["claims"].items():
            if entry.get("verdicts") and cid in about_torch:  # the page lists the claims about torch
                row = re.search(rf"\| `{re.escape(cid)}` \|[^\n]*", page).group(0)
                got = dict(re.findall(r'data-verdict="([^"]+)">(\d+) ', row))
                assert {k: int(v) for k, v in got.items()} == entry["verdicts"], (key, cid)


def test_a_planted_matrix_fault_is_caught(monkeypatch, reports):
    """The reading above can fail: a matrix that reads every column's cells from its group's first report (a
    column mix-up the Matrix-vs-CLI comparison cannot see: both sides come from the same object)."""
    from spec.tools import matrix as mx

    real = mx.Matrix.build.__func__

    def mixed_up(cls, reports_, targets=("eager",), only=None):
        m = real(cls, reports_, targets, only)
        first: dict = {}
        for i, col in enumerate(m.columns):
            first.setdefault(col.group, i)
        m.rows = {cid: [row[first[col.group]] for col in m.columns] for cid, row in m.rows.items()}
        return m

    monkeypatch.setattr(mx.Matrix, "build", classmethod(mixed_up))
    planted = site_gen.build(REPORTS, ROOT / "docs")
    assert mismatches(planted, reports), "a matrix reading the wrong report went unnoticed"
