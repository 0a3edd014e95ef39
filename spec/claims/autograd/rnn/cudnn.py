"""What cuDNN refuses in backward through nn.RNN, nn.LSTM and nn.GRU: the ``rnn.autograd.cudnn-*`` claims."""

from __future__ import annotations

import pytest
import torch

from spec.helpers.modules import second_order
from spec.helpers.strategies import LAYERS, Config
from spec.helpers.tolerances import assert_close
from spec.registry import BACKENDS, TorchDoc, claim


@claim(
    id="rnn.autograd.cudnn-backward-needs-train",
    scope=BACKENDS,
    statement=(
        "On cuda with cuDNN enabled, backward through RNN, LSTM or GRU in eval() mode raises RuntimeError "
        "('cudnn RNN backward can only be called in training mode'), also when only the parameters need "
        "gradients; with cuDNN disabled or in train() mode it works, and on cpu it works in either mode."
    ),
    modules=LAYERS,
    sources=(TorchDoc("torch.backends.cudnn", "enabled"), TorchDoc("torch.nn.Module", "eval")),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_backward_needs_train(mode, device):
    cfg = Config(mode=mode, num_layers=2, seq=4)

    def backward(train: bool, cudnn: bool):
        m = cfg.build(device, train=train)
        with torch.backends.cudnn.flags(enabled=cudnn):
            out, _ = m(cfg.input(device))  # parameters alone need gradients
            out.sum().backward()
        return [p.grad for p in m.parameters()]

    with_cudnn_off = backward(train=False, cudnn=False)
    assert all(g is not None for g in with_cudnn_off), (
        f"{mode} eval without cuDNN: {sum(g is None for g in with_cudnn_off)} parameters got no gradient"
    )
    assert_close(backward(train=True, cudnn=True), with_cudnn_off, "train mode against eval without cuDNN")
    if device == "cuda" and torch.backends.cudnn.is_available():
        with pytest.raises(RuntimeError, match="cudnn RNN backward can only be called in training mode"):
            backward(train=False, cudnn=True)
    else:  # no cuDNN in the way: eval mode is differentiable as well
        assert_close(backward(train=False, cudnn=True), with_cudnn_off, "eval against train on cpu")


@claim(
    id="rnn.autograd.cudnn-double-backward-refused",
    scope=BACKENDS,
    statement=(
        "On cuda with cuDNN enabled a second backward through RNN, LSTM or GRU is refused: differentiating a "
        "gradient taken with create_graph=True raises an error saying double backwards is not supported for "
        "CuDNN RNNs, while with cuDNN disabled for the forward pass it works."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.backends.cudnn", "enabled"),
        TorchDoc("torch.autograd.grad", "create_graph: the graph of the derivative is built for higher orders"),
    ),
    devices=("cuda",),
)
@pytest.mark.parametrize("mode", LAYERS)
def test_cudnn_double_backward_refused(mode, device):
    if not torch.backends.cudnn.is_available():
        pytest.skip("cuDNN is not available on this cuda build")
    cfg = Config(mode=mode, num_layers=2, seq=3, dtype="float32")
    with torch.backends.cudnn.flags(enabled=True):
        # NotImplementedError ("the derivative for '_cudnn_rnn_backward' is not implemented"), a RuntimeError
        with pytest.raises(RuntimeError, match="(?i)double backwards is not supported for cudnn rnns"):
            second_order(lambda m, x: m(x), cfg, device)
    with torch.backends.cudnn.flags(enabled=False):
        grads = second_order(lambda m, x: m(x), cfg, device)
        assert all(g is not None for g in grads), f"{mode} without cuDNN: {sum(g is None for g in grads)} missing"
