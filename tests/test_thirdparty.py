"""The worked third-party example (tests/thirdparty/): fusedlstm, whose parameters do not map one to one onto torch's,
and its adapter, kept outside ``spec/`` as a library's authors would keep them.

Fast: the adapter's mapping (torch -> fused and back, exactly), gradients taken through the torch twin reaching
the fused parameters, an edit written through the twin reaching what fusedlstm computes, copies of a linked module;
each against a planted mistake in the mapping that it must catch. End to end (``e2e``): ``python -m spec verify``
on fusedlstm (exit 0, every selected claim held) and on each planted bug (exit 1, naming the claims it breaks).

Measured on the shared 2-core machine, torch 2.13.0+cpu, ``verify --device cpu --jobs 1`` over every claim,
two runs each: fusedlstm 21.9 and 27.5 s, exit 0 (46 held, 184 n/a, 2 skipped); the gate-order bug 68.2 and
79.9 s, exit 1 (12 claims failed); the ignored initial state 29.9 and 41.2 s, exit 1 (5 claims failed); torch
itself 49.3 s (one run; the machine shared with other jobs).
"""

from __future__ import annotations

import copy
import json
import os
import pickle

import pytest
import torch

from reference.oracle.layers import forward as reference_forward
from spec import implementations as impls
from spec.helpers.tolerances import assert_close
from tests.thirdparty.fusedlstm import LSTM as FusedLSTM
from tests.thirdparty.fusedlstm_spec import FusedLSTMSpec, suffixes

ADAPTERS = "tests.thirdparty.fusedlstm_spec:"
CONFIGS = [
    dict(),
    dict(num_layers=2, bidirectional=True),
    dict(num_layers=2, batch_first=True, bias=False),
]
# float64 throughout: the two layouts compute the same sums in another order (x W_ih^T + h W_hh^T against
# [x, h] W^T, b_ih + b_hh against one bias), which differ by a few ulps per step; 1e-10 is ~1e6 ulps over these
# 3-step, 2-layer runs, and a wrong block or a dropped bias moves results by ~1e-1
EXACT = dict(rtol=1e-10, atol=1e-12)


def linked(kw, impl=None, seed=0):
    """(torch's LSTM(3, 4, **kw) in float64, fusedlstm's equivalent linked to it, an input)."""
    impl = impl or FusedLSTMSpec()
    torch.manual_seed(seed)
    module = torch.nn.LSTM(3, 4, **kw).double()
    x = torch.randn(2, 3, 3, dtype=torch.float64) if kw.get("batch_first") else torch.randn(3, 2, 3).double()
    return module, impls.link(impl.from_torch(module), module, impl), x


def close(a, b) -> bool:
    a, b = torch.as_tensor(a), torch.as_tensor(b)
    return a.shape == b.shape and torch.allclose(a, b, **EXACT)


# --- what the checks below judge, each a function so that a planted mistake can be shown to fail it -------------
def round_trip_errors(impl, kw) -> list:
    """What breaks torch -> fused -> torch: the fused module computes torch's outputs, and torch_parameters gives
    back torch's weights (and the sum of its two biases)."""
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 4, **kw).double()
    x = torch.randn(2, 3, 3).double()
    ours = impl.from_torch(module)
    errors = []
    with torch.no_grad():
        for got, want in zip(ours(x)[0:1] + tuple(ours(x)[1]), module(x)[0:1] + tuple(module(x)[1])):
            if not close(got, want):
                errors.append("outputs differ from torch's")
        mapped = impl.torch_parameters(ours)
        for k, s in suffixes(module):
            for name in (f"weight_ih_l{k}{s}", f"weight_hh_l{k}{s}"):
                if not close(mapped[name], getattr(module, name)):
                    errors.append(f"{name} is not torch's")
            if module.bias:
                b = f"l{k}{s}"
                summed = mapped[f"bias_ih_{b}"] + mapped[f"bias_hh_{b}"]
                if not close(summed, getattr(module, f"bias_ih_{b}") + getattr(module, f"bias_hh_{b}")):
                    errors.append(f"bias_ih_{b} + bias_hh_{b} is not torch's sum")
    return errors


