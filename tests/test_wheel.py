"""Installed = cloned, as an implementer meets it: the wheel built from this tree, installed into a fresh virtual
environment beside the CPU torch (nothing else of ours on its path), and a made-up third-party package (its own
GRU, adapter, known file and tests, written in a temporary folder outside our tree) run from its own folder
through both entry points: ``python -m spec verify`` and ``pytest --rnn-spec``. The package holds the selected
claims when it is right and fails naming the claim when a bug is planted in it (``GRUCO_BUG=1``: h_n returned
batch-first under ``batch_first=True``, the erratum ``rnn.shape.hn-batch-second`` is about).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e  # builds a wheel and a virtual environment: `pytest -m e2e`

ROOT = Path(__file__).resolve().parent.parent
#: a claim the planted bug breaks and one it leaves alone (a claim ID selects that claim: issue #29)
BROKEN = "rnn.shape.hn-batch-second"
SELECTION = f"{BROKEN} or rnn.errors.input"
ADAPTER = "gruco.spec_adapter:Adapter"

PACKAGE = {
    "pyproject.toml": """
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "gruco"
version = "1.0.0"
""",
    "gruco/__init__.py": """
import os

import torch


class GRU(torch.nn.GRU):
    \"\"\"A drop-in GRU (made up for rnn-spec's tests).\"\"\"

    def forward(self, input, hx=None):
        output, h_n = super().forward(input, hx)
        if os.environ.get("GRUCO_BUG") and self.batch_first:
            h_n = h_n.transpose(0, 1)  # the planted bug: h_n batch-first too
        return output, h_n
""",
    "gruco/spec_adapter.py": """
import gruco
from spec.implementations import Implementation


class Adapter(Implementation):
    name = "gruco"
    title = "gruco.GRU (a made-up drop-in GRU)"
    provides = frozenset({"GRU"})
    packages = ("gruco",)

    def constructor(self, name):
        return gruco.GRU
""",
    "tests/test_own.py": """
def test_own():
    import gruco

    assert gruco.GRU(2, 3).hidden_size == 3, "their own test: hidden_size 3 expected"
""",
    "known.json": json.dumps(
        {
            "implementation": "gruco",
            "divergences": {
                BROKEN: {
                    "reason": "gruco returns h_n batch-first under batch_first",
                    "cases": [{"modules": ["GRU"], "when": {"batch_first": True}}],
                    "link": "https://example.org/1",
                }
            },
        }
    ),
    "broken-known.json": json.dumps({"implementation": "gruco", "divergences": {BROKEN: {"link": "https://x.org"}}}),
}


def run(cmd, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def tree_copy(dest: Path) -> Path:
    """The files of this tree that git would commit (tracked, and untracked but not ignored): no build/ left over
    from an earlier build, no virtual environment."""
    listed = run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"], ROOT)
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """(python of the fresh venv, the third-party project folder, the revision the wheel was built from)."""
    import torch

    from spec import version

    tmp = tmp_path_factory.mktemp("wheel")
    src = tree_copy(tmp / "src")
    revision = version.revision()
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "RNN_SPEC_IMPL", "RNN_SPEC_KNOWN")}
    built = run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(src)],
        tmp,
        env=dict(clean, SPEC_GIT_REVISION=revision),
    )
    assert built.returncode == 0, f"pip wheel failed: {built.stderr[-2000:]}"
    (wheel,) = (tmp / "dist").glob("rnn_spec-*.whl")
    venv = tmp / "venv"
    made = run([sys.executable, "-m", "venv", str(venv)], tmp, env=clean)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    release = torch.__version__.split("+")[0]
    for args in (["torch==" + release], [str(wheel)]):
        done = run([str(python), "-m", "pip", "install", "-q", *args], tmp, env=clean)
        assert done.returncode == 0, f"pip install {args}: {done.stderr[-2000:]}"
    project = tmp / "gruco-project"
    for name, text in PACKAGE.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text.lstrip(), encoding="utf-8")
    done = run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", str(project)], tmp, env=clean
    )
    assert done.returncode == 0, f"pip install gruco: {done.stderr[-2000:]}"
    shutil.rmtree(project / "gruco")  # from now on it imports from the venv, as an installed dependency does
    shutil.rmtree(project / "build", ignore_errors=True)
    return python, project, revision, clean


@pytest.fixture(scope="module")
def runs(env):
    """Every run, started together, two at a time (each is mostly torch's import)."""
    python, project, _, clean = env
    spec = [str(python), "-m", "spec"]
    verify = [*spec, "verify", "--device", "cpu", "-q", "-k", SELECTION]
    entry = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"]
    bug = dict(clean, GRUCO_BUG="1")
    plan = {
        "version": ([*spec, "--version"], clean),
        "torch": ([*spec, "verify", "--device", "cpu", "-k", SELECTION], clean),
        "ok": ([*verify, "--impl", ADAPTER, "--known", "known.json", "--report", "ok.json"], clean),
        "bug": ([*verify, "--report", "bug.json"], dict(bug, RNN_SPEC_IMPL=ADAPTER)),
        "bug known": (
            [*verify, "--report", "bug-known.json"],
            dict(bug, RNN_SPEC_IMPL=ADAPTER, RNN_SPEC_KNOWN="known.json"),
        ),
        "broken known": ([*verify, "--impl", ADAPTER, "--known", "broken-known.json"], clean),
        "docs": ([*spec, "docs"], clean),
        "theirs alone": (entry, clean),
        "entry ok": (
            [
                *entry,
                "--rnn-spec",
                "--spec-impl",
                ADAPTER,
                "--spec-known",
                "known.json",
                "--spec-device",
                "cpu",
                "-k",
                f"{SELECTION} or test_own",
                "--spec-report",
                "entry.json",
            ],
            clean,
        ),
        "entry bug": (
            [*entry, "--rnn-spec", "--spec-device", "cpu", "-m", "rnn_spec", "-k", SELECTION],
            dict(bug, RNN_SPEC_IMPL=ADAPTER),
        ),
    }
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, cmd, project, e) for name, (cmd, e) in plan.items()}
        return {name: f.result() for name, f in futures.items()}


