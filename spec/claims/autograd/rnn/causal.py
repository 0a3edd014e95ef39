"""Which inputs the outputs of nn.RNN, nn.LSTM and nn.GRU depend on: the ``rnn.autograd.causal`` claim."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from spec.helpers.strategies import LAYERS, batched, configs, describe
from spec.registry import CONTRACT, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S003


@claim(
    id="rnn.autograd.causal",
    scope=CONTRACT,
    statement=(
        "A one-directional layer is causal: output at step t depends on inputs 1..t (non-zero gradient) "
        "and not on later inputs (exactly zero gradient); bidirectional output at every step depends on all steps."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Description", "to an input sequence"),
        Seed(S003, "2.5 bidirectional RNN", line=128),
        Seed(S000, "the opening notes: the current hidden state holds every earlier word", line=4),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), seq=st.integers(2, 5), proj=st.just(False)))
def test_causal(cfg, device):
    cfg = cfg.with_(nonlinearity="tanh")
    describe(cfg, device)
    m = cfg.build(device, train=True)
    x = cfg.input(device).requires_grad_(True)
    out, _ = m(x)
    for t in range(cfg.seq):
        (g,) = torch.autograd.grad(out[t].sum(), x, retain_graph=True)
        per_step = g.abs().flatten(1).sum(1)
        for k in range(cfg.seq):
            if k > t and not cfg.bidirectional:
                assert per_step[k] == 0, f"out[{t}] depends on the later x[{k}]"
            else:
                assert per_step[k] > 0, f"out[{t}] does not depend on x[{k}]"
