"""Parameters of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import copy
import io
import math
import pickle

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from reference.oracle.layers import forward as reference_forward
from spec import registry
from spec.helpers.api import POSITIONAL, api
from spec.helpers.modules import fixed_randn, torch_view
from spec.helpers.probes import dropout_probe
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
    Config,
    configs,
    param_layout,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, PAST_RELEASE, Erratum, Seed, TorchDoc, TorchOwn, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS, S000, S002, S003

#: the docstring lines of nn.LSTM that name the reverse direction's parameters and the projection's
REVERSE_ATTRIBUTES = torch_docs(
    ("torch.nn.LSTM",),
    "Attributes",
    "weight_ih_l[k]_reverse",
    "weight_hh_l[k]_reverse",
    "bias_ih_l[k]_reverse",
    "bias_hh_l[k]_reverse",
    "weight_hr_l[k]_reverse",
)


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


@claim(
    id="rnn.parameters.init-uniform",
    scope=CONTRACT,
    statement=(
        "Every weight and bias of the layers and cells starts drawn from U(-k, k) with k = 1/sqrt(hidden_size): "
        "never outside the bound, spread out to it, with the uniform's variance k^2/3."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        *torch_docs(
            LAYER_DOCS + CELL_DOCS,
            "Note",
            "initialized from",
        ),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
        *torch_docs(CELL_DOCS, "Attributes", "weight_ih", "weight_hh", "bias_ih", "bias_hh"),
    ),
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_init_uniform(module, device):
    hidden = 64  # 64*64*G entries per weight: enough for the moments to be tight
    torch.manual_seed(1234)
    m = getattr(api, module)(32, hidden).to(device)
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
    scope=CONTRACT,
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
        return [p.detach().cpu() for p in getattr(api, module)(3, 4, **kw).to(device).parameters()]

    first, again, other = build(123), build(123), build(124)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert all(not torch.equal(a, c) for a, c in zip(first, other))


@claim(
    id="rnn.parameters.factory-kwargs",
    scope=CONTRACT,
    statement="device= and dtype= given to the constructor reach every parameter of layers and cells.",
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        *torch_docs(
            LAYER_DOCS + CELL_DOCS,
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
    # float64 is not the default dtype, and on a cpu run the device asked for is the meta device (parameters with
    # a shape and no memory), not the default cpu, so a device= or dtype= that were ignored would show; measured on
    # 1.9, 1.11, 2.1, 2.3, 2.9, 2.10, 2.13 and 2.15
    for where in (device, "meta") if device == "cpu" else (device,):
        m = getattr(api, module)(3, 4, device=where, dtype=torch.float64, **kw)
        assert {(p.device.type, p.dtype) for p in m.parameters()} == {(where, torch.float64)}


@claim(
    id="rnn.parameters.signature-defaults",
    scope=CONTRACT,
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
    m = getattr(api, module)(3, 4)
    got = {k: getattr(m, k) for k in ("num_layers", "bias", "batch_first", "dropout", "bidirectional")}
    assert got == dict(num_layers=1, bias=True, batch_first=False, dropout=0.0, bidirectional=False)
    if module == "LSTM":
        assert m.proj_size == 0
    if module == "RNN":
        assert m.nonlinearity == "tanh"


@claim(
    id="rnn.parameters.nonlinearity-only-rnn",
    scope=CONTRACT,
    statement="Only nn.RNN takes nonlinearity ('tanh' or 'relu'); nn.LSTM and nn.GRU raise TypeError for it.",
    modules=LAYERS,
    sources=(Seed(S002, "the remark that RNN alone has the nonlinearity argument", line=18),),
)
@pytest.mark.parametrize("module", ("LSTM", "GRU"))
def test_nonlinearity_only_rnn(module):
    assert api.RNN(3, 4, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(TypeError):
        getattr(api, module)(3, 4, nonlinearity="relu")


@claim(
    id="rnn.parameters.dropout-probability",
    scope=CONTRACT,
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
def test_dropout_probability(module, p, device):
    assert getattr(api, module)(3, 4, num_layers=2, dropout=p).dropout == p
    # and it acts as a rate: the probe (spec/helpers/probes.py) built with dropout=p drops a fraction p of what its
    # first layer passes to the second (a switch would drop all or a fixed share, whatever p is)
    hidden, seq, batch = 40, 10, 20
    m, _ = dropout_probe(module, p, hidden, device)
    x = torch.zeros(seq, batch, hidden, dtype=torch.float64, device=device)
    with torch.random.fork_rng(devices=[] if device == "cpu" else [torch.device(device)]):
        torch.manual_seed(23)
        with torch.no_grad():
            out, _ = m(x)
    n, dropped = out.numel(), (out == 0).double().mean().item()
    # n = 8,000 Bernoulli(p) drops: within 6 standard deviations of p except with probability < 2e-9 (exact for
    # p = 0 and p = 1, where the standard deviation is 0)
    assert abs(dropped - p) <= 6 * math.sqrt(p * (1 - p) / n), f"{module} dropout={p}: dropped {dropped:.4f}"


# --- issue 17: initial bounds on every parameter; the cells' defaults ---


@claim(
    id="rnn.parameters.init-bounds-every-parameter",
    scope=CONTRACT,
    statement=(
        "On multi-layer bidirectional modules every parameter, of every layer and direction and the projections "
        "weight_hr_l{k} included, starts inside [-k, k] with k = 1/sqrt(hidden_size) and reaches out to it."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        *torch_docs(LAYER_DOCS, "Note", "initialized from"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
    ),
)
@pytest.mark.parametrize("module,kw", [("RNN", {}), ("GRU", {}), ("LSTM", {}), ("LSTM", {"proj_size": 8})], ids=str)
def test_init_bounds_every_parameter(module, kw, device):
    hidden = 16
    torch.manual_seed(4321)
    m = getattr(api, module)(5, hidden, num_layers=3, bidirectional=True, **kw).to(device)
    k = 1 / math.sqrt(hidden)
    # every layer and direction is looked at: the parameters, by the implementation's own names (it may fuse the
    # gates' matrices or keep one bias), hold at least as many elements as torch's weight matrices
    shape = Config(mode=module, input_size=5, hidden_size=hidden, num_layers=3, bidirectional=True, **kw)
    weights = sum(math.prod(s) for name, s in param_layout(shape) if name.startswith("weight_"))
    held = sum(p.numel() for p in m.parameters())
    assert held >= weights, f"{module}: its parameters hold {held} elements, fewer than torch's weights ({weights})"
    for name, p in m.named_parameters():
        p = p.detach().double().cpu()
        n = p.numel()
        assert p.abs().max() <= k, f"{name} leaves [-k, k]"
        # P(max|w| < (1 - 14/n) k) = (1 - 14/n)^n < e^-14 for a true U(-k, k): the bound is reached
        assert p.abs().max() >= (1 - 14 / n) * k, f"{name} does not reach the bound"


@claim(
    id="rnn.parameters.replaced-and-copied",
    scope=CONTRACT,
    statement=(
        "A parameter replaced by assignment (m.weight_hh_l0 = nn.Parameter(...)) is the one the next forward uses, "
        "and a deep copy or a pickle round trip computes what the original does with parameters of its own."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Attributes", "weight_ih_l[k]", "weight_hh_l[k]", "bias_ih_l[k]", "bias_hh_l[k]"),
        TorchDoc("torch.nn.LSTM", "Attributes", "weight_hr_l[k]"),
        *REVERSE_ATTRIBUTES,
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_replaced_and_copied(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True)
    m, x = cfg.build(device), cfg.input(device)
    # by the implementation's own names (torch's: weight_ih_l0 and bias_hh_l1_reverse): its first parameter and
    # its last, of the first layer and of the second layer's reverse direction
    names = [name for name, _ in m.named_parameters()]
    first, last = names[0], names[-1]
    with torch.no_grad():
        before = m(x)
        own = dict(m.named_parameters())
        replace_parameter(m, last, torch.nn.Parameter(torch.zeros_like(own[last])))
        replace_parameter(m, first, torch.nn.Parameter(own[first] + 1))
        after = m(x)
        assert_close(after, reference_forward(torch_view(m), x), f"{mode}: the replaced {first}, {last} are used")
        assert not torch.equal(after[0], before[0]), f"{mode}: {first} + 1 left the output as it was"
        for twin in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
            assert_close(twin(x), after, f"{mode}: a copy computes the same")
            dict(twin.named_parameters())[first].add_(1)
            assert_close(m(x), after, f"{mode}: changing the copy's {first} leaves the original")


def replace_parameter(module, name: str, value) -> None:
    """``module.<name> = value`` as a user replaces a parameter, ``name`` dotted for a submodule's."""
    owner, _, leaf = name.rpartition(".")
    setattr(module.get_submodule(owner) if owner else module, leaf, value)


