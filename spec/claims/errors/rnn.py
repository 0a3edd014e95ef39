"""Errors of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.api import api
from spec.helpers.modules import fixed_randn, run
from spec.helpers.outcomes import Case, Outcome, as_h0, by_keyword, check, layer, refused
from spec.helpers.strategies import (
    CELLS,
    LAYERS,
    Config,
)
from spec.registry import CONTRACT, PAST_RELEASE, Erratum, Seed, TorchDoc, claim, torch_docs
from spec.sources.seeds import CELL_DOCS, LAYER_DOCS, S000

DROPOUT = Outcome(raises=ValueError, match=r"dropout should be a number in range \[0, 1\]")


PROJ_BELOW = "proj_size has to be smaller than hidden_size"
PROJ_POSITIVE = Outcome(raises=ValueError, match="proj_size should be a positive integer or zero")
PROJ_LSTM_ONLY = Outcome(raises=ValueError, match="proj_size argument is only supported for LSTM")
HIDDEN_SIZE = (
    Outcome(">=2.1", ValueError, "hidden_size must be greater than zero"),
    # measured on 1.8-2.0: the default proj_size=0 fails proj_size < hidden_size first
    Outcome("<2.1", ValueError, PROJ_BELOW),
)
CONSTRUCTOR = [
    Case("dropout-above-one", lambda d: api.GRU(3, 4, num_layers=2, dropout=1.5), (DROPOUT,)),
    Case("dropout-negative", lambda d: api.LSTM(3, 4, num_layers=2, dropout=-0.1), (DROPOUT,)),
    Case("dropout-bool", lambda d: api.RNN(3, 4, num_layers=2, dropout=True), (DROPOUT,)),
    Case("proj-size-negative", lambda d: api.LSTM(3, 4, proj_size=-1), (PROJ_POSITIVE,)),
    Case("proj-size-not-below-hidden", lambda d: api.LSTM(3, 4, proj_size=4), (Outcome("", ValueError, PROJ_BELOW),)),
    Case("proj-size-on-rnn", lambda d: api.RNN(3, 4, proj_size=2), (PROJ_LSTM_ONLY,)),
    Case("proj-size-on-gru", lambda d: api.GRU(3, 4, proj_size=2), (PROJ_LSTM_ONLY,)),
    Case(
        "unknown-nonlinearity",
        lambda d: api.RNN(3, 4, nonlinearity="sigmoid"),
        (Outcome(raises=ValueError, match="Unknown nonlinearity 'sigmoid'"),),
    ),
    Case(
        "hidden-size-float",
        lambda d: api.LSTM(3, 4.0),
        (
            Outcome(">=2.1", TypeError, "hidden_size should be of type int, got: float"),
            Outcome("<2.1", TypeError),  # torch.empty() refuses a float size
        ),
    ),
    Case("hidden-size-zero", lambda d: api.GRU(3, 0), HIDDEN_SIZE),
    Case("hidden-size-negative", lambda d: api.RNN(3, -1), HIDDEN_SIZE),
    Case(
        "num-layers-zero",
        lambda d: api.LSTM(3, 4, num_layers=0),
        (
            Outcome(">=2.2", ValueError, "num_layers must be greater than zero"),
            # before 2.2 RNNBase.__init__ has no num_layers check: no layer is built and construction then fails
            # indexing the empty weight list (measured on 1.8.1, 1.11.0, 1.12.1 and 2.0.1)
            Outcome("<2.2", IndexError, "list index out of range"),
        ),
    ),
]


def wrong_dtype(dtype) -> tuple:
    """The outcomes of an input of ``dtype`` into a layer of float32 weights, release by release."""
    name = str(dtype).replace("torch.", "")
    return (
        Outcome(">=2.11", ValueError, rf"input dtype \(torch.{name}\) does not match weight dtype \(torch.float32\)"),
        Outcome(">=2.1,<2.11", ValueError, f"input must have the type torch.float32, got type torch.{name}"),
        Outcome("<2.1", RuntimeError),
    )


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
    # every layer, in both wrong dtypes (keeping the first two cases' names). RNNBase.check_input tests the dtype
    # for all three (from torch's sources: from 2.1, worded as below from 2.11); before 2.1 the kernel refuses it.
    # An LSTM given no state skipped its checks on 2.1-2.2 (pytorch/pytorch#114874, known/torch.json): the two LSTM
    # cases are called as users call it, with no state, and are part of that known regression there.
    *(
        Case(name, lambda d, m=m, t=dtype: layer(m, d, 3, 4)(fixed_randn(d, 5, 2, 3).to(t)), wrong_dtype(dtype))
        for name, m, dtype in (
            ("input-float64-into-float32", "GRU", torch.float64),
            ("input-int64", "RNN", torch.int64),
            ("input-float64-into-float32-rnn", "RNN", torch.float64),
            ("input-float64-into-float32-lstm", "LSTM", torch.float64),
            ("input-int64-gru", "GRU", torch.int64),
            ("input-int64-lstm", "LSTM", torch.int64),
        )
    ),
]


HIDDEN_MISMATCH = r"Expected hidden(\[0\])? size \({want}\), got [\[(]{got}[\])]"


def swapped(mode: str, device, which: int):
    """``mode``(3, 4), one layer, given a batch of 2 and a state whose h_0 (``which`` 0) or c_0 (1) is [2, 1, 4]."""
    right, wrong = fixed_randn(device, 1, 2, 4), fixed_randn(device, 2, 1, 4)
    state = ((wrong, right) if which == 0 else (right, wrong)) if mode == "LSTM" else wrong
    return layer(mode, device, 3, 4)(fixed_randn(device, 5, 2, 3), state)


SWAPPED = (
    Outcome(raises=RuntimeError, match=HIDDEN_MISMATCH.format(want="1, 2, 4", got="2, 1, 4")),
    Outcome(raises=RuntimeError, match=r"Expected hidden\[1\] size \(1, 2, 4\), got [\[(]2, 1, 4[\])]"),
)


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
    # A state of the right number of elements in the wrong shape, as users get it wrong: num_layers and batch
    # swapped ([2, 1, 4] for one layer and a batch of 2), and batch first under batch_first=True (h_0 keeps batch
    # in dim 1). check_hidden_size compares the whole shape (the same test from 1.8 to 2.15, torch's sources).
    *(Case(f"hx-layers-batch-swapped-{m.lower()}", lambda d, m=m: swapped(m, d, 0), (SWAPPED[0],)) for m in LAYERS),
    Case("lstm-c0-layers-batch-swapped", lambda d: swapped("LSTM", d, 1), (SWAPPED[1],)),
    Case(
        "hx-batch-first-under-batch-first",
        lambda d: layer("GRU", d, 3, 4, num_layers=2, batch_first=True)(
            fixed_randn(d, 3, 5, 3), fixed_randn(d, 3, 2, 4)
        ),
        (Outcome(raises=RuntimeError, match=HIDDEN_MISMATCH.format(want="2, 3, 4", got="3, 2, 4")),),
    ),
]


@claim(
    id="rnn.errors.unbatched-rejected",
    scope=PAST_RELEASE,
    statement="Before torch 1.11 a 2-D input is rejected with a RuntimeError asking for 3 dimensions.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Inputs", "input"),),
    torch="<1.11",
)
@pytest.mark.parametrize("mode", LAYERS)
def test_unbatched_rejected(mode, device):
    cfg = Config(mode=mode, batch=None)
    with pytest.raises(RuntimeError, match="input must have 3 dimensions, got 2"):
        run(cfg, device)


@claim(
    id="rnn.errors.factory-kwargs-rejected",
    scope=PAST_RELEASE,
    statement="Before torch 1.9 the constructors take no device= or dtype= and raise TypeError.",
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "signature", "device", "dtype"),),
    torch="<1.9",
)
@pytest.mark.parametrize("module", LAYERS)
def test_factory_kwargs_rejected(module):
    with pytest.raises(TypeError):
        getattr(torch.nn, module)(3, 4, dtype=torch.float64)


CONSTRUCTOR_SOURCES = (
    *torch_docs(LAYER_DOCS, "Args", "hidden_size", "num_layers", "dropout"),
    TorchDoc("torch.nn.RNN", "Args", "nonlinearity"),
    TorchDoc("torch.nn.LSTM", "Args", "proj_size"),
    TorchDoc("torch.nn.LSTM", "Note", "should be smaller than"),
)


@claim(
    id="rnn.errors.constructor-arguments",
    scope=CONTRACT,
    statement=(
        "The constructors reject dropout outside [0, 1] or given as a bool, proj_size < 0, >= hidden_size "
        "or on RNN/GRU, an unknown nonlinearity, a non-int or non-positive hidden_size and num_layers < 1, "
        "each with an exception that names the argument."
    ),
    modules=LAYERS,
    sources=CONSTRUCTOR_SOURCES,
    # the num_layers check arrived in 2.2 (and the hidden_size ones in 2.1): before, the sibling below
    torch=">=2.2",
)
@pytest.mark.parametrize("case", [c.param() for c in CONSTRUCTOR])
def test_constructor_arguments(case):
    check(case, "cpu")


@claim(
    id="rnn.errors.constructor-arguments-before-2-2",
    scope=PAST_RELEASE,
    statement=(
        "Before torch 2.2 the constructors reject dropout outside [0, 1] or given as a bool, proj_size < 0, "
        ">= hidden_size or on RNN/GRU and an unknown nonlinearity, each naming the argument, and a non-int or "
        "non-positive hidden_size (naming it from 2.1; before, torch.empty's TypeError or the proj_size check "
        "fires first); num_layers = 0 is not checked, and construction fails with an IndexError instead."
    ),
    modules=LAYERS,
    sources=CONSTRUCTOR_SOURCES,
    torch="<2.2",
)
@pytest.mark.parametrize("case", [c.param() for c in CONSTRUCTOR])
def test_constructor_arguments_before_2_2(case):
    check(case, "cpu")


@claim(
    id="rnn.errors.input",
    scope=CONTRACT,
    statement=(
        "Forward rejects an input whose last dimension is not input_size, an empty sequence, 1-D or 4-D input, "
        "and input of another dtype than the weights, with the exception type and wording of each release."
    ),
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "input_size"), *torch_docs(LAYER_DOCS, "Inputs", "input")),
)
@pytest.mark.parametrize("case", [c.param() for c in INPUT])
def test_input_errors(case, device):
    check(case, device)


@claim(
    id="rnn.errors.state",
    scope=CONTRACT,
    statement=(
        "Forward rejects a state of the wrong shape — wrong batch, num_layers or direction factor, h_0 not "
        "proj_size wide, c_0 of the wrong shape, a rank that does not match the input's, even the right number of "
        "elements in another shape (num_layers and batch swapped, batch first under batch_first) — and an LSTM "
        "state that is not a pair."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
        Seed(S000, "h0/ht given as [num layers, b, h-dim]", line=18),
    ),
    erratum=Erratum(
        Seed(S000, "the x, h0/ht and out shape list", line=17),
        says="h0 is [num layers, b, h-dim]; a bidirectional module given that shape raises",
    ),
)
@pytest.mark.parametrize("case", [c.param() for c in STATE])
def test_state_errors(case, device):
    check(case, device)


@claim(
    id="rnn.errors.mixed-devices",
    scope=CONTRACT,
    statement="A module on cuda given an input on cpu, or a cuda input with an h_0 on cpu, raises a RuntimeError "
    "that names both devices.",
    modules=LAYERS,
    sources=(TorchDoc("torch.nn.Module", "to"),),
    devices=("cuda",),
)
@pytest.mark.parametrize("mode", LAYERS)
@pytest.mark.parametrize("misplaced", ["input", "h_0"])
def test_mixed_devices(mode, misplaced, device):
    m = Config(mode=mode, dtype="float32").build(device)
    x = fixed_randn("cpu" if misplaced == "input" else device, 5, 2, 3)
    h = fixed_randn("cpu", 1, 2, 4)
    state = (h, h) if mode == "LSTM" else h
    with refused(RuntimeError, match=r"(?s)(?=.*\bcpu\b)(?=.*\bcuda)"):
        m(x) if misplaced == "input" else m(x, state)


# Ranks, module by module (what rnn.errors.input and cells.errors.inconsistent-sizes check on one module each).
# The messages are those of torch >= 2.1, where every check is an explicit ValueError or RuntimeError; earlier
# releases reject the same calls from assertions (1.11-2.0) or from the kernels' size checks (before 1.11), with
# other types and messages, which the "<2.1" outcome accepts without naming the message.
OLD_RANK = Outcome("<2.1", (AssertionError, RuntimeError, IndexError, ValueError))

RANK = [
    *(
        Case(
            f"input-4d-{m.lower()}",
            lambda d, m=m: layer(m, d, 3, 4)(fixed_randn(d, 5, 2, 3, 3)),
            (Outcome(">=2.1", ValueError, f"{m}: Expected input to be 2D or 3D, got 4D"), OLD_RANK),
        )
        for m in ("RNN", "GRU")
    ),
    *(  # rnn.errors.input checks 1-D input on the LSTM
        Case(
            f"input-1d-{m.lower()}",
            lambda d, m=m: layer(m, d, 3, 4)(fixed_randn(d, 5)),
            (Outcome(">=2.1", ValueError, f"{m}: Expected input to be 2D or 3D, got 1D"), OLD_RANK),
        )
        for m in ("RNN", "GRU")
    ),
    Case(  # rnn.errors.state checks the GRU's
        "rnn-hx-3d-for-unbatched-input",
        lambda d: layer("RNN", d, 3, 4)(fixed_randn(d, 5, 3), fixed_randn(d, 1, 1, 4)),
        (Outcome(">=2.1", RuntimeError, "For unbatched 2-D input, hx should also be 2-D but got 3-D"), OLD_RANK),
    ),
    Case(
        "lstm-state-3d-for-unbatched-input",
        lambda d: layer("LSTM", d, 3, 4)(fixed_randn(d, 5, 3), (fixed_randn(d, 1, 1, 4), fixed_randn(d, 1, 1, 4))),
        (Outcome(">=2.1", RuntimeError, r"hx and cx should also be 2-D but got \(3-D, 3-D\)"), OLD_RANK),
    ),
    Case(
        "rnn-hx-2d-for-batched-input",
        lambda d: layer("RNN", d, 3, 4)(fixed_randn(d, 5, 2, 3), fixed_randn(d, 2, 4)),
        (Outcome(">=2.1", RuntimeError, "For batched 3-D input, hx should also be 3-D but got 2-D"), OLD_RANK),
    ),
    Case(
        "lstm-state-2d-for-batched-input",
        lambda d: layer("LSTM", d, 3, 4)(fixed_randn(d, 5, 2, 3), (fixed_randn(d, 1, 4), fixed_randn(d, 1, 4))),
        (Outcome(">=2.1", RuntimeError, r"hx and cx should also be 3-D but got \(2-D, 2-D\)"), OLD_RANK),
    ),
    *(
        Case(
            f"cell-3d-input-{c.lower()}",
            lambda d, c=c: layer(c, d, 3, 4)(fixed_randn(d, 1, 2, 3)),
            (Outcome(">=2.1", ValueError, f"{c}: Expected input to be 1D or 2D, got 3D"), OLD_RANK),
        )
        for c in ("LSTMCell", "GRUCell")
    ),
    Case(
        "rnncell-3d-hidden",
        lambda d: layer("RNNCell", d, 3, 4)(fixed_randn(d, 2, 3), fixed_randn(d, 1, 2, 4)),
        (Outcome(">=2.1", ValueError, "RNNCell: Expected hidden to be 1D or 2D, got 3D"), OLD_RANK),
    ),
    Case(
        "grucell-3d-hidden",
        lambda d: layer("GRUCell", d, 3, 4)(fixed_randn(d, 2, 3), fixed_randn(d, 1, 2, 4)),
        (Outcome(">=2.1", ValueError, "GRUCell: Expected hidden to be 1D or 2D, got 3D"), OLD_RANK),
    ),
    Case(
        "lstmcell-3d-state",
        lambda d: layer("LSTMCell", d, 3, 4)(fixed_randn(d, 2, 3), (fixed_randn(d, 2, 4), fixed_randn(d, 1, 2, 4))),
        (Outcome(">=2.1", ValueError, r"LSTMCell: Expected hx\[1\] to be 1D or 2D, got 3D"), OLD_RANK),
    ),
]


MODULES = LAYERS + tuple(CELLS.values())
INPUTS = (  # the docstrings' Inputs: the input and the state, of every layer and cell
    *torch_docs(LAYER_DOCS + CELL_DOCS, "Inputs", "input"),
    TorchDoc("torch.nn.RNN", "Inputs", "hx"),
    *torch_docs(("torch.nn.LSTM", "torch.nn.GRU", "torch.nn.LSTMCell"), "Inputs", "h_0"),
    *torch_docs(("torch.nn.LSTM", "torch.nn.LSTMCell"), "Inputs", "c_0"),
    *torch_docs(("torch.nn.RNNCell", "torch.nn.GRUCell"), "Inputs", "hidden"),
)


@claim(
    id="rnn.errors.ranks-every-module",
    scope=CONTRACT,
    statement=(
        "Every layer rejects input that is neither 2-D nor 3-D and a state whose rank does not match the input's, "
        "and every cell rejects input or state that is neither 1-D nor 2-D."
    ),
    modules=MODULES,
    sources=INPUTS,
)
@pytest.mark.parametrize("case", [c.param() for c in RANK])
def test_ranks_every_module(case, device):
    check(case, device)


# forward(self, input, hx=None) for every layer and cell, from torch's sources (1.8 to 2.15): a user's keywords
KEYWORDS = [
    *(Case(f"keywords-{m.lower()}", lambda d, m=m: by_keyword(m, d), (Outcome(),)) for m in MODULES),
    *(Case(f"state-as-h0-{m.lower()}", lambda d, m=m: as_h0(m, d), (Outcome("", TypeError, "h_0"),)) for m in MODULES),
]


@claim(
    id="rnn.errors.forward-keywords",
    scope=CONTRACT,
    statement=(
        "Every layer and cell takes forward's arguments by the names its signature gives them, input and hx: by "
        "keyword they compute what the call by position computes; the state under another name (h_0=, as the "
        "docstrings call it) is a TypeError, not an argument silently dropped."
    ),
    modules=MODULES,
    sources=INPUTS,
)
@pytest.mark.parametrize("case", [c.param() for c in KEYWORDS])
def test_forward_keywords(case, device):
    check(case, device)


# --- issue 17 (coverage): RNNBase.__init__'s type checks, a packed input's checks, pad_sequence's argument ---

# bias, batch_first and input_size are checked in RNNBase.__init__ from torch 2.11 (pytorch/pytorch#166980 for
# bias and batch_first, #166302 for input_size, both merged in December 2025; absent from 2.10.0's rnn.py,
# present in 2.11.0's). Before, measured on 1.10.2, 1.11.0, 2.0.1, 2.2.2, 2.3.1 and 2.10.0: a non-bool bias or
# batch_first is stored as given and the first call fails in the kernel's argument parsing, a float input_size
# fails in torch.empty, input_size=0 builds [G*H, 0] weights, and a negative one fails creating the tensor.
KERNEL_ARGUMENTS = "received an invalid combination of arguments"


def typed(arg: str, want: str, given: str, before=Outcome("<2.11")) -> tuple:
    """From 2.11 a TypeError naming ``arg``, the type it wants and the type ``given``; ``before``, earlier releases."""
    return Outcome(">=2.11", TypeError, f"{arg} should be of type {want}, got: {given}"), before


def kernel(name: str) -> Outcome:
    """Before 2.11: the first call's TypeError from the kernel ``name``, about its arguments."""
    return Outcome("<2.11", TypeError, f"{name}\\(\\) {KERNEL_ARGUMENTS}")


