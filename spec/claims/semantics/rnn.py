"""Semantics of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from reference.common.states import map_state
from reference.oracle.layers import forward as reference_forward
from spec import implementations
from spec.helpers.api import api
from spec.helpers.modules import both, fixed_randn, hidden_of, torch_view
from spec.helpers.onnx_oracle import MISSING, onnx_run
from spec.helpers.probes import BIAS, assert_probe_carries, deep_dropout_probe
from spec.helpers.strategies import (
    LAYERS,
    Config,
    batched,
    configs,
    describe,
)
from spec.helpers.tolerances import assert_close, dropout_precision
from spec.registry import CONTRACT, Erratum, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS, S000, S001, S002, S003

float_dtypes = st.sampled_from(("float64", "float32"))


@claim(
    id="rnn.semantics.matches-reference",
    scope=CONTRACT,
    statement=(
        "For every configuration (layers, directions, batch_first, bias, relu, proj_size; float64 and "
        "float32) output, h_n and c_n equal a from-scratch implementation of the documented equations."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "num_layers", "bias", "bidirectional"),
        *torch_docs(LAYER_DOCS, "Outputs", "output", "h_n"),
        *torch_docs(LAYER_DOCS, "Description", "to an input sequence", "is the hidden state at time"),
        TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),
        TorchDoc("torch.nn.LSTM", "Args", "proj_size"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        TorchDoc("torch.nn.LSTM", "Description", "If ``proj_size > 0``"),
        TorchDoc("torch.nn.GRU", "Note", "subtly differs from the original paper"),
        Seed(S003, "0x02: GRU and LSTM gate equations; 2.4 deep RNN; 2.5 bidirectional RNN", line=83),
        Seed(S000, "RNN, LSTM and GRU cell diagrams at the top", line=9),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
@given(data=st.data())
def test_matches_reference(mode, data, device):
    # one hypothesis run per module kind: the thorough profile compares 250 configurations of each
    cfg = data.draw(configs(modes=st.just(mode), batch=batched, dtype=float_dtypes), label="cfg")
    actual, expected = both(cfg, device)
    assert_close(actual, expected, cfg.repro(device))


@claim(
    id="rnn.semantics.unbatched-matches-reference",
    scope=CONTRACT,
    statement="An unbatched 2-D input computes exactly what the same sequence computes as a batch of one.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Inputs", "input"),),
    torch=">=1.11",
)
@given(cfg=configs(batch=st.none()))
def test_unbatched_matches_reference(cfg, device):
    actual, expected = both(cfg, device)
    assert_close(actual, expected, cfg.repro(device))


@claim(
    id="rnn.semantics.output-is-last-layer-states",
    scope=CONTRACT,
    statement=(
        "output holds the last layer's hidden state at every step: output[-1] equals h_n[-1] "
        "one-directional, and bidirectional output[-1, :, :H] equals h_n[-2] while output[0, :, H:] "
        "equals h_n[-1]."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Outputs", "output", "h_n"),
        *torch_docs(LAYER_DOCS, "Note", "directions 0 and 1"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        TorchDoc("torch.nn.LSTM", "Note", "is not equivalent to the last element"),
        Seed(S000, "IMDB classifier: cat of hidden[-2] and hidden[-1]", line=30),
        Seed(S002, "printed out[:, -1] rows equal the last layer's h rows", line=110),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)))
def test_output_is_last_layer_states(cfg, device):
    m = cfg.build(device)
    with torch.no_grad():
        out, state = m(cfg.input(device))
    h_n = state[0] if isinstance(state, tuple) else state
    H = cfg.out_size
    if cfg.bidirectional:
        assert torch.equal(out[-1, :, :H], h_n[-2]), (
            f"output[-1, :, :H] {out[-1, :, :H].tolist()} against h_n[-2] {h_n[-2].tolist()}: {cfg.repro(device)}"
        )
        assert torch.equal(out[0, :, H:], h_n[-1]), (
            f"output[0, :, H:] {out[0, :, H:].tolist()} against h_n[-1] {h_n[-1].tolist()}: {cfg.repro(device)}"
        )
    else:
        assert torch.equal(out[-1], h_n[-1]), (
            f"output[-1] {out[-1].tolist()} against h_n[-1] {h_n[-1].tolist()}: {cfg.repro(device)}"
        )


@claim(
    id="rnn.semantics.output-excludes-initial-state",
    scope=CONTRACT,
    statement=(
        "output[t] is the last layer's state after input t: output has one entry per input step, output[t] "
        "equals h_n[-1] of the run over the first t + 1 inputs, and the initial state h0 is not among them."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.nn.RNN", "Outputs", "output"), TorchDoc("torch.nn.RNN", "Outputs", "h_n")),
    erratum=Erratum(
        Seed(S000, "the out shape line under nn.RNN", line=19),
        says=(
            "lists out as the hidden states h0, h1, ..., h0 being its name one line earlier for the initial state; "
            "out holds the states after each word, and not the initial one"
        ),
    ),
    targets=("eager",),  # runs over prefixes of the sequence: an exported or ONNX graph has one static length
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), bidirectional=st.just(False), seq=st.integers(2, 4)))
def test_output_excludes_initial_state(cfg, device):
    describe(cfg, device)
    m, x = cfg.build(device), cfg.input(device)
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    state0 = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if cfg.mode == "LSTM" else h0
    with torch.no_grad():
        out, _ = m(x, state0)
        assert out.shape[0] == cfg.seq, f"{out.shape[0]} output steps against {cfg.seq} inputs"
        for t in range(cfg.seq):
            _, state = m(x[: t + 1], state0)
            assert_close(out[t], hidden_of(state)[-1], f"step {t}: {cfg.repro(device)}")
            assert not torch.allclose(out[t], h0[-1]), f"output[{t}] is the initial state"


@claim(
    id="rnn.semantics.bidirectional-is-two-passes",
    scope=CONTRACT,
    statement=(
        "A bidirectional layer equals a forward layer on the sequence concatenated with a second layer "
        "(the _reverse weights) run over the reversed sequence and flipped back."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "bidirectional"),
        *torch_docs(LAYER_DOCS, "Note", "directions 0 and 1"),
        Seed(S003, "2.5 bidirectional RNN", line=128),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), bidirectional=st.just(True), num_layers=st.just(1)))
def test_bidirectional_is_two_passes(cfg, device):
    describe(cfg, device)
    bi = cfg.build(device)
    one = cfg.with_(bidirectional=False)
    fwd, bwd = one.build(device), one.build(device)
    with torch.no_grad():  # by torch's names, through the torch twins (the implementation may name them otherwise)
        targets = {False: torch_view(fwd), True: torch_view(bwd)}  # taken once: a write is kept until refresh
        for name, p in torch_view(bi).named_parameters():
            getattr(targets[name.endswith("_reverse")], name.replace("_reverse", "")).copy_(p)
        implementations.refresh(fwd)
        implementations.refresh(bwd)
        x = cfg.input(device)
        out, _ = bi(x)
        out_f, _ = fwd(x)
        out_b, _ = bwd(x.flip(0))
    assert_close(out, torch.cat([out_f, out_b.flip(0)], dim=-1), cfg.repro(device))


@claim(
    id="rnn.semantics.relu-nonnegative-unbounded",
    scope=CONTRACT,
    statement=(
        "nonlinearity='relu' makes every output non-negative and unbounded (it grows with the input), "
        "where tanh keeps every output strictly inside (-1, 1)."
    ),
    modules=("RNN",),
    sources=(TorchDoc("torch.nn.RNN", "Args", "nonlinearity"), Seed(S002, "nonlinearity: tanh or relu", line=18)),
)
@given(cfg=configs(modes=st.just("RNN"), batch=batched, bias=st.just(False)))
def test_relu_unbounded(cfg, device):
    describe(cfg, device)
    x = cfg.input(device)
    with torch.no_grad():
        relu = cfg.with_(nonlinearity="relu").build(device)
        tanh = cfg.with_(nonlinearity="tanh").build(device)
        small, _ = relu(x)
        big, _ = relu(1000 * x)
        bounded, _ = tanh(1000 * x)
    assert small.min() >= 0 and big.min() >= 0, (
        f"relu outputs down to {small.min().item()} and, for 1000 x, {big.min().item()}: not >= 0"
    )
    # |tanh| < 1 in exact arithmetic; 1.0 after rounding
    assert bounded.abs().max() <= 1, f"tanh output reaches {bounded.abs().max().item()}, beyond 1"
    # without bias relu is positively homogeneous, so scaling the input scales the output
    assert_close(big, 1000 * small, cfg.repro(device))


@claim(
    id="rnn.semantics.example-rnn-4-2",
    scope=CONTRACT,
    statement=(
        "nn.RNN(4, 2) over a [3, 1, 4] sequence with zeros(1, 1, 2) returns out [3, 1, 2] and hidden "
        "[1, 1, 2], and the last row of out is hidden."
    ),
    modules=("RNN",),
    sources=(
        Seed(S001, "2. RNN: the RNN(input_size=4, hidden_size=2) example and its printed out and hidden", line=64),
    ),
)
def test_rnn_4_2(device):
    rnn = api.RNN(input_size=4, hidden_size=2).to(device)
    out, hidden = rnn(fixed_randn(device, 3, 1, 4, seed=7), torch.zeros(1, 1, 2, device=device))
    assert (tuple(out.shape), tuple(hidden.shape)) == ((3, 1, 2), (1, 1, 2)), (
        f"out, hidden {tuple(out.shape)}, {tuple(hidden.shape)} against (3, 1, 2), (1, 1, 2)"
    )
    assert torch.equal(out[-1], hidden[0]), f"out[-1] {out[-1].tolist()} against hidden[0] {hidden[0].tolist()}"


@claim(
    id="rnn.semantics.dropout-eval-off",
    scope=CONTRACT,
    statement="In eval mode dropout does nothing: the module equals the reference without dropout, call after call.",
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "dropout"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "In a multilayer"),
        Seed(S000, "IMDB model: LSTM(..., dropout=0.5) evaluated with rnn.eval()", line=30),
    ),
)
@given(cfg=configs(batch=batched, num_layers=st.integers(2, 3)), p=st.sampled_from((0.3, 0.5, 1.0)))
def test_eval_off(cfg, p, device):
    cfg = cfg.with_(dropout=p)
    describe(cfg, device)
    m, x = cfg.build(device).eval(), cfg.input(device)
    with torch.no_grad():
        first, second, ref = m(x), m(x), reference_forward(torch_view(m), x)
    assert_close(first, ref, cfg.repro(device))
    assert_close(second, first, "a second eval call")


@claim(
    id="rnn.semantics.dropout-one-layer-inert",
    scope=CONTRACT,
    statement="With one layer there is nowhere to drop: train mode with dropout gives exactly the eval result.",
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "dropout"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "In a multilayer"),
    ),
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
    scope=CONTRACT,
    statement=(
        "In train mode dropout acts on what each layer passes to the next: with p=1 every layer above the first "
        "(the second and the third of three) sees zeros, while the first layer's outputs and final state are "
        "untouched."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "dropout"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "In a multilayer"),
        Seed(S002, "the dropout argument of the three constructors", line=14),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_between_layers(mode, device):
    # three layers: the dropout between layers 2 and 3 is seen as well as the one between layers 1 and 2
    cfg = Config(mode=mode, num_layers=3, dropout=1.0, seq=4)
    m, x = cfg.build(device).train(), cfg.input(device)
    singles = [
        cfg.with_(num_layers=1, dropout=0.0, input_size=cfg.input_size if k == 0 else cfg.hidden_size).build(device)
        for k in range(3)
    ]
    zeros = torch.zeros(cfg.seq, cfg.batch, cfg.hidden_size, dtype=x.dtype, device=device)
    with torch.no_grad():  # layer k's weights into single k, by torch's names through the torch twins (the
        source = torch_view(m)  # implementation may name and lay them out otherwise)
        for k, single in enumerate(singles):
            for name, p in torch_view(single).named_parameters():
                p.copy_(getattr(source, name.replace("_l0", f"_l{k}")))
            implementations.refresh(single)
        out, state = m(x)
        alone = [single(x if k == 0 else zeros) for k, single in enumerate(singles)]  # layers 2 and 3 on zeros
    h = hidden_of(state)
    assert_close(out, alone[2][0], "the top layer ran on zeros")
    for k in range(3):
        assert_close(h[k : k + 1], hidden_of(alone[k][1]), f"layer {k + 1}'s final state (layer 1 untouched)")


@claim(
    id="rnn.semantics.onnx-oracle",
    scope=CONTRACT,
    statement=(
        "An ONNX LSTM or GRU node built from a one-layer module's weights (gates reordered to ONNX's i, o, f, c "
        "and z, r, h; linear_before_reset=1 for the GRU) computes the module's output and state, and so does "
        "the from-scratch reference."
    ),
    modules=("LSTM", "GRU"),
    sources=(
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "to an input sequence"),
        TorchDoc("torch.nn.GRU", "Note", "subtly differs from the original paper"),
        Seed(S003, "2.2 GRU and 2.3 LSTM", line=110),
    ),
)
@pytest.mark.skipif(MISSING is not None, reason=str(MISSING))
@given(
    cfg=configs(
        modes=st.sampled_from(("LSTM", "GRU")),
        num_layers=st.just(1),
        batch_first=st.just(False),
        batch=batched,
        bias=st.just(True),
        proj=st.just(False),
        dtype=st.just("float32"),
    )
)
def test_onnx_oracle(cfg):
    describe(cfg)
    m, x = cfg.build("cpu"), cfg.input("cpu")
    with torch.no_grad():
        by_torch, by_reference = m(x), reference_forward(torch_view(m), x)
    by_onnx = onnx_run(torch_view(m), x)  # the ONNX node is built from the weights, read by torch's names
    assert_close(by_onnx, by_torch, f"onnxruntime against torch: {cfg.repro()}")
    assert_close(by_onnx, by_reference, f"onnxruntime against the reference: {cfg.repro()}")


@claim(
    id="rnn.semantics.initial-state-matches-reference",
    scope=CONTRACT,
    statement=(
        "A non-zero h_0 (and c_0) on multi-layer bidirectional modules, with and without projections, is read "
        "row k*D + d for layer k and direction d, the order of h_n: output and state equal the reference's."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(LAYER_DOCS, "Description", "is the hidden state at time"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
    ),
)
@pytest.mark.parametrize(
    "cfg",
    [
        Config(mode="RNN", num_layers=3, bidirectional=True, nonlinearity="relu"),
        Config(mode="GRU", num_layers=2, bidirectional=True, batch_first=True),
        Config(mode="LSTM", num_layers=2, bidirectional=True),
        Config(mode="LSTM", num_layers=3, bidirectional=True, proj_size=2, hidden_size=5),
    ],
    ids=repr,
)
def test_initial_state_matches_reference(cfg, device):
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    hx = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if cfg.mode == "LSTM" else h0
    actual, expected = both(cfg, device, hx=hx)
    assert_close(actual, expected, cfg.repro())
    # row 1 is layer 0's backward direction: changing it leaves layer 0's forward half of a 1-layer output alone
    one = cfg.with_(num_layers=1)
    m, x = one.build(device), one.input(device)
    h = map_state(lambda s: s[:2].clone(), hx)
    bumped = map_state(lambda s: torch.cat([s[:1], s[1:] + 1]), h)
    with torch.no_grad():
        out, out_bumped = m(x, h)[0], m(x, bumped)[0]
    first_step = (slice(None), 0) if one.batch_first else (0,)
    assert torch.equal(out[..., : one.out_size], out_bumped[..., : one.out_size]), (
        f"bumping h0's backward row changed the forward half of the output: {one.repro(device)}"
    )
    assert not torch.equal(out[first_step][..., one.out_size :], out_bumped[first_step][..., one.out_size :]), (
        f"bumping h0's backward row left the backward half of output at step 0 as it was: {one.repro(device)}"
    )


@claim(
    id="rnn.semantics.dropout-rate",
    scope=CONTRACT,
    statement=(
        "In train mode with 0 < p < 1 each element a layer passes to the next (from the first to the second, and "
        "from the second to the third) is zeroed with probability p and the others are scaled by 1/(1 - p), so "
        "the expectation is unchanged."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "dropout"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "In a multilayer"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
@pytest.mark.parametrize("p", (0.2, 0.5, 0.8))
def test_dropout_rate(mode, p, device):
    # three layers (deep_dropout_probe): the dropout between layers 2 and 3 alone, then both in turn, then the one
    # between layers 1 and 2 read from h_n; each against its rate and the value phi of the scaled constant
    half, seq, batch = 40, 10, 20
    assert_probe_carries(mode, half, device)  # else a gate fault would read as a drop rate
    m, phi = deep_dropout_probe(mode, p, half, device)
    x = torch.zeros(seq, batch, 2 * half, dtype=torch.float64, device=device)
    with torch.random.fork_rng(devices=[] if device == "cpu" else [torch.device(device)]):
        torch.manual_seed(17)
        with torch.no_grad():
            out, state = m(x)
    h = hidden_of(state)
    c = phi(torch.tensor(BIAS, dtype=torch.float64))  # the constant a bias-only unit emits
    scale = 1 / (1 - p)
    precision = dropout_precision(device, out.dtype)  # cuDNN scales in float32
    for what, got, rate, kept_value in (
        ("between layers 2 and 3", out[..., half:], p, phi(c * scale)),
        ("between layers 1 and 2, then 2 and 3", out[..., :half], 1 - (1 - p) ** 2, phi(phi(c * scale) * scale)),
        ("between layers 1 and 2 (layer 2's h_n)", h[1, :, :half], p, phi(c * scale)),
    ):
        kept = got != 0
        expected = torch.full_like(got[kept], kept_value.item())
        assert_close(got[kept].to(precision), expected.to(precision), f"{mode} p={p} {what}", tf32=False)
        # n independent Bernoulli(rate) drops (n = 8,000 for the outputs, 800 for h_n): the zero fraction lies
        # within 6 standard deviations of the rate except with probability < 2e-9; the seed makes it repeatable
        n, dropped = got.numel(), 1 - kept.double().mean().item()
        assert abs(dropped - rate) <= 6 * math.sqrt(rate * (1 - rate) / n), f"{mode} p={p} {what}: {dropped:.4f}"
    # layer 2's second half emits its constant whatever dropout did to its input
    assert_close(h[1, :, half:], torch.full_like(h[1, :, half:], c.item()), "layer 2's bias-only units")


@claim(
    id="rnn.semantics.dropout-seeded",
    scope=CONTRACT,
    statement=(
        "Dropout in train mode draws from torch's global generator: the same torch.manual_seed before the call "
        "gives the same output, another seed a different one."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "dropout"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Description", "In a multilayer"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_dropout_seeded(mode, device):
    cfg = Config(mode=mode, num_layers=2, dropout=0.5, hidden_size=6, seq=4)
    m, x = cfg.build(device).train(), cfg.input(device)

    def call(seed):
        with torch.random.fork_rng(devices=[] if device == "cpu" else [torch.device(device)]):
            torch.manual_seed(seed)
            with torch.no_grad():
                return m(x)

    first, again, other = call(5), call(5), call(6)
    assert_close(again, first, "the same seed")
    assert not torch.equal(other[0], first[0]), f"{mode}: dropout under seeds 5 and 6 gives the same output"


@claim(
    id="rnn.semantics.unbatched-state",
    scope=CONTRACT,
    statement=(
        "An unbatched 2-D input takes a 2-D initial state [num_layers*D, H_out] (for LSTM a pair with c_0 "
        "[num_layers*D, hidden_size]) and computes what the batch of one computes from it; a 3-D state with "
        "unbatched input is a RuntimeError."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
    ),
    torch=">=1.11",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_unbatched_state(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, batch=None, proj_size=2 if mode == "LSTM" else 0)
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5)
    hx = (h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6)) if mode == "LSTM" else h0
    actual, expected = both(cfg, device, hx=hx)
    assert_close(actual, expected, cfg.repro())
    with pytest.raises(RuntimeError, match="2-D"):
        cfg.build(device)(cfg.input(device), map_state(lambda s: s.unsqueeze(1), hx))
