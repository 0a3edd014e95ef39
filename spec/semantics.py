"""What nn.RNN / nn.LSTM / nn.GRU compute, against the from-scratch reference and by composition."""

from __future__ import annotations

import torch
from hypothesis import given, note
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from reference.layers import forward as reference_forward
from spec.registry import Seed, TorchDoc, claim
from spec.strategies import Config, batched, configs, describe
from spec.tolerances import assert_close

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
        Seed("003_d1ec100167748cfb.txt", "0x02: GRU and LSTM gate equations; 2.4 deep RNN; 2.5 bidirectional RNN"),
        Seed("000_0803d243ad727e4b.txt", "RNN, LSTM and GRU cell diagrams at the top"),
    ),
)
@given(cfg=configs(batch=batched, dtype=float_dtypes))
def test_matches_reference(cfg, device):
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
        Seed("000_0803d243ad727e4b.txt", "IMDB classifier: cat of hidden[-2] and hidden[-1]"),
        Seed("002_10f18caa03c370d0.txt", "printed out[:, -1] rows equal the last layer's h rows"),
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
        Seed("003_d1ec100167748cfb.txt", "2.5 bidirectional RNN"),
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


lengths_lists = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4)


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