# --- issue 17 (coverage): all_weights, and nonlinearity given by position ---


# RNNBase.all_weights is undocumented (no docstring; torch/nn/modules/rnn.py builds it from _all_weights, the
# same code from 1.8 to 2.15); it is what code written against torch's own tests and older tutorials reads.
@claim(
    id="rnn.parameters.all-weights",
    scope=CONTRACT,
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
# the ci profile's random draws miss some classes the statement names (tests/test_strategy_reach.py): given here
@example(cfg=Config(mode="RNN", num_layers=2, bidirectional=True, nonlinearity="relu", batch=1))
@example(cfg=Config(mode="LSTM", hidden_size=4, num_layers=2, bidirectional=True, proj_size=2, batch=1))
@example(cfg=Config(mode="GRU", num_layers=2, bidirectional=True, batch=1))
@example(cfg=Config(mode="GRU", bias=False, batch=1))
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
    scope=CONTRACT,
    statement=(
        "nn.RNN takes nonlinearity as its 4th positional argument, as its signature lists it: RNN(3, 4, 2, 'relu', "
        "False) is RNN(3, 4, num_layers=2, nonlinearity='relu', bias=False)."
    ),
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),),
    torch=">=2.3",
)
def test_positional_nonlinearity(device):
    by_position = api.RNN(3, 4, 2, "relu", False).to(device)
    by_keyword = api.RNN(3, 4, num_layers=2, nonlinearity="relu", bias=False).to(device)
    assert (by_position.nonlinearity, by_position.mode, by_position.bias) == ("relu", "RNN_RELU", False)
    by_keyword.load_state_dict(by_position.state_dict())
    x = fixed_randn(device, 5, 2, 3)
    with torch.no_grad():
        out, h_n = by_position(x)
        assert_close((out, h_n), by_keyword(x), "positional and keyword nonlinearity compute the same")
        assert (out >= 0).all()  # relu, not tanh


