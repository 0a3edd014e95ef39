"""What nn.RNN / nn.LSTM / nn.GRU compute, against the from-scratch reference and by composition."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, note
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from reference.layers import forward as reference_forward
from spec.plugin import cuda_skip_reason
from spec.registry import Seed, TorchDoc, claim
from spec.strategies import Config, batched, configs, describe, lengths_lists
from spec.tolerances import assert_close, flat_tensors, tolerance

LAYERS = ("RNN", "LSTM", "GRU")
EQUATIONS_DOC = tuple(TorchDoc(f"torch.nn.{m}", "class docstring: the equations") for m in LAYERS)
float_dtypes = st.sampled_from(("float64", "float32"))


def both(cfg: Config, device: str, x=None, hx=None):
    """(torch's result, the reference's result) for one configuration."""
    describe(cfg)
    m = cfg.build(device)
    x = cfg.input(device) if x is None else x
    with torch.no_grad():
        return m(x, hx), reference_forward(m, x, hx)


@claim(
    id="rnn.semantics.matches-reference",
    statement=(
        "For every configuration (layers, directions, batch_first, bias, relu, proj_size; float64 and "
        "float32) output, h_n and c_n equal a from-scratch implementation of the documented equations."
    ),
    kind="semantics",
    modules=LAYERS,
    sources=EQUATIONS_DOC
    + (
        Seed(
            "003_d1ec100167748cfb.txt",
            "0x02: GRU and LSTM gate equations; 2.4 deep RNN; 2.5 bidirectional RNN",
            line=83,
        ),
        Seed("000_0803d243ad727e4b.txt", "RNN, LSTM and GRU cell diagrams at the top", line=9),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
@given(data=st.data())
def test_matches_reference(mode, data, device):
    # one hypothesis run per module kind: the thorough profile compares 250 configurations of each
    cfg = data.draw(configs(modes=st.just(mode), batch=batched, dtype=float_dtypes), label="cfg")
    actual, expected = both(cfg, device)
    assert_close(actual, expected, cfg.repro())


@claim(
    id="rnn.semantics.unbatched-matches-reference",
    statement="An unbatched 2-D input computes exactly what the same sequence computes as a batch of one.",
    kind="semantics",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: input (unbatched)") for m in LAYERS),
    torch=">=1.11",
)
@given(cfg=configs(batch=st.none()))
def test_unbatched_matches_reference(cfg, device):
    actual, expected = both(cfg, device)
    assert_close(actual, expected, cfg.repro())


@claim(
    id="rnn.semantics.output-is-last-layer-states",
    statement=(
        "output holds the last layer's hidden state at every step: output[-1] equals h_n[-1] "
        "one-directional, and bidirectional output[-1, :, :H] equals h_n[-2] while output[0, :, H:] "
        "equals h_n[-1]."
    ),
    kind="semantics",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Outputs: output, h_n") for m in LAYERS)
    + (
        Seed("000_0803d243ad727e4b.txt", "IMDB classifier: cat of hidden[-2] and hidden[-1]", line=30),
        Seed("002_10f18caa03c370d0.txt", "printed out[:, -1] rows equal the last layer's h rows", line=110),
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
        assert torch.equal(out[-1, :, :H], h_n[-2])
        assert torch.equal(out[0, :, H:], h_n[-1])
    else:
        assert torch.equal(out[-1], h_n[-1])


@claim(
    id="rnn.semantics.bidirectional-is-two-passes",
    statement=(
        "A bidirectional layer equals a forward layer on the sequence concatenated with a second layer "
        "(the _reverse weights) run over the reversed sequence and flipped back."
    ),
    kind="semantics",
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "bidirectional"),
        Seed("003_d1ec100167748cfb.txt", "2.5 bidirectional RNN", line=128),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False), bidirectional=st.just(True), num_layers=st.just(1)))
def test_bidirectional_is_two_passes(cfg, device):
    describe(cfg)
    bi = cfg.build(device)
    one = cfg.with_(bidirectional=False)
    fwd, bwd = one.build(device), one.build(device)
    with torch.no_grad():
        for name, p in bi.named_parameters():
            target = bwd if name.endswith("_reverse") else fwd
            getattr(target, name.replace("_reverse", "")).copy_(p)
        x = cfg.input(device)
        out, _ = bi(x)
        out_f, _ = fwd(x)
        out_b, _ = bwd(x.flip(0))
    assert_close(out, torch.cat([out_f, out_b.flip(0)], dim=-1), cfg.repro())


@claim(
    id="packed.semantics.matches-reference",
    statement=(
        "On a PackedSequence with unsorted lengths each sequence is processed only up to its own "
        "length, and h_n holds each sequence's last valid step in the original batch order."
    ),
    kind="semantics",
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "enforce_sorted"),
        TorchDoc("torch.nn.LSTM", "Inputs: input (packed variable length sequence)"),
    ),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)), lengths=lengths_lists)
def test_packed_matches_reference(cfg, lengths, device):
    cfg = cfg.with_(batch=len(lengths), seq=max(lengths))
    note(f"lengths={lengths}")
    packed = pack_padded_sequence(cfg.input(device), torch.tensor(lengths), enforce_sorted=False)
    actual, expected = both(cfg, device, x=packed)
    assert_close(actual, expected, f"{cfg.repro()} lengths={lengths}")
    # and h_n of the last layer's forward direction is the output at each sequence's last step
    padded, got_lengths = pad_packed_sequence(actual[0])
    assert got_lengths.tolist() == lengths
    h_n = actual[1][0] if isinstance(actual[1], tuple) else actual[1]
    last = torch.stack([padded[n - 1, b, : cfg.out_size] for b, n in enumerate(lengths)])
    assert torch.equal(last, h_n[-cfg.dirs])


def gate_bias(module, gate: int, value: float) -> None:
    """Set one gate's block of bias_hh_l0 (torch stacks gate blocks along dim 0)."""
    h = module.hidden_size
    with torch.no_grad():
        module.bias_hh_l0[gate * h : (gate + 1) * h] = value
        module.bias_ih_l0[gate * h : (gate + 1) * h] = 0.0


