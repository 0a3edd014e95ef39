"""Errors: what the layers, cells and packing functions reject, and how, release by release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from spec.helpers.modules import fixed_randn, run
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
    Config,
)
from spec.registry import Erratum, Seed, TorchDoc, claim, in_range, not_applicable


@dataclass(frozen=True)
class Outcome:
    torch: str = ""  # PEP 440 range; "" is every release
    raises: Any = None  # exception type (or tuple); None means the call is accepted
    match: Optional[str] = None  # regex searched in the message


@dataclass(frozen=True)
class Case:
    name: str
    call: Callable[[str], Any]  # device -> result
    outcomes: tuple

    def param(self):
        return pytest.param(self, id=self.name)


def outcome_for(outcomes, version: str) -> Optional[Outcome]:
    """The first outcome whose torch range holds ``version``; None when no outcome is recorded for it."""
    return next((o for o in outcomes if in_range(o.torch, version)), None)


def check(case: Case, device: str) -> None:
    chosen = outcome_for(case.outcomes, torch.__version__)
    if chosen is None:
        not_applicable(f"no outcome recorded for {case.name} on torch {torch.__version__}")
    if chosen.raises is None:
        case.call(device)
        return
    with pytest.raises(chosen.raises, match=chosen.match):
        case.call(device)


def layer(mode, device, *args, **kw):
    return getattr(nn, mode)(*args, **kw).to(device)


DROPOUT = Outcome(raises=ValueError, match=r"dropout should be a number in range \[0, 1\]")


CONSTRUCTOR = [
    Case("dropout-above-one", lambda d: nn.GRU(3, 4, num_layers=2, dropout=1.5), (DROPOUT,)),
    Case("dropout-negative", lambda d: nn.LSTM(3, 4, num_layers=2, dropout=-0.1), (DROPOUT,)),
    Case("dropout-bool", lambda d: nn.RNN(3, 4, num_layers=2, dropout=True), (DROPOUT,)),
    Case(
        "proj-size-negative",
        lambda d: nn.LSTM(3, 4, proj_size=-1),
        (Outcome(raises=ValueError, match="proj_size should be a positive integer or zero"),),
    ),
    Case(
        "proj-size-not-below-hidden",
        lambda d: nn.LSTM(3, 4, proj_size=4),
        (Outcome(raises=ValueError, match="proj_size has to be smaller than hidden_size"),),
    ),
    Case(
        "proj-size-on-rnn",
        lambda d: nn.RNN(3, 4, proj_size=2),
        (Outcome(raises=ValueError, match="proj_size argument is only supported for LSTM"),),
    ),
    Case(
        "proj-size-on-gru",
        lambda d: nn.GRU(3, 4, proj_size=2),
        (Outcome(raises=ValueError, match="proj_size argument is only supported for LSTM"),),
    ),
    Case(
        "unknown-nonlinearity",
        lambda d: nn.RNN(3, 4, nonlinearity="sigmoid"),
        (Outcome(raises=ValueError, match="Unknown nonlinearity 'sigmoid'"),),
    ),
    Case(
        "hidden-size-float",
        lambda d: nn.LSTM(3, 4.0),
        (
            Outcome(">=2.1", TypeError, "hidden_size should be of type int, got: float"),
            Outcome("<2.1", TypeError),  # torch.empty() refuses a float size
        ),
    ),
    Case(
        "hidden-size-zero",
        lambda d: nn.GRU(3, 0),
        (
            Outcome(">=2.1", ValueError, "hidden_size must be greater than zero"),
            # measured on 1.8-2.0: the default proj_size=0 fails proj_size < hidden_size first
            Outcome("<2.1", ValueError, "proj_size has to be smaller than hidden_size"),
        ),
    ),
    Case(
        "hidden-size-negative",
        lambda d: nn.RNN(3, -1),
        (
            Outcome(">=2.1", ValueError, "hidden_size must be greater than zero"),
            Outcome("<2.1", ValueError, "proj_size has to be smaller than hidden_size"),
        ),
    ),
    Case(
        "num-layers-zero",
        lambda d: nn.LSTM(3, 4, num_layers=0),
        (
            Outcome(">=2.2", ValueError, "num_layers must be greater than zero"),
            # before 2.2 RNNBase.__init__ has no num_layers check: range(0) builds no layer and nothing fails
            Outcome("<2.2"),
        ),
    ),
]


INPUT = [
    *(
        Case(
            f"input-width-{m.lower()}",
            lambda d, m=m: layer(m, d, 3, 4)(fixed_randn(d, 5, 2, 5)),
            (Outcome(raises=RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 3, got 5"),),
        )
        for m in LAYERS
    ),
    Case(
        "input-width-lstm-explicit-state",
        lambda d: layer("LSTM", d, 3, 4)(fixed_randn(d, 5, 2, 5), (fixed_randn(d, 1, 2, 4), fixed_randn(d, 1, 2, 4))),
        (Outcome(raises=RuntimeError, match="input.size\\(-1\\) must be equal to input_size"),),
    ),
    Case(
        "empty-sequence",
        lambda d: layer("GRU", d, 3, 4)(fixed_randn(d, 0, 2, 3)),
        # 1.8.1 says "stack expects a non-empty TensorList"; 2.13 "Expected sequence length to be larger than 0"
        (Outcome(raises=RuntimeError, match="sequence length to be larger than 0|non-empty TensorList"),),
    ),
    *(
        Case(
            f"input-{n}d",
            lambda d, n=n: layer("LSTM", d, 3, 4)(fixed_randn(d, *(5, 2, 3, 3)[:n])),
            (
                Outcome(">=2.1", ValueError, f"LSTM: Expected input to be 2D or 3D, got {n}D instead"),
                Outcome(">=2.0,<2.1", AssertionError, f"LSTM: Expected input to be 2-D or 3-D but received {n}-D"),
                # 1.11-1.13 treat it as unbatched, add a batch dimension, then count n + 1 dimensions
                Outcome(">=1.11,<2.0", RuntimeError, f"input must have 3 dimensions, got {n + 1}"),
                # before 1.11 a 1-D input fails on input.size(1) before the rank check
                Outcome("<1.11", IndexError, "Dimension out of range")
                if n == 1
                else Outcome("<1.11", RuntimeError, f"input must have 3 dimensions, got {n}"),
            ),
        )
        for n in (1, 4)
    ),
    Case(
        "input-float64-into-float32",  # GRU: an LSTM without hx skipped every input check in 2.1-2.2
        lambda d: layer("GRU", d, 3, 4)(fixed_randn(d, 5, 2, 3, dtype=torch.float64)),
        (
            Outcome(">=2.11", ValueError, r"dtype \(torch.float64\) does not match weight dtype \(torch.float32\)"),
            Outcome(">=2.1,<2.11", ValueError, "input must have the type torch.float32, got type torch.float64"),
            Outcome("<2.1", RuntimeError),
        ),
    ),
    Case(
        "input-int64",
        lambda d: layer("RNN", d, 3, 4)(torch.ones(5, 2, 3, dtype=torch.int64, device=d)),
        (
            Outcome(">=2.11", ValueError, r"input dtype \(torch.int64\) does not match weight dtype"),
            Outcome(">=2.1,<2.11", ValueError, "input must have the type torch.float32, got type torch.int64"),
            Outcome("<2.1", RuntimeError),
        ),
    ),
]


HIDDEN_MISMATCH = r"Expected hidden(\[0\])? size \({want}\), got [\[(]{got}[\])]"


STATE = [
    Case(
        "hx-batch-mismatch",
        lambda d: layer("GRU", d, 3, 4)(fixed_randn(d, 5, 2, 3), fixed_randn(d, 1, 3, 4)),
        (Outcome(raises=RuntimeError, match=HIDDEN_MISMATCH.format(want="1, 2, 4", got="1, 3, 4")),),
    ),
    Case(
        "hx-without-direction-factor",
        lambda d: layer("GRU", d, 3, 4, bidirectional=True)(fixed_randn(d, 5, 2, 3), fixed_randn(d, 1, 2, 4)),
        (Outcome(raises=RuntimeError, match=HIDDEN_MISMATCH.format(want="2, 2, 4", got="1, 2, 4")),),
    ),
    Case(
        "hx-layers-mismatch",
        lambda d: layer("RNN", d, 3, 4, num_layers=3)(fixed_randn(d, 5, 2, 3), fixed_randn(d, 2, 2, 4)),
        (Outcome(raises=RuntimeError, match=HIDDEN_MISMATCH.format(want="3, 2, 4", got="2, 2, 4")),),
    ),
    Case(
        "lstm-h0-hidden-width-with-proj",
        lambda d: layer("LSTM", d, 3, 4, proj_size=2)(
            fixed_randn(d, 5, 2, 3), (fixed_randn(d, 1, 2, 4), fixed_randn(d, 1, 2, 4))
        ),
        (Outcome(raises=RuntimeError, match=HIDDEN_MISMATCH.format(want="1, 2, 2", got="1, 2, 4")),),
    ),
    Case(
        "lstm-c0-shape",
        lambda d: layer("LSTM", d, 3, 4)(fixed_randn(d, 5, 2, 3), (fixed_randn(d, 1, 2, 4), fixed_randn(d, 1, 2, 5))),
        (Outcome(raises=RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got [\[(]1, 2, 5[\])]"),),
    ),
    Case(
        "hx-2d-for-batched-input",
        lambda d: layer("GRU", d, 3, 4)(fixed_randn(d, 5, 2, 3), fixed_randn(d, 2, 4)),
        (
            Outcome(">=1.11", RuntimeError, "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
            Outcome("<1.11", RuntimeError, "Expected hidden size"),
        ),
    ),
    Case(
        "hx-3d-for-unbatched-input",
        lambda d: layer("GRU", d, 3, 4)(fixed_randn(d, 5, 3), fixed_randn(d, 1, 2, 4)),
        (
            Outcome(">=1.11", RuntimeError, "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
            # before 1.11 there is no unbatched input: check_input rejects the 2-D input before the state is read
            Outcome("<1.11", RuntimeError, "input must have 3 dimensions, got 2"),
        ),
    ),
    # The two below, from torch's sources (LSTM.forward / GRU.forward of 2.13, RNNBase.check_forward_args
    # before 1.11): from 1.11 LSTM tests hx[0].dim() and builds its message from hx[1].dim(), which a single
    # [1, 2, 4] tensor does not have; before, LSTM.check_forward_args compared hx[0] ([2, 4]) with the expected
    # size. GRU calls .dim() (from 1.11) or .size() (before) on the tuple.
    Case(
        "lstm-state-not-a-pair",
        lambda d: layer("LSTM", d, 3, 4)(fixed_randn(d, 5, 2, 3), fixed_randn(d, 1, 2, 4)),
        (
            Outcome(">=1.11", IndexError, "index 1 is out of bounds for dimension 0 with size 1"),
            Outcome("<1.11", RuntimeError, r"Expected hidden\[0\] size \(1, 2, 4\), got [\[(]2, 4[\])]"),
        ),
    ),
    Case(
        "gru-state-a-pair",
        lambda d: layer("GRU", d, 3, 4)(fixed_randn(d, 5, 2, 3), (fixed_randn(d, 1, 2, 4), fixed_randn(d, 1, 2, 4))),
        (Outcome(raises=AttributeError, match="'tuple' object has no attribute '(dim|size)'"),),
    ),
]


CELL = [
    Case(
        "cell-input-size",
        lambda d: layer("RNNCell", d, 3, 4)(fixed_randn(d, 2, 5)),
        (Outcome(raises=RuntimeError, match="input has inconsistent input_size: got 5,? expected 3"),),
    ),
    Case(
        "cell-hidden-size",
        lambda d: layer("GRUCell", d, 3, 4)(fixed_randn(d, 2, 3), fixed_randn(d, 2, 5)),
        (Outcome(raises=RuntimeError, match="hidden0? has inconsistent hidden_size: got 5, expected 4"),),
    ),
    Case(
        "cell-batch-mismatch",
        lambda d: layer("LSTMCell", d, 3, 4)(fixed_randn(d, 2, 3), (fixed_randn(d, 3, 4), fixed_randn(d, 3, 4))),
        (Outcome(raises=RuntimeError, match=r"Input batch size 2 doesn't match hidden(0|\[0\]) batch size 3"),),
    ),
    Case(
        "cell-3d-input",
        lambda d: layer("RNNCell", d, 3, 4)(fixed_randn(d, 1, 2, 3)),
        (
            Outcome(">=2.1", ValueError, "RNNCell: Expected input to be 1D or 2D, got 3D instead"),
            Outcome(">=1.11,<2.1", AssertionError, "RNNCell: Expected input to be 1-D or 2-D but received 3-D tensor"),
            Outcome("<1.11", RuntimeError),
        ),
    ),
]


PACKING = [
    Case(
        "lengths-unsorted-with-enforce-sorted",
        lambda d: pack_padded_sequence(fixed_randn(d, 5, 2, 3), torch.tensor([2, 5])),
        (Outcome(raises=RuntimeError, match="must be sorted in decreasing order"),),
    ),
    Case(
        "zero-length",
        lambda d: pack_padded_sequence(fixed_randn(d, 5, 2, 3), torch.tensor([5, 0])),
        (Outcome(raises=RuntimeError, match="Length of all samples has to be greater than 0"),),
    ),
]


@claim(
    id="rnn.errors.unbatched-rejected",
    statement="Before torch 1.11 a 2-D input is rejected with a RuntimeError asking for 3 dimensions.",
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
    id="rnn.errors.factory-kwargs-rejected",
    statement="Before torch 1.9 the constructors take no device= or dtype= and raise TypeError.",
    modules=LAYERS,
    sources=(TorchDoc("torch.nn.RNN", "signature"),),
    torch="<1.9",
)
@pytest.mark.parametrize("module", LAYERS)
def test_factory_kwargs_rejected(module):
    with pytest.raises(TypeError):
        getattr(torch.nn, module)(3, 4, dtype=torch.float64)


@claim(
    id="rnn.errors.constructor-arguments",
    statement=(
        "The constructors reject dropout outside [0, 1] or given as a bool, proj_size < 0, >= hidden_size "
        "or on RNN/GRU, an unknown nonlinearity, a non-int or non-positive hidden_size and num_layers < 1, "
        "each with an exception that names the argument."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Args") for m in LAYERS),
    # the num_layers check arrived in 2.2 (and the hidden_size ones in 2.1): before, the sibling below
    torch=">=2.2",
)
@pytest.mark.parametrize("case", [c.param() for c in CONSTRUCTOR])
def test_constructor_arguments(case):
    check(case, "cpu")


@claim(
    id="rnn.errors.constructor-arguments-before-2-2",
    statement=(
        "Before torch 2.2 the constructors reject dropout outside [0, 1] or given as a bool, proj_size < 0, "
        ">= hidden_size or on RNN/GRU and an unknown nonlinearity, each naming the argument, and a non-int or "
        "non-positive hidden_size (naming it from 2.1; before, torch.empty's TypeError or the proj_size check "
        "fires first), but accept num_layers = 0."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Args") for m in LAYERS),
    torch="<2.2",
)
@pytest.mark.parametrize("case", [c.param() for c in CONSTRUCTOR])
def test_constructor_arguments_before_2_2(case):
    check(case, "cpu")


@claim(
    id="rnn.errors.input",
    statement=(
        "Forward rejects an input whose last dimension is not input_size, an empty sequence, 1-D or 4-D input, "
        "and input of another dtype than the weights, with the exception type and wording of each release."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: input") for m in LAYERS),
)
@pytest.mark.parametrize("case", [c.param() for c in INPUT])
def test_input_errors(case, device):
    check(case, device)


@claim(
    id="rnn.errors.state",
    statement=(
        "Forward rejects a state of the wrong shape — wrong batch, num_layers or direction factor, h_0 not "
        "proj_size wide, c_0 of the wrong shape, a rank that does not match the input's — and an LSTM state "
        "that is not a pair."
    ),
    modules=LAYERS,
    sources=tuple(TorchDoc(f"torch.nn.{m}", "Inputs: h_0") for m in LAYERS)
    + (Seed("000_0803d243ad727e4b.txt", "h0/ht given as [num layers, b, h-dim]", line=18),),
    erratum=Erratum(
        "000_0803d243ad727e4b.txt",
        "the x, h0/ht and out shape list",
        "h0 is [num layers, b, h-dim]; a bidirectional module given that shape raises",
        line=17,
    ),
)
@pytest.mark.parametrize("case", [c.param() for c in STATE])
def test_state_errors(case, device):
    check(case, device)


@claim(
    id="cells.errors.inconsistent-sizes",
    statement=(
        "A cell rejects input of the wrong width, a state of the wrong width, a batch size that differs "
        "between input and state, and 3-D input."
    ),
    modules=CELLS,
    sources=tuple(TorchDoc(f"torch.nn.{c}", "Inputs") for c in CELLS),
)
@pytest.mark.parametrize("case", [c.param() for c in CELL])
def test_cell_errors(case, device):
    check(case, device)


@claim(
    id="packed.errors.lengths",
    statement=(
        "pack_padded_sequence rejects lengths that are not in decreasing order unless enforce_sorted=False, "
        "and any length of zero."
    ),
    modules=("PackedSequence",),
    sources=(TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "enforce_sorted"),),
)
@pytest.mark.parametrize("case", [c.param() for c in PACKING])
def test_packing_errors(case, device):
    check(case, device)


@claim(
    id="packed.errors.length-beyond-padding",
    statement=(
        "pack_padded_sequence does not check lengths against the padded length: a length past it gives a "
        "PackedSequence whose batch_sizes add up to more rows than its data has, which a recurrent module on "
        "CPU then rejects with a RuntimeError."
    ),
    modules=("PackedSequence", "RNN", "LSTM", "GRU"),
    sources=(TorchDoc("torch.nn.utils.rnn.pack_padded_sequence", "lengths"),),
)
@pytest.mark.parametrize("mode", ("RNN", "LSTM", "GRU"))
def test_length_beyond_padding(mode):
    from torch.nn.utils.rnn import pack_padded_sequence

    x = torch.zeros(5, 2, 1)  # 5 padded steps
    packed = pack_padded_sequence(x, torch.tensor([7, 2]))  # accepted: 7 > 5
    assert packed.batch_sizes.tolist() == [2, 2, 1, 1, 1, 1, 1]  # what lengths 7 and 2 would give
    assert int(packed.batch_sizes.sum()) == 9 and packed.data.shape[0] == 5 + 2  # but only 7 rows exist
    with pytest.raises(RuntimeError):
        getattr(torch.nn, mode)(1, 2)(packed)
