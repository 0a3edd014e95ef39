"""The implementation axis (spec/implementations): choosing an adapter, the known-divergence files, the api
object, and a made-up adapter running claims."""

from __future__ import annotations

import json

import pytest
import torch

from spec import implementations as impls
from spec.helpers.api import Api
from spec.helpers.strategies import Config
from spec.implementations import divergences
from spec.implementations.example import Example, LoggedLSTM
from spec.registry import NotApplicable

EXAMPLE = "spec.implementations.example:Example"


@pytest.fixture
def chosen(monkeypatch):
    """Point $RNN_SPEC_IMPL at an implementation for one test (and back after)."""

    def choose(text):
        monkeypatch.setenv(impls.ENV, text)
        impls._resolve_env.cache_clear()
        return impls.current()

    yield choose
    impls._resolve_env.cache_clear()


# --- resolve -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", impls.NAMES)
def test_every_name_resolves_to_its_adapter(name):
    impl = impls.resolve(name)
    assert isinstance(impl, impls.Implementation) and impl.name == name
    assert impl.provides and impl.provides <= set(impls.OBJECTS)
    assert impl.title and set(impl.dtypes) <= {"float32", "float64"}


@pytest.mark.parametrize("text", [EXAMPLE, "spec.implementations.example:ADAPTER"])
def test_module_attr_names_an_adapter_class_or_object(text):
    impl = impls.resolve(text)
    assert isinstance(impl, Example) and impl.provides == {"LSTM"}


@pytest.mark.parametrize(
    "text, says",
    [
        ("nope", "unknown implementation 'nope'"),
        ("", "unknown implementation ''"),
        ("no_such_module_xyz:Adapter", "cannot import no_such_module_xyz (ModuleNotFoundError"),
        ("spec.implementations.example:Nope", "has no attribute 'Nope'"),
        ("spec.implementations.example:LoggedLSTM", "type is not an adapter"),
        ("spec.implementations.example:torch", "module is not an adapter"),
        ("spec.implementations.example:", "needs both a module and an attribute"),
    ],
)
def test_bad_implementations_are_one_line_value_errors(text, says):
    with pytest.raises(ValueError) as e:
        impls.resolve(text)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_an_adapter_providing_an_unknown_object_is_refused():
    class Odd(impls.Implementation):
        name, provides = "odd", frozenset({"LSTM", "Transformer"})

    import sys
    import types

    sys.modules["odd_adapter_for_test"] = types.SimpleNamespace(Odd=Odd)
    try:
        with pytest.raises(ValueError, match="provides unknown objects \\['Transformer'\\]"):
            impls.resolve("odd_adapter_for_test:Odd")
    finally:
        del sys.modules["odd_adapter_for_test"]


def test_current_reads_the_environment(chosen, monkeypatch):
    monkeypatch.delenv(impls.ENV, raising=False)
    impls._resolve_env.cache_clear()
    assert impls.current().name == "torch"
    assert chosen(EXAMPLE).name == "example"


# --- the known files ---------------------------------------------------------------------------------------------
KNOWN_FILES = sorted(impls.KNOWN_DIR.glob("*.json"))


def test_every_known_file_belongs_to_an_implementation():
    assert {p.stem for p in KNOWN_FILES} <= set(impls.NAMES)
    for path in KNOWN_FILES:
        assert json.loads(path.read_text())["implementation"] == path.stem


@pytest.mark.parametrize("path", KNOWN_FILES, ids=lambda p: p.stem)
def test_known_files_keep_their_rules(path):
    known = divergences.parse(json.loads(path.read_text()), path)  # raises on a broken entry
    assert all(d.reason and (d.link or d.repro) for d in known.divergences.values())
    assert all(limit.reason and (limit.link or limit.repro) for limit in known.limits)


def test_every_shipped_entry_names_its_cases():
    """Issue #29: a known entry covers the cases it names; ``[{}]`` (every case) is a choice written out, and the
    runs of the shipped implementations flag an entry that covers a case that holds (WIDE) or none that fails."""
    for path in KNOWN_FILES:
        for cid, entry in json.loads(path.read_text())["divergences"].items():
            assert entry.get("cases"), f"{path.name}: {cid} names no cases"


LIMITS = [
    (name, i, limit, module)
    for name in impls.NAMES[1:]
    for i, limit in enumerate(divergences.load(impls.KNOWN_DIR / f"{name}.json").limits)
    for module in limit.modules or ("LSTM", "GRU")
]


