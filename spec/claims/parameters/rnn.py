"""Parameters of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.oracle.layers import forward as reference_forward
from spec.helpers.modules import fixed_randn
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
    Config,
    configs,
    param_layout,
)
from spec.helpers.tolerances import assert_close
from spec.registry import Erratum, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS, S000, S002, S003


@claim(
    id="rnn.parameters.names-shapes",
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
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Description", "If ``proj_size > 0``"),
        Seed(S003, "1.2 forward propagation: W_xh, W_hh and b_h shapes", line=33),
    ),
)
@given(cfg=configs(batch=st.just(1)))
def test_names_and_shapes(cfg, device):
    m = cfg.build(device)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == param_layout(cfg), cfg.repro(device)


@claim(
    id="rnn.parameters.init-uniform",
    statement=(
        "Every weight and bias of the layers and cells starts drawn from U(-k, k) with k = 1/sqrt(hidden_size): "
        "never outside the bound, spread out to it, with the uniform's variance k^2/3."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        *torch_docs(
            (
                "torch.nn.RNN",
                "torch.nn.LSTM",
                "torch.nn.GRU",
                "torch.nn.RNNCell",
                "torch.nn.LSTMCell",
                "torch.nn.GRUCell",
            ),
            "Note",
            "initialized from",
        ),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]_reverse"),
        *torch_docs(CELL_DOCS, "Attributes", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
    ),
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_init_uniform(module, device):
    hidden = 64  # 64*64*G entries per weight: enough for the moments to be tight
    torch.manual_seed(1234)
    m = getattr(torch.nn, module)(32, hidden).to(device)
    k = 1 / math.sqrt(hidden)
    for name, p in m.named_parameters():
        p = p.detach().double().cpu()
        assert p.abs().max() <= k, f"{name} leaves [-k, k]"
        n = p.numel()
        # spread to the bound: P(max|w| < (1 - 14/n) k) = (1 - 14/n)^n < e^-14 for a true U(-k, k)
        assert p.abs().max() >= (1 - 14 / n) * k, f"{name} does not reach the bound"
        # mean 0 and variance k^2/3, each within 5 standard errors (sd of the variance ~ 0.3 k^2/sqrt(n))
        assert abs(p.mean()) <= 5 * k / math.sqrt(3 * n), f"{name} mean {p.mean():.4g}"
        assert abs(p.var() - k * k / 3) <= 5 * 0.3 * k * k / math.sqrt(n), f"{name} variance {p.var():.4g}"


@claim(
    id="rnn.parameters.seeded-init",
    statement=(
        "The initial parameters are drawn from torch's global generator: the same torch.manual_seed before "
        "construction gives identical tensors, another seed gives different ones."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        TorchDoc("torch.manual_seed", "seeds the default generator"),
        Seed(S000, "IMDB example: torch.manual_seed(123) at the top", line=30),
    ),
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_seeded_init(module, device):
    kw = dict(num_layers=2, bidirectional=True) if module in LAYERS else {}

    def build(seed):
        torch.manual_seed(seed)
        return [p.detach().cpu() for p in getattr(torch.nn, module)(3, 4, **kw).to(device).parameters()]

    first, again, other = build(123), build(123), build(124)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert all(not torch.equal(a, c) for a, c in zip(first, other))


@claim(
    id="rnn.parameters.factory-kwargs",
    statement="device= and dtype= given to the constructor reach every parameter of layers and cells.",
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        *torch_docs(
            (
                "torch.nn.RNN",
                "torch.nn.LSTM",
                "torch.nn.GRU",
                "torch.nn.RNNCell",
                "torch.nn.LSTMCell",
                "torch.nn.GRUCell",
            ),
            "signature",
            "device",
            "dtype",
        ),
    ),
    torch=">=1.9",
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_factory_kwargs(module, device):
    kw = dict(num_layers=2, bidirectional=True) if module in LAYERS else {}
    m = getattr(torch.nn, module)(3, 4, device=device, dtype=torch.float64, **kw)
    assert {(p.device.type, p.dtype) for p in m.parameters()} == {(device, torch.float64)}


@claim(
    id="rnn.parameters.signature-defaults",
    statement=(
        "The constructors default to num_layers=1, bias=True, batch_first=False, dropout=0, "
        "bidirectional=False (proj_size=0 for LSTM, nonlinearity='tanh' for RNN)."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "num_layers", "bias", "batch_first", "bidirectional"),
        TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),
        TorchDoc("torch.nn.LSTM", "Args", "proj_size"),
        Seed(S002, "the three constructor signatures near the top", line=14),
    ),
)
@pytest.mark.parametrize("module", LAYERS)
def test_signature_defaults(module):
    m = getattr(torch.nn, module)(3, 4)
    got = {k: getattr(m, k) for k in ("num_layers", "bias", "batch_first", "dropout", "bidirectional")}
    assert got == dict(num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False)
    if module == "LSTM":
        assert m.proj_size == 0
    if module == "RNN":
        assert m.nonlinearity == "tanh"


@claim(
    id="rnn.parameters.nonlinearity-only-rnn",
    statement="Only nn.RNN takes nonlinearity ('tanh' or 'relu'); nn.LSTM and nn.GRU raise TypeError for it.",
    modules=LAYERS,
    sources=(Seed(S002, "the remark that RNN alone has the nonlinearity argument", line=18),),
)
@pytest.mark.parametrize("module", ("LSTM", "GRU"))
def test_nonlinearity_only_rnn(module):
    assert torch.nn.RNN(3, 4, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(TypeError):
        getattr(torch.nn, module)(3, 4, nonlinearity="relu")


@claim(
    id="rnn.parameters.dropout-probability",
    statement="dropout is a probability in [0, 1] stored as given, not an on/off switch.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "dropout"),),
    erratum=Erratum(
        Seed(S002, "the argument list after the constructor signatures", line=25),
        says="dropout is glossed as whether the layer has dropout, a yes/no switch",
    ),
)
@pytest.mark.parametrize("module", LAYERS)
@pytest.mark.parametrize("p", (0.0, 0.3, 1.0))
def test_dropout_probability(module, p):
    assert getattr(torch.nn, module)(3, 4, num_layers=2, dropout=p).dropout == p


# --- issue 17: initial bounds on every parameter; the cells' defaults ---


@claim(
    id="rnn.parameters.init-bounds-every-parameter",
    statement=(
        "On multi-layer bidirectional modules every parameter, of every layer and direction and the projections "
        "weight_hr_l{k} included, starts inside [-k, k] with k = 1/sqrt(hidden_size) and reaches out to it."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        *torch_docs(LAYER_DOCS, "Note", "initialized from"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]_reverse"),
    ),
)
@pytest.mark.parametrize("module,kw", [("RNN", {}), ("GRU", {}), ("LSTM", {}), ("LSTM", {"proj_size": 8})], ids=str)
def test_init_bounds_every_parameter(module, kw, device):
    hidden = 16
    torch.manual_seed(4321)
    m = getattr(torch.nn, module)(5, hidden, num_layers=3, bidirectional=True, **kw).to(device)
    k = 1 / math.sqrt(hidden)
    names = [n for n, _ in m.named_parameters()]
    assert len(names) == 3 * 2 * (5 if kw else 4)  # every layer and direction is looked at
    for name, p in m.named_parameters():
        p = p.detach().double().cpu()
        n = p.numel()
        assert p.abs().max() <= k, f"{name} leaves [-k, k]"
        # P(max|w| < (1 - 14/n) k) = (1 - 14/n)^n < e^-14 for a true U(-k, k): the bound is reached
        assert p.abs().max() >= (1 - 14 / n) * k, f"{name} does not reach the bound"


@claim(
    id="rnn.parameters.replaced-and-copied",
    statement=(
        "A parameter replaced by assignment (m.weight_hh_l0 = nn.Parameter(...)) is the one the next forward uses, "
        "and a deep copy or a pickle round trip computes what the original does with parameters of its own."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_ih_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "bias_hh_l[k]_reverse"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]_reverse"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_replaced_and_copied(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True)
    m, x = cfg.build(device), cfg.input(device)
    with torch.no_grad():
        before = m(x)
        m.weight_hh_l1_reverse = torch.nn.Parameter(torch.zeros_like(m.weight_hh_l1_reverse))
        m.bias_ih_l0 = torch.nn.Parameter(m.bias_ih_l0 + 1)
        after = m(x)
        assert_close(after, reference_forward(m, x), f"{mode}: the replaced parameters are used")
        assert not torch.equal(after[0], before[0])
        for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
            assert_close(twin(x), after, f"{mode}: a copy computes the same")
            twin.weight_ih_l0.add_(1)
            assert_close(m(x), after, f"{mode}: changing the copy leaves the original")


# --- issue 17 (coverage): all_weights, and nonlinearity given by position ---


# RNNBase.all_weights is undocumented (no docstring; torch/nn/modules/rnn.py builds it from _all_weights, the
# same code from 1.8 to 2.15); it is what code written against torch's own tests and older tutorials reads.
@claim(
    id="rnn.parameters.all-weights",
    statement=(
        "all_weights lists the parameters grouped by layer and direction (l0, l0_reverse, l1, ...), each group "
        "in named_parameters order, as the module's own Parameter objects read at the time of access."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN.all_weights", "the property"),
        TorchDoc("torch.nn.LSTM.all_weights", "the property"),
        TorchDoc("torch.nn.GRU.all_weights", "the property"),
    ),
)
@given(cfg=configs(batch=st.just(1)))
def test_all_weights(cfg, device):
    m = cfg.build(device)
    groups: dict = {}
    for name, _ in param_layout(cfg):  # hand-derived names: weight_ih_l{k}{s}, ..., grouped by l{k}{s}
        groups.setdefault(name.rpartition("_l")[2], []).append(name)
    want = [[getattr(m, n) for n in names] for names in groups.values()]
    got = m.all_weights
    assert [len(g) for g in got] == [len(g) for g in want], cfg.repro(device)
    assert all(a is b for ga, gb in zip(got, want) for a, b in zip(ga, gb)), cfg.repro(device)
    m.weight_ih_l0 = torch.nn.Parameter(torch.zeros_like(m.weight_ih_l0))
    assert m.all_weights[0][0] is m.weight_ih_l0  # a replaced parameter shows at the next access


# RNN.__init__ reads a 4th positional argument as nonlinearity from 2.3 (the `if len(args) > 3` branch, absent
# from 2.2.2's rnn.py, present in 2.3.1's); before, RNN(*args) went to RNNBase.__init__(mode, input_size,
# hidden_size, num_layers, bias, ...), so the 4th lands in bias (measured on 1.10.2, 1.11.0, 2.0.1, 2.2.2).
@claim(
    id="rnn.parameters.positional-nonlinearity",
    statement=(
        "nn.RNN takes nonlinearity as its 4th positional argument, as its signature lists it: RNN(3, 4, 2, 'relu', "
        "False) is RNN(3, 4, num_layers=2, nonlinearity='relu', bias=False)."
    ),
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),),
    torch=">=2.3",
)
def test_positional_nonlinearity(device):
    by_position = torch.nn.RNN(3, 4, 2, "relu", False).to(device)
    by_keyword = torch.nn.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False).to(device)
    assert (by_position.nonlinearity, by_position.mode, by_position.bias) == ("relu", "RNN_RELU", False)
    by_keyword.load_state_dict(by_position.state_dict())
    x = fixed_randn(device, 5, 2, 3)
    with torch.no_grad():
        out, h_n = by_position(x)
        assert_close((out, h_n), by_keyword(x), "positional and keyword nonlinearity compute the same")
        assert (out >= 0).all()  # relu, not tanh


@claim(
    id="rnn.parameters.positional-nonlinearity-before-2-3",
    statement=(
        "Before torch 2.3 nn.RNN's 4th positional argument is taken as bias: RNN(3, 4, 2, 'relu', False) keeps "
        "nonlinearity 'tanh', stores bias='relu' and batch_first=False, and prints as RNN(3, 4, num_layers=2, "
        "bias=relu)."
    ),
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),),
    torch="<2.3",
)
def test_positional_nonlinearity_before_2_3():
    m = torch.nn.RNN(3, 4, 2, "relu", False)
    assert (m.nonlinearity, m.mode, m.bias, m.batch_first) == ("tanh", "RNN_TANH", "relu", False)
    assert repr(m) == "RNN(3, 4, num_layers=2, bias=relu)"
