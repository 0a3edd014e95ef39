"""The registry's rules: every claim valid, problems named by ID, torch ranges."""

import ast
from pathlib import Path

import pytest

import spec
from spec.registry import Claim, Erratum, Registry, Seed, TorchDoc, claim_of

SPEC_DIR = Path(spec.__file__).parent
INFRA = {
    "__init__",
    "__main__",
    "registry",
    "plugin",
    "report",
    "cli",
    "profiles",
    "strategies",
    "tolerances",
    "compare",
    "docs",
    "mutants",
    "unclaimed",
}


def test_the_real_registry_is_valid():
    registry = spec.load_all()
    assert registry.problems() == []
    assert len(registry) >= 20


def test_every_claim_has_a_source_and_every_seed_is_a_known_file():
    for c in spec.load_all():
        assert c.sources, c.id
        assert all(isinstance(s, (Seed, TorchDoc)) for s in c.sources), c.id


def test_unclaimed_statements_are_accounted_for_properly():
    """Known files, a reason each, no statement both claimed and unclaimed, and claim IDs they name exist."""
    import re

    from spec.registry import SEED_FILES
    from spec.unclaimed import UNCLAIMED

    registry = spec.load_all()
    ids = {c.id for c in registry}
    claimed = {(s.file, s.locator) for c in registry for s in c.sources if isinstance(s, Seed)}
    seen = set()
    for u in UNCLAIMED:
        where = (u.source.file, u.source.locator)
        assert u.source.file in SEED_FILES and u.reason.strip(), where
        assert where not in claimed and where not in seen, f"{where} is listed twice"
        seen.add(where)
        for named in re.findall(r"\b[a-z]+\.[a-z]+\.[a-z0-9-]+[a-z0-9]\b", u.reason):
            assert named in ids, f"{where}: names {named}, which is not a claim"


SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def test_every_citation_of_a_source_document_gives_a_line_inside_it():
    """Lines order the per-source page; a line past the end of its file is a typo."""
    from spec.unclaimed import UNCLAIMED

    registry = spec.load_all()
    cited = [s for c in registry for s in c.sources if isinstance(s, Seed)]
    cited += [e for c in registry for e in c.errata] + [u.source for u in UNCLAIMED]
    assert all(s.line >= 1 for s in cited), [s.locator for s in cited if s.line < 1]
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    length = {f.name: len(f.read_text(encoding="utf-8").splitlines()) for f in SEEDS.glob("*.txt")}
    assert [s.cite() for s in cited if s.line > length[s.file]] == []


def test_every_spec_module_is_infrastructure_or_a_listed_topic():
    """A topic module missing from spec.TOPICS would silently never run."""
    modules = {p.stem for p in SPEC_DIR.glob("*.py")}
    assert modules - INFRA == set(spec.TOPICS)


@pytest.mark.parametrize("topic", spec.TOPICS)
def test_every_test_in_a_topic_module_is_a_claim(topic):
    import importlib

    mod = importlib.import_module(f"spec.{topic}")
    tests = [n for n in dir(mod) if n.startswith("test_")]
    assert tests, topic
    assert [n for n in tests if claim_of(getattr(mod, n)) is None] == []


def test_claim_metadata_is_attached_and_registered(make_claim):
    r = Registry()
    fn = make_claim(r)
    c = claim_of(fn)
    assert isinstance(c, Claim) and r.get("rnn.shape.example") is c
    assert c.where.endswith(":make_claim.<locals>.make.<locals>.test_example")
    assert c.as_dict()["torch"] == "all"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (dict(id=""), "missing id"),
        (dict(id="Bad ID"), "id must be"),
        (dict(id="rnn.shape"), "id must be"),
        (dict(sources=()), "has no source"),
        (dict(sources=(Seed("999_nope.txt", "x"),)), "unknown source document"),
        (dict(sources=(Seed("000_0803d243ad727e4b.txt", ""),)), "no locator"),
        (dict(sources=("a string",)), "neither Seed nor TorchDoc"),
        (dict(kind="vibes"), "unknown kind"),
        (dict(modules=()), "names no module"),
        (dict(modules=("Transformer",)), "unknown module"),
        (dict(statement="no full stop"), "one sentence"),
        (dict(torch="newer please"), "not a version specifier"),
        (dict(erratum=Erratum("000_0803d243ad727e4b.txt", "x", "")), "erratum"),
    ],
)
def test_a_bad_claim_is_named_in_problems(overrides, fragment, make_claim):
    r = Registry()
    make_claim(r, **overrides)
    problems = r.problems()
    assert len(problems) == 1 and fragment in problems[0], problems


def test_duplicate_ids_are_reported_with_both_places(make_claim):
    r = Registry()
    make_claim(r)
    make_claim(r, statement="Another claim with the same id.")
    (problem,) = r.problems()
    assert "'rnn.shape.example': duplicate id" in problem and problem.count("test_example") == 2
    assert len(r) == 1


@pytest.mark.parametrize(
    ("spec_range", "version", "holds"),
    [
        ("", "1.8.1", True),
        (">=1.11", "1.10.2+cu113", False),
        (">=1.11", "1.11.0", True),
        ("<1.11", "1.10.2", True),
        (">=2.1,<2.3", "2.2.2+cpu", True),
        (">=2.1,<2.3", "2.3.0", False),
        (">=2.14", "2.14.0a0+git1234", True),  # nightlies count as the release they lead to
    ],
)
def test_torch_ranges(spec_range, version, holds):
    c = Claim("a.b.c", "S.", "shape", ("RNN",), (TorchDoc("x", "y"),), torch=spec_range)
    assert c.applies_to(version) is holds


def test_claim_ids_are_literal_strings_in_the_source():
    """IDs are greppable: every @claim(id=...) in spec/ is a string literal."""
    for topic in spec.TOPICS:
        tree = ast.parse((SPEC_DIR / f"{topic}.py").read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "claim":
                ids = [k.value for k in node.keywords if k.arg == "id"]
                assert ids and isinstance(ids[0], ast.Constant), f"{topic}: non-literal claim id"
