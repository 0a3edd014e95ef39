"""The suite as a package, fast: what the wheel installs, the pytest entry's plumbing, the version, the drafts.
(``tests/test_wheel.py`` builds and installs the wheel and runs it end to end.)"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from spec import pytest_plugin, version

ROOT = Path(__file__).resolve().parent.parent


def pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def packages(include, where: Path = ROOT) -> set:
    """What setuptools puts in the wheel (``packages.find`` finds namespace packages too: spec/tools has no
    ``__init__.py``)."""
    from setuptools import find_namespace_packages

    return set(find_namespace_packages(where=str(where), include=include))


def top_level(include, where: Path = ROOT) -> set:
    return {name.split(".")[0] for name in packages(include, where)}


def test_the_wheel_installs_spec_and_reference_only(tmp_path):
    include = pyproject()["tool"]["setuptools"]["packages"]["find"]["include"]
    assert top_level(include) == {"spec", "reference"}, f"top-level packages {sorted(top_level(include))}"
    assert not (ROOT / "common").exists(), "a top-level common/ is back"
    # the check can fail: the tree and the list before the move put common/ in the wheel, top-level
    for name in ("spec", "reference", "common"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("")
    assert top_level(["spec*", "reference*", "common*"], tmp_path) == {"spec", "reference", "common"}


def test_every_package_of_spec_and_reference_is_in_the_wheel():
    found = packages(pyproject()["tool"]["setuptools"]["packages"]["find"]["include"])
    folders = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("spec", "reference")
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert folders - found == set(), f"packages left out of the wheel: {sorted(folders - found)}"


def test_the_pytest_entry_point_is_the_inert_module():
    entry = pyproject()["project"]["entry-points"]["pytest11"]
    assert entry == {"rnn_spec": "spec.pytest_entry"}, entry
    tree = ast.parse((ROOT / "spec" / "pytest_entry.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert imported <= {"__future__", "pathlib"}, f"the entry, loaded in every session, imports {sorted(imported)}"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("rnn.errors.input", "claim[rnn.errors.input]"),
        ("rnn.errors", "rnn.errors"),  # not an ID: pytest's substring match, a family's kind
        ("rnn.errors.input or not gru.shape.x", "claim[rnn.errors.input] or not gru.shape.x"),
        ("(rnn.errors.input-dtype and cpu)", "(claim[rnn.errors.input-dtype] and cpu)"),
        ("shape", "shape"),
    ],
)
def test_a_claim_id_in_k_selects_that_claim_alone(typed, expected):
    ids = {"rnn.errors.input", "rnn.errors.input-dtype"}
    assert pytest_plugin.exact_selection(typed, ids) == expected


@pytest.mark.parametrize(
    ("rel", "claim"),
    [
        ("claims/errors/rnn.py", True),
        ("claims/targets/export/lstm.py", True),
        ("programs/data/hello.py", True),
        ("claims/errors/__init__.py", False),
        ("claims/errors/_shared.py", False),
        ("helpers/axes.py", False),
        ("claims/__init__.py", False),
    ],
)
def test_claim_modules_are_collected_by_their_place(rel, claim):
    assert pytest_plugin.is_claim_module(pytest_plugin.SPEC_DIR / rel) is claim, rel


def test_the_revision_installed_is_the_one_recorded(monkeypatch, tmp_path):
    monkeypatch.delenv(version.ENV, raising=False)
    monkeypatch.setattr(version, "checkout", lambda: None)
    monkeypatch.setattr(version, "RECORDED", tmp_path / "REVISION")
    assert version.revision() == "unknown"
    (tmp_path / "REVISION").write_text("abc123\n")
    assert version.revision() == "abc123"
    monkeypatch.setenv(version.ENV, "given")
    assert version.revision() == "given"


def test_a_checkout_is_told_apart_from_an_installed_suite(tmp_path, monkeypatch):
    assert version.checkout() == ROOT
    assert version.git_head(tmp_path) is None, "a folder that is not a repository's top has no revision of ours"


def test_the_revision_is_dirty_for_the_suite_changed_not_for_what_it_stored(tmp_path):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True, capture_output=True
        )

    files = {"spec/claim.py": "x = 1\n", "reports/r.json": "{}\n", "docs/index.md": "# x\n"}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "c")
    head = version.git_head(tmp_path)
    assert head is not None and len(head) == 40, head
    # what a refresh step stored (and the pages made from it) does not make the next step's revision dirty
    (tmp_path / "reports/r.json").write_text('{"made": 1}\n')
    (tmp_path / "docs/index.md").write_text("# y\n")
    (tmp_path / "reports/new.json").write_text("{}\n")
    assert version.git_head(tmp_path) == head
    (tmp_path / "spec/claim.py").write_text("x = 2\n")  # the suite's own code changed: dirty
    assert version.git_head(tmp_path) == head + "-dirty"


# --- drafts --------------------------------------------------------------------------------------------------------
def report(tmp_path) -> Path:
    def claim(status, failure=None, known=None):
        return {"kind": "shape", "status": status, "first_failure": failure, "known": known, "devices": {"cpu": status}}

    upstream = {
        "title": "h_n is batch-first",
        "versions": "1.0",
        "repro": "import gruco",
        "expected": "e",
        "actual": "a",
    }
    data = {
        "schema": 2,
        "suite": {"version": "0.1.0", "git": "abc"},
        "environment": {
            "torch": "2.13.0+cpu",
            "python": "3.11.7",
            "targets": "eager",
            "implementation": {"name": "gruco", "adapter": "gruco.spec_adapter:Adapter", "versions": {"gruco": "1.0"}},
        },
        "claims": {
            "a.shape.one": claim("failed", "AssertionError: shape (2, 3) != (3, 2)"),
            "a.shape.two": claim("failed", "AssertionError: shape (4, 5) != (5, 4)"),
            "a.errors.three": claim("failed", "TypeError: no error raised"),
            "a.shape.four": claim("xfailed", known={"reason": "r", "link": "l", "upstream": upstream}),
            "a.shape.five": claim("xfailed", known={"reason": "r2", "link": "l", "upstream": upstream}),
            "a.shape.six": claim("passed", known={"reason": "r3", "repro": "x", "stale": True}),
            "a.shape.seven": claim("passed"),
        },
    }
    path = tmp_path / "r.json"
    path.write_text(json.dumps(data))
    return path


def test_drafts_are_one_per_cause_with_a_repro_that_names_the_adapter(tmp_path, spec_cli):
    r = spec_cli("drafts", report(tmp_path), "--out", tmp_path / "out")
    assert r.returncode == 0 and "3 cause(s)" in r.stdout, r.stdout + r.stderr
    drafts = sorted((tmp_path / "out").glob("0*.md"))
    texts = [p.read_text() for p in drafts]
    assert [p.name.split("-")[1] for p in drafts] == ["failing", "failing", "known"], [p.name for p in drafts]
    assert "`a.shape.one`" in texts[0] and "`a.shape.two`" in texts[0], "one cause: the same message at other sizes"
    assert "`a.errors.three`" in texts[1] and "a.shape.one" not in texts[1]
    assert "`a.shape.four`" in texts[2] and "`a.shape.five`" in texts[2], "one upstream write-up, one draft"
    assert (
        "RNN_SPEC_IMPL=gruco.spec_adapter:Adapter python -m spec verify --device cpu -k 'a.shape.one or a.shape.two'"
        in texts[0]
    )
    assert "pip install torch==2.13.0 rnn-spec==0.1.0 gruco==1.0" in texts[0], texts[0]
    index = (tmp_path / "out" / "README.md").read_text()
    assert "stale known entry (the claim now holds; remove it from the known file): a.shape.six" in index, index


def test_drafts_of_a_report_with_nothing_to_file(tmp_path, spec_cli):
    data = json.loads(report(tmp_path).read_text())
    data["claims"] = {"a.shape.seven": data["claims"]["a.shape.seven"]}
    (tmp_path / "r.json").write_text(json.dumps(data))
    r = spec_cli("drafts", tmp_path / "r.json", "--out", tmp_path / "out")
    assert r.returncode == 0 and "0 cause(s)" in r.stdout and "nothing failed or known" in r.stdout, r.stdout