one_layer_gru = configs(
    modes=st.just("GRU"),
    batch=batched,
    batch_first=st.just(False),
    num_layers=st.just(1),
    bidirectional=st.just(False),
    bias=st.just(True),
)
GRU_SOURCES = (
    TorchDoc("torch.nn.GRU", "class docstring: r_t, z_t, n_t, h_t"),
    Seed("003_d1ec100167748cfb.txt", "2.1 Gate: reset helps short-term, update long-term dependencies", line=107),
)


@claim(
    id="gru.semantics.update-gate-copies-state",
    statement="When the update gate z saturates at 1 a GRU copies its state: h_t = h_(t-1) at every step.",
    kind="semantics",
    modules=("GRU",),
    sources=GRU_SOURCES,
)
@given(cfg=one_layer_gru)
def test_gru_update_gate_copies_state(cfg, device):
    describe(cfg)
    m = cfg.build(device)
    gate_bias(m, gate=1, value=1e4)  # z = sigmoid(>= 1e4 - |...|) == 1 in float64
    h0 = cfg.randn(1, cfg.batch, cfg.hidden_size, device=device, salt=3)
    with torch.no_grad():
        out, h_n = m(cfg.input(device), h0)
    # torch computes h' = n + z*(h - n): exact in exact arithmetic at z = 1, within rounding in floats
    assert_close(h_n, h0, cfg.repro())
    assert_close(out, h0.expand_as(out).contiguous(), cfg.repro())


@claim(
    id="gru.semantics.reset-gate-drops-history",
    statement=(
        "When the reset gate r is 0 and the update gate z is 0 a GRU forgets its past: "
        "h_t = tanh(W_in x_t + b_in) whatever h_(t-1) was."
    ),
    kind="semantics",
    modules=("GRU",),
    sources=GRU_SOURCES,
)
@given(cfg=one_layer_gru)
def test_gru_reset_gate_drops_history(cfg, device):
    describe(cfg)
    m = cfg.build(device)
    gate_bias(m, gate=0, value=-1e4)  # r = 0
    gate_bias(m, gate=1, value=-1e4)  # z = 0
    x = cfg.input(device)
    h0 = cfg.randn(1, cfg.batch, cfg.hidden_size, device=device, salt=3)
    with torch.no_grad():
        out, _ = m(x, h0)
        out_other, _ = m(x, -h0)
        w_in = m.weight_ih_l0[2 * cfg.hidden_size :]
        b_in = m.bias_ih_l0[2 * cfg.hidden_size :]
    assert_close(out, out_other, "h_0 no longer matters")
    assert_close(out, torch.tanh(x @ w_in.T + b_in), cfg.repro())


@claim(
    id="rnn.semantics.relu-nonnegative-unbounded",
    statement=(
        "nonlinearity='relu' makes every output non-negative and unbounded (it grows with the input), "
        "where tanh keeps every output strictly inside (-1, 1)."
    ),
    kind="semantics",
    modules=("RNN",),
    sources=(
        TorchDoc("torch.nn.RNN", "nonlinearity"),
        Seed("002_10f18caa03c370d0.txt", "nonlinearity: tanh or relu", line=18),
    ),
)
@given(cfg=configs(modes=st.just("RNN"), batch=batched, bias=st.just(False)))
def test_relu_unbounded(cfg, device):
    describe(cfg)
    x = cfg.input(device)
    with torch.no_grad():
        relu = cfg.with_(nonlinearity="relu").build(device)
        tanh = cfg.with_(nonlinearity="tanh").build(device)
        small, _ = relu(x)
        big, _ = relu(1000 * x)
        bounded, _ = tanh(1000 * x)
    assert small.min() >= 0 and big.min() >= 0
    assert bounded.abs().max() <= 1  # |tanh| < 1 in exact arithmetic; 1.0 after rounding
    # without bias relu is positively homogeneous, so scaling the input scales the output
    assert_close(big, 1000 * small, cfg.repro())


