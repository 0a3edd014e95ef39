"""The registry's rules: every claim valid, problems named by ID, torch ranges."""

import ast
import importlib
from pathlib import Path

import pytest

import spec
from spec.registry import Claim, Erratum, Registry, Seed, TorchDoc, claim_of

ROOT = Path(spec.__file__).resolve().parent.parent
SPEC_DIR = ROOT / "spec"
SEEDS = ROOT.parent / "shared" / "seeds"
#: The layout of spec/: the registry at the top, claims in two packages, what they share, what they cite,
#: and the tooling that reads them.
LAYOUT = {
    "modules": {"__init__", "__main__", "registry", "profiles", "session", "pytest_plugin", "pytest_entry", "version"},
    "packages": {"claims", "programs", "helpers", "implementations", "sources", "tools"},
}


def test_the_real_registry_is_valid():
    registry = spec.load_all()
    assert registry.problems() == []
    assert len(registry) >= 20


def test_every_claim_has_a_source_and_every_seed_is_a_known_file():
    """Every claim cites a Seed or TorchDoc; every document a Seed or an Erratum cites (claims and the unclaimed
    statements alike) is one of SEED_FILES, and is there under ../shared/seeds when that folder is."""
    from spec.registry import SEED_FILES
    from spec.sources.unclaimed import UNCLAIMED

    registry = spec.load_all()
    for c in registry:
        assert c.sources, c.id
        assert all(isinstance(s, (Seed, TorchDoc)) for s in c.sources), c.id
    cited = {s.file for c in registry for s in c.sources if isinstance(s, Seed)}
    cited |= {e.seed.file for c in registry for e in c.errata} | {u.source.file for u in UNCLAIMED}
    assert cited - set(SEED_FILES) == set()
    if SEEDS.is_dir():
        assert {f for f in cited if not (SEEDS / f).is_file()} == set()


def test_unclaimed_statements_are_accounted_for_properly():
    """Known files, a reason each, no statement both claimed and unclaimed, and claim IDs they name exist."""
    import re

    from spec.registry import SEED_FILES
    from spec.sources.unclaimed import UNCLAIMED

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
            if named.startswith(("reference.", "spec.")):
                continue  # a module, not a claim
            assert named in ids, f"{where}: names {named}, which is not a claim"


def test_every_citation_of_a_source_document_gives_a_line_inside_it():
    """Lines order the per-source page; a line past the end of its file is a typo."""
    from spec.sources.unclaimed import UNCLAIMED

    registry = spec.load_all()
    cited = [s for c in registry for s in c.sources if isinstance(s, Seed)]
    cited += [e for c in registry for e in c.errata] + [u.source for u in UNCLAIMED]
    assert all(s.line >= 1 for s in cited), [s.locator for s in cited if s.line < 1]
    if not SEEDS.is_dir():
        pytest.skip(f"the source documents are not at {SEEDS}")
    length = {f.name: len(f.read_text(encoding="utf-8").splitlines()) for f in SEEDS.glob("*.txt")}
    assert [s.cite() for s in cited if s.line > length[s.file]] == []


def test_spec_has_the_documented_layout():
    """A module outside the layout would be neither collected as claims nor documented."""
    assert {p.stem for p in SPEC_DIR.glob("*.py")} == LAYOUT["modules"]
    assert {p.name for p in SPEC_DIR.iterdir() if p.is_dir() and p.name != "__pycache__"} == LAYOUT["packages"]


@pytest.mark.parametrize("name", spec.claim_modules())
def test_a_claim_module_is_a_family_in_a_kind_package_and_holds_only_claims(name):
    """The one classification: ``<package>.<kind>.<family>`` (or ``.<family>.<topic>``, a family split by the first
    word of ``<what>``), so a claim's ID names its file."""
    import importlib

    from spec.registry import KINDS

    parts = name.split(".")
    package, kind, family = ".".join(parts[:2]), parts[2], parts[3]
    assert package in spec.CLAIM_PACKAGES and kind in KINDS, f"{name} is not in a kind package ({', '.join(KINDS)})"
    mod = importlib.import_module(name)
    tests = [n for n in dir(mod) if n.startswith("test_") and callable(getattr(mod, n))]
    assert tests, name
    assert [n for n in tests if claim_of(getattr(mod, n)) is None] == []
    assert {claim_of(getattr(mod, n)).id.split(".")[:2] == [family, kind] for n in tests} == {True}
    if len(parts) == 5:  # a topic module: every claim's <what> starts with the topic
        assert {claim_of(getattr(mod, n)).id.split(".")[2].split("-")[0] == parts[4] for n in tests} == {True}


