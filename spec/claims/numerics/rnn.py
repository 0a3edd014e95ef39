"""Numerics of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given

from spec.helpers.strategies import LAYERS, Config, batched, configs, describe
from spec.helpers.tolerances import assert_close, flat_tensors, tf32
from spec.registry import BACKENDS, CONTRACT, PAST_RELEASE, TorchDoc, TorchOwn, claim, torch_docs


@claim(
    id="rnn.numerics.cpu-matches-cuda",
    scope=CONTRACT,
    statement=(
        "The same module and input give the same output and state on cuda as on cpu: to float64 rounding, "
        "to float32 rounding with TF32 off, and within TF32's 10-bit mantissa with it on."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "allow_tf32"),),
    devices=("cuda",),
)
@pytest.mark.parametrize(("dtype", "enabled"), [("float64", False), ("float32", False), ("float32", True)])
@given(cfg=configs(batch=batched))
def test_cpu_matches_cuda(cfg, dtype, enabled, device):
    cfg = cfg.with_(dtype=dtype)
    describe(cfg, device)
    with tf32(enabled), torch.no_grad():
        on_cpu = cfg.build("cpu")(cfg.input("cpu"))
        on_cuda = cfg.build(device)(cfg.input(device))
    on_cuda = [t.cpu() for t in flat_tensors(on_cuda)]
    steps = cfg.num_layers * cfg.seq  # the recurrence an element of the output depends on
    msg = f"{cfg.repro(device)} (tf32={enabled})"
    assert_close(on_cuda, flat_tensors(on_cpu), msg, steps=steps, tf32=enabled, computed_on=device)


# matmul.allow_tf32 defaulted to True from 1.7 (when TF32 arrived) to 1.11 and to False from 1.12
# (pytorch/pytorch#76509, "Default TF32 to off for matmul"); cudnn.allow_tf32 has stayed True. Both flags are
# process-wide and readable on CPU-only builds; every check of this spec that sets them restores them
# (spec.helpers.tolerances.tf32), so they read as their defaults here unless the user set them.
@claim(
    id="rnn.numerics.tf32-defaults",
    scope=BACKENDS,
    statement=(
        "torch.backends.cudnn.allow_tf32 defaults to True and torch.backends.cuda.matmul.allow_tf32 to False, "
        "so on Ampere and later GPUs the cuDNN recurrent kernels compute float32 in TF32 while a plain "
        "matmul does not."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "allow_tf32"), TorchDoc("torch.backends.cuda.matmul", "allow_tf32")),
    torch=">=1.12",
)
def test_tf32_defaults():
    assert torch.backends.cudnn.allow_tf32 is True, (
        f"cudnn.allow_tf32 defaults to {torch.backends.cudnn.allow_tf32!r}, not True"
    )
    assert torch.backends.cuda.matmul.allow_tf32 is False, (
        f"cuda.matmul.allow_tf32 defaults to {torch.backends.cuda.matmul.allow_tf32!r}, not False"
    )


@claim(
    id="rnn.numerics.tf32-defaults-before-1-12",
    scope=PAST_RELEASE,
    statement="Before torch 1.12 both torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32 "
    "default to True.",
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "allow_tf32"), TorchDoc("torch.backends.cuda.matmul", "allow_tf32")),
    torch="<1.12",
)
def test_tf32_defaults_before_1_12():
    assert torch.backends.cudnn.allow_tf32 is True, (
        f"cudnn.allow_tf32 defaults to {torch.backends.cudnn.allow_tf32!r}, not True"
    )
    assert torch.backends.cuda.matmul.allow_tf32 is True, (
        f"cuda.matmul.allow_tf32 defaults to {torch.backends.cuda.matmul.allow_tf32!r}, not True"
    )


# The autocast wrapper of cuDNN's RNN (aten/src/ATen/cudnn/AutocastRNN.cpp, since autocast arrived in 1.6)
# casts input, state and flattened weights to half whatever dtype autocast was given; torch.autocast took a
# dtype for cuda from 1.10. Measured on an H100 with torch 2.11 (../shared/gpu/probe-h100-torch2.11.log).
@claim(
    id="rnn.numerics.autocast-bfloat16-gives-float16",
    scope=BACKENDS,
    statement=(
        "Under torch.autocast('cuda', dtype=torch.bfloat16), RNN, LSTM and GRU on cuda return output and state "
        "in float16, not bfloat16; a module converted to bfloat16 (outside autocast) returns bfloat16."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.autocast", "CUDA ops that can autocast to float16"),),
    torch=">=1.10",
    devices=("cuda",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_autocast_bfloat16_gives_float16(mode, device):
    cfg = Config(mode=mode, dtype="float32")
    m, x = cfg.build(device), cfg.input(device)
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16):
        got = flat_tensors(m(x))
    assert [t.dtype for t in got] == [torch.float16] * len(got), (
        f"{mode} under bfloat16 autocast: {[t.dtype for t in got]}, not float16"
    )
    with torch.no_grad():
        converted = flat_tensors(m.to(torch.bfloat16)(x.to(torch.bfloat16)))
    assert [t.dtype for t in converted] == [torch.bfloat16] * len(converted), (
        f"{mode} converted to bfloat16: {[t.dtype for t in converted]}"
    )


# Measured on 2.13 only (torch.autocast takes "cpu" from 1.10; which recurrent ops its CPU list lowers changed
# since), so the claim starts there. The same run shows autocast to float16 on the CPU making nn.LSTM fail in
# oneDNN ("could not create a primitive descriptor"): not claimed.
#: The dtype each layer (and its cell) returns under CPU autocast to bfloat16, measured on 2.13.
AUTOCAST_CPU = {
    "RNN": (torch.bfloat16, torch.bfloat16),
    "LSTM": (torch.bfloat16, torch.float32),
    "GRU": (torch.float32, torch.float32),
}


@claim(
    id="rnn.numerics.autocast-cpu-bfloat16",
    scope=TorchOwn("which ops autocast lowers, and to what, is torch's autocast policy"),
    statement=(
        "Under torch.autocast('cpu', dtype=torch.bfloat16) a float32 RNN or LSTM returns output and state in "
        "bfloat16, and a GRU in float32, each within bfloat16's rounding of what it computes in float32 outside "
        "autocast (the GRU's products are computed in bfloat16 too); RNNCell returns bfloat16, LSTMCell and GRUCell "
        "float32. Gradients reach every float32 parameter, in float32."
    ),
    modules=LAYERS + ("RNNCell", "LSTMCell", "GRUCell"),
    sources=(TorchDoc("torch.autocast", "CPU ops that can autocast to bfloat16"),),
    torch=">=2.13",
    devices=("cpu",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_autocast_cpu_bfloat16(mode, device):
    layer_dtype, cell_dtype = AUTOCAST_CPU[mode]
    cfg = Config(mode=mode, dtype="float32", num_layers=2, bidirectional=True, seq=3, batch=2)
    m, x = cfg.build(device, train=True), cfg.input(device)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        got = flat_tensors(m(x))
    assert [t.dtype for t in got] == [layer_dtype] * len(got), f"{mode}: {[t.dtype for t in got]}"
    sum(t.float().sum() for t in got).backward()
    for name, p in m.named_parameters():
        assert p.grad is not None and p.grad.dtype == torch.float32, f"{mode}.{name}: {p.grad}"
        assert bool(p.grad.abs().sum() > 0), f"{mode}.{name}: zero gradient"
    with torch.no_grad():
        want = [t.to(torch.bfloat16) for t in flat_tensors(m(x))]
    # at bfloat16's precision, whatever dtype is returned: the GRU's float32 carries bfloat16 products
    got = [t.detach().to(torch.bfloat16) for t in got]
    assert_close(got, want, cfg.repro(device), steps=cfg.num_layers * cfg.seq)
    cell = getattr(torch.nn, f"{mode}Cell")(cfg.input_size, cfg.hidden_size).to(device)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        returned = flat_tensors(cell(x[0]))
    assert [t.dtype for t in returned] == [cell_dtype] * len(returned), f"{mode}Cell: {[t.dtype for t in returned]}"


#: Two runs of the same seeded forward and backward, and a third from another seed: "bitwise-equal" (or "differ")
#: for the two, "seeds-apart" (or "seeds-alike") for the third against the first -- the comparison's other side: a
#: run with other weights must differ, or two equal runs would show nothing (gradients that never reached the
#: parameters compare equal every time). argv: the layer, the device ("cuda" in the claim; the script runs
#: anywhere). Without the recipe two runs need not differ (cuDNN's RNN kernels may well be deterministic on a
#: given GPU), so that side is not asserted: no run here could show it reliably.
DETERMINISM = """
import sys, torch
mode, device = sys.argv[1], sys.argv[2]
torch.use_deterministic_algorithms(True)
def run(seed):
    torch.manual_seed(seed)
    m = getattr(torch.nn, mode)(8, 16, num_layers=2, bidirectional=True).to(device)
    x = torch.randn(12, 5, 8, device=device, requires_grad=True)
    out, _ = m(x)
    (out * torch.linspace(-1, 1, out.numel(), device=device).view_as(out)).sum().backward()
    got = [out.detach()] + [x.grad] + [p.grad for p in m.parameters()]
    assert all(t is not None and bool(t.abs().sum() > 0) for t in got), "a gradient is missing or zero"
    return got
