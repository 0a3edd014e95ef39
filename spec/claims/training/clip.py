"""Training of gradient clipping, torch.nn.utils.clip_grad_norm_."""

from __future__ import annotations

import math

import pytest
import torch

from spec.helpers.api import api
from spec.helpers.modules import returned_tensors, weighted_sum
from spec.helpers.strategies import Config
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, PAST_RELEASE, Seed, TorchDoc, TorchOwn, claim, release_of
from spec.sources.seeds import S003, S004


@claim(
    id="clip.training.global-norm",
    scope=CONTRACT,
    statement=(
        "clip_grad_norm_(parameters, theta) computes the norm g of all gradients taken together and, when g > theta, "
        "scales every gradient in place by theta/(g + 1e-6): the sources' rule min(1, theta/g) with a guard "
        "against g = 0."
    ),
    modules=("clip_grad_norm_",),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "max_norm"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "Clip the gradient norm"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "concatenated into a single vector"),
        Seed(S003, "1.3: clipping the gradient norm before the update helps against exploding gradients", line=61),
        Seed(S004, "training loop: gradient clipping by the global norm", line=127),
    ),
)
@pytest.mark.parametrize("theta", [0.1, 1.0, 100.0])
def test_clip_global_norm(theta, device):
    cfg = Config(mode="LSTM", num_layers=2, dtype="float64")
    m = cfg.build(device, train=True)
    weighted_sum(returned_tensors(m(cfg.input(device))), cfg, device).backward()
    before = [p.grad.clone() for p in m.parameters()]
    held = grads_held(m.parameters())
    g = torch.sqrt(sum((b**2).sum() for b in before))  # the global norm, by hand
    returned = api.clip_grad_norm_(m.parameters(), theta)
    assert_in_place(m.parameters(), held, f"theta={theta}")
    assert returned.item() == pytest.approx(g.item(), rel=1e-12), (
        f"theta={theta}: returned {returned.item()} against the norm by hand {g.item()}"
    )
    scale = min(1.0, theta / (g.item() + 1e-6))
    for b, p in zip(before, m.parameters()):
        assert_close(p.grad, b * scale, f"theta={theta}")


# --- issue 17: clip_grad_norm_'s norm types, a single tensor, foreach ---


def grads_held(params) -> list:
    """Each parameter's gradient tensor and the memory it writes to, before a call that must change it in place."""
    return [(q.grad, q.grad.data_ptr()) for q in params]


def assert_in_place(params, held, what: str) -> None:
    """Every gradient is still the tensor it was, writing to the same memory: changed in place, not replaced (an
    optimizer or a hook holding p.grad sees the change)."""
    for (grad, ptr), q in zip(held, params):
        assert q.grad is grad, f"{what}: .grad was replaced by a new tensor instead of being changed in place"
        assert q.grad.data_ptr() == ptr, f"{what}: .grad now writes to other memory"


def grads_of(device, seed=0):
    """Three parameters with seeded gradients of different shapes."""
    g = torch.Generator().manual_seed(seed)
    params = []
    for shape in ((4, 3), (5,), (2, 2, 2)):
        p = torch.zeros(shape, dtype=torch.float64, device=device, requires_grad=True)
        p.grad = torch.randn(shape, generator=g, dtype=torch.float64).to(device)
        params.append(p)
    return params


def norm_by_hand(grads, p: float) -> float:
    """The p-norm of all gradients as one vector: max |g| for p = inf, (sum |g|^p)^(1/p) otherwise."""
    flat = torch.cat([g.flatten().abs() for g in grads])
    return flat.max().item() if math.isinf(p) else (flat**p).sum().item() ** (1 / p)


@claim(
    id="clip.training.norm-types",
    scope=CONTRACT,
    statement=(
        "clip_grad_norm_'s norm_type picks the p-norm of all gradients as one vector: inf (also given as the "
        "string 'inf') is the largest |g|, another p is (sum |g|^p)^(1/p); the gradients are scaled by "
        "max_norm/(norm + 1e-6) when that is below 1, and a single tensor is accepted in place of an iterable."
    ),
    modules=("clip_grad_norm_",),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "max_norm"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "norm_type"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Returns", "Returns"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "concatenated into a single vector"),
    ),
)
@pytest.mark.parametrize("norm_type", (math.inf, "inf", 1.0, 3.0), ids=repr)
def test_clip_norm_types(norm_type, device):
    p = float(norm_type)
    for max_norm in (0.5, 1e3):  # clipped, and left alone
        params = grads_of(device)
        before, held = [q.grad.clone() for q in params], grads_held(params)
        total = norm_by_hand(before, p)
        returned = api.clip_grad_norm_(params, max_norm, norm_type=norm_type)
        assert_in_place(params, held, f"norm_type={norm_type!r} max_norm={max_norm}")
        assert returned.item() == pytest.approx(total, rel=1e-12), (
            f"norm_type={norm_type!r} max_norm={max_norm}: returned {returned.item()} against {total} by hand"
        )
        scale = min(1.0, max_norm / (total + 1e-6))
        for b, q in zip(before, params):
            assert_close(q.grad, b * scale, f"norm_type={norm_type!r} max_norm={max_norm}")
    single = grads_of(device)[0]
    before = single.grad.clone()
    returned = api.clip_grad_norm_(single, 0.5, norm_type=norm_type)
    assert returned.item() == pytest.approx(norm_by_hand([before], p), rel=1e-12), (
        f"a single tensor: returned {returned.item()} against {norm_by_hand([before], p)} by hand"
    )
    assert_close(single.grad, before * min(1.0, 0.5 / (returned.item() + 1e-6)), "a single tensor")


