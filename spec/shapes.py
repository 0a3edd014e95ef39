"""Shapes of what nn.RNN / nn.LSTM / nn.GRU return, across the configuration space."""

from __future__ import annotations

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from spec.registry import Erratum, Seed, TorchDoc, claim
from spec.strategies import Config, batched, configs, describe, lengths_lists, state_shapes

LAYERS = ("RNN", "LSTM", "GRU")
OUTPUTS_DOC = tuple(TorchDoc(f"torch.nn.{m}", "Outputs") for m in LAYERS)


def run(cfg: Config, device: str):
    describe(cfg)
    with torch.no_grad():
        return cfg.build(device)(cfg.input(device))


def expected_states(cfg: Config) -> tuple:
    """h_n is [L*D, N, H_out]; an LSTM also returns c_n, [L*D, N, H] (never projected)."""
    h = cfg.state_shape()
    return (h, cfg.state_shape(cfg.hidden_size)) if cfg.mode == "LSTM" else (h,)


@claim(
    id="rnn.shape.output-seq-first",
    statement=(
        "By default the output is [seq, batch, D*H_out] and h_n is [num_layers*D, batch, H_out], "
        "where D is 2 when bidirectional and H_out is proj_size when set, else hidden_size."
    ),
    kind="shape",
    modules=LAYERS,
    sources=OUTPUTS_DOC
    + (
        Seed(
            "000_0803d243ad727e4b.txt", "the x, h0/ht and out shape list under 'nn.RNN(input dim, hidden dim)'", line=16
        ),
        Seed(
            "002_10f18caa03c370d0.txt",
            "the out.shape / hidden.shape breakdown after the LSTM(1, 5, 2) example",
            line=140,
        ),
    ),
    erratum=Erratum(
        "000_0803d243ad727e4b.txt",
        "the x, h0/ht and out shape list",
        "h0/ht is [num layers, b, h-dim] and out is [seq len, b, h-dim], with no factor for directions",
        line=17,
    ),
)
@given(cfg=configs(batch_first=st.just(False), batch=batched))
@example(cfg=Config("LSTM", input_size=1, hidden_size=3, num_layers=3, bidirectional=True, proj_size=2, batch=1, seq=1))
@example(cfg=Config("GRU", input_size=6, hidden_size=1, num_layers=1, bias=False, batch=4, seq=5))
def test_output_seq_first(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.seq, cfg.batch, cfg.dirs * cfg.out_size)
    assert state_shapes(h)[0] == (cfg.num_layers * cfg.dirs, cfg.batch, cfg.out_size)


@claim(
    id="rnn.shape.hn-batch-second",
    statement=(
        "batch_first=True makes input and output [batch, seq, ...] but leaves h_n (and c_n) "
        "as [num_layers*D, batch, H]."
    ),
    kind="shape",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "batch_first") for m in LAYERS)
    + (Seed("002_10f18caa03c370d0.txt", "the closing note that the hidden state keeps batch in dim 1", line=145),),
    erratum=Erratum(
        "002_10f18caa03c370d0.txt",
        "the sentence before the LSTM(1, 5, 2) example",
        "under batch_first=True the current hidden state is (batch, seq_len, num_directions*hidden_size) "
        "and the previous one (batch, num_layers*num_directions, hidden_size)",
        line=35,
    ),
)
@given(cfg=configs(batch_first=st.just(True), batch=batched))
def test_hn_batch_second(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.batch, cfg.seq, cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)


@claim(
    id="lstm.shape.state-pair",
    statement=(
        "LSTM returns its state as a pair (h_n, c_n): h_n is [num_layers*D, batch, H_out] and c_n is "
        "[num_layers*D, batch, hidden_size], also when proj_size narrows h."
    ),
    kind="shape",
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Outputs: output, (h_n, c_n)"),
        TorchDoc("torch.nn.LSTM", "proj_size"),
        Seed("000_0803d243ad727e4b.txt", "the 4-layer nn.LSTM example unpacking out, (h, c)", line=26),
        Seed("004_465858781a221de8.txt", "LSTM introduction: a memory cell shaped like the hidden state", line=9),
    ),
    erratum=Erratum(
        "003_d1ec100167748cfb.txt",
        "4.2: the comment in RNNmodel.begin_state",
        "nn.LSTM's hidden state is a dict; it is a tuple (h, c)",
        line=404,
    ),
)
@given(cfg=configs(modes=st.just("LSTM"), batch=batched))
def test_lstm_state_pair(cfg, device):
    _, state = run(cfg, device)
    assert isinstance(state, tuple) and len(state) == 2
    assert state_shapes(state) == expected_states(cfg)


@claim(
    id="rnn.shape.unbatched",
    statement=(
        "A 2-D input [seq, input_size] is one unbatched sequence: output is [seq, D*H_out], "
        "h_n is [num_layers*D, H_out], and batch_first is ignored."
    ),
    kind="shape",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: input (unbatched)") for m in LAYERS),
    torch=">=1.11",
)
@given(cfg=configs(batch=st.none()))
def test_unbatched(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.seq, cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)


@claim(
    id="rnn.errors.unbatched-rejected",
    statement="Before torch 1.11 a 2-D input is rejected with a RuntimeError asking for 3 dimensions.",
    kind="errors",
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: input") for m in LAYERS),
    torch="<1.11",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_unbatched_rejected(mode, device):
    cfg = Config(mode=mode, batch=None)
    with pytest.raises(RuntimeError, match="input must have 3 dimensions, got 2"):
        run(cfg, device)


@claim(
    id="rnn.shape.empty-batch",
    statement="A batch of zero sequences is accepted: output is [seq, 0, D*H_out] and h_n [num_layers*D, 0, H_out].",
    kind="shape",
    modules=LAYERS,
    sources=OUTPUTS_DOC,
)
@given(cfg=configs(batch=st.just(0), batch_first=st.just(False)))
def test_empty_batch(cfg, device):
    out, h = run(cfg, device)
    assert tuple(out.shape) == (cfg.seq, 0, cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)


@claim(
    id="packed.shape.output",
    statement=(
        "Given a PackedSequence, a module returns a PackedSequence with the same batch_sizes and data "
        "[sum(lengths), D*H_out]; h_n and c_n keep their batched shapes."
    ),
    kind="shape",
    modules=LAYERS + ("PackedSequence",),
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Outputs: output (packed sequence)") for m in LAYERS),
)
@given(cfg=configs(batch=batched, batch_first=st.just(False)), lengths=lengths_lists)
def test_packed_shapes(cfg, lengths, device):
    cfg = cfg.with_(batch=len(lengths), seq=max(lengths))
    describe(cfg)
    packed = pack_padded_sequence(cfg.input(device), torch.tensor(lengths), enforce_sorted=False)
    with torch.no_grad():
        out, h = cfg.build(device)(packed)
    assert isinstance(out, PackedSequence)
    assert torch.equal(out.batch_sizes, packed.batch_sizes)
    assert tuple(out.data.shape) == (sum(lengths), cfg.dirs * cfg.out_size)
    assert state_shapes(h) == expected_states(cfg)
