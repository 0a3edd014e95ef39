"""Parameters of nn.RNN / nn.LSTM / nn.GRU: names, order, shapes, initialisation, factory args, repr."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.strategies import CELLS, MODES, Config, configs, param_layout

LAYERS = MODES


@claim(
    id="rnn.parameters.names-shapes",
    statement=(
        "Per layer k and direction (suffix '' then '_reverse') the parameters are, in order, "
        "weight_ih_l{k} [G*H, in_k], weight_hh_l{k} [G*H, H_out], bias_ih_l{k} and bias_hh_l{k} [G*H], "
        "then weight_hr_l{k} [P, H] with proj_size P; in_0 is input_size and in_k is D*H_out for k > 0."
    ),
    kind="parameters",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Variables") for m in LAYERS)
    + (Seed("003_d1ec100167748cfb.txt", "1.2 forward propagation: W_xh, W_hh and b_h shapes", line=33),),
)
@given(cfg=configs(batch=st.just(1)))
def test_names_and_shapes(cfg, device):
    m = cfg.build(device)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == param_layout(cfg), cfg.repro()


@claim(
    id="rnn.parameters.init-uniform",
    statement=(
        "Every weight and bias of the layers and cells starts drawn from U(-k, k) with k = 1/sqrt(hidden_size): "
        "never outside the bound, spread out to it, with the uniform's variance k^2/3."
    ),
    kind="parameters",
    modules=LAYERS + tuple(CELLS.values()),
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Variables: initialised from U(-sqrt(k), sqrt(k))") for m in LAYERS),
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
    kind="parameters",
    modules=LAYERS + tuple(CELLS.values()),
    sources=(
        Seed("000_0803d243ad727e4b.txt", "IMDB example: torch.manual_seed(123) at the top", line=30),
        TorchDoc("torch.manual_seed", "seeds the default generator"),
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
    kind="parameters",
    modules=LAYERS + tuple(CELLS.values()),
    sources=(TorchDoc("torch.nn.RNN", "signature: device=None, dtype=None"),),
    torch=">=1.9",
)
@pytest.mark.parametrize("module", LAYERS + tuple(CELLS.values()))
def test_factory_kwargs(module, device):
    kw = dict(num_layers=2, bidirectional=True) if module in LAYERS else {}
    m = getattr(torch.nn, module)(3, 4, device=device, dtype=torch.float64, **kw)
    assert {(p.device.type, p.dtype) for p in m.parameters()} == {(device, torch.float64)}


@claim(
    id="rnn.errors.factory-kwargs-rejected",
    statement="Before torch 1.9 the constructors take no device= or dtype= and raise TypeError.",
    kind="errors",
    modules=LAYERS,
    sources=(TorchDoc("torch.nn.RNN", "signature"),),
    torch="<1.9",
)
@pytest.mark.parametrize("module", LAYERS)
def test_factory_kwargs_rejected(module):
    with pytest.raises(TypeError):
        getattr(torch.nn, module)(3, 4, dtype=torch.float64)


def expected_repr(cfg: Config) -> str:
    """torch's documented repr: positional sizes, then only the arguments that differ from defaults."""
    parts = [str(cfg.input_size), str(cfg.hidden_size)]
    for name, value, default in (
        ("proj_size", cfg.proj_size, 0),
        ("num_layers", cfg.num_layers, 1),
        ("bias", cfg.bias, True),
        ("batch_first", cfg.batch_first, False),
        ("dropout", cfg.dropout, 0.0),
        ("bidirectional", cfg.bidirectional, False),
    ):
        if value != default:
            parts.append(f"{name}={value}")
    return f"{cfg.mode}({', '.join(parts)})"


@claim(
    id="rnn.repr.non-default-args",
    statement=(
        "repr shows input and hidden size, then only the non-default proj_size, num_layers, bias, "
        "batch_first, dropout and bidirectional, in that order (e.g. RNN(100, 20, num_layers=4))."
    ),
    kind="repr",
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "extra_repr"),
        Seed("000_0803d243ad727e4b.txt", "print(rnn) gives RNN(100, 20) and RNN(100, 20, num_layers=4)", line=22),
    ),
)
@given(cfg=configs(batch=st.just(1)), dropout=st.sampled_from((0.0, 0.25, 0.5)))
def test_repr(cfg, dropout):
    cfg = cfg.with_(dropout=dropout if cfg.num_layers > 1 else 0.0)
    assert repr(cfg.build()) == expected_repr(cfg)


@claim(
    id="rnn.repr.hides-nonlinearity",
    statement="nn.RNN's repr does not show nonlinearity: RNN(3, 4, nonlinearity='relu') prints as RNN(3, 4).",
    kind="repr",
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "nonlinearity"),),
)
def test_repr_hides_nonlinearity():
    m = torch.nn.RNN(3, 4, nonlinearity="relu")
    assert repr(m) == "RNN(3, 4)"
    assert m.nonlinearity == "relu" and m.mode == "RNN_RELU"


@claim(
    id="rnn.parameters.signature-defaults",
    statement=(
        "The constructors default to num_layers=1, bias=True, batch_first=False, dropout=0, "
        "bidirectional=False (proj_size=0 for LSTM, nonlinearity='tanh' for RNN)."
    ),
    kind="parameters",
    modules=LAYERS,
    sources=(
        Seed("002_10f18caa03c370d0.txt", "the three constructor signatures near the top", line=14),
        TorchDoc("torch.nn.RNN", "Args"),
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
    kind="parameters",
    modules=LAYERS,
    sources=(Seed("002_10f18caa03c370d0.txt", "the remark that RNN alone has the nonlinearity argument", line=18),),
)
@pytest.mark.parametrize("module", ("LSTM", "GRU"))
def test_nonlinearity_only_rnn(module):
    assert torch.nn.RNN(3, 4, nonlinearity="relu").nonlinearity == "relu"
    with pytest.raises(TypeError):
        getattr(torch.nn, module)(3, 4, nonlinearity="relu")


@claim(
    id="rnn.parameters.dropout-probability",
    statement="dropout is a probability in [0, 1] stored as given, not an on/off switch.",
    kind="parameters",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "dropout") for m in LAYERS),
    erratum=Erratum(
        "002_10f18caa03c370d0.txt",
        "the argument list after the constructor signatures",
        "dropout is glossed as whether the layer has dropout, a yes/no switch",
        line=25,
    ),
)
@pytest.mark.parametrize("module", LAYERS)
@pytest.mark.parametrize("p", (0.0, 0.3, 1.0))
def test_dropout_probability(module, p):
    assert getattr(torch.nn, module)(3, 4, num_layers=2, dropout=p).dropout == p
