"""Higher-order gradients through nn.RNN, nn.LSTM and nn.GRU: the ``rnn.autograd.double-*`` claims."""

from __future__ import annotations

import pytest
import torch

from reference.oracle.layers import forward as reference_forward
from spec.helpers.modules import returned_tensors, second_order, torch_view
from spec.helpers.strategies import LAYERS, Config
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, TorchDoc, claim


# --- issue 24: higher-order gradients through the layers ---
@claim(
    id="rnn.autograd.double-backward",
    scope=CONTRACT,
    statement=(
        "Gradients through RNN, LSTM and GRU are themselves differentiable (create_graph=True): second-order "
        "gradients with respect to the input and every parameter equal those of the from-scratch equations, and "
        "torch.autograd.gradgradcheck passes in float64 (on cuda with cuDNN off: cudnn-double-backward-refused)."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.autograd.grad", "create_graph: the graph of the derivative is built for higher orders"),
        TorchDoc("torch.autograd.gradgradcheck", "second order gradients against finite differences"),
    ),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_double_backward(mode, device):
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, seq=3, proj_size=2 if mode == "LSTM" else 0)
    with torch.backends.cudnn.flags(enabled=False):
        got = second_order(lambda m, x: m(x), cfg, device)
        want = second_order(lambda m, x: reference_forward(torch_view(m), x), cfg, device)
        assert_close(got, want, f"{mode}: second-order gradients against the reference's")
        # and against finite differences of the first gradients (with respect to the input; the parameters' are
        # compared with the reference's above), on a layer small enough for it to be quick
        tiny = Config(mode=mode, input_size=2, hidden_size=2, seq=2, batch=1)
        m = tiny.build(device, train=True)
        x = tiny.input(device).requires_grad_(True)
        # float64 central differences with eps 1e-6: truncation ~eps^2 and rounding ~1e-16/eps = 1e-10, far inside
        # atol 1e-5 (rtol 1e-3, gradgradcheck's default); a wrong second derivative differs by ~1e-1
        outputs = lambda x: tuple(returned_tensors(m(x)))  # noqa: E731
        assert torch.autograd.gradgradcheck(outputs, (x,), eps=1e-6, atol=1e-5, raise_exception=False), (
            f"{mode}: gradgradcheck (eps 1e-6, atol 1e-5) finds the second derivatives off finite differences"
        )
