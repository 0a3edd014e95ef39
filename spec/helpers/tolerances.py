"""Comparison tolerances, each with its reason. Claims never choose their own.

float64 on CPU: every step is a few dot products of length <= 3*6; rounding
error is O(n * eps) with eps = 2.2e-16, and a run of 3 layers x 5 steps stays
below 1e-14 (measured ~2e-16). rtol 1e-10 / atol 1e-12 keeps four orders of
margin while a wrong gate order, bias placement or direction produces
differences of order 1e-2, so the check can fail.

float32: eps = 1.2e-7; one step of one layer stays below ~1e-6, hence rtol 1e-5 / atol 1e-5 per step.
Rounding errors of a recurrence add up over its steps like a random walk: the float32 tolerance is
scaled by sqrt(steps), steps = layers x sequence length (the chain an output element depends on). Measured
on an H100 (torch 2.11, ``../shared/gpu``): a 3-layer bidirectional RNN over 5 steps differed from cpu
by 1.1e-5 with TF32 off, beyond the unscaled 1e-5 and well inside 1e-5 * sqrt(15) = 3.9e-5.

bfloat16 on the CPU (autocast): 8 significant bits, unit roundoff 2^-8 = 3.9e-3; autocast rounds the input and
the weights to it, and each step's result. rtol 1e-2 / atol 1e-2 per step, scaled by sqrt(steps) as float32's:
measured on torch 2.13 against the float32 module's results rounded to bfloat16, the worst of 120 modules (RNN,
LSTM, GRU; 1 and 2 bidirectional layers over 3 steps; 20 seeds) was 2.4e-3 * (1 + |y|) * sqrt(steps), a margin
of 4; a wrong gate order or bias placement still differs by ~1e-1.

cuda float32 with TF32: cuDNN computes the recurrent matmuls in TF32 (10-bit mantissa, unit roundoff
2^-11 = 4.9e-4) because ``torch.backends.cudnn.allow_tf32`` defaults to True
(``rnn.numerics.tf32-defaults``). Measured against cpu: up to 6.7e-4 (RNN), 2.9e-4 (GRU), 8.4e-5
(LSTM) for a 2-layer bidirectional module of width 128 over 50 steps, far wider and longer than the
spec's configurations (width <= 6, <= 3 layers x 5 steps); 5e-3 (times sqrt(steps)) keeps a margin of
at least 7 there, while a wrong gate order or bias placement still differs by ~1e-1. With TF32 off,
cuda float32 uses the float32 tolerance.

Another implementation (``$RNN_SPEC_IMPL``, :mod:`spec.implementations`) adds the absolute error its own
numerics bring, derived in its adapter (``Implementation.tolerance``: none for the float ones, which compute
torch's arithmetic in another order; the activations' quantization step for dynamic qint8), scaled by
sqrt(steps) as float32's own. Under torch it adds nothing, so torch's run keeps its tolerances exactly.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch.nn.utils.rnn import PackedSequence

from spec import implementations

TOLERANCES = {
    ("cpu", torch.float64): dict(rtol=1e-10, atol=1e-12),
    ("cpu", torch.float32): dict(rtol=1e-5, atol=1e-5),
    ("cpu", torch.bfloat16): dict(rtol=1e-2, atol=1e-2),  # autocast on the CPU
    ("cuda", torch.float64): dict(rtol=1e-9, atol=1e-11),
    ("cuda", torch.float32): dict(rtol=5e-3, atol=5e-3),  # TF32
}


def tolerance(device: str, dtype: torch.dtype, tf32=None, steps: int = 1) -> dict:
    """rtol/atol for comparing results computed on ``device`` in ``dtype``.

    ``tf32``: whether cuDNN may use TF32 (None: what ``torch.backends.cudnn.allow_tf32`` says now).
    ``steps``: layers x sequence length of the recurrence behind the values (float32 and bfloat16; see above).
    """
    kind = "cuda" if str(device).startswith("cuda") else "cpu"
    if tf32 is None:
        tf32 = torch.backends.cudnn.allow_tf32
    if kind == "cuda" and dtype == torch.float32 and not tf32:
        kind = "cpu"
    tol = dict(TOLERANCES[(kind, dtype)])
    extra = implementations.current().tolerance(dtype).get("atol", 0.0)
    if extra:
        tol["atol"] += extra
    if (dtype in (torch.float32, torch.bfloat16) or extra) and steps > 1:
        tol = {k: v * math.sqrt(steps) for k, v in tol.items()}
    return tol


def dropout_precision(device: str, dtype: torch.dtype) -> torch.dtype:
    """The dtype in which dropped-out values are compared. cuDNN applies dropout's 1/(1 - p) in float32 even
    to float64 tensors: measured on an H100 (torch 2.11), 0.6250000023 where 1/(1 - 0.2) * 0.5 = 0.625, a
    relative 3.7e-9 (float32's unit roundoff is 6e-8). A wrong scale differs by far more (1/(1 - p) - 1 >= 0.25)."""
    return torch.float32 if str(device).startswith("cuda") else dtype


@contextlib.contextmanager
def tf32(enabled: bool):
    """Set both TF32 switches (cuDNN and matmul) for the block, and restore them after."""
    flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags


def flat_tensors(x):
    """The tensors of ``x`` (a tensor, a PackedSequence's data, or a tuple or list of these, nested), in order."""
    if isinstance(x, PackedSequence):
        return [x.data]
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in flat_tensors(item)]
    return [x]