first, second, other = run(0), run(0), run(1)
same = all(torch.equal(a, b) for a, b in zip(first, second))
apart = all(not torch.equal(a, b) for a, b in zip(first, other))
print("bitwise-equal" if same else "differ", "seeds-apart" if apart else "seeds-alike")
"""


@claim(
    id="rnn.numerics.deterministic-recipe",
    scope=BACKENDS,
    statement=(
        "With torch's reproducibility recipe for cuda (CUBLAS_WORKSPACE_CONFIG=:4096:8 and "
        "torch.use_deterministic_algorithms(True)), two runs of forward and backward of the same seeded RNN, LSTM "
        "or GRU on the same input give bitwise-equal outputs and gradients."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(
            ("torch.nn.RNN", "torch.nn.LSTM"), "Include", "cudnn_rnn_determinism.md", "cudnn_rnn_determinism.rst"
        ),
        TorchDoc("torch.use_deterministic_algorithms", "CUBLAS_WORKSPACE_CONFIG"),
    ),
    torch=">=1.8",
    devices=("cuda",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_deterministic_recipe(mode, device):
    import os
    import subprocess
    import sys

    # a fresh process: the cuBLAS workspace setting only takes effect before cuBLAS starts
    env = {**os.environ, "CUBLAS_WORKSPACE_CONFIG": ":4096:8"}
    proc = subprocess.run([sys.executable, "-c", DETERMINISM, mode, device], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr.strip().splitlines()[-1:]
    assert proc.stdout.strip() == "bitwise-equal seeds-apart", f"{mode}: {proc.stdout.strip()!r}"


# --- issue 24: the determinism note as the layers' docstring states it ---
#: One run of the docstring's recipe, in a process of its own: seeded forward and backward of each layer on cuda,
#: and a digest of every output and gradient's bytes (nothing else is set: no use_deterministic_algorithms).
#: argv: the seed, the device ("cuda" in the claim; the script runs anywhere).
NOTE_RUN = """
import hashlib, os, sys, torch
seed, device = int(sys.argv[1]), sys.argv[2]
digest = hashlib.sha256()
for mode in ("RNN", "LSTM", "GRU"):
    torch.manual_seed(seed)
    m = getattr(torch.nn, mode)(8, 16, num_layers=2, bidirectional=True).to(device)
    x = torch.randn(12, 5, 8, device=device, requires_grad=True)
    out, _ = m(x)
    (out * torch.linspace(-1, 1, out.numel(), device=device).view_as(out)).sum().backward()
    for t in [out.detach(), x.grad] + [p.grad for p in m.parameters()]:
        assert t is not None and bool(t.abs().sum() > 0), mode
        digest.update(t.detach().cpu().numpy().tobytes())