def gradient_errors(impl, kw) -> list:
    """What breaks gradients through the torch twin: the oracle, reading the twin, must give fusedlstm's own
    parameters the gradients fusedlstm's forward gives them, none of them zero."""
    _, ours, x = linked(kw, impl)
    params = list(ours.parameters())
    w = torch.randn(x.shape[0], x.shape[1], 4 * (2 if kw.get("bidirectional") else 1), dtype=torch.float64)
    own = torch.autograd.grad((ours(x)[0] * w).sum(), params)
    loss = (reference_forward(impls.twin_of(ours), x)[0] * w).sum()
    if not loss.requires_grad:
        return ["the oracle's result does not depend on fusedlstm's parameters"]
    by_oracle = torch.autograd.grad(loss, params, allow_unused=True)
    errors = []
    for p, a, b in zip((n for n, _ in ours.named_parameters()), own, by_oracle):
        if b is None:
            errors.append(f"{p}: the oracle's gradient does not reach it")
        elif not close(a, b) or not a.abs().sum() > 0:
            errors.append(f"{p}: the oracle's gradient differs from fusedlstm's (or is zero)")
    return errors


def edit_errors(impl, kw) -> list:
    """What breaks an in-place edit written through the twin by torch's names (as the claims write a gate's bias
    or a layer's weights): after refresh, fusedlstm computes with it, and the oracle with the same."""
    _, ours, x = linked(kw, impl)
    with torch.no_grad():
        before = ours(x)[0].clone()
        twin = impls.twin_of(ours)
        twin.bias_hh_l0[4:8] = 3.0  # the forget gate's block of the bias torch adds on the hidden side
        twin.bias_ih_l0[4:8] = 0.0
        twin.weight_hh_l0[:4] = 0.5  # the input gate's hidden weights
        want = reference_forward(twin, x)[0]  # the oracle on the twin as edited
        impls.refresh(ours)
        after, again = ours(x)[0], reference_forward(impls.twin_of(ours), x)[0]
    errors = [] if close(after, want) else ["fusedlstm does not compute with the edit"]
    if not close(again, want):
        errors.append("the twin, shared again after refresh, lost the edit")
    if close(after, before):
        errors.append("the edit changed nothing")
    return errors


# --- the adapter, and planted mistakes in it --------------------------------------------------------------------
class SwappedSlices(FusedLSTMSpec):
    """torch_parameters gives weight_hh with its gate blocks in reverse order (computed: flip copies)."""

    def torch_parameters(self, ours):
        out = super().torch_parameters(ours)
        for cell, (k, s) in zip(ours.cells, suffixes(ours)):
            out[f"weight_hh_l{k}{s}"] = cell.weight[:, -cell.hidden_size :].flip(0)
        return out


class Detached(FusedLSTMSpec):
    """torch_parameters gives copies cut from fusedlstm's parameters: same values, no gradient back to them."""

    def torch_parameters(self, ours):
        return {k: v.detach().clone() for k, v in super().torch_parameters(ours).items()}


class NoFold(FusedLSTMSpec):
    """refresh does nothing: an edit of the twin's bias_hh (no view of fusedlstm's) is lost."""

    def refresh(self, ours, module):
        return None


class OneBiasDropped(FusedLSTMSpec):
    """from_torch keeps bias_ih alone: torch's bias_hh is lost in the fused layout."""

    def from_torch(self, module):
        ours = super().from_torch(module)
        with torch.no_grad():
            for cell, (k, s) in zip(ours.cells, suffixes(module)):
                if cell.bias is not None:
                    cell.bias.copy_(getattr(module, f"bias_ih_l{k}{s}"))
        return ours


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_torch_layout_round_trip(kw):
    assert round_trip_errors(FusedLSTMSpec(), kw) == [], kw


@pytest.mark.parametrize("kw", CONFIGS, ids=str)
def test_gradients_through_the_twin_reach_the_fused_parameters(kw):
    assert gradient_errors(FusedLSTMSpec(), kw) == [], kw


@pytest.mark.parametrize("kw", CONFIGS[:2], ids=str)
def test_an_edit_through_the_twin_reaches_fusedlstm(kw):
    assert edit_errors(FusedLSTMSpec(), kw) == [], kw