def _build_torch(module: str, when: dict):
    """torch's ``module`` with a limit's argument values (the least a lower bound allows), as the spec builds it."""
    kw = {k: v for k, v in when.items() if k != "dtype"}
    if module in impls.CELLS:
        kw = {k: v for k, v in kw.items() if k in ("bias", "nonlinearity")}
    m = getattr(torch.nn, module)(3, 4, **kw)
    return m.to(getattr(torch, when["dtype"])) if "dtype" in when else m


@pytest.mark.e2e  # imports the libraries (seconds each)
@pytest.mark.parametrize("name, i, limit, module", LIMITS, ids=[f"{n}-limits[{i}]-{m}" for n, i, _, m in LIMITS])
def test_a_limit_is_a_refusal_at_construction(name, i, limit, module):
    """A limit is what the implementation refuses loudly when it is built (from torch's module, as the claims build
    it, or by its own constructor): a configuration it accepts and then fails on at forward is a divergence."""
    impl = impls.resolve(name)
    if impl.unavailable():
        pytest.skip(impl.unavailable())
    if module not in impl.provides:
        pytest.skip(f"{name} provides no {module}")
    when = dict(limit.when)
    with pytest.raises(Exception):  # noqa: B017 - any exception at construction is a refusal
        impl.from_torch(_build_torch(module, when))


def test_the_limit_rule_catches_an_accepted_configuration():
    """Planted: a limit on an argument torch's own LSTM accepts (torch as the implementation) is no refusal."""
    with pytest.raises(BaseException, match="DID NOT RAISE"):
        with pytest.raises(Exception):  # noqa: B017 - what test_a_limit_is_a_refusal_at_construction asserts
            impls.resolve("torch").from_torch(_build_torch("LSTM", {"num_layers": 2, "bidirectional": True}))


def test_known_divergences_name_registered_claims():
    import spec

    ids = {c.id for c in spec.load_all()}
    for name in impls.NAMES:
        stray = set(impls.known_divergences(impls.resolve(name))) - ids
        assert not stray, f"{name}: {sorted(stray)} are not claims"


@pytest.mark.parametrize(
    "entry, says",
    [
        ({"link": "https://github.com/x/y/issues/1"}, "no reason"),
        ({"reason": "  ", "repro": "api.LSTM(1, 1)"}, "no reason"),
        ({"reason": "why"}, "needs an upstream link (https://...) or a repro"),
        ({"reason": "why", "link": "github.com/x"}, "needs an upstream link"),
        ({"reason": "why", "repro": "a = (\n"}, "repro is not Python"),
        ({"reason": "why", "repro": "\n".join(["x = 1"] * 6)}, "more than 5 lines"),
        ({"reason": "why", "repro": "x = 1", "upstream": {"title": "t"}}, "upstream write-up lacks versions"),
        ({"reason": "why", "repro": "x = 1", "fix": "later"}, "unknown keys ['fix']"),
    ],
)
def test_the_loader_refuses_an_entry_without_its_reason_and_evidence(tmp_path, entry, says):
    path = tmp_path / "lib.json"
    with pytest.raises(divergences.KnownFileError) as e:
        divergences.parse({"divergences": {"rnn.shape.x": entry}}, path)
    assert says in str(e.value) and "rnn.shape.x" in str(e.value) and "\n" not in str(e.value)


def test_the_loader_refuses_a_limit_on_an_unknown_argument(tmp_path):
    bad = {"limits": [{"when": {"hidden": 2}, "reason": "why", "repro": "x = 1"}]}
    with pytest.raises(divergences.KnownFileError, match=r"limits\[0\]: 'when' names \['hidden'\]"):
        divergences.parse(bad, tmp_path / "lib.json")


def test_a_missing_known_file_means_nothing_known(tmp_path):
    known = divergences.load(tmp_path / "none.json")
    assert known.divergences == {} and known.limits == []


#: the other libraries' files (torch's own holds regressions of its releases: tested on both sides below)
LIBRARY_FILES = [path for path in KNOWN_FILES if path.stem != "torch"]
REPROS = [(where, code) for path in LIBRARY_FILES for where, code in divergences.repros(divergences.load(path))]


