"""The names and shapes of the parameters of nn.RNN, nn.LSTM and nn.GRU: the ``rnn.parameters.names-*`` claims."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from spec.claims.parameters.rnn import REVERSE_ATTRIBUTES
from spec.helpers.strategies import (
    LAYERS,
    Config,
    configs,
    param_layout,
)
from spec.registry import CONTRACT, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS, S003


@claim(
    id="rnn.parameters.names-shapes",
    scope=CONTRACT,
    statement=(
        "Per layer k and direction (suffix '' then '_reverse') the parameters are, in order, "
        "weight_ih_l{k} [G*H, in_k], weight_hh_l{k} [G*H, H_out], bias_ih_l{k} and bias_hh_l{k} [G*H], "
        "then weight_hr_l{k} [P, H] with proj_size P; in_0 is input_size and in_k is D*H_out for k > 0."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "input_size", "hidden_size", "bias"),
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
        TorchDoc("torch.nn.LSTM", "Description", "If ``proj_size > 0``"),
        Seed(S003, "1.2 forward propagation: W_xh, W_hh and b_h shapes", line=33),
    ),
)
# the ci profile's random draws miss some classes the statement names (tests/test_strategy_reach.py): given here
@example(cfg=Config(mode="RNN", num_layers=2, bidirectional=True, nonlinearity="relu", batch=1))
@example(cfg=Config(mode="LSTM", hidden_size=4, num_layers=2, bidirectional=True, proj_size=2, batch=1))
@example(cfg=Config(mode="GRU", num_layers=2, bidirectional=True, batch=1))
@example(cfg=Config(mode="GRU", bias=False, batch=1))
@given(cfg=configs(batch=st.just(1)))
def test_names_and_shapes(cfg, device):
    m = cfg.build(device)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == param_layout(cfg), cfg.repro(device)