print(os.environ.get("CUBLAS_WORKSPACE_CONFIG"), torch.backends.cudnn.is_available(), digest.hexdigest())
"""


@claim(
    id="rnn.numerics.determinism-note",
    scope=BACKENDS,
    statement=(
        "As the layers' determinism note says, with CUBLAS_WORKSPACE_CONFIG set to :16:8 or :4096:2 (CUDA 10.2 or "
        "later) and nothing else, two fresh processes running the same seeded forward and backward of RNN, LSTM "
        "and GRU on cuda get bitwise-equal outputs and gradients."
    ),
    modules=LAYERS,
    sources=(
        *torch_docs(
            ("torch.nn.RNN", "torch.nn.LSTM"), "Include", "cudnn_rnn_determinism.md", "cudnn_rnn_determinism.rst"
        ),
    ),
    devices=("cuda",),
)
@pytest.mark.parametrize("workspace", (":16:8", ":4096:2"))
def test_determinism_note(workspace, device):
    import os
    import subprocess
    import sys

    cuda = torch.version.cuda
    if cuda is None or tuple(int(p) for p in cuda.split(".")[:2]) < (10, 2):
        pytest.skip(f"the note's recipe is for CUDA 10.2 or later; this build has CUDA {cuda}")
    env = {**os.environ, "CUBLAS_WORKSPACE_CONFIG": workspace}
    env.pop("CUDA_LAUNCH_BLOCKING", None)  # the note's other recipe (CUDA 10.1): not this one
    lines = []
    for seed in (0, 0, 1):  # each run a fresh process: the workspace setting is read when cuBLAS starts
        proc = subprocess.run(
            [sys.executable, "-c", NOTE_RUN, str(seed), device], env=env, capture_output=True, text=True
        )
        assert proc.returncode == 0, proc.stderr.strip().splitlines()[-1:]
        lines.append(proc.stdout.strip().splitlines()[-1])
    assert lines[0].split()[0] == workspace, lines[0]
    assert lines[0] == lines[1], f"two processes with CUBLAS_WORKSPACE_CONFIG={workspace} differ: {lines}"
    # the other side: another seed's run gives another digest, so equal digests say the runs agree
    assert lines[2] != lines[0], f"seeds 0 and 1 give the same digest: {lines[0]}"
