"""Planted mistakes: each claim sharpened or added by issue 24 fails, on an assertion, against a torch patched to
behave in one plausible wrong way, and holds again once the patch is gone.

Each mistake is a monkeypatch of torch (undone after the test); the claim's own check is called as the plugin
would call it, found through the registry. Where the check before issue 24 let the mistake through, the test says
so: that is why it was sharpened.
"""

from __future__ import annotations

import copy
import importlib
import math

import pytest
import torch
import torch.nn.modules.rnn as rnn_module
from torch.nn.utils.rnn import PackedSequence

import spec
from spec.registry import REGISTRY, release_of


def before(version: str) -> bool:
    return release_of(torch.__version__) < release_of(version)


def check(claim_id: str):
    """The claim's check function (where it lives is the registry's business)."""
    spec.load_all()
    module, _, name = REGISTRY.get(claim_id).where.partition(":")
    return getattr(importlib.import_module(module), name)


def fails(claim_id: str, **args) -> None:
    """The claim's check fails on an assertion (or a pytest.raises that saw nothing) with these arguments."""
    with pytest.raises((AssertionError, pytest.fail.Exception)):
        check(claim_id)(**args)


class Kernels:
    """Stands in for torch._VF inside torch.nn.modules.rnn: some kernels replaced, the rest forwarded."""

    def __init__(self, real, **replaced):
        self._real, self._replaced = real, replaced

    def __getattr__(self, name):
        return self._replaced.get(name) or getattr(self._real, name)


LAYER_KERNELS = ("lstm", "gru", "rnn_tanh", "rnn_relu")


def patch_kernels(monkeypatch, wrap) -> None:
    """Replace each layer kernel k by ``wrap(k, name)`` for the test."""
    real = rnn_module._VF
    monkeypatch.setattr(rnn_module, "_VF", Kernels(real, **{k: wrap(getattr(real, k), k) for k in LAYER_KERNELS}))
    impls = getattr(rnn_module, "_rnn_impls", None)  # nn.RNN's kernels, looked up by mode (torch < 1.10)
    for mode, name in (("RNN_TANH", "rnn_tanh"), ("RNN_RELU", "rnn_relu")):
        if impls is not None and mode in impls:
            monkeypatch.setitem(impls, mode, wrap(impls[mode], name))


