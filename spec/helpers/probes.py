"""Modules with hand-set weights whose outputs are known in closed form: what dropout does can be read off them.

The dropout probe saturates the gates so that a step of each layer is a fixed elementwise map phi of one
gate block's pre-activation (phi(0) = 0, no memory from one step to the next), and routes signals through
identity blocks of weight_ih. A unit that receives only a bias emits a constant; a unit that receives the
previous layer's unit through the identity emits phi of what dropout let through. Each probe is built in torch and
handed to the implementation under test (``api.adopt``), which computes with the same weights.
"""

from __future__ import annotations

import torch
from torch import nn

from spec.helpers.api import api

#: Per layer type: the gate blocks (LSTM i, f, g, o; GRU r, z, n) whose bias saturates them, the block that
#: carries the signal, and phi. i = o = 1 and f = 0 make an LSTM step h = tanh(tanh(a)); z = 0 makes a GRU step
#: h = tanh(a); a relu RNN step is h = relu(a) = a for a >= 0 (a: the signal block's pre-activation).
PROBE = {
    "RNN": ({}, 0, lambda v: v),
    "GRU": ({1: -1e4}, 2, torch.tanh),
    "LSTM": ({0: 1e4, 1: -1e4, 3: 1e4}, 2, lambda v: torch.tanh(torch.tanh(v))),
}

#: The bias that makes a unit emit its constant: c = phi(BIAS).
BIAS = 0.5


def _blank(mode: str, layers: int, width: int, p: float, device: str) -> nn.Module:
    """A float64 module of ``layers`` layers, input and hidden ``width``, every weight zero but the saturating
    gate biases, in train mode."""
    saturated, _, _ = PROBE[mode]
    kw = {"nonlinearity": "relu"} if mode == "RNN" else {}
    m = getattr(nn, mode)(width, width, num_layers=layers, dropout=p, **kw).to(device=device, dtype=torch.float64)
    with torch.no_grad():
        for w in m.parameters():
            w.zero_()
        for k in range(layers):
            for gate, value in saturated.items():
                getattr(m, f"bias_ih_l{k}")[gate * width : (gate + 1) * width] = value
    return m.train()


def dropout_probe(mode: str, p: float, hidden: int, device: str):
    """A 2-layer module whose outputs are phi(dropout(c)) elementwise: ``(module, phi)``.

    Layer 0's signal bias is BIAS, so layer 0 emits the constant c = phi(BIAS) at every step; layer 1's signal
    block of weight_ih is the identity, so layer 1 emits phi of what dropout let through.
    """
    _, signal, phi = PROBE[mode]
    m = _blank(mode, 2, hidden, p, device)
    block = slice(signal * hidden, (signal + 1) * hidden)
    with torch.no_grad():
        m.bias_ih_l0[block] = BIAS
        m.weight_ih_l1[block] = torch.eye(hidden)
    return api.adopt(m).train(), phi  # the implementation under test, holding these weights


def deep_dropout_probe(mode: str, p: float, half: int, device: str):
    """A 3-layer module of width 2 * ``half`` that shows the dropout between layers 2 and 3 apart from the one
    between layers 1 and 2: ``(module, phi)``.

    Layer 0 emits c = phi(BIAS) on every unit. Layer 1 passes its first half through (identity: phi(d1(c)),
    d1 the dropout between layers 1 and 2) and emits the constant c on its second half (bias only, whatever
    dropout did to its input). Layer 2 passes everything through (identity: phi(d2(.)), d2 the dropout between
    layers 2 and 3). So the output's second half is phi(d2(c)) -- the dropout between layers 2 and 3 alone --
    and its first half phi(d2(phi(d1(c)))), both dropouts in turn; h_n[1]'s first half is phi(d1(c)) at the
    last step.
    """
    _, signal, phi = PROBE[mode]
    width = 2 * half
    m = _blank(mode, 3, width, p, device)
    block = slice(signal * width, (signal + 1) * width)
    with torch.no_grad():
        m.bias_ih_l0[block] = BIAS
        passed = torch.zeros(width, dtype=torch.float64)
        passed[:half] = 1.0
        m.weight_ih_l1[block] = torch.diag(passed)
        m.bias_ih_l1[signal * width + half : (signal + 1) * width] = BIAS
        m.weight_ih_l2[block] = torch.eye(width)
    return api.adopt(m).train(), phi  # the implementation under test, holding these weights


def assert_probe_carries(mode: str, hidden: int, device: str) -> None:
    """The probe's closed form holds on the implementation under test with dropout 0: every output is
    phi(phi(BIAS)), layer 0's constant passed through layer 1. Else its gates do not compute torch's equations
    (a gate order of its own, a state it drops), and what a dropout claim would read off the probe is not dropout:
    the failure says so, instead of a drop rate of 1 (rnn.semantics.matches-reference names the gate fault)."""
    m, phi = dropout_probe(mode, 0.0, hidden, device)
    x = torch.zeros(3, 2, hidden, dtype=torch.float64, device=device)
    with torch.no_grad():
        out, _ = m(x)
    want = phi(phi(torch.tensor(BIAS, dtype=torch.float64))).item()
    wrong = (out - want).abs() > 1e-9  # float64, a few saturated steps: exact up to rounding
    assert not wrong.any(), (
        f"{mode}: the dropout probe with dropout=0 gives {out.flatten()[int(wrong.flatten().nonzero()[0])].item()!r} "
        f"where its closed form gives {want!r} ({int(wrong.sum())} of {out.numel()} outputs): the layer does not "
        "compute torch's gate equations, so its dropout cannot be measured (see rnn.semantics.matches-reference)"
    )