def _leaves(x) -> list:
    """The leaves of ``x`` in order: tensors, PackedSequences (kept whole, their indices compared apart), and
    anything else (None, a number), which :func:`assert_close` refuses with its type named."""
    if isinstance(x, (tuple, list)) and not isinstance(x, PackedSequence):
        return [leaf for item in x for leaf in _leaves(item)]
    return [x]


def _kind(x) -> str:
    return "None" if x is None else type(x).__name__


def _same_indices(a: PackedSequence, b: PackedSequence, where: str) -> None:
    """A PackedSequence's batch_sizes and (un)sorted_indices are exact integers: equal, or the packing differs."""
    for name in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        x, y = getattr(a, name), getattr(b, name)
        same = (x is None and y is None) or (x is not None and y is not None and torch.equal(x.cpu(), y.cpu()))
        assert same, f"{where}: PackedSequence.{name} {None if x is None else x.tolist()} against " + (
            f"{None if y is None else y.tolist()}"
        )


def _nonfinite(t: torch.Tensor, side: str, where: str) -> None:
    """NaN and +-inf are never close, not even to themselves: the spec's values (bounded activations, their
    gradients, norms of them) are finite by construction, so a non-finite value on either side is a fault (or a
    check whose inputs overflow), never an agreement. A check about non-finite values tests them by name
    (``torch.isnan``), never through this comparison."""
    bad = ~torch.isfinite(t)
    if bad.any():
        k = int(bad.flatten().nonzero()[0])
        raise AssertionError(
            f"{where}: {int(bad.sum())} of {t.numel()} elements of the {side} value are not finite (NaN or inf "
            f"is never close); first at flat index {k}: {t.flatten()[k].item()!r}"
        )


def assert_close(actual, expected, msg: str = "", steps: int = 1, tf32=None, computed_on=None) -> None:
    """Compare tensors, PackedSequences or (nested) tuples and lists of them, leaf by leaf: the same number
    of leaves, each a tensor (a None or a number where a tensor belongs fails, naming it), of the same shape
    (nothing is broadcast), dtype and device, finite on both sides (NaN and inf are never close), and within the
    tolerance of ``actual``'s device and dtype elementwise (``steps`` and ``tf32`` as in :func:`tolerance`;
    ``computed_on``: the device whose tolerance applies when ``actual`` was moved off it to be compared). A
    PackedSequence is compared with a PackedSequence only, its indices exactly. -0.0 and 0.0 are equal;
    integer and bool tensors are compared exactly. Comparing nothing (no leaf on either side) fails."""
    a, e = _leaves(actual), _leaves(expected)
    assert len(a) == len(e), f"{msg}: {len(a)} tensors against {len(e)}"
    assert a, f"{msg}: nothing to compare (no tensor on either side)"
    for i, (x, y) in enumerate(zip(a, e)):
        where = f"{msg} [tensor {i}]"
        if isinstance(x, PackedSequence) or isinstance(y, PackedSequence):
            assert isinstance(x, PackedSequence) and isinstance(y, PackedSequence), (
                f"{where}: expected a PackedSequence on both sides, got {_kind(x)} against {_kind(y)}"
            )
            _same_indices(x, y, where)
            x, y = x.data, y.data
        assert isinstance(x, torch.Tensor), f"{where}: expected a tensor, got {_kind(x)} (actual)"
        assert isinstance(y, torch.Tensor), f"{where}: expected a tensor, got {_kind(y)} (expected)"
        assert x.shape == y.shape, f"{where}: shape {tuple(x.shape)} against {tuple(y.shape)} (never broadcast)"
        assert x.dtype == y.dtype, f"{where}: dtype {x.dtype} against {y.dtype}"
        assert x.device == y.device, f"{where}: device {x.device} against {y.device}"
        if not (x.is_floating_point() or x.is_complex()):
            differ = x != y
            assert not differ.any(), (
                f"{where}: {int(differ.sum())} of {x.numel()} {x.dtype} elements differ (compared exactly)"
            )
            continue
        _nonfinite(x, "actual", where)
        _nonfinite(y, "expected", where)
        tol = tolerance(computed_on or x.device.type, x.dtype, tf32=tf32, steps=steps)
        # |x - y| <= atol + rtol*|y| elementwise, as torch.testing.assert_close (absent before torch 1.9)
        excess = (x - y).abs() - (tol["atol"] + tol["rtol"] * y.abs())
        if x.numel() and bool((excess > 0).any()):
            k = int(excess.flatten().argmax())
            raise AssertionError(
                f"{where}: {int((excess > 0).sum())} of {x.numel()} elements differ beyond "
                f"rtol={tol['rtol']}, atol={tol['atol']}; worst at flat index {k}: "
                f"{x.flatten()[k].item()!r} against {y.flatten()[k].item()!r}"
            )
