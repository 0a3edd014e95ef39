"""Gradients through packed sequences and to the initial state: the ``rnn.autograd.packed-*`` claims."""

from __future__ import annotations

import pytest

from reference.oracle.layers import forward as reference_forward
from spec.helpers.api import api
from spec.helpers.modules import grads_by_name, returned_tensors, state_tensors, torch_view, weighted_sum
from spec.helpers.strategies import LAYERS, Config
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, TorchDoc, claim, torch_docs

# --- issue 17: gradients through packed sequences and to the initial state ---


def state_for(cfg: Config, device):
    """A random initial state that requires grad: h_0, or (h_0, c_0) for LSTM."""
    h0 = cfg.randn(*cfg.state_shape(), device=device, salt=5).requires_grad_(True)
    if cfg.mode != "LSTM":
        return h0
    return h0, cfg.randn(*cfg.state_shape(cfg.hidden_size), device=device, salt=6).requires_grad_(True)


@claim(
    id="rnn.autograd.packed-and-state-gradients",
    scope=CONTRACT,
    statement=(
        "Gradients flow through a PackedSequence input and to h_0 (and c_0) for RNN, LSTM and GRU: the "
        "gradients of the packed data, the initial state and every parameter equal those of the reference."
    ),
    modules=LAYERS + ("PackedSequence",),
    sources=(
        TorchDoc("torch.nn.RNN", "Inputs", "hx"),
        *torch_docs(("torch.nn.LSTM", "torch.nn.GRU"), "Inputs", "h_0"),
        TorchDoc("torch.nn.LSTM", "Inputs", "c_0"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
@pytest.mark.parametrize("packed", (False, True), ids=("padded", "packed"))
def test_packed_and_state_gradients(mode, packed, device):

    cfg = Config(mode=mode, num_layers=2, bidirectional=True, batch=3, seq=4)
    m = cfg.build(device, train=True)  # cuDNN's backward needs train mode (rnn.autograd.cudnn-backward-needs-train)
    state = state_for(cfg, device)
    names = ("h_0", "c_0") if isinstance(state, tuple) else ("h_0",)
    leaves = {"input": cfg.input(device).requires_grad_(True), **dict(zip(names, state_tensors(state)))}
    leaves.update(m.named_parameters())

    def run(fn, side):
        x = leaves["input"]
        x = api.utils.pack_padded_sequence(x, [2, 4, 3], enforce_sorted=False) if packed else x
        out, h = fn(m, x, state)
        out = out.data if packed else out
        loss = weighted_sum([out] + returned_tensors((out, h))[1:], cfg, device)
        return grads_by_name(loss, leaves, f"{mode} packed={packed}: {side}")

    by_torch = run(lambda m, x, s: m(x, s), "the module's own forward")
    by_reference = run(lambda m, x, s: reference_forward(torch_view(m), x, s), "the oracle")
    assert all(g.abs().sum() > 0 for g in by_torch[:3]), "input and initial state get a gradient"
    assert_close(by_torch, by_reference, f"{mode} packed={packed}")
