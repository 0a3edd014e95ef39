"""Shape of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import pytest
import torch
from hypothesis import example, given
from hypothesis import strategies as st

from spec.helpers.api import api
from spec.helpers.modules import expected_states, fixed_randn, run
from spec.helpers.strategies import (
    LAYERS,
    Config,
    batched,
    configs,
    state_shapes,
)
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, Erratum, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import LAYER_DOCS, S000, S002


@claim(
    id="rnn.shape.output-seq-first",
    scope=CONTRACT,
    statement=(
        "By default the output is [seq, batch, D*H_out] and h_n is [num_layers*D, batch, H_out], "
        "where D is 2 when bidirectional and H_out is proj_size when set, else hidden_size."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "hidden_size"),
        *torch_docs(LAYER_DOCS, "Inputs", "input"),
        *torch_docs(LAYER_DOCS, "Outputs", "output", "h_n"),
        *torch_docs(LAYER_DOCS, "Example", "Example"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        Seed(S000, "the x, h0/ht and out shape list under 'nn.RNN(input dim, hidden dim)'", line=16),
        Seed(S002, "the out.shape / hidden.shape breakdown after the LSTM(1, 5, 2) example", line=140),
    ),
    erratum=Erratum(
        Seed(S000, "the x, h0/ht and out shape list", line=17),
        says="h0/ht is [num layers, b, h-dim] and out is [seq len, b, h-dim], with no factor for directions",
    ),
)
@given(cfg=configs(batch_first=st.just(False), batch=batched))
@example(cfg=Config("LSTM", input_size=1, hidden_size=3, num_layers=3, bidirectional=True, proj_size=2, batch=1, seq=1))
@example(cfg=Config("GRU", input_size=6, hidden_size=1, num_layers=1, bias=False, batch=4, seq=5))
def test_output_seq_first(cfg, device):
    out, h = run(cfg, device)
    want = (cfg.seq, cfg.batch, cfg.dirs * cfg.out_size)
    assert tuple(out.shape) == want, f"output {tuple(out.shape)} against {want}: {cfg.repro(device)}"
    want = (cfg.num_layers * cfg.dirs, cfg.batch, cfg.out_size)
    assert state_shapes(h)[0] == want, f"h_n {state_shapes(h)[0]} against {want}: {cfg.repro(device)}"


@claim(
    id="rnn.shape.hn-batch-second",
    scope=CONTRACT,
    statement=(
        "batch_first=True makes input and output [batch, seq, ...] but leaves h_n (and c_n) "
        "as [num_layers*D, batch, H]."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Args", "batch_first"),
        *torch_docs(LAYER_DOCS, "Inputs", "input"),
        *torch_docs(LAYER_DOCS, "Outputs", "output", "h_n"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
        Seed(S002, "the closing note that the hidden state keeps batch in dim 1", line=145),
    ),
    erratum=Erratum(
        Seed(S002, "the sentence before the LSTM(1, 5, 2) example", line=35),
        says=(
            "under batch_first=True the current hidden state is (batch, seq_len, num_directions*hidden_size) "
            "and the previous one (batch, num_layers*num_directions, hidden_size)"
        ),
    ),
)
@given(cfg=configs(batch_first=st.just(True), batch=batched))
def test_hn_batch_second(cfg, device):
    out, h = run(cfg, device)
    want = (cfg.batch, cfg.seq, cfg.dirs * cfg.out_size)
    assert tuple(out.shape) == want, f"output {tuple(out.shape)} against {want}: {cfg.repro(device)}"
    assert state_shapes(h) == expected_states(cfg), (
        f"state {state_shapes(h)} against {expected_states(cfg)}: {cfg.repro(device)}"
    )


@claim(
    id="rnn.shape.unbatched",
    scope=CONTRACT,
    statement=(
        "A 2-D input [seq, input_size] is one unbatched sequence: output is [seq, D*H_out], "
        "h_n is [num_layers*D, H_out], and batch_first is ignored: the shapes the same sequence gets as a "
        "batch of one, less the batch dimension."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(LAYER_DOCS, "Inputs", "input"),
        *torch_docs(LAYER_DOCS, "Outputs", "output", "h_n"),
        *torch_docs(LAYER_DOCS, "Note", "ignored for unbatched inputs"),
        TorchDoc("torch.nn.LSTM", "Outputs", "c_n"),
    ),
    torch=">=1.11",
)
@given(cfg=configs(batch=st.none()))
def test_unbatched(cfg, device):
    out, h = run(cfg, device)
    want = (cfg.seq, cfg.dirs * cfg.out_size)
    assert tuple(out.shape) == want, f"unbatched output {tuple(out.shape)} against {want}: {cfg.repro(device)}"
    assert state_shapes(h) == expected_states(cfg), (
        f"unbatched state {state_shapes(h)} against {expected_states(cfg)}: {cfg.repro(device)}"
    )
    one = cfg.with_(batch=1)
    out1, h1 = run(one, device)
    want = one.input_shape()[:2] + (cfg.dirs * cfg.out_size,)
    assert tuple(out1.shape) == want, f"batch of 1: output {tuple(out1.shape)} against {want}: {one.repro(device)}"
    assert state_shapes(h1) == expected_states(one), (
        f"batch of 1: state {state_shapes(h1)} against {expected_states(one)}: {one.repro(device)}"
    )


@claim(
    id="rnn.shape.empty-batch",
    scope=CONTRACT,
    statement="A batch of zero sequences is accepted: output is [seq, 0, D*H_out] and h_n [num_layers*D, 0, H_out].",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Inputs", "input"),),
)
@given(cfg=configs(batch=st.just(0), batch_first=st.just(False)))
def test_empty_batch(cfg, device):
    out, h = run(cfg, device)
    want = (cfg.seq, 0, cfg.dirs * cfg.out_size)
    assert tuple(out.shape) == want, f"output {tuple(out.shape)} against {want}: {cfg.repro(device)}"
    assert state_shapes(h) == expected_states(cfg), (
        f"state {state_shapes(h)} against {expected_states(cfg)}: {cfg.repro(device)}"
    )


@claim(
    id="rnn.shape.example-rnn-100-20",
    scope=CONTRACT,
    statement=(
        "nn.RNN(100, 20) over x [10, 3, 100] with h0 = zeros(1, 3, 20) returns out [10, 3, 20] and h [1, 3, 20]; "
        "with num_layers=4 and h0 = zeros(4, 3, 20) out is still [10, 3, 20] and h is [4, 3, 20]."
    ),
    modules=("RNN",),
    sources=(
        TorchDoc("torch.nn.RNN", "Example", "Example"),
        Seed(S000, "the nn.RNN(input_size=100, hidden_size=20) example and its num_layers=4 variant", line=22),
    ),
)
@pytest.mark.parametrize("layers", [1, 4])
def test_rnn_100_20(layers, device):
    rnn = api.RNN(input_size=100, hidden_size=20, num_layers=layers).to(device)
    out, h = rnn(fixed_randn(device, 10, 3, 100, seed=7), torch.zeros(layers, 3, 20, device=device))
    assert (tuple(out.shape), tuple(h.shape)) == ((10, 3, 20), (layers, 3, 20)), (
        f"num_layers={layers}: out, h {tuple(out.shape)}, {tuple(h.shape)} against (10, 3, 20), ({layers}, 3, 20)"
    )


@claim(
    id="rnn.shape.example-batch-first-layout",
    scope=CONTRACT,
    statement=(
        "Under batch_first=True the LSTM(1, 5, 2) example's out is (batch, seq_len, num_directions*hidden_size) "
        "while h is (num_layers*num_directions, batch, hidden_size)."
    ),
    modules=("LSTM",),
    sources=(
        TorchDoc("torch.nn.LSTM", "Args", "batch_first"),
        Seed(S002, "the shape breakdown after the example", line=140),
    ),
    erratum=Erratum(
        Seed(S002, "the closing note on internal layout", line=145),
        says="inside the RNN the tensor layout is (input_size, batch, hidden_size); it is (seq_len, batch, features)",
    ),
)
def test_batch_first_layout(device):
    lstm = api.LSTM(1, 5, 2, batch_first=True).to(device)
    seq_first = api.LSTM(1, 5, 2).to(device)
    seq_first.load_state_dict(lstm.state_dict())
    xb = torch.rand(2, 3, 1, generator=torch.Generator().manual_seed(3)).to(device)
    with torch.no_grad():
        out_b, (h_b, _) = lstm(xb)
        out_s, (h_s, _) = seq_first(xb.transpose(0, 1))  # the same data laid out (seq_len, batch, input_size)
    assert tuple(out_b.shape) == (2, 3, 5) and tuple(h_b.shape) == (2, 2, 5), (
        f"out, h_n {tuple(out_b.shape)}, {tuple(h_b.shape)} against (2, 3, 5), (2, 2, 5)"
    )
    assert_close(out_b, out_s.transpose(0, 1), "batch_first output is the seq-first output transposed")
    assert_close(h_b, h_s, "h_n is the same tensor either way")