def test_no_claim_module_is_over_about_500_lines():
    """A family that outgrows ~500 lines becomes a package split by the first word of <what> (registry.claim_file)."""
    long = {n: len(open(importlib.import_module(n).__file__).read().splitlines()) for n in spec.claim_modules()}
    assert {n: lines for n, lines in long.items() if lines > 560} == {}


def test_every_claim_lives_in_the_file_its_id_names():
    """The rule the registry enforces (its problems name the expected path), checked on every claim."""
    from spec.registry import claim_file

    registry = spec.load_all()
    wrong = [(c.id, c.module) for c in registry if c.module.replace(".", "/") + ".py" != claim_file(c.id, c.subject)]
    assert wrong == []


_DEFAULT_SCOPE = object()


def claim_in(module: str, claim_id: str, modules=("RNN",), scope=_DEFAULT_SCOPE):
    """A registry holding one claim whose check is defined, as far as the registry can tell, in ``module``
    (a claim about torch says it states the contract unless ``scope`` is given; None: it says nothing)."""
    from spec.registry import CONTRACT, claim

    def test_example():
        pass

    if scope is _DEFAULT_SCOPE:
        scope = CONTRACT if module.startswith("spec.claims") else None
    test_example.__module__ = module
    r = Registry()
    claim(
        id=claim_id,
        statement="An example claim.",
        modules=modules,
        sources=(TorchDoc("x", "y"),),
        scope=scope,
        registry=r,
    )(test_example)
    return r


def test_a_claim_about_torch_must_say_contract_or_torch_own():
    """The rule beside the registry: every claim about torch answers it, and a torch-own one gives its reason."""
    from spec.registry import CONTRACT, PROGRAMS_SCOPE, TorchOwn

    assert claim_in("spec.claims.errors.rnn", "rnn.errors.example", scope=None).problems() == [
        "'rnn.errors.example': says neither scope=CONTRACT nor scope=TorchOwn(reason): is it the contract or "
        "torch's own?"
    ]
    assert claim_in("spec.claims.errors.rnn", "rnn.errors.example", scope=TorchOwn(" ")).problems() == [
        "'rnn.errors.example': TorchOwn needs its reason"
    ]
    own = claim_in("spec.claims.errors.rnn", "rnn.errors.example", scope=TorchOwn("the wording is torch's"))
    assert own.problems() == [] and not own.get("rnn.errors.example").contract
    assert claim_in("spec.claims.errors.rnn", "rnn.errors.example", scope=CONTRACT).get("rnn.errors.example").contract
    # the sources' programs are torch's own by rule: they declare nothing
    programs = claim_in("spec.programs.training.clip", "clip.training.example", ("training",))
    assert programs.problems() == [] and programs.get("clip.training.example").scope == PROGRAMS_SCOPE
    declared = claim_in("spec.programs.training.clip", "clip.training.example", ("training",), scope=CONTRACT)
    assert declared.problems() == [
        "'clip.training.example': a claim about the sources' programs is torch's own by rule; do not pass scope="
    ]


def test_every_real_claim_has_its_scope():
    from spec.registry import Contract, TorchOwn

    for c in spec.load_all():
        assert isinstance(c.scope, (Contract, TorchOwn)), c.id
        assert c.as_dict()["scope"] in ("contract", "torch-own"), c.id


def test_a_claim_in_its_ids_file_breaks_no_rule():
    r = claim_in("spec.claims.errors.rnn", "rnn.errors.example")
    assert r.problems() == [] and r.get("rnn.errors.example").kind == "errors"