def said(r) -> str:
    return f"exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"


def test_the_installed_suite_knows_its_version_and_revision(env, runs):
    python, _, revision, _ = env
    r = runs["version"]
    assert r.returncode == 0 and f"git {revision};" in r.stdout, said(r)
    assert f"installed at {python.parent.parent}" in r.stdout, said(r)


def test_verify_on_torch_from_a_folder_that_is_not_the_checkout(env, runs):
    _, project, _, _ = env
    r = runs["torch"]
    assert r.returncode == 0, said(r)
    (report,) = (project / "reports").glob("*-cpu.json")  # the documented default: ./reports under the cwd
    claims = json.loads(report.read_text())["claims"]
    assert {claims[c]["status"] for c in (BROKEN, "rnn.errors.input")} == {"passed"}, claims
    assert set(claims) == {BROKEN, "rnn.errors.input"}, f"-k with claim IDs selected {sorted(claims)}"


def test_verify_holds_on_the_right_package_and_flags_its_stale_known_entry(env, runs):
    _, project, revision, _ = env
    r = runs["ok"]
    assert r.returncode == 0, said(r)
    data = json.loads((project / "ok.json").read_text())
    assert data["claims"][BROKEN]["status"] == "passed" and data["claims"][BROKEN]["known"]["stale"] is True, data
    assert f"STALE known divergence {BROKEN}" in r.stdout, said(r)
    assert data["suite"]["git"] == revision, f"the report's revision {data['suite']['git']}, expected {revision}"
    assert data["environment"]["implementation"]["adapter"] == ADAPTER, data["environment"]["implementation"]


def test_verify_fails_naming_the_claim_on_the_planted_bug(runs):
    r = runs["bug"]
    assert r.returncode == 1 and f"FAILED {BROKEN}" in r.stdout, said(r)


def test_the_known_file_from_the_environment_marks_the_bug_known(env, runs):
    _, project, _, _ = env
    r = runs["bug known"]
    assert r.returncode == 0, said(r)
    status = json.loads((project / "bug-known.json").read_text())["claims"][BROKEN]["status"]
    assert status == "xfailed", f"{BROKEN} with the known file: {status}, expected xfailed"


def test_a_known_file_that_breaks_the_rules_is_one_line_and_exit_2(runs):
    r = runs["broken known"]
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "broken-known.json" in r.stderr, said(r)
    assert "Traceback" not in r.stderr, said(r)


def test_checkout_only_commands_say_so_from_a_wheel(runs):
    r = runs["docs"]
    assert r.returncode == 2 and "needs a checkout" in r.stderr and r.stderr.count("\n") == 1, said(r)


def test_compare_matrix_and_drafts_from_the_installed_suite(env, runs):
    python, project, _, clean = env
    cmp = run([str(python), "-m", "spec", "compare", "ok.json", "bug.json"], project, env=clean)
    assert cmp.returncode == 1 and BROKEN in cmp.stdout and "new failures (1)" in cmp.stdout, said(cmp)
    table = run([str(python), "-m", "spec", "matrix", "ok.json", "bug.json"], project, env=clean)
    assert table.returncode == 0 and BROKEN in table.stdout, said(table)
    drafts = run([str(python), "-m", "spec", "drafts", "bug.json", "--out", "drafts"], project, env=clean)
    assert drafts.returncode == 0 and "1 cause(s)" in drafts.stdout, said(drafts)
    (draft,) = (project / "drafts").glob("01-*.md")
    text = draft.read_text()
    line = next((ln for ln in text.splitlines() if ln.startswith("RNN_SPEC_IMPL=")), None)
    assert line == f"RNN_SPEC_IMPL={ADAPTER} python -m spec verify --device cpu -k {BROKEN}", text
    # the repro's command, pasted into a shell of the fresh venv, runs and shows the bug
    shell = dict(clean, GRUCO_BUG="1", PATH=f"{python.parent}{os.pathsep}{clean.get('PATH', '')}")
    pasted = run(["bash", "-c", line], project, env=shell)
    assert pasted.returncode == 1 and f"FAILED {BROKEN}" in pasted.stdout, said(pasted)


def test_the_pytest_entry_is_inert_unless_asked(runs):
    r = runs["theirs alone"]
    assert r.returncode == 0 and "1 passed" in r.stdout and "rnn_spec" not in r.stdout, said(r)


def test_the_claims_run_in_the_implementers_own_pytest_session(env, runs):
    _, project, _, _ = env
    r = runs["entry ok"]
    assert r.returncode == 0 and "failed" not in r.stdout, said(r)
    data = json.loads((project / "entry.json").read_text())
    assert {c: v["status"] for c, v in data["claims"].items()} == {BROKEN: "passed", "rnn.errors.input": "passed"}
    assert list(data["unclaimed"]) == ["tests/test_own.py::test_own"], data["unclaimed"]


def test_the_pytest_entry_fails_naming_the_claim_on_the_planted_bug(runs):
    r = runs["entry bug"]
    assert r.returncode == 1 and "rnn-spec claim" in r.stdout and f"{BROKEN}: batch_first" in r.stdout, said(r)
    assert "test_own" not in r.stdout, "-m rnn_spec ran their own test too"