# --- dropout ----------------------------------------------------------------------------------------------------
def no_dropout_above_layer_two(kernel, name):
    """Dropout between layers 1 and 2 only: the layers from the third on are run as a second stack whose own first
    layer gets no dropout (the dropout between layers 2 and 3 is gone)."""

    def patched(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
        if num_layers < 3 or not (train and dropout):
            return kernel(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first)
        dirs = 2 if bidirectional else 1
        per_layer = len(params) // num_layers
        states = list(hx) if name == "lstm" else [hx]
        cut = 2 * dirs

        def part(s, sl):
            return tuple(t[sl] for t in s) if name == "lstm" else s[0][sl]

        low = kernel(input, part(states, slice(None, cut)), params[: 2 * per_layer], has_biases, 2, dropout, train,
                     bidirectional, batch_first)  # fmt: skip
        high = kernel(low[0], part(states, slice(cut, None)), params[2 * per_layer :], has_biases, num_layers - 2,
                      dropout, train, bidirectional, batch_first)  # fmt: skip
        return (high[0],) + tuple(torch.cat([a, b]) for a, b in zip(low[1:], high[1:]))

    return patched


def test_dropout_at_depth_three_is_seen(monkeypatch):
    patch_kernels(monkeypatch, no_dropout_above_layer_two)
    for mode in ("RNN", "LSTM", "GRU"):
        fails("rnn.semantics.dropout-rate", mode=mode, p=0.5, device="cpu")
        fails("rnn.semantics.dropout-between-layers", mode=mode, device="cpu")
    monkeypatch.undo()
    check("rnn.semantics.dropout-rate")(mode="GRU", p=0.5, device="cpu")


def dropout_as_switch(kernel, name):
    """dropout read as on/off: any p > 0 drops half of what passes between layers."""

    def patched(*args):
        args = list(args)
        for i, a in enumerate(args):  # (..., num_layers, dropout, train, ...): the float before the bool
            if isinstance(a, float) and i + 1 < len(args) and isinstance(args[i + 1], bool):
                args[i] = 0.5 if a > 0 else 0.0
                break
        return kernel(*args)

    return patched


@pytest.mark.parametrize("p", (0.3, 1.0))
def test_dropout_probability_is_a_rate(monkeypatch, p):
    patch_kernels(monkeypatch, dropout_as_switch)
    assert torch.nn.LSTM(3, 4, num_layers=2, dropout=p).dropout == p  # the attribute alone (the old check) holds
    fails("rnn.parameters.dropout-probability", module="LSTM", p=p, device="cpu")


# --- clipping in place --------------------------------------------------------------------------------------------
def clip_norm_new_tensors(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """clip_grad_norm_ with the right values, assigned as new .grad tensors instead of scaling in place."""
    params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norms = torch.stack([torch.linalg.vector_norm(g, float(norm_type)) for g in grads])
    total = torch.linalg.vector_norm(norms, float(norm_type))
    coef = torch.clamp(max_norm / (total + 1e-6), max=1.0)
    for p in params:
        if p.grad is not None:
            p.grad = p.grad * coef
    return total


def clip_value_new_tensors(parameters, clip_value, foreach=None):
    params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    for p in params:
        if p.grad is not None:
            p.grad = p.grad.clamp(-clip_value, clip_value)


def test_clipping_that_replaces_grad_tensors_fails(monkeypatch):
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", clip_norm_new_tensors)
    monkeypatch.setattr(torch.nn.utils, "clip_grad_value_", clip_value_new_tensors)
    fails("clip.training.global-norm", theta=0.1, device="cpu")
    fails("clip.training.norm-types", norm_type=3.0, device="cpu")
    fails("clip.training.foreach", foreach=None, device="cpu")
    fails("clip.training.value", v=0.5, device="cpu")
    fails("clip.training.value-foreach", foreach=False, device="cpu")


@pytest.mark.skipif(not hasattr(torch.nn.utils, "get_total_norm"), reason="get_total_norm arrived in torch 2.6")
def test_split_helpers_fail_on_wrong_norms(monkeypatch):
    real = torch.nn.utils.get_total_norm

    def sum_of_norms(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
        tensors = [tensors] if isinstance(tensors, torch.Tensor) else list(tensors)
        if not tensors:
            return torch.tensor(0.0)
        return sum(real(t, norm_type, error_if_nonfinite, foreach) for t in tensors)  # not the norm of the norms

    monkeypatch.setattr(torch.nn.utils, "get_total_norm", sum_of_norms)
    fails("clip.training.get-total-norm", norm_type=2.0, device="cpu")
    monkeypatch.undo()
    real_clip = torch.nn.utils.clip_grads_with_norm_

    def uncapped(parameters, max_norm, total_norm, foreach=None):  # scales up too: the factor is not capped at 1
        params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
        for p in params:
            if p.grad is not None:
                p.grad.mul_(max_norm / (total_norm + 1e-6))

    monkeypatch.setattr(torch.nn.utils, "clip_grads_with_norm_", uncapped)
    fails("clip.training.clip-grads-with-norm", foreach=None, device="cpu")
    monkeypatch.undo()
    assert torch.nn.utils.clip_grads_with_norm_ is real_clip


# --- where a packed LSTM's bad state is caught -------------------------------------------------------------------
def test_packed_lstm_checked_in_python_again_fails(monkeypatch):
    """LSTM checking a packed input in Python again (as before 2.1): the messages would still be RuntimeErrors
    about sizes, but the check sees that they no longer come from the kernel."""
    real = torch.nn.LSTM.forward

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            data, batch_sizes = input.data, input.batch_sizes
            self.check_input(data, batch_sizes)
            if hx is not None:
                self.check_hidden_size(hx[0], self.get_expected_hidden_size(data, batch_sizes), "Expected size {}")
        return real(self, input, hx)

    monkeypatch.setattr(torch.nn.LSTM, "forward", forward)
    from spec.helpers.outcomes import Case

    cases = {c.name: c for c in importlib.import_module(check_module("lstm.errors.packed-input-unchecked")).PACKED_LSTM}
    assert isinstance(cases["h0-batch"], Case)
    fails("lstm.errors.packed-input-unchecked", case=cases["h0-batch"], device="cpu")
    fails("lstm.errors.packed-input-unchecked", case=cases["data-rank"], device="cpu")


def check_module(claim_id: str) -> str:
    spec.load_all()
    return REGISTRY.get(claim_id).where.partition(":")[0]


# --- the device half on a cpu run ---------------------------------------------------------------------------------
def test_a_device_argument_that_is_ignored_fails_on_a_cpu_run(monkeypatch):
    real = torch.nn.RNNBase.__init__

    def init(self, *args, **kwargs):
        kwargs.pop("device", None)  # parameters made on the default device whatever was asked
        real(self, *args, **kwargs)

    monkeypatch.setattr(torch.nn.RNNBase, "__init__", init)
    fails("rnn.parameters.factory-kwargs", module="LSTM", device="cpu")


def test_index_tensors_left_on_the_cpu_fail_on_a_cpu_run(monkeypatch):
    import torch.nn.utils.rnn as utils

    if before("2.1"):
        pytest.skip("packing a meta tensor needs torch 2.1")
    real = utils.pack_padded_sequence

    def pack(input, lengths, batch_first=False, enforce_sorted=True):
        p = real(input, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        # the order computed from the lengths (on the cpu) and never moved to the data's device
        _, order = torch.sort(torch.as_tensor(lengths), descending=True)
        return PackedSequence(p.data, p.batch_sizes, order, torch.empty_like(order).scatter_(0, order, torch.arange(3)))

    from spec.helpers.api import api

    monkeypatch.setattr(api.utils, "pack_padded_sequence", pack)
    fails("packed.shape.index-tensors", dtype=torch.float32, device="cpu")


# --- copies ---------------------------------------------------------------------------------------------------------
def test_a_deep_copy_that_shares_parameters_fails(monkeypatch):
    monkeypatch.setattr(torch.nn.RNNBase, "__deepcopy__", lambda self, memo: copy.copy(self), raising=False)
    fails("rnn.parameters.copies-independent", mode="GRU", device="cpu")


@pytest.mark.skipif(before("2.1"), reason="load_state_dict(assign=True) arrived in torch 2.1")
def test_load_state_dict_that_replaces_parameters_fails(monkeypatch):
    real = torch.nn.Module.load_state_dict

    def load(self, state_dict, strict=True, assign=False):
        return real(self, state_dict, strict=strict, assign=True)  # the loaded tensors become the parameters

    monkeypatch.setattr(torch.nn.RNNBase, "load_state_dict", load, raising=False)
    fails("rnn.parameters.state-dict-references", mode="LSTM", device="cpu")
    fails("rnn.parameters.copies-independent", mode="LSTM", device="cpu")


# --- higher-order gradients -------------------------------------------------------------------------------------
class FirstOrderOnly(torch.autograd.Function):
    """Identity whose backward passes the gradient on detached: first-order gradients stay right, the second
    order through it is lost."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.detach()


def test_gradients_that_are_not_differentiable_fail(monkeypatch):
    real = torch.nn.GRU.forward

    def forward(self, input, hx=None):
        out, h = real(self, input, hx)
        return FirstOrderOnly.apply(out), h

    monkeypatch.setattr(torch.nn.GRU, "forward", forward)
    fails("rnn.autograd.double-backward", mode="GRU", device="cpu")


# --- TorchScript's deprecation notice ------------------------------------------------------------------------------
def test_a_silent_script_fails_where_the_notice_is_due(monkeypatch):
    import warnings

    spec.load_all()
    if not REGISTRY.get("rnn.warnings.jit-script-deprecated").applies_to(torch.__version__):
        pytest.skip("the DeprecationWarning is 2.10-2.13's")
    real = torch.jit.script

    def silent(obj, *args, **kwargs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return real(obj, *args, **kwargs)

    monkeypatch.setattr(torch.jit, "script", silent)
    fails("rnn.warnings.jit-script-deprecated")


def test_statistical_bounds_are_what_the_comments_say():
    """The dropout checks' 6-standard-deviation bound: a Bernoulli fraction leaves it with probability < 2e-9."""
    tail = math.erfc(6 / math.sqrt(2))  # two-sided normal tail at 6 sd
    assert tail < 2e-9


def test_clip_warnings_that_go_missing_fail(monkeypatch):
    import warnings

    real_norm, real_alias = torch.nn.utils.clip_grad_norm_, torch.nn.utils.clip_grad_norm

    def quietly(fn):
        def call(*args, **kwargs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return fn(*args, **kwargs)

        return call

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm", quietly(real_alias))
    fails("clip.warnings.clip-grad-norm-deprecated", device="cpu")
    spec.load_all()
    if REGISTRY.get("clip.warnings.empty-generator").applies_to(torch.__version__):
        monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", quietly(real_norm))
        fails("clip.warnings.empty-generator", device="cpu")


# --- torch/nn/utils/rnn.py's coverage: a PackedSequence built by hand, converted, and the packing functions traced ---
def test_a_conversion_that_invents_index_tensors_fails(monkeypatch):
    """to(dtype) on a batch packed in sorted order giving empty index tensors where there were none (the check before
    issue 24 converted an unsorted batch only, and let this through)."""
    import torch.nn.utils.rnn as utils

    real = utils.bind

    def bind(optional, fn):
        return fn(torch.zeros(0, dtype=torch.int64)) if optional is None else real(optional, fn)

    monkeypatch.setattr(utils, "bind", bind)
    fails("packed.semantics.conversions")


def by_hand_patched(monkeypatch, change):
    """PackedSequence's argument handling (_packed_sequence_init_args) replaced by ``change(real)``."""
    import torch.nn.utils.rnn as utils

    monkeypatch.setattr(utils, "_packed_sequence_init_args", change(utils._packed_sequence_init_args))


def test_batch_sizes_accepted_off_the_cpu_fail(monkeypatch):
    def unchecked(real):
        def args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
            if batch_sizes is not None and batch_sizes.device.type != "cpu":  # taken as given: no device check
                return data, batch_sizes, sorted_indices, unsorted_indices
            return real(data, batch_sizes, sorted_indices, unsorted_indices)

        return args

    by_hand_patched(monkeypatch, unchecked)
    fails("packed.errors.batch-sizes-off-cpu", device="cpu")


def test_a_constructor_that_takes_any_pair_fails(monkeypatch):
    def loose(real):
        def args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
            if batch_sizes is None and len(data) >= 2:  # the first two items of anything, unchecked
                data, batch_sizes = data[0], data[1]
            return real(data, batch_sizes, sorted_indices, unsorted_indices)

        return args

    by_hand_patched(monkeypatch, loose)
    fails("packed.errors.constructor-pair", device="cpu")


def test_a_constructor_that_does_not_invert_sorted_indices_fails(monkeypatch):
    def not_inverted(real):
        def args(data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
            unsorted = sorted_indices if unsorted_indices is None else unsorted_indices  # the permutation itself
            return real(data, batch_sizes, sorted_indices, unsorted)

        return args

    by_hand_patched(monkeypatch, not_inverted)
    fails("packed.errors.constructor-pair", device="cpu")


def test_list_lengths_under_trace_warned_wrongly_fail(monkeypatch):
    import warnings

    import torch.nn.utils.rnn as utils

    real = utils.pack_padded_sequence

    def silent(input, lengths, *args, **kwargs):  # the list made a tensor first: the tracer's warning is gone
        return real(input, torch.as_tensor(lengths), *args, **kwargs)

    def always(input, lengths, *args, **kwargs):  # the warning outside a trace too
        if not isinstance(lengths, torch.Tensor) and not torch._C._get_tracing_state():
            warned = "pack_padded_sequence has been called with a Python list of sequence lengths, constants"
            warnings.warn(warned, stacklevel=2)
        return real(input, lengths, *args, **kwargs)

    for wrong in (silent, always):
        monkeypatch.setattr(utils, "pack_padded_sequence", wrong)
        fails("packed.warnings.trace-list-lengths")


def test_a_trace_that_unbinds_the_wrong_dimension_fails(monkeypatch):
    import torch.nn.utils.rnn as utils

    real = utils.pad_sequence

    def pad(sequences, *args, **kwargs):
        if torch.jit.is_tracing() and isinstance(sequences, torch.Tensor):
            sequences = list(sequences.unbind(1))  # [B, L, *] taken as L sequences of B steps
        return real(sequences, *args, **kwargs)

    monkeypatch.setattr(utils, "pad_sequence", pad)
    for batch_first in (False, True):
        fails("packed.targets.trace-pad-sequence", batch_first=batch_first, device="cpu")