@pytest.mark.parametrize("where, code", REPROS, ids=[w for w, _ in REPROS])
def test_every_stored_repro_passes_on_torch(where, code):
    """A repro shows a divergence: it raises on its library (checked where the library is installed, in the
    conformance run) and must pass on torch, or it shows nothing about the contract."""
    divergences.run_repro(code, impls.resolve("torch"))


REPROS_BY_IMPL = [
    (path.stem, where, code) for path in LIBRARY_FILES for where, code in divergences.repros(divergences.load(path))
]
TORCH_REGRESSIONS = list(divergences.load(impls.KNOWN_DIR / "torch.json").divergences.values())


def test_every_torch_regression_names_its_releases_and_a_repro():
    assert TORCH_REGRESSIONS and all(d.torch and d.repro and d.link for d in TORCH_REGRESSIONS)


@pytest.mark.parametrize("entry", TORCH_REGRESSIONS, ids=lambda d: d.claim)
def test_a_torch_regression_shows_inside_its_releases_and_not_outside(entry):
    """torch's known regressions (``known/torch.json``): the repro raises on a release inside the entry's range and
    passes outside it; the matrix runs this on both sides of the boundary. Only the installed torch's entries are
    expected failures of a run."""
    torch_impl = impls.resolve("torch")
    inside = entry.applies_to(torch.__version__)
    assert (entry.claim in impls.known_divergences(torch_impl)) is inside
    if inside:
        with pytest.raises(AssertionError):
            divergences.run_repro(entry.repro, torch_impl)
    else:
        divergences.run_repro(entry.repro, torch_impl)


def test_a_divergence_range_must_be_a_range(tmp_path):
    entry = {"reason": "why", "cases": [{}], "repro": "x = 1", "torch": "two point one"}
    with pytest.raises(divergences.KnownFileError, match="is not a range of releases"):
        divergences.parse({"divergences": {"rnn.shape.x": entry}}, tmp_path / "lib.json")
    entry["torch"] = ">=2.1,<2.3"
    known = divergences.parse({"divergences": {"rnn.shape.x": entry}}, tmp_path / "lib.json").divergences["rnn.shape.x"]
    assert known.applies_to("2.2.2+cu121") and not known.applies_to("2.3.0") and not known.applies_to("2.0.1")


@pytest.mark.e2e  # imports opacus and torchrl (seconds each)
@pytest.mark.parametrize("name, where, code", REPROS_BY_IMPL, ids=[w for _, w, _ in REPROS_BY_IMPL])
def test_every_stored_repro_fails_on_its_library(name, where, code):
    impl = impls.resolve(name)
    if impl.unavailable():
        pytest.skip(impl.unavailable())
    with pytest.raises(Exception):  # noqa: B017 - any exception: the divergence shows
        divergences.run_repro(code, impl)


# --- the api object and the wiring ---------------------------------------------------------------------------------
def test_the_dropout_probes_are_the_implementations_modules(chosen):
    """The probes' hand-set weights reach the implementation under test (api.adopt), so the dropout claims
    check its dropout, not torch's: under the made-up example adapter the probe is its LoggedLSTM (before, a
    torch module was returned whatever the implementation, and opacus's dropout divergence read as stale)."""
    from spec.helpers.probes import deep_dropout_probe, dropout_probe

    chosen(EXAMPLE)
    for m, _ in (dropout_probe("LSTM", 0.5, 4, "cpu"), deep_dropout_probe("LSTM", 0.5, 2, "cpu")):
        assert type(m) is LoggedLSTM and m.training and m.dropout == 0.5


def test_api_builds_through_the_implementation_and_passes_arguments_as_given():
    lstm = Api(impls.resolve(EXAMPLE)).LSTM(3, 4, batch_first=True)
    assert type(lstm) is LoggedLSTM and lstm.batch_first is True and lstm.num_layers == 1
    assert type(Api(impls.resolve("torch")).GRU(3, 4)) is torch.nn.GRU


class _FloatOnly(Example):
    name, dtypes, devices, backward = "float-only", ("float32",), ("cpu",), False


@pytest.mark.parametrize(
    "call, says",
    [
        (lambda api: api.GRU(3, 4), "example provides no GRU"),
        (lambda api: api.LSTM(3, 4, dtype=torch.float64), "computes in float32 only, not float64"),
        (lambda api: api.LSTM(3, 4, device="cuda"), "runs on cpu only, not cuda"),
        (lambda api: api.require(backward=True), "is forward only"),
    ],
)
def test_api_makes_what_the_implementation_lacks_not_applicable(call, says):
    impl = _FloatOnly()
    impl.name = "example"  # the reason names the implementation
    with pytest.raises(NotApplicable, match=says):
        call(Api(impl))


