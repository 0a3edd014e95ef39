"""State of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import torch
from hypothesis import given
from hypothesis import strategies as st

from spec.helpers.strategies import LAYERS, Config, batched, configs, describe, param_layout
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Seed, TorchDoc, TorchOwn, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS, S002, S003, S004


def zeros_state(cfg: Config, device: str):
    h = torch.zeros(cfg.state_shape(), dtype=cfg.torch_dtype, device=device)
    if cfg.mode == "LSTM":
        return h, torch.zeros(cfg.state_shape(cfg.hidden_size), dtype=cfg.torch_dtype, device=device)
    return h


@claim(
    id="rnn.state.default-zeros",
    scope=CONTRACT,
    statement="Leaving out h_0 (and c_0) is the same as passing zeros of the documented shape.",
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(LAYER_DOCS, "Description", "is the hidden state at time"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
        Seed(S002, "the remark after out, h = rnn(a) that an all-zero state was created", line=66),
    ),
)
@given(cfg=configs(batch=batched))
def test_default_zeros(cfg, device):
    describe(cfg, device)
    m, x = cfg.build(device), cfg.input(device)
    with torch.no_grad():
        assert_close(m(x), m(x, zeros_state(cfg, device)), cfg.repro(device))


@claim(
    id="rnn.state.chunks-continue",
    scope=CONTRACT,
    statement=(
        "For a one-directional module, running a sequence in two chunks and feeding the first chunk's "
        "returned state into the second gives the same outputs and final state as one run."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Outputs", "h_n"),
        Seed(S003, "sequential partitioning keeps the state across minibatches", line=331),
        Seed(S004, "consecutive sampling carries the hidden state between batches", line=50),
    ),
)
@given(cfg=configs(batch=batched, bidirectional=st.just(False), seq=st.integers(2, 6)), data=st.data())
def test_chunks_continue(cfg, data, device):
    cut = data.draw(st.integers(1, cfg.seq - 1), label="cut")
    describe(cfg, device)
    m, x = cfg.build(device), cfg.input(device)
    t = 1 if cfg.batch_first else 0
    with torch.no_grad():
        whole, final = m(x)
        first, state = m(x.narrow(t, 0, cut))
        second, final2 = m(x.narrow(t, cut, cfg.seq - cut), state)
    assert_close(torch.cat([first, second], dim=t), whole, f"outputs, cut at {cut}")
    assert_close(final2, final, f"final state, cut at {cut}")


@claim(
    id="rnn.state.state-dict",
    scope=TorchOwn("state_dict keys are torch's module's attribute names; another implementation keeps its own"),
    statement=(
        "state_dict() of every configuration holds exactly the documented parameters, in order -- weight_ih_l{k}, "
        "weight_hh_l{k}, bias_ih_l{k} and bias_hh_l{k} (with bias), weight_hr_l{k} (LSTM with proj_size), each "
        "layer's _reverse copies after its own (bidirectional) -- each value a detached reference to its "
        "parameter (same values, same storage: writing into it changes the module), and load_state_dict() of "
        "such a dict writes each value into the parameter of that name, keeping the Parameter objects."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        TorchDoc("torch.nn.Module", "state_dict: references to the whole state of the module"),
    ),
)
@given(cfg=configs())
def test_state_dict(cfg, device):
    describe(cfg, device)
    m = cfg.build(device)
    where = cfg.repro(device)
    state, layout = m.state_dict(), param_layout(cfg)
    assert list(state) == [name for name, _ in layout], f"{where}: keys {list(state)}"
    for name, shape in layout:
        p, v = getattr(m, name), state[name]
        assert tuple(v.shape) == shape and not v.requires_grad, f"{where}: {name} {tuple(v.shape)} {v.requires_grad}"
        assert v.data_ptr() == p.data_ptr() and torch.equal(v, p.detach()), f"{where}: {name} is not a reference"
    held = {name: p for name, p in m.named_parameters()}
    values = {name: torch.full(shape, float(i + 1), dtype=cfg.torch_dtype) for i, (name, shape) in enumerate(layout)}
    m.load_state_dict(values)
    for i, (name, _) in enumerate(layout):
        p = getattr(m, name)
        assert p is held[name], f"{where}: load_state_dict replaced {name}"
        assert bool((p == i + 1).all()), f"{where}: {name} does not hold the value loaded under its name"
