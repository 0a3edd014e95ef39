"""Comparison tolerances, each with its reason. Claims never choose their own.

float64 on CPU: every step is a few dot products of length <= 3*6; rounding
error is O(n * eps) with eps = 2.2e-16, and a run of 3 layers x 5 steps stays
below 1e-14 (measured ~2e-16). rtol 1e-10 / atol 1e-12 keeps four orders of
margin while a wrong gate order, bias placement or direction produces
differences of order 1e-2, so the check can fail.

float32: eps = 1.2e-7; the same chains stay below ~1e-6, hence rtol 1e-5 / atol 1e-5.

cuda float32: cuDNN may compute in TF32 (10-bit mantissa, eps ~ 1e-3) when
torch.backends.cuda.matmul.allow_tf32 / cudnn.allow_tf32 are on, hence 5e-3.
With TF32 off, cuda float32 uses the float32 tolerance.
"""

from __future__ import annotations

import torch
from torch.nn.utils.rnn import PackedSequence

TOLERANCES = {
    ("cpu", torch.float64): dict(rtol=1e-10, atol=1e-12),
    ("cpu", torch.float32): dict(rtol=1e-5, atol=1e-5),
    ("cuda", torch.float64): dict(rtol=1e-9, atol=1e-11),
    ("cuda", torch.float32): dict(rtol=5e-3, atol=5e-3),  # TF32
}


def tolerance(device: str, dtype: torch.dtype, tf32: bool = True) -> dict:
    kind = "cuda" if str(device).startswith("cuda") else "cpu"
    if kind == "cuda" and dtype == torch.float32 and not tf32:
        kind = "cpu"
    return TOLERANCES[(kind, dtype)]


def flat_tensors(x):
    if isinstance(x, PackedSequence):
        return [x.data]
    if isinstance(x, (tuple, list)):
        return [t for item in x for t in flat_tensors(item)]
    return [x]


def assert_close(actual, expected, msg: str = "") -> None:
    """Compare tensors, tuples of tensors or PackedSequences element-wise."""
    a, e = flat_tensors(actual), flat_tensors(expected)
    assert len(a) == len(e), f"{msg}: {len(a)} tensors against {len(e)}"
    for i, (x, y) in enumerate(zip(a, e)):
        where = f"{msg} [tensor {i}]"
        assert x.shape == y.shape, f"{where}: shape {tuple(x.shape)} against {tuple(y.shape)}"
        assert x.dtype == y.dtype, f"{where}: dtype {x.dtype} against {y.dtype}"
        assert x.device == y.device, f"{where}: device {x.device} against {y.device}"
        tol = tolerance(x.device.type, x.dtype)
        # |x - y| <= atol + rtol*|y| elementwise, as torch.testing.assert_close (absent before torch 1.9)
        excess = (x - y).abs() - (tol["atol"] + tol["rtol"] * y.abs())
        if x.numel() and excess.max() > 0:
            k = int(excess.flatten().argmax())
            raise AssertionError(
                f"{where}: {int((excess > 0).sum())} of {x.numel()} elements differ beyond "
                f"rtol={tol['rtol']}, atol={tol['atol']}; worst at flat index {k}: "
                f"{x.flatten()[k].item()!r} against {y.flatten()[k].item()!r}"
            )