def test_a_limit_makes_a_call_that_asks_for_it_not_applicable(tmp_path):
    """A known file's limit (an argument value the library refuses) makes a call that asks for it not applicable,
    naming the reason; the same call without it builds."""
    path = tmp_path / "limited.json"
    limit = {"when": {"proj_size": 1}, "modules": ["LSTM"], "reason": "no projections here", "repro": "x = 1"}
    path.write_text(json.dumps({"implementation": "limited", "limits": [limit]}))

    class Limited(Example):
        name = "limited"
        known = path

    with pytest.raises(NotApplicable, match="limited refuses proj_size>=1: no projections here"):
        Api(Limited()).LSTM(3, 4, proj_size=2)
    assert Api(Limited()).LSTM(3, 4).proj_size == 0


def test_config_build_gives_the_implementations_module_with_torchs_weights(chosen):
    cfg = Config(mode="LSTM", num_layers=2, bidirectional=True)
    reference = cfg.build()  # torch
    chosen(EXAMPLE)
    m = cfg.build()
    assert type(m) is LoggedLSTM
    assert all(torch.equal(a, b) for a, b in zip(m.parameters(), reference.parameters()))
    assert impls.twin_of(m) is not m and type(impls.twin_of(m)) is torch.nn.LSTM
    assert all(a is b for a, b in zip(impls.twin_of(m).parameters(), m.parameters()))  # one set of weights
    with pytest.raises(NotApplicable, match="example provides no GRU"):
        cfg.with_(mode="GRU").build()


def test_config_repro_names_the_implementation(chosen):
    cfg = Config(mode="LSTM")
    assert cfg.repro().startswith("from spec.helpers.strategies import Config")
    chosen(EXAMPLE)
    line = cfg.repro()
    assert line.startswith(f"RNN_SPEC_IMPL={EXAMPLE} python -c 'from spec.helpers.strategies import Config")


def test_strategies_draw_what_the_implementation_runs(chosen):
    """Under an implementation that provides only the LSTM, in float32, every drawn configuration is one."""
    from hypothesis import given, settings

    from spec.helpers.strategies import configs

    class LstmFloat32(Example):
        dtypes = ("float32",)

    import sys
    import types

    sys.modules["lstm_float32_for_test"] = types.SimpleNamespace(A=LstmFloat32)
    seen = []
    try:
        chosen("lstm_float32_for_test:A")

        @settings(max_examples=15, derandomize=True, database=None)
        @given(cfg=configs())
        def draw(cfg):
            seen.append(cfg)

        draw()
    finally:
        del sys.modules["lstm_float32_for_test"]
    assert seen and {c.mode for c in seen} == {"LSTM"} and {c.dtype for c in seen} == {"float32"}


def test_the_quantized_tolerance_is_the_derived_one(chosen):
    """Four standard deviations of the activations' rounding over the spec's sizes (ao.DynamicQInt8.tolerance)."""
    import math

    from spec.helpers.tolerances import tolerance

    assert tolerance("cpu", torch.float32)["atol"] == 1e-5  # torch: nothing added
    chosen("ao-dynamic-qint8")
    extra = 4 * (9 / 127) / math.sqrt(12) * math.sqrt((6 + 1) / 3)
    assert tolerance("cpu", torch.float32)["atol"] == pytest.approx(1e-5 + extra)
    assert tolerance("cpu", torch.float32, steps=4)["atol"] == pytest.approx(2 * (1e-5 + extra))


# --- a made-up adapter runs claims ------------------------------------------------------------------------------------
MADE_UP_CLAIMS = ("rnn.shape.hn-batch-second", "rnn.semantics.initial-state-matches-reference")


def _claim_function(claim_id):
    import importlib

    import spec

    c = next(c for c in spec.load_all() if c.id == claim_id)
    module, _, name = c.where.partition(":")
    return getattr(importlib.import_module(module), name)


