"""The target axis: turning a module into its target, claims' targets, the plugin's cases, reports, docs, CLI.

Cheap on purpose: TorchScript and the TorchScript ONNX exporter (tenths of a second); torch.compile and
torch.export (seconds to import Dynamo) are exercised by ``spec/claims/targets/`` and ``--spec-target``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from spec.helpers import axes as plugin
from spec.helpers import targets
from spec.helpers.strategies import Config
from spec.registry import REGISTRY, TARGETS, NotApplicable, Registry, claim_of
from spec.tools import cli
from spec.tools import results as rpt
from spec.tools.matrix import Matrix, summary

ROOT = Path(__file__).resolve().parent.parent

ONNX = targets.unavailable("onnx")


def test_claims_take_their_targets_from_their_kind(make_claim):
    import spec

    spec.load_all()
    assert REGISTRY.get("rnn.shape.hn-batch-second").targets == TARGETS
    assert REGISTRY.get("rnn.repr.non-default-args").targets == ("eager",)
    assert all(c.targets == ("eager",) for c in REGISTRY if c.kind == "targets")
    r = Registry()
    assert claim_of(make_claim(r)).targets == ("eager",)  # defined outside spec.claims: eager only
    assert claim_of(make_claim(r, id="rnn.shape.other", targets=("eager", "onnx"))).targets == ("eager", "onnx")
    assert r.problems() == []


@pytest.mark.parametrize("bad", [(), ("onnx",), ("eager", "jit"), ("eager", "onnx", "onnx")])
def test_bad_targets_are_named_in_problems(bad, make_claim):
    r = Registry()
    make_claim(r, targets=bad)
    (problem,) = r.problems()
    assert problem.startswith("'rnn.shape.example': targets")


def test_eager_leaves_the_module_alone_and_a_target_replaces_its_forward():
    cfg = Config(mode="GRU", dtype="float32")
    assert "forward" not in cfg.build().__dict__
    with targets.using("script"):
        m = cfg.build()
    assert isinstance(m.forward, targets.Targeted) and isinstance(m, torch.nn.GRU)
    with targets.plain(m):
        assert "forward" not in m.__dict__
        expected = m(cfg.input())
    assert isinstance(m.__dict__["forward"], targets.Targeted)
    out, h = m(cfg.input())  # scripted host
    assert torch.equal(out, expected[0]) and torch.equal(h, expected[1])
    with pytest.raises(ValueError, match="unknown target"), targets.using("jit"):
        pass


@pytest.mark.skipif(ONNX is not None, reason=str(ONNX))
def test_onnx_target_runs_in_onnxruntime_and_caches_per_configuration(monkeypatch):
    cfg = Config(mode="LSTM", dtype="float32", num_layers=2, bidirectional=True)
    with targets.using("onnx"):
        m, twin = cfg.build(), cfg.build()
    x = cfg.input()
    out, (h, c) = m(x)
    with torch.no_grad(), targets.plain(m):
        ref = m(x)
    assert torch.allclose(out, ref[0], atol=1e-5) and torch.allclose(c, ref[1][1], atol=1e-5)
    exports = []
    monkeypatch.setattr(targets, "onnx_export", lambda *a, **k: exports.append(1))
    twin(x)  # same configuration, input and weights: no new export
    assert exports == []


def test_a_known_limitation_is_not_applicable_and_an_invalid_call_raises_eagers_error():
    cfg = Config(mode="LSTM")  # float64: onnxruntime has no kernel
    with targets.using("onnx"):
        m = cfg.build()
    with pytest.raises(NotApplicable, match="float64"):
        m(cfg.input())
    with pytest.raises(RuntimeError, match="input.size"):  # eager's own message for a wrong input width
        m(cfg.with_(input_size=5).input())


def test_a_target_that_computes_wrongly_is_caught(monkeypatch):
    """What a mutant of one target's path does: the call returns something else, and a check sees it."""
    cfg = Config(mode="RNN")
    with targets.using("script"):
        honest = cfg.build()(cfg.input())
        monkeypatch.setattr(targets, "call_scripted", lambda s, args: tuple(t + 1e-3 for t in s(*args)))
        broken = cfg.build()(cfg.input())
    assert not torch.allclose(broken[0], honest[0])


class FakeMetafunc:
    def __init__(self, fn, choice):
        self.function, self.fixturenames, self.calls = fn, ["spec_target"], []
        self.config = type("C", (), {"getoption": lambda self, name, default=None: choice})()

    def parametrize(self, name, params, indirect=False):
        self.calls.append((name, [(p.values[0], [m.name for m in p.marks]) for p in params], indirect))