@pytest.mark.parametrize(
    ("module", "claim_id", "modules", "expected"),
    [
        ("spec.claims.errors.packed", "rnn.errors.example", ("RNN",), "spec/claims/errors/rnn.py"),  # other family
        ("spec.claims.errors", "rnn.errors.example", ("RNN",), "spec/claims/errors/rnn.py"),  # the old layout
        ("spec.programs.errors.rnn", "rnn.errors.example", ("RNN",), "spec/claims/errors/rnn.py"),  # other subject
        ("spec.claims.training.clip", "clip.training.example", ("training",), "spec/programs/training/clip.py"),
    ],
)
def test_a_claim_outside_the_file_its_id_names_is_a_problem_naming_that_file(module, claim_id, modules, expected):
    problems = claim_in(module, claim_id, modules).problems()
    assert [p for p in problems if "its id says" in p] == [
        f"{claim_id!r}: lives in {module.replace('.', '/')}.py; its id says {expected}"
    ], problems


@pytest.mark.parametrize("package", ["helpers", "implementations", "sources", "tools"])
def test_support_packages_hold_no_claims(package):
    for path in (SPEC_DIR / package).glob("*.py"):
        tree = ast.parse(path.read_text())
        names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name.startswith("test_")]
        assert names == [], f"{path}: {names}"


def imports_of(path: Path) -> set:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


#: Who may import whom: data flows one way (claims -> report -> compare/matrix/docs), and the oracle,
#: the programs and the shared utilities (reference/common) never import the spec.
FORBIDDEN = {
    "reference": ("spec",),
    "reference/oracle": ("spec", "reference.programs"),
    "reference/common": ("spec", "reference.oracle", "reference.programs"),
    "spec/claims": ("spec.tools", "reference.programs"),
    "spec/programs": ("spec.tools",),
    "spec/helpers": ("spec.tools", "spec.claims", "spec.programs"),
    "spec/sources": ("spec.tools", "spec.claims", "spec.programs", "reference"),
    "spec/tools": ("reference", "spec.helpers", "spec.implementations"),
}
#: The one module of spec/tools that may import spec/helpers and spec/implementations: the results model, for
#: its declared needs (which targets exist and what they are, the implementation under test, its versions and
#: its known divergences), each named in its docstring.
DECLARED_NEEDS = {"spec/tools/results.py"}


#: The exceptions to FORBIDDEN: the shared utilities, which import neither side's code, serve the tools too.
ALLOWED = {"spec/tools": ("reference.common",)}


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_flow_one_way(folder):
    bad = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        if path.relative_to(ROOT).as_posix() in DECLARED_NEEDS:
            continue
        for name in imports_of(path):
            if any(name == a or name.startswith(a + ".") for a in ALLOWED.get(folder, ())):
                continue
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[folder]):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert bad == []


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
        (dict(erratum=Erratum(Seed("000_0803d243ad727e4b.txt", "x"), says="")), "erratum"),
        (dict(erratum=Erratum(Seed("999_nope.txt", "x"), says="y")), "erratum"),
        (dict(erratum=Erratum("000_0803d243ad727e4b.txt", says="y")), "must hold a Seed"),
        (dict(erratum=Erratum(Seed("000_0803d243ad727e4b.txt", ""), says="y")), "erratum"),
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
    for name in spec.claim_modules():
        tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "claim":
                ids = [k.value for k in node.keywords if k.arg == "id"]
                assert ids and isinstance(ids[0], ast.Constant), f"{name}: non-literal claim id"
                assert not [k for k in node.keywords if k.arg == "kind"], f"{name}: kind= repeats the module"


def test_a_withdrawn_claims_id_is_never_taken_again(make_claim):
    from spec.registry import WITHDRAWN

    r = Registry()
    make_claim(r, id=next(iter(WITHDRAWN)), kind="targets")
    assert any("a withdrawn claim's id" in p for p in r.problems())
    assert all(reason.strip() for reason in WITHDRAWN.values())