def test_the_made_up_adapter_runs_claims(chosen):
    """MODULE:ATTR points the claims at a user's own LSTM, with no change to the suite: they build it and hold."""
    chosen(EXAMPLE)
    before = LoggedLSTM.calls
    _claim_function("rnn.shape.hn-batch-second")(device="cpu")
    check = _claim_function("rnn.semantics.initial-state-matches-reference")
    check(Config(mode="LSTM", num_layers=2, bidirectional=True), device="cpu")
    with pytest.raises(NotApplicable, match="example provides no GRU"):
        check(Config(mode="GRU", num_layers=2, bidirectional=True, batch_first=True), device="cpu")
    assert LoggedLSTM.calls > before + 3


# --- a mutant of one implementation's path ------------------------------------------------------------------------
@pytest.mark.e2e  # imports opacus (seconds): a conformance check, not the fast tier's
def test_a_mutant_of_opacus_is_caught_through_the_implementation_and_survives_torch(chosen, monkeypatch):
    """The shape of a mutant for `python -m spec mutants`: DPLSTM/DPGRU/DPRNN drop the initial state they are
    given. Through RNN_SPEC_IMPL=opacus a contract claim fails on an assertion; on torch the same claim holds."""
    dp_rnn = pytest.importorskip("opacus.layers.dp_rnn")
    original = dp_rnn.DPRNNBase.forward

    def drops_state(self, x, state_init=None):
        return original(self, x, None)

    monkeypatch.setattr(dp_rnn.DPRNNBase, "forward", drops_state)
    check = _claim_function("rnn.semantics.initial-state-matches-reference")
    cfg = Config(mode="LSTM", num_layers=2, bidirectional=True)
    check(cfg, device="cpu")  # torch: the mutant is not on its path
    chosen("opacus")
    with pytest.raises(AssertionError):
        check(cfg, device="cpu")
    monkeypatch.setattr(dp_rnn.DPRNNBase, "forward", original)
    check(cfg, device="cpu")  # and without the mutant, opacus keeps this claim


@pytest.mark.parametrize(
    "reason, heading",
    [
        (  # a break inside parentheses is not the clause's end
            "torchrl's LSTM accepts a 2-D (h_0, c_0) for a batched input (torch raises RuntimeError); a 3-D state",
            "torchrl's LSTM accepts a 2-D (h_0, c_0) for a batched input",
        ),
        (
            "built with batch_first=True (their default) fail on a PackedSequence (AttributeError: no 'dim'); torch's",
            "built with batch_first=True (their default) fail on a PackedSequence",
        ),
        (
            "the layers take no unbatched (2-D) input (RuntimeError: input must have 3 dimensions)",
            "the layers take no unbatched (2-D) input",
        ),
        (
            "the layers default to batch_first=True (nn.LSTM to False), so code written for torch",
            "the layers default to batch_first=True",
        ),
        (
            "the layers raise NotImplementedError for any proj_size > 0, where torch raises ValueError",
            "the layers raise NotImplementedError for any proj_size > 0",
        ),
        ("word " * 30, ("word " * 19).strip() + " ..."),  # too long: cut at a word, and says so
    ],
)
def test_a_causes_heading_is_its_first_clause_whole(reason, heading):
    from spec.tools.docs.implementations import _headline

    assert _headline(reason) == heading


def one_wording_per_heading(divergences: dict) -> dict:
    """{heading: [reasons]} for each cause heading that two differently worded reasons share (the pages group
    divergences by their reason: two wordings of one cause read as two causes with one heading)."""
    from spec.tools.docs.implementations import _headline

    by: dict = {}
    for entry in divergences.values():
        by.setdefault(_headline(entry["reason"]), set()).add(entry["reason"])
    return {head: sorted(reasons) for head, reasons in by.items() if len(reasons) > 1}


def test_the_lint_rule_finds_one_cause_worded_twice():
    worded_twice = {
        "a.b": {"reason": "DPRNN keeps no nonlinearity attribute; it takes it last"},
        "a.c": {"reason": "DPRNN keeps no nonlinearity attribute; it takes it last (see a.b)"},
        "a.d": {"reason": "the DP layers have no all_weights"},
    }
    assert list(one_wording_per_heading(worded_twice)) == ["DPRNN keeps no nonlinearity attribute"]
    del worded_twice["a.c"]
    assert one_wording_per_heading(worded_twice) == {}


@pytest.mark.parametrize("path", KNOWN_FILES, ids=lambda p: p.stem)
def test_a_known_file_words_each_cause_once(path):
    divergences = json.loads(path.read_text(encoding="utf-8")).get("divergences") or {}
    assert one_wording_per_heading(divergences) == {}, "word one cause one way (the pages group by the reason)"