# foreach: added by pytorch/pytorch#91846 (merged January 2023, after the 1.13 release of October 2022 and before
# the 2.0 branch cut of February 2023): first released in 2.0.
@claim(
    id="clip.training.foreach",
    scope=TorchOwn("whether a device has torch's foreach kernels"),
    statement=(
        "clip_grad_norm_(..., foreach=False) and the default foreach=None clip alike; foreach=True clips alike "
        "too where the tensors' device has foreach kernels, and elsewhere refuses with a RuntimeError instead of "
        "falling back as None does."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "foreach"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("foreach", (None, True, False), ids=repr)
def test_clip_foreach(foreach, device):
    params = grads_of(device, seed=1)
    before, held = [q.grad.clone() for q in params], grads_held(params)
    total = norm_by_hand(before, 2.0)
    try:
        returned = torch.nn.utils.clip_grad_norm_(params, 0.5, foreach=foreach)
    except RuntimeError as refused:  # which devices have foreach kernels has changed between releases
        assert foreach is True and "foreach=True was passed" in str(refused), refused
        assert all(torch.equal(b, q.grad) for b, q in zip(before, params)), "a refusal changes nothing"
        return
    assert returned.item() == pytest.approx(total, rel=1e-12), (
        f"foreach={foreach}: returned {returned.item()} against {total} by hand"
    )
    assert_in_place(params, held, f"foreach={foreach}")
    for b, q in zip(before, params):
        assert_close(q.grad, b * (0.5 / (total + 1e-6)), f"foreach={foreach}")


@claim(
    id="clip.training.no-gradients",
    scope=CONTRACT,
    statement=(
        "clip_grad_norm_ over parameters that have no gradient (or over none at all) returns a total norm of 0 "
        "and changes nothing."
    ),
    modules=("clip_grad_norm_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_norm_", "Args", "parameters"),),
)
def test_clip_no_gradients(device):
    params = [torch.ones(3, device=device, requires_grad=True), torch.ones(2, device=device, requires_grad=True)]
    for given in (params, []):
        total = api.clip_grad_norm_(given, 1.0)
        assert total.item() == 0.0, f"{len(given)} parameters with no gradient: total norm {total.item()} against 0"
    assert all(p.grad is None for p in params), f"gradients {[p.grad for p in params]} against None"


# --- issue 24: the other helpers of torch/nn/utils/clip_grad.py ---
def meta_grads() -> list:
    """Two parameters with gradients on the meta device: a device type with no foreach kernels."""
    params = [torch.zeros(3, device="meta", requires_grad=True), torch.zeros(2, device="meta", requires_grad=True)]
    for p in params:
        p.grad = torch.ones_like(p)
    return params


def after_2_1() -> bool:
    """Clipping gradients on the meta device works from 2.1 (measured on 2.1, 2.3, 2.9, 2.10, 2.13, 2.15); 1.9 and
    1.11 have no meta kernel for the norm."""
    return not release_of(torch.__version__) < release_of("2.1")


@claim(
    id="clip.training.value",
    scope=CONTRACT,
    statement=(
        "clip_grad_value_(parameters, v) clamps every element of every gradient into [-v, v] in place (the same "
        "tensors), leaves parameters without a gradient alone, takes a single tensor for an iterable, and "
        "returns None."
    ),
    modules=("clip_grad_value_",),
    sources=(
        TorchDoc("torch.nn.utils.clip_grad_value_", "clip_value: clipped in the range [-clip_value, clip_value]"),
        TorchDoc("torch.nn.utils.clip_grad_value_", "Gradients are modified in-place"),
    ),
)
@pytest.mark.parametrize("v", (0.5, 100.0), ids=("clipped", "untouched"))
def test_clip_value(v, device):
    params = grads_of(device, seed=2) + [torch.zeros(2, dtype=torch.float64, device=device, requires_grad=True)]
    before, held = [q.grad.clone() for q in params[:-1]], grads_held(params[:-1])
    assert torch.nn.utils.clip_grad_value_(params, v) is None, "clip_grad_value_ returns something, not None"
    assert_in_place(params[:-1], held, f"clip_value={v}")
    for b, q in zip(before, params):
        # by hand: each element is min(max(g, -v), v)
        want = torch.where(b > v, torch.full_like(b, v), torch.where(b < -v, -v, b))
        assert torch.equal(q.grad, want), f"clip_value={v}: {q.grad.tolist()} against {want.tolist()}"
    assert params[-1].grad is None, f"a parameter with no gradient got {params[-1].grad}"
    single = grads_of(device, seed=3)[1]
    before = single.grad.clone()
    torch.nn.utils.clip_grad_value_(single, 0.5)
    assert torch.equal(single.grad, before.clamp(-0.5, 0.5)), "a single tensor"


# foreach arrived in clip_grad_value_ with clip_grad_norm_'s (pytorch/pytorch#91846, 2.0: clip.training.foreach);
# measured present on 2.1, 2.3, 2.9, 2.10, 2.13 and 2.15, absent on 1.9 and 1.11.
@claim(
    id="clip.training.value-foreach",
    scope=TorchOwn("whether a device has torch's foreach kernels"),
    statement=(
        "clip_grad_value_(..., foreach=None, True or False) clamps alike; on a device with no foreach kernels "
        "foreach=True refuses with a RuntimeError and changes nothing, where None falls back."
    ),
    modules=("clip_grad_value_",),
    sources=(TorchDoc("torch.nn.utils.clip_grad_value_", "foreach"),),
    torch=">=2.0",
)
@pytest.mark.parametrize("foreach", (None, True, False), ids=repr)
def test_clip_value_foreach(foreach, device):
    params = grads_of(device, seed=4)
    before, held = [q.grad.clone() for q in params], grads_held(params)
    torch.nn.utils.clip_grad_value_(params, 0.5, foreach=foreach)
    assert_in_place(params, held, f"foreach={foreach}")
    for b, q in zip(before, params):
        assert torch.equal(q.grad, b.clamp(-0.5, 0.5)), f"foreach={foreach}"
    if device == "cpu" and after_2_1():  # the meta device has no foreach kernels
        params = meta_grads()
        if foreach:
            with pytest.raises(RuntimeError, match="foreach=True"):
                torch.nn.utils.clip_grad_value_(params, 0.5, foreach=True)
            with pytest.raises(RuntimeError, match="foreach=True"):
                torch.nn.utils.clip_grad_norm_(params, 0.5, foreach=True)
        else:
            torch.nn.utils.clip_grad_value_(params, 0.5, foreach=foreach)
            torch.nn.utils.clip_grad_norm_(params, 0.5, foreach=foreach)
            assert all(q.grad.device.type == "meta" and q.grad.shape == q.shape for q in params), (
                f"gradients {[(q.grad.device.type, tuple(q.grad.shape)) for q in params]}: not the meta parameters'"
            )


# get_total_norm and clip_grads_with_norm_: clip_grad_norm_ split in two public functions in 2.6 (the brief's range;
# measured present on 2.9, 2.10, 2.13, 2.15 and absent on 2.1 and 2.3).
SPLIT = ">=2.6"


@claim(
    id="clip.training.get-total-norm",
    scope=CONTRACT,
    statement=(
        "torch.nn.utils.get_total_norm(tensors, norm_type) returns the p-norm of the given tensors taken as one "
        "vector (inf: the largest |x|) without changing them, takes a single tensor, gives 0 for none, and with "
        "error_if_nonfinite=True raises RuntimeError for a nan or inf norm."
    ),
    modules=("get_total_norm",),
    sources=(TorchDoc("torch.nn.utils.get_total_norm", "the norm of the norms of the individual tensors"),),
    torch=SPLIT,
)
@pytest.mark.parametrize("norm_type", (2.0, 1.0, math.inf, "inf"), ids=repr)
def test_get_total_norm(norm_type, device):
    tensors = [q.grad for q in grads_of(device, seed=5)]
    before = [t.clone() for t in tensors]
    p = float(norm_type)
    for foreach in (None, False):
        total = torch.nn.utils.get_total_norm(tensors, norm_type, foreach=foreach)
        assert total.item() == pytest.approx(norm_by_hand(before, p), rel=1e-12), f"foreach={foreach}"
    assert all(torch.equal(a, b) for a, b in zip(tensors, before)), "get_total_norm changed its tensors"
    single = torch.nn.utils.get_total_norm(tensors[0], norm_type)
    assert single.item() == pytest.approx(norm_by_hand(before[:1], p), rel=1e-12), (
        f"a single tensor: {single.item()} against {norm_by_hand(before[:1], p)} by hand"
    )
    assert torch.nn.utils.get_total_norm([], norm_type).item() == 0.0, (
        f"no tensors: {torch.nn.utils.get_total_norm([], norm_type).item()} against 0"
    )
    bad = [torch.tensor([1.0, float("nan")], device=device)]
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.get_total_norm(bad, norm_type, error_if_nonfinite=True)
    if device == "cpu":  # the meta device has no foreach kernels: None falls back, True refuses
        meta = [q.grad for q in meta_grads()]
        assert torch.nn.utils.get_total_norm(meta, norm_type).device.type == "meta", (
            "the total norm of meta tensors left the meta device"
        )
        with pytest.raises(RuntimeError, match="foreach=True"):
            torch.nn.utils.get_total_norm(meta, norm_type, foreach=True)


@claim(
    id="clip.training.clip-grads-with-norm",
    scope=CONTRACT,
    statement=(
        "torch.nn.utils.clip_grads_with_norm_(parameters, max_norm, total_norm) scales every gradient in place by "
        "min(1, max_norm/(total_norm + 1e-6)) for the total norm it is given, whatever the gradients' own norm; "
        "get_total_norm followed by clip_grads_with_norm_ is clip_grad_norm_."
    ),
    modules=("clip_grads_with_norm_", "get_total_norm", "clip_grad_norm_"),
    sources=(
        TorchDoc("torch.nn.utils.clip_grads_with_norm_", "grad = grad * min(max_norm / (total_norm + 1e-6), 1)"),
        TorchDoc("torch.nn.utils.clip_grad_norm_", "Description", "get_total_norm"),
    ),
    torch=SPLIT,
)
@pytest.mark.parametrize("foreach", (None, False), ids=repr)
def test_clip_grads_with_norm(foreach, device):
    for given_norm in (10.0, 0.1):  # clipped; and a norm below max_norm leaves them (the factor is capped at 1)
        params = grads_of(device, seed=6)
        before, held = [q.grad.clone() for q in params], grads_held(params)
        total = torch.tensor(given_norm, dtype=torch.float64, device=device)
        assert torch.nn.utils.clip_grads_with_norm_(params, 1.0, total, foreach=foreach) is None, (
            "clip_grads_with_norm_ returns something, not None"
        )
        assert_in_place(params, held, f"total_norm={given_norm}")
        for b, q in zip(before, params):
            assert_close(q.grad, b * min(1.0, 1.0 / (given_norm + 1e-6)), f"total_norm={given_norm}")
    single = grads_of(device, seed=6)[0]
    before = single.grad.clone()
    torch.nn.utils.clip_grads_with_norm_(single, 1.0, torch.tensor(4.0, dtype=torch.float64, device=device))
    assert_close(single.grad, before * (1.0 / (4.0 + 1e-6)), "a single tensor")
    torch.nn.utils.clip_grads_with_norm_([torch.zeros(2, device=device, requires_grad=True)], 1.0, total)  # no grads
    # the two steps are clip_grad_norm_: the implementation's (api), the one function of the three an implementation
    # provides (spec.implementations.OBJECTS); torch's two helpers are then what it is compared with
    split, whole = grads_of(device, seed=7), grads_of(device, seed=7)
    norm = torch.nn.utils.get_total_norm([q.grad for q in split], 2.0)
    torch.nn.utils.clip_grads_with_norm_(split, 0.5, norm)
    # (to float64's rounding, as the other clip claims: an implementation may add the squares in another order)
    whole_norm = api.clip_grad_norm_(whole, 0.5)
    assert whole_norm.item() == pytest.approx(norm.item(), rel=1e-12), f"{whole_norm.item()} vs {norm.item()}"
    for a, b in zip(split, whole):
        assert_close(b.grad, a.grad, "clip_grad_norm_ against get_total_norm then clip_grads_with_norm_")
    if device == "cpu":
        with pytest.raises(RuntimeError, match="foreach=True"):
            torch.nn.utils.clip_grads_with_norm_(meta_grads(), 1.0, torch.tensor(4.0), foreach=True)


@claim(
    id="clip.training.split-helpers-absent",
    scope=PAST_RELEASE,
    statement="Before torch 2.6 torch.nn.utils has neither get_total_norm nor clip_grads_with_norm_.",
    modules=("get_total_norm", "clip_grads_with_norm_"),
    sources=(
        TorchDoc("torch.nn.utils.get_total_norm", "the norm of the norms of the individual tensors"),
        TorchDoc("torch.nn.utils.clip_grads_with_norm_", "grad = grad * min(max_norm / (total_norm + 1e-6), 1)"),
    ),
    torch="<2.6",
)
def test_split_helpers_absent():
    assert not hasattr(torch.nn.utils, "get_total_norm"), f"torch {torch.__version__} has get_total_norm"
    assert not hasattr(torch.nn.utils, "clip_grads_with_norm_"), f"torch {torch.__version__} has clip_grads_with_norm_"
