"""Training of the recurrent layers, nn.RNN, nn.LSTM and nn.GRU, through the calls user code makes on a module
between building it and training it."""

from __future__ import annotations

import pytest
import torch

from reference.oracle.layers import forward as reference_forward
from spec.helpers.modules import returned_tensors, torch_view, weighted_sum
from spec.helpers.strategies import LAYERS, Config, describe
from spec.helpers.tolerances import assert_close
from spec.registry import CONTRACT, TorchDoc, claim

#: The maintenance calls: name -> (the call, the dtype the module has after it). ``to-device`` moves a module
#: built on the CPU to the case's device (on a cpu run, to where it is).
MAINTENANCE = {
    "flatten_parameters": (lambda m, device: m.flatten_parameters(), torch.float64),
    "to-device": (lambda m, device: m.to(device), torch.float64),
    "to-float32": (lambda m, device: m.to(torch.float32), torch.float32),
    "float-then-double": (lambda m, device: m.float().double(), torch.float64),
    "share_memory": (lambda m, device: m.share_memory(), torch.float64),
}


def trains_after(mode: str, call: str, device: str) -> None:
    """Build on the CPU, hold its parameters as an optimizer does, move to ``device``, make ``call``, then train
    one step: the held parameters are the module's, each gets the gradient the from-scratch equations give, and
    the step changes what the module computes."""
    cfg = Config(mode=mode, num_layers=2, bidirectional=True, seq=3, batch=2, proj_size=2 if mode == "LSTM" else 0)
    describe(cfg, device)
    m = cfg.build("cpu", train=True)
    # what an optimizer holds: the Parameter objects it was given (torch.optim's constructors import torch._dynamo,
    # seconds of the suite's budget, so the SGD step below is written out: p -= lr * p.grad on what is held)
    held = list(m.parameters())
    run, dtype = MAINTENANCE[call]
    if call != "to-device":
        m.to(device)  # first: on cuda, flatten_parameters and the conversions act on the device's weights
    run(m, device)
    where = f"{cfg.repro(device)} after {call}"
    assert [id(p) for p in m.parameters()] == [id(p) for p in held], f"{where}: the optimizer's are not the module's"
    x = cfg.input(device).to(dtype)
    result = m(x)
    cut = [t for t in returned_tensors(result) if t.grad_fn is None]
    assert not cut, f"{where}: {len(cut)} returned tensors have no graph back to the parameters"
    weighted_sum(returned_tensors(result), cfg, device).backward()
    want = torch.autograd.grad(
        weighted_sum(returned_tensors(reference_forward(torch_view(m), x)), cfg, device), list(m.parameters())
    )
    got = [p.grad for p in held]
    assert all(g is not None for g in got), f"{where}: {sum(g is None for g in got)} held parameters got no gradient"
    assert_close(got, list(want), f"{where}: the held parameters' gradients against the reference's", steps=6)
    before = [t.detach().clone() for t in returned_tensors(result)]
    with torch.no_grad():
        for p in held:
            p -= 0.5 * p.grad
    with torch.no_grad():
        after = returned_tensors(m(x))
    moved = max(float((a - b).abs().max()) for a, b in zip(after, before))
    assert moved > 1e-3, f"{where}: an optimizer step changed the outputs by {moved}, not what the module computes"


@claim(
    id="rnn.training.after-maintenance",
    scope=CONTRACT,
    statement=(
        "After flatten_parameters(), to(device), to(dtype), float() then double(), or share_memory(), an RNN, LSTM "
        "or GRU still trains with the parameters an optimizer took before the call: they are the module's "
        "parameters, a backward gives each of them the gradient the from-scratch equations give, and an SGD step "
        "changes what the module computes."
    ),
    modules=LAYERS,
    sources=(
        TorchDoc("torch.nn.Module", "to: this method modifies the module in-place"),
        TorchDoc("torch.nn.RNNBase", "flatten_parameters: resets parameter data pointers"),
        TorchDoc("torch.nn.Module", "share_memory: see torch.Tensor.share_memory_"),
    ),
)
@pytest.mark.parametrize("call", MAINTENANCE)
@pytest.mark.parametrize("mode", LAYERS)
def test_after_maintenance(mode, call, device):
    with torch.backends.cudnn.flags(enabled=True):
        trains_after(mode, call, device)
