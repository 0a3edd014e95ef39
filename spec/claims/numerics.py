"""Numerics: agreement between devices and precisions."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from spec.helpers.strategies import LAYERS, batched, configs, describe
from spec.helpers.tolerances import flat_tensors, tolerance
from spec.registry import TorchDoc, claim


@claim(
    id="rnn.numerics.cpu-matches-cuda",
    statement=(
        "The same module and input give the same output and state on cuda as on cpu: to float64 rounding, "
        "to float32 rounding with TF32 off, and within TF32's 10-bit mantissa with it on."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "allow_tf32"), TorchDoc("torch.nn.LSTM", "class docstring: cuDNN note")),
    devices=("cuda",),
)
@pytest.mark.parametrize(("dtype", "tf32"), [("float64", False), ("float32", False), ("float32", True)])
@given(cfg=configs(batch=batched))
def test_cpu_matches_cuda(cfg, dtype, tf32, device):
    cfg = cfg.with_(dtype=dtype)
    describe(cfg)
    flags = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = tf32
    try:
        with torch.no_grad():
            on_cpu = cfg.build("cpu")(cfg.input("cpu"))
            on_cuda = cfg.build(device)(cfg.input(device))
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = flags
    tol = tolerance("cuda", cfg.torch_dtype, tf32=tf32)
    for got, want in zip(flat_tensors(on_cuda), flat_tensors(on_cpu)):
        excess = (got.cpu() - want).abs() - (tol["atol"] + tol["rtol"] * want.abs())
        assert excess.max() <= 0, f"{cfg.repro()} (tf32={tf32}): off by up to {excess.max().item():.3g} beyond {tol}"
