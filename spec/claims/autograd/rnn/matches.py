"""Gradients through nn.RNN, nn.LSTM and nn.GRU against the reference's: the ``rnn.autograd.matches-*`` claims."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reference.oracle.layers import forward as reference_forward
from spec.helpers.modules import grads_by_name, returned_tensors, torch_view, weighted_sum
from spec.helpers.strategies import LAYERS, Config, batched, configs, describe
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Seed, TorchDoc, claim
from spec.sources.seeds import S000, S003


def grads(fn, cfg: Config, device, side: str) -> list:
    m = cfg.build(device, train=True)
    x = cfg.input(device).requires_grad_(True)
    loss = weighted_sum(returned_tensors(fn(m, x)), cfg, device)
    return grads_by_name(loss, {"input": x, **dict(m.named_parameters())}, side)


@claim(
    id="rnn.autograd.matches-reference",
    scope=CONTRACT,
    statement=(
        "Gradients of output, h_n and c_n with respect to the input and every parameter equal those obtained "
        "by differentiating the from-scratch equations, and none is missing or zero."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Description", "to an input sequence"),
        Seed(S003, "1.3 back propagation through time", line=47),
        Seed(S000, "training an RNN: each step's error depends on all earlier hidden states", line=6),
    ),
)
@given(cfg=configs(batch=batched, seq=st.integers(2, 4), modes=st.sampled_from(LAYERS)))
def test_grads_match_reference(cfg, device):
    cfg = cfg.with_(nonlinearity="tanh")  # a dead relu unit has a true zero gradient
    describe(cfg, device)
    got = grads(lambda m, x: m(x), cfg, device, "the module's own forward")
    want = grads(lambda m, x: reference_forward(torch_view(m), x), cfg, device, "the oracle")
    assert all(g.abs().sum() > 0 for g in got), "the input or a parameter gets a zero gradient"
    assert_close(got, want, cfg.repro(device))