@claim(
    id="rnn.parameters.positional-nonlinearity-before-2-3",
    scope=PAST_RELEASE,
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


# --- issue 24: copies of a layer, and what they share with the original ---
def memory_of(module) -> set:
    """Where each parameter's data lives (the start of its storage): what two modules sharing memory have in common."""
    storage = (lambda p: p.untyped_storage()) if hasattr(torch.Tensor, "untyped_storage") else (lambda p: p.storage())
    return {storage(p).data_ptr() for p in module.parameters()}


def twins(m, cfg: Config, device: str) -> dict:
    """The copies users make of a layer: a deep copy, a pickle round trip, and a layer of the same configuration
    (other weights: another seed) given the original's state_dict, directly and through torch.save/torch.load."""
    loaded = cfg.with_(seed=cfg.seed + 1).build(device)
    loaded.load_state_dict(m.state_dict())
    saved = io.BytesIO()
    torch.save(m.state_dict(), saved)
    saved.seek(0)
    reloaded = cfg.with_(seed=cfg.seed + 2).build(device)
    reloaded.load_state_dict(torch.load(saved))
    return {
        "deepcopy": copy.deepcopy(m),
        "pickle": pickle.loads(pickle.dumps(m)),
        "load_state_dict": loaded,
        "torch.save/torch.load": reloaded,
    }


@claim(
    id="rnn.parameters.copies-independent",
    scope=TorchOwn("torch.nn.Module's copy, pickle and state_dict machinery"),
    statement=(
        "A deep copy of a layer, a pickle round trip, and a layer given its state_dict (directly or through "
        "torch.save and torch.load) compute what the original computes, with parameters of their own: none shares "
        "memory with the original, and changing the original's weights in place changes no copy."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.Module.state_dict", "references to the whole state of the module"),
        TorchDoc("torch.nn.Module.load_state_dict", "copy parameters and buffers from state_dict"),
        TorchDoc("torch.save", "saving a module's state_dict"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_copies_independent(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, proj_size=2 if mode == "LSTM" else 0)
    m, x = cfg.build(device), cfg.input(device)
    with torch.no_grad():
        before = m(x)
        for how, twin in twins(m, cfg, device).items():
            assert_close(twin(x), before, f"{mode} {how}: the copy computes what the original does")
            assert not memory_of(twin) & memory_of(m), f"{mode} {how}: shares parameter memory with the original"
            assert not {id(p) for p in twin.parameters()} & {id(p) for p in m.parameters()}, f"{mode} {how}"
            for p in m.parameters():
                p.mul_(-1)  # the original's weights changed in place ...
            assert_close(twin(x), before, f"{mode} {how}: changing the original in place changed the copy")
            assert_close(m(x), reference_forward(m, x), f"{mode} {how}: the original runs on its new weights")
            for p in m.parameters():
                p.mul_(-1)


@claim(
    id="rnn.parameters.state-dict-references",
    scope=TorchOwn("torch.nn.Module's copy, pickle and state_dict machinery"),
    statement=(
        "A layer's state_dict() holds references, not copies: each entry is its parameter's data (the same memory, "
        "under the parameter's name, in named_parameters order); load_state_dict copies values into the receiving "
        "layer's own parameters in place, keeping the Parameter objects its optimizer holds, and its next forward "
        "uses them."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.Module.state_dict", "references to the whole state of the module"),
        TorchDoc("torch.nn.Module.load_state_dict", "copy parameters and buffers from state_dict"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_state_dict_references(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True)
    m, x = cfg.build(device), cfg.input(device)
    state = m.state_dict()
    assert list(state) == [name for name, _ in param_layout(cfg)]  # hand-derived names and order
    for name, p in m.named_parameters():
        assert state[name].data_ptr() == p.data_ptr() and state[name].shape == p.shape, name
    other = cfg.with_(seed=cfg.seed + 1).build(device)
    held = [(p, p.data_ptr()) for p in other.parameters()]  # what an optimizer of `other` holds
    other.load_state_dict(state)
    for (p, ptr), q in zip(held, other.parameters()):
        assert q is p and q.data_ptr() == ptr, "load_state_dict replaced a parameter instead of copying into it"
    with torch.no_grad():
        assert_close(other(x), reference_forward(m, x), f"{mode}: the next forward uses the loaded values")
        for p in other.parameters():
            p.add_(1)  # and the copy is a copy: the original is untouched
        assert_close(m(x), reference_forward(m, x), mode)
        assert all(torch.equal(state[n], p) for n, p in m.named_parameters())


def source_step(x, h, w_xh, w_hh, b_h):
    """003's section 1.2 in its own layout: H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h), rows of X the examples,
    W_xh [inputs, hiddens], W_hh [hiddens, hiddens], b_h [1, hiddens]."""
    return torch.tanh(x @ w_xh + h @ w_hh + b_h)


@claim(
    id="rnn.parameters.source-weight-layout",
    scope=CONTRACT,
    statement=(
        "003 writes H_t = tanh(X_t W_xh + H_{t-1} W_hh + b_h) with W_xh of shape [inputs, hiddens], rows of X the "
        "examples; torch stores weight_ih_l0 as [hiddens, inputs] and computes x W^T, so 003's W_xh is "
        "weight_ih_l0.T, W_hh is weight_hh_l0.T and b_h is the sum of the two biases."
    ),
    modules=("RNN",),
    sources=(
        Seed(S003, "1.2: W_xh in R^{d x h}, W_hh in R^{h x h}, b_h in R^{1 x h}", line=33),
        TorchDoc("torch.nn.RNN", "Attributes", "weight_ih_l[k]"),
    ),
)
def test_source_weight_layout(device):
    torch.manual_seed(0)
    d, h, batch, steps = 5, 3, 4, 6
    layer = api.RNN(d, h).double().to(device)
    assert layer.weight_ih_l0.shape == (h, d) and layer.weight_hh_l0.shape == (h, h)
    x = torch.randn(steps, batch, d, dtype=torch.float64, device=device)
    with torch.no_grad():
        out, _ = layer(x)
        w_xh, w_hh = layer.weight_ih_l0.T, layer.weight_hh_l0.T  # [d, h] and [h, h], 003's layout
        b_h = (layer.bias_ih_l0 + layer.bias_hh_l0).view(1, h)
        state, by_source = torch.zeros(batch, h, dtype=torch.float64, device=device), []
        for t in range(steps):
            state = source_step(x[t], state, w_xh, w_hh, b_h)
            by_source.append(state)
        assert_close(out, torch.stack(by_source), "003's X @ W_xh with W_xh = weight_ih_l0.T")
    square = api.RNN(h, h).double().to(device)  # square weights: the untransposed layout also runs, wrongly
    y = torch.randn(1, batch, h, dtype=torch.float64, device=device)
    with torch.no_grad():
        b = (square.bias_ih_l0 + square.bias_hh_l0).view(1, h)
        zero = torch.zeros(batch, h, dtype=torch.float64, device=device)
        wrong = source_step(y[0], zero, square.weight_ih_l0, square.weight_hh_l0, b)
        assert (wrong - square(y)[0][0]).abs().max() > 1e-3, "weight_ih_l0 used as W_xh untransposed should differ"


# The attributes user code reads back: every documented constructor argument (hidden_size, num_layers, bidirectional
# size an initial state, batch_first says how to pack, proj_size is h_0's width; the rest describe and rebuild a
# model). Left out: ``mode`` (undocumented, the kernel's dispatch key, absent where there is no RNNBase) and the
# private _flat_weights & co. Two sets of values, none a default, each pair of booleans told apart in one of them.
ARGUMENTS = {
    "RNN": dict(num_layers=3, nonlinearity="relu", dropout=0.25),
    "LSTM": dict(num_layers=3, dropout=0.25, proj_size=2),
    "GRU": dict(num_layers=3, dropout=0.25),
    "RNNCell": dict(nonlinearity="relu"),
    "LSTMCell": {},
    "GRUCell": {},
}
FLAGS = (dict(bias=False, batch_first=True, bidirectional=True), dict(bias=True, batch_first=True, bidirectional=False))


@claim(
    id="rnn.parameters.arguments-as-attributes",
    scope=CONTRACT,
    statement=(
        "Every layer and cell keeps each constructor argument, given by keyword or by position in the documented "
        "order, as the attribute of its name with the value and type given: input_size, hidden_size, bias, and for "
        "the layers num_layers, batch_first, dropout, bidirectional, with proj_size (LSTM) and nonlinearity (RNN, "
        "RNNCell)."
    ),
    modules=LAYERS + tuple(CELLS.values()),
    sources=(*torch_docs(LAYER_DOCS + CELL_DOCS, "Args", "input_size", "hidden_size", "bias"),),
)
@pytest.mark.parametrize("flags", (0, 1), ids=("set-a", "set-b"))
@pytest.mark.parametrize("how", ("keyword", "position"))
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_arguments_as_attributes(module, how, flags):
    names = ("input_size", "hidden_size") + POSITIONAL[module]
    given = dict(ARGUMENTS[module], input_size=3, hidden_size=5, **FLAGS[flags])
    given = {k: given[k] for k in names if k in given}  # (the cells take only bias of the flags)
    if how == "position" and module == "RNN" and registry.release_of(torch.__version__) < registry.release_of("2.3"):
        registry.not_applicable("RNN takes nonlinearity 4th by position from 2.3 (its positional-nonlinearity)")
    if how == "keyword":
        m = getattr(api, module)(**given)
    else:
        m = getattr(api, module)(*(given[k] for k in names))
    got = {k: getattr(m, k, "(no such attribute)") for k in given}
    assert {k: (v, type(v)) for k, v in got.items()} == {k: (v, type(v)) for k, v in given.items()}, (
        f"{module} built by {how} from {given}: its attributes are {got}"
    )