def check_of(cid: str):
    """The test function of a registered claim, as pytest collects it."""
    import importlib

    module, _, name = REGISTRY.get(cid).where.partition(":")
    return getattr(importlib.import_module(module), name)


def test_plugin_parametrizes_the_chosen_targets_a_claim_applies_to():
    import spec

    spec.load_all()
    fn = check_of("rnn.shape.hn-batch-second")
    eager_only = FakeMetafunc(fn, "eager")
    plugin._parametrize_targets(eager_only)
    assert eager_only.calls == []  # node ids unchanged by default
    everything = FakeMetafunc(fn, "all")
    plugin._parametrize_targets(everything)
    assert everything.calls == [("spec_target", [(t, []) for t in TARGETS], True)]
    onnx_only = FakeMetafunc(check_of("rnn.repr.non-default-args"), "onnx")
    plugin._parametrize_targets(onnx_only)
    assert onnx_only.calls == [("spec_target", [("eager", ["skip"])], True)]
    runs_anyway = FakeMetafunc(check_of("rnn.targets.onnx-proj-size-refused"), "onnx")
    plugin._parametrize_targets(runs_anyway)
    assert runs_anyway.calls == []  # the claims about the targets run whichever target is chosen


def report(version, statuses):
    """A stored report with one claim per (id, {target: status})."""
    claims = {
        cid: {"status": rpt.aggregate(t.values()), "targets": t, "kind": "shape", "devices": {}}
        for cid, t in statuses.items()
    }
    return rpt.Report.from_json({"schema": 1, "environment": {"torch": version, "devices": "cpu"}, "claims": claims})


def test_report_aggregates_cases_per_target():
    cases = [
        rpt.Case(f"n{t}", "rnn.shape.hn-batch-second", "cpu", t, o)
        for t, o in (("eager", "passed"), ("onnx", "not-applicable"), ("export", "failed"))
    ]
    import spec

    spec.load_all()
    claims = {"rnn.shape.hn-batch-second": REGISTRY.get("rnn.shape.hn-batch-second")}
    entry = rpt.Report.build(cases, claims, {}).claims["rnn.shape.hn-batch-second"]
    assert entry.targets == {"eager": "passed", "onnx": "not-applicable", "export": "failed"}
    assert entry.status == "failed"


def test_target_summary_and_matrix_count_what_held_per_target_and_release():
    old = report("2.11.0", {"a.shape.x": {"eager": "passed", "export": "failed"}, "a.shape.y": {"eager": "passed"}})
    y = {"eager": "failed", "export": "not-applicable"}
    new = report("2.13.0", {"a.shape.x": {"eager": "passed", "export": "passed"}, "a.shape.y": y})
    eager_only = rpt.Report.from_json(
        {"schema": 1, "environment": {"torch": "2.12.0"}, "claims": {"a.shape.x": {"status": "passed", "kind": "x"}}}
    )
    reports = [old, eager_only, new]
    per = summary(reports)
    assert per["eager"] == {
        ("2.11.0", "cpu", "torch"): (2, 0, 2, 0),
        ("2.12.0", "cpu", "torch"): (1, 0, 1, 0),
        ("2.13.0", "cpu", "torch"): (1, 1, 2, 0),
    }
    assert per["export"] == {("2.11.0", "cpu", "torch"): (0, 1, 1, 0), ("2.13.0", "cpu", "torch"): (1, 0, 1, 1)}
    table = Matrix.build(reports, targets=("export",))
    assert [c.release for c in table.columns] == ["2.11.0", "2.13.0"]
    assert table.rows == {"a.shape.x": ["failed", "passed"], "a.shape.y": [None, "not-applicable"]}
    assert table.changes("a.shape.x") == {1: "change"} and table.changes("a.shape.y") == {}


def test_verify_refuses_an_unknown_target_in_one_line(capsys):
    assert cli.main(["verify", "--target", "jit"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown target 'jit'" in err


def test_reports_through_targets_go_to_their_own_folder():
    assert cli.default_report("cpu", "all").parent.as_posix() == "reports/targets"
    assert cli.default_report("cpu", "onnx").name.endswith("-cpu-onnx.json")
    assert cli.default_report("cpu").parent.as_posix() == "reports"


def test_docs_show_the_target_matrix_or_say_how_to_make_it():
    import spec
    from spec.tools.docs import targets
    from spec.tools.results import load_many

    registry = spec.load_all()
    assert "No stored run yet" in targets.targets_page(registry, [])
    stored = load_many(sorted((ROOT / "reports" / "matrix").glob("*.json")))
    page = targets.targets_page(registry, stored)
    assert "## Claims held, per target and release" in page and "## onnx" in page
