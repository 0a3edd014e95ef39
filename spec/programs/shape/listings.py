"""Shapes the sources' listings print, replayed as written (reference/programs/listings)."""

from __future__ import annotations

import torch

from reference.programs.listings import s000, s001
from spec.registry import Seed, claim
from spec.sources.seeds import S000, S001


@claim(
    id="listings.shape.s000-main",
    statement=(
        "000's main() runs as written and prints what its comments say: RNN(100, 20) with out [10, 3, 20] and h "
        "[1, 3, 20], RNN(100, 20, num_layers=4) with h [4, 3, 20], [3, 20] after each RNNCell and LSTMCell loop "
        "(the LSTMCell state passed as a list), and the 4-layer LSTM's out [10, 3, 20] with h and c [4, 3, 20]."
    ),
    modules=("training", "RNN", "LSTM", "RNNCell", "LSTMCell"),
    sources=(
        Seed(S000, "main(): the nn.RNN, RNNCell, nn.LSTM and LSTMCell examples and their commented output", line=22),
    ),
)
def test_s000_main():
    shown = s000.shapes_main()
    # the golden values are the listing's own comments (s000.COMMENTED), typed from the text, never from a run
    for step, commented in s000.COMMENTED.items():
        got = shown[step]
        if commented[0] is None:  # the listing shows no repr for this step
            commented, got = commented[1:], got[1:]
        assert got == commented, f"{step}: prints {got}, the comment says {commented}"
    # the loops the comments leave unstated: every state ends [3, 20], the second layer's size (by hand)
    assert shown["rnn-cell"] == shown["rnn-cells-stacked"] == (3, 20), (
        f"rnn-cell {shown['rnn-cell']}, rnn-cells-stacked {shown['rnn-cells-stacked']}: not (3, 20)"
    )
    assert shown["lstm-cells-stacked"] == ((3, 20), (3, 20)), (
        f"lstm-cells-stacked {shown['lstm-cells-stacked']}: not (3, 20) twice"
    )


@claim(
    id="listings.shape.s001-shapes",
    statement=(
        "001's first two listings run as written and print what it shows: per RNNCell(4, 2) step an input "
        "[1, 4], weight_ih [2, 4], bias_ih [2], an output [1, 2], weight_hh [2, 2] and bias_hh [2]; and "
        "nn.RNN(4, 2) gives out [3, 1, 2] and hidden [1, 1, 2], hidden being out's last step."
    ),
    modules=("training", "RNNCell", "RNN"),
    sources=(
        Seed(S001, "1. RNNcell: the shapes printed per step", line=33),
        Seed(S001, "2. RNN: out size [3, 1, 2] and hidden size [1, 1, 2]", line=72),
    ),
)
def test_s001_shapes():
    *steps, hidden = s001.cell_shapes()
    printed = {  # typed from the document's printed output (lines 34-43)
        "input": (1, 4),
        "weight_ih": (2, 4),
        "bias_ih": (2,),
        "output": (1, 2),
        "weight_hh": (2, 2),
        "bias_hh": (2,),
    }
    assert len(steps) == 3 and all(s == printed for s in steps), steps
    assert hidden.shape == (1, 2), f"hidden {tuple(hidden.shape)}, not (1, 2)"
    out, h = s001.rnn_shapes()
    assert (tuple(out.shape), tuple(h.shape)) == ((3, 1, 2), (1, 1, 2)), (
        f"out, h {tuple(out.shape)}, {tuple(h.shape)}: not (3, 1, 2), (1, 1, 2)"
    )
    assert torch.equal(out[-1], h[0]), "hidden is not out's last step"