INPUT_SIZE = Outcome(">=2.11", ValueError, "input_size must be greater than zero")
EMPTY_SIZE = Outcome("<2.11", TypeError, r"(empty|new)\(\): argument 'size'")


def called(mode: str, device, **kwargs):
    """``mode``(3, 4, **kwargs) called on a [5, 2, 3] input."""
    return layer(mode, device, 3, 4, **kwargs)(fixed_randn(device, 5, 2, 3))


ARGUMENT_TYPES = [
    Case("bias-int", lambda d: api.LSTM(3, 4, bias=1), typed("bias", "bool", "int")),
    Case("bias-int-called", lambda d: called("GRU", d, bias=0), typed("bias", "bool", "int", kernel("gru"))),
    Case("bias-str-called", lambda d: called("RNN", d, bias="no"), typed("bias", "bool", "str", kernel("rnn_tanh"))),
    Case("batch-first-int", lambda d: api.GRU(3, 4, batch_first=1), typed("batch_first", "bool", "int")),
    Case(
        "batch-first-int-called",
        lambda d: called("RNN", d, batch_first=0),
        typed("batch_first", "bool", "int", kernel("rnn_tanh")),
    ),
    # the wording after it varies by release; 1.8 builds the weights with torch.Tensor(...), hence new()
    Case("input-size-float", lambda d: api.RNN(3.0, 4), typed("input_size", "int", "float", EMPTY_SIZE)),
    Case("input-size-zero", lambda d: api.GRU(0, 4), (INPUT_SIZE, Outcome("<2.11"))),
    Case(
        "input-size-negative",
        lambda d: api.LSTM(-1, 4),
        (INPUT_SIZE, Outcome("<2.11", RuntimeError, "Trying to create tensor with negative dimension -1")),
    ),
]


@claim(
    id="rnn.errors.argument-types",
    scope=CONTRACT,
    statement=(
        "The constructors reject a bias or batch_first that is not a bool and an input_size that is not an int "
        "with a TypeError naming the argument and the type given, and an input_size below 1 with a ValueError."
    ),
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "input_size", "bias", "batch_first"),),
    torch=">=2.11",
)
@pytest.mark.parametrize("case", [c.param() for c in ARGUMENT_TYPES])
def test_argument_types(case, device):
    check(case, device)


@claim(
    id="rnn.errors.argument-types-before-2-11",
    scope=PAST_RELEASE,
    statement=(
        "Before torch 2.11 the constructors check neither bias, batch_first nor input_size: a non-bool bias or "
        "batch_first is kept and the first call raises the kernel's TypeError about its arguments, a float "
        "input_size fails in torch.empty, input_size 0 is accepted and a negative one is a RuntimeError."
    ),
    modules=LAYERS,
    sources=(*torch_docs(LAYER_DOCS, "Args", "input_size", "bias", "batch_first"),),
    torch="<2.11",
)
@pytest.mark.parametrize("case", [c.param() for c in ARGUMENT_TYPES])
def test_argument_types_before_2_11(case, device):
    check(case, device)