@claim(
    id="lstm.semantics.h-bounded-c-unbounded",
    statement=(
        "Without projection an LSTM's |h| <= |tanh(c)| < 1 elementwise, while the cell state c is unbounded: "
        "with the forget and input gates open it accumulates past 1."
    ),
    kind="semantics",
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "class docstring: c_t and h_t"),
        Seed("004_465858781a221de8.txt", "the LSTM gate equations: memory cell and hidden state", line=9),
        Seed("003_d1ec100167748cfb.txt", "2.3 LSTM", line=116),
    ),
)
@given(
    cfg=configs(
        modes=st.just("LSTM"),
        batch=batched,
        num_layers=st.just(1),
        bidirectional=st.just(False),
        proj=st.just(False),
        seq=st.just(5),
        bias=st.just(True),
    )
)
def test_lstm_h_bounded(cfg, device):
    describe(cfg)
    m = cfg.build(device)
    with torch.no_grad():
        _, (h, c) = m(cfg.input(device))
        assert (h.abs() <= torch.tanh(c).abs()).all()
        for gate, value in ((0, 1e4), (1, 1e4), (2, 1e4)):  # i = f = 1, g = 1: c_t = c_(t-1) + 1
            gate_bias(m, gate=gate, value=value)
        _, (h, c) = m(cfg.input(device))
    assert_close(c, torch.full_like(c, float(cfg.seq)), "c counts the steps")
    assert (h.abs() < 1).all()


@claim(
    id="gru.semantics.state-bounded",
    statement=(
        "A GRU started from a state in [-1, 1] never leaves it, whatever its weights and the scale of its input "
        "(up to rounding): each step mixes the old state with a tanh candidate through a gate in (0, 1); "
        "started outside, the state is not clipped."
    ),
    kind="semantics",
    modules=("GRU",),
    sources=(
        Seed(
            "003_d1ec100167748cfb.txt",
            "2.1 Gate: sigmoid gates in (0, 1), tanh keeps the candidate in (-1, 1)",
            line=101,
        ),
        TorchDoc("torch.nn.GRU", "class docstring: h_t = (1 - z_t) * n_t + z_t * h_(t-1)"),
    ),
)
@given(cfg=configs(modes=st.just("GRU"), batch=batched), scale=st.sampled_from((1.0, 50.0)))
def test_gru_state_bounded(cfg, scale, device):
    describe(cfg)
    m = cfg.build(device)
    rows = cfg.num_layers * (2 if cfg.bidirectional else 1)
    h0 = torch.tanh(cfg.randn(rows, cfg.batch, cfg.hidden_size, device=device, salt=3))  # inside [-1, 1]
    with torch.no_grad():
        out, h_n = m(cfg.input(device) * scale, h0)
    slack = 1 + 4 * torch.finfo(out.dtype).eps  # n + z*(h - n) in floating point: a few roundings
    assert out.abs().max() <= slack and h_n.abs().max() <= slack, cfg.repro()
    if cfg.num_layers == 1 and not cfg.bidirectional and cfg.bias:
        gate_bias(m, gate=1, value=1e4)  # z = 1: the state is copied, so one started at 5 stays at 5
        with torch.no_grad():
            _, h_n = m(cfg.input(device), torch.full_like(h0, 5.0))
        assert_close(h_n, torch.full_like(h_n, 5.0), cfg.repro())


@claim(
    id="rnn.numerics.cpu-matches-cuda",
    statement=(
        "The same module and input give the same output and state on cuda as on cpu: to float64 rounding, "
        "to float32 rounding with TF32 off, and within TF32's 10-bit mantissa with it on."
    ),
    kind="numerics",
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "allow_tf32"), TorchDoc("torch.nn.LSTM", "class docstring: cuDNN note")),
)
@pytest.mark.skipif(cuda_skip_reason() is not None, reason=str(cuda_skip_reason()))
@pytest.mark.parametrize(("dtype", "tf32"), [("float64", False), ("float32", False), ("float32", True)])
@given(cfg=configs(batch=batched))
def test_cpu_matches_cuda(cfg, dtype, tf32):
    cfg = cfg.with_(dtype=dtype)
    describe(cfg)
    flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    try:
        with torch.no_grad():
            on_cpu = cfg.build("cpu")(cfg.input("cpu"))
            on_cuda = cfg.build("cuda")(cfg.input("cuda"))
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags
    tol = tolerance("cuda", cfg.torch_dtype, tf32=tf32)
    for got, want in zip(flat_tensors(on_cuda), flat_tensors(on_cpu)):
        excess = (got.cpu() - want).abs() - (tol["atol"] + tol["rtol"] * want.abs())
        assert excess.max() <= 0, f"{cfg.repro()} (tf32={tf32}): off by up to {excess.max().item():.3g} beyond {tol}"
