"""dropout= in nn.RNN / nn.LSTM / nn.GRU: only between layers, only in training."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.layers import forward as reference_forward
from spec.registry import Seed, TorchDoc, claim
from spec.strategies import Config, batched, configs, describe
from spec.tolerances import assert_close

LAYERS = ("RNN", "LSTM", "GRU")
DOCS = tuple(TorchDoc(f"torch.nn.{m}", "dropout") for m in LAYERS)


@claim(
    id="rnn.semantics.dropout-eval-off",
    statement="In eval mode dropout does nothing: the module equals the reference without dropout, call after call.",
    kind="semantics",
    modules=LAYERS,
    sources=DOCS
    + (Seed("000_0803d243ad727e4b.txt", "IMDB model: LSTM(..., dropout=0.5) evaluated with rnn.eval()", line=30),),
)
@given(cfg=configs(batch=batched, num_layers=st.integers(2, 3)), p=st.sampled_from((0.3, 0.5, 1.0)))
def test_eval_off(cfg, p, device):
    cfg = cfg.with_(dropout=p)
    describe(cfg)
    m, x = cfg.build(device).eval(), cfg.input(device)
    with torch.no_grad():
        first, second, ref = m(x), m(x), reference_forward(m, x)
    assert_close(first, ref, cfg.repro())
    assert_close(second, first, "a second eval call")


@claim(
    id="rnn.semantics.dropout-one-layer-inert",
    statement="With one layer there is nowhere to drop: train mode with dropout gives exactly the eval result.",
    kind="semantics",
    modules=LAYERS,
    sources=DOCS,
)
@pytest.mark.parametrize("mode", LAYERS)
def test_one_layer_inert(mode, device):
    cfg = Config(mode=mode, num_layers=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the one-layer warning, claimed in errors.py
        m = cfg.with_(dropout=0.9).build(device)
    x = cfg.input(device)
    with torch.no_grad():
        train = m.train()(x)
        evaluated = m.eval()(x)
    assert_close(train, evaluated, mode)


@claim(
    id="rnn.semantics.dropout-between-layers",
    statement=(
        "In train mode dropout acts on what each layer passes to the next: with p=1 the second layer sees "
        "zeros, while the first layer's outputs and final state are untouched."
    ),
    kind="semantics",
    modules=LAYERS,
    sources=DOCS + (Seed("002_10f18caa03c370d0.txt", "the dropout argument of the three constructors", line=14),),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_between_layers(mode, device):
    cfg = Config(mode=mode, num_layers=2, dropout=1.0, seq=4)
    m, x = cfg.build(device).train(), cfg.input(device)
    first = cfg.with_(num_layers=1, dropout=0.0).build(device)
    second = cfg.with_(num_layers=1, dropout=0.0, input_size=cfg.hidden_size).build(device)
    with torch.no_grad():
        for k, single in enumerate((first, second)):
            for name, p in single.named_parameters():
                p.copy_(getattr(m, name.replace("_l0", f"_l{k}")))
        out, state = m(x)
        _, state1 = first(x)
        out2, state2 = second(torch.zeros(cfg.seq, cfg.batch, cfg.hidden_size, dtype=x.dtype, device=device))
    h = state if mode != "LSTM" else state[0]
    h1 = state1 if mode != "LSTM" else state1[0]
    h2 = state2 if mode != "LSTM" else state2[0]
    assert_close(out, out2, "the top layer ran on zeros")
    assert_close(h[1:], h2, "the top layer's final state")
    assert_close(h[:1], h1, "the first layer is untouched")