@pytest.mark.parametrize(
    "planted, check, says",
    [
        (OneBiasDropped, round_trip_errors, "is not torch's sum"),
        (Detached, gradient_errors, "does not depend on fusedlstm's parameters"),
        (SwappedSlices, gradient_errors, "differs from fusedlstm's"),
        (NoFold, edit_errors, "does not compute with the edit"),
    ],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_each_check_catches_its_planted_mistake(planted, check, says):
    errors = check(planted(), CONFIGS[1])
    assert any(says in e for e in errors), f"{planted.__name__}: expected an error saying {says!r}, got {errors}"


def test_a_linked_module_copies_and_pickles_with_a_twin_of_its_own():
    _, ours, x = linked(CONFIGS[1])
    for other in (copy.deepcopy(ours), pickle.loads(pickle.dumps(ours))):
        with torch.no_grad():
            other.cells[0].weight.add_(0.25)  # the copy's own parameter, not the original's
            got, want = other(x)[0], reference_forward(impls.twin_of(other), x)[0]
            assert_close(got, want, "a copy's twin computes with the copy's parameters")
            assert not close(ours(x)[0], got), "changing the copy changed the original"
            assert_close(ours(x)[0], reference_forward(impls.twin_of(ours), x)[0], "the original's twin is its own")


# --- the library itself ------------------------------------------------------------------------------------------
def test_fusedlstm_refuses_its_documented_limit_at_construction():
    with pytest.raises(ValueError, match="proj_size"):
        FusedLSTM(3, 4, proj_size=2)
    limits = impls.limits(FusedLSTMSpec())
    assert [dict(limit.when) for limit in limits] == [{"proj_size": 1}], "the known file beside the adapter"


def test_fusedlstm_has_no_torch_layout():
    m = FusedLSTM(3, 4, num_layers=2)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["cells.0.weight", "cells.0.bias", "cells.1.weight", "cells.1.bias"], names
    assert not hasattr(m, "all_weights") and not hasattr(m, "_flat_weights") and not hasattr(m, "weight_ih_l0")


# --- end to end: python -m spec verify ---------------------------------------------------------------------------
SELECTED = (
    "test_matches_reference or test_packed_matches_reference or test_grads_match_reference or "
    "test_initial_state_matches_reference or "
    "test_chunks_continue or test_between_layers or test_replaced_and_copied or test_init_bounds_every_parameter "
    "or test_bidirectional_is_two_passes"
)
#: the claims of the selection each planted bug breaks (measured over every claim: see the module's docstring)
BREAKS = {
    "FusedLSTMSpec": set(),
    "GateOrderSpec": {
        "rnn.semantics.matches-reference",
        "rnn.autograd.matches-reference",
        "rnn.semantics.initial-state-matches-reference",
        "rnn.parameters.replaced-and-copied",
        "packed.semantics.matches-reference",
    },
    "IgnoresStateSpec": {"rnn.semantics.initial-state-matches-reference", "rnn.state.chunks-continue"},
}
HELD = {
    "rnn.semantics.matches-reference",
    "rnn.autograd.matches-reference",
    "rnn.semantics.initial-state-matches-reference",
    "rnn.state.chunks-continue",
    "rnn.semantics.dropout-between-layers",
    "rnn.parameters.replaced-and-copied",
    "rnn.parameters.init-bounds-every-parameter",
    "rnn.semantics.bidirectional-is-two-passes",
    "packed.semantics.matches-reference",
}


@pytest.mark.e2e
def test_verify_holds_on_fusedlstm_and_names_each_planted_bug(launch, tmp_path):
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    runs = {
        name: launch(
            [
                "verify",
                "--impl",
                ADAPTERS + name,
                "--device",
                "cpu",
                "--jobs",
                "1",
                "-q",
                "-k",
                SELECTED,
                "--report",
                str(tmp_path / f"{name}.json"),
            ],
            env=env,
        )
        for name in BREAKS
    }
    for name, future in runs.items():
        done = future.result()
        want_rc = 1 if BREAKS[name] else 0
        assert done.returncode == want_rc, f"{name}: exit {done.returncode}, expected {want_rc}\n{done.stderr[-2000:]}"
        claims = json.loads((tmp_path / f"{name}.json").read_text())["claims"]
        failed = {cid for cid, c in claims.items() if c["status"] == "failed"}
        assert failed == BREAKS[name], f"{name}: failed {sorted(failed)}, expected {sorted(BREAKS[name])}"
        for cid in BREAKS[name]:
            assert f"FAILED {cid}" in done.stdout + done.stderr, f"{name}: the output does not name {cid}"
        held = {cid for cid, c in claims.items() if c["status"] == "passed"}
        assert held == HELD - BREAKS[name], f"{name}: held {sorted(held)}, expected {sorted(HELD - BREAKS[name])}"


def test_a_gradient_the_oracle_does_not_reach_is_named_not_compared():
    """The gradient claims' helper: a parameter the oracle does not reach (an adapter that maps nothing to it) is
    a failure naming it, where a None used to crash inside the comparator."""
    from spec.helpers.modules import grads_by_name

    a, b = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
    assert [g.tolist() for g in grads_by_name((2 * a).sum(), {"a": a}, "the oracle")] == [[2.0, 2.0]]
    with pytest.raises(AssertionError, match="the oracle gives no gradient to b .*torch_parameters"):
        grads_by_name((2 * a).sum(), {"a": a, "b": b}, "the oracle")
