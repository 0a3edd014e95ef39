"""The ci profile reaches every configuration class a claim's statement names.

Each hypothesis claim below runs under the ci profile with its check replaced by a recorder (hypothesis's
``inner_test`` hook), so the configurations it would check are collected without running them; every class its
statement names must be among them. A class the random draws miss is reached by an explicit ``@example``.
"""

from __future__ import annotations

import importlib

import pytest
from hypothesis import settings
from hypothesis.internal.compat import int_from_bytes
from hypothesis.internal.reflection import function_digest

import spec
from spec import profiles
from spec.registry import REGISTRY


def check_of(claim_id: str):
    """The claim's test function, found through the registry (where it lives is the registry's business)."""
    spec.load_all()
    module, _, name = REGISTRY.get(claim_id).where.partition(":")
    return getattr(importlib.import_module(module), name)


def drawn(claim_id: str, profile: str = "ci") -> list:
    """The configurations (the ``cfg`` argument) the claim's hypothesis test checks under ``profile``.

    A derandomized profile seeds its draws from a digest of the check itself, so the recorder that stands in for
    the check is given that seed explicitly: it sees exactly the draws the check sees
    (:func:`test_the_recorder_sees_the_draws_the_check_sees`)."""
    test = check_of(claim_id)
    seen: list = []
    inner = test.hypothesis.inner_test
    saved = {k: getattr(test, k, None) for k in ("_hypothesis_internal_use_settings", "_hypothesis_internal_use_seed")}
    profiles.register()  # the profiles by name, as the plugin registers them
    test.hypothesis.inner_test = lambda *_, cfg, **__: seen.append(cfg)
    test._hypothesis_internal_use_settings = settings.get_profile(profile)
    if settings.get_profile(profile).derandomize:
        test._hypothesis_internal_use_seed = int_from_bytes(function_digest(inner))
    try:
        test(device="cpu")
    finally:
        test.hypothesis.inner_test = inner
        for k, v in saved.items():
            setattr(test, k, v)
    return seen


#: What each statement names, as (class, predicate on a Config). Every mode is a class of its own where the
#: statement is about the three layers.
MODES = [(m, lambda c, m=m: c.mode == m) for m in ("RNN", "LSTM", "GRU")]
PER_MODE = [
    (f"{m} {what}", lambda c, m=m, p=p: c.mode == m and p(c))
    for m in ("RNN", "LSTM", "GRU")
    for what, p in (
        ("with biases", lambda c: c.bias),
        ("without biases", lambda c: not c.bias),
        ("two directions", lambda c: c.bidirectional),
        ("stacked (in_k = D*H_out)", lambda c: c.num_layers > 1),
        ("stacked, two directions, biases", lambda c: c.num_layers > 1 and c.bidirectional and c.bias),
    )
]
PROJECTION = [
    ("LSTM with projection", lambda c: c.proj_size > 0),
    (
        "LSTM with projection, two directions, stacked, biases",
        lambda c: c.proj_size > 0 and c.bidirectional and c.num_layers > 1 and c.bias,
    ),
]
CLASSES = {
    # "per layer k and direction ... bias_ih_l{k} and bias_hh_l{k} ... weight_hr_l{k} with proj_size P ... in_k"
    "rnn.parameters.names-shapes": MODES + PER_MODE + PROJECTION,
    # "grouped by layer and direction (l0, l0_reverse, l1, ...), each group in named_parameters order"
    "rnn.parameters.all-weights": MODES + PER_MODE + PROJECTION,
    # "every configuration (layers, directions, batch_first, bias, relu, proj_size; float64 and float32)"
}


@pytest.mark.parametrize("claim_id", sorted(CLASSES))
def test_ci_profile_reaches_every_class_the_statement_names(claim_id):
    configs = drawn(claim_id)
    missed = [name for name, reached in CLASSES[claim_id] if not any(reached(c) for c in configs)]
    assert not missed, f"{claim_id}: the ci profile's {len(configs)} draws never reach {missed}"


def test_the_recorder_sees_the_draws_the_check_sees(monkeypatch):
    """The recorder's draws are the check's own: the check run for real builds exactly those configurations."""
    from spec.helpers import strategies

    built, build = [], strategies.Config.build
    monkeypatch.setattr(strategies.Config, "build", lambda self, *a, **k: built.append(self) or build(self, *a, **k))
    recorded = drawn("rnn.parameters.names-shapes")
    test = check_of("rnn.parameters.names-shapes")
    saved = getattr(test, "_hypothesis_internal_use_settings", None)
    test._hypothesis_internal_use_settings = settings.get_profile("ci")
    try:
        test(device="cpu")
    finally:
        test._hypothesis_internal_use_settings = saved
    assert len(recorded) >= 25 and recorded == built  # the profile's 25 draws, and the explicit examples


def test_a_class_no_draw_reaches_is_reported():
    """The meta-test can fail: a class no configuration has (a projection wider than the hidden size) is missed."""
    configs = drawn("rnn.parameters.names-shapes")
    assert configs and not any(c.mode == "LSTM" and c.proj_size >= c.hidden_size for c in configs)


def hypothesis_claims_over_configs():
    """Every claim whose check draws a whole ``cfg`` with hypothesis and takes no other pytest parameter."""
    import inspect

    spec.load_all()
    out = []
    for c in REGISTRY:
        test = check_of(c.id)
        hyp = getattr(test, "hypothesis", None)
        if hyp is None or getattr(test, "pytestmark", None):
            continue
        params = inspect.signature(hyp.inner_test).parameters
        if "cfg" in params and set(params) <= {"cfg", "device"}:
            out.append(c.id)
    return out


@pytest.mark.parametrize("claim_id", hypothesis_claims_over_configs())
def test_ci_profile_reaches_every_layer_a_claim_names(claim_id):
    """A claim about RNN, LSTM and GRU is checked on each of them in the ci profile."""
    named = [m for m in REGISTRY.get(claim_id).modules if m in ("RNN", "LSTM", "GRU")]
    modes = {c.mode for c in drawn(claim_id)}
    assert set(named) <= modes, f"{claim_id} names {named}; the ci profile draws only {sorted(modes)}"
