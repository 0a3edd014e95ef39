"""One time step of RNN, LSTM and GRU, written from their equations.

Parameters are taken by torch's names (``weight_ih``, ``weight_hh``, ``bias_ih``,
``bias_hh``, ``weight_hr``), so ``dict(cell.named_parameters())`` plugs in 1:1.
Gate blocks are stacked as torch stacks them: LSTM (i, f, g, o), GRU (r, z, n).

    RNN   h' = act(W_ih x + b_ih + W_hh h + b_hh)
    LSTM  i, f, o = sigmoid(.), g = tanh(.);  c' = f*c + i*g;  h' = o*tanh(c')  [then W_hr h']
    GRU   r, z = sigmoid(.);  n = tanh(W_in x + b_in + r*(W_hn h + b_hn));  h' = (1-z)*n + z*h
"""

from collections.abc import Mapping
from typing import Optional

import torch

from reference.common.shapecheck import Float, Tensor, checked

Params = Mapping[str, Tensor]
ACTIVATIONS = {"tanh": torch.tanh, "relu": torch.relu}


def _affine(x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
    y = x @ weight.transpose(0, 1)
    return y if bias is None else y + bias


def _halves(p: Params, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
    """(W_ih x + b_ih, W_hh h + b_hh), the two affine maps every cell starts from."""
    return _affine(x, p["weight_ih"], p.get("bias_ih")), _affine(h, p["weight_hh"], p.get("bias_hh"))


def rnn_step(p: Params, x: Tensor, h: Tensor, nonlinearity: str = "tanh") -> Tensor:
    gi, gh = _halves(p, x, h)
    return ACTIVATIONS[nonlinearity](gi + gh)


def lstm_step(p: Params, x: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
    gi, gh = _halves(p, x, h)
    i, f, g, o = (gi + gh).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_next = f * c + i * g
    h_next = o * torch.tanh(c_next)
    if p.get("weight_hr") is not None:
        h_next = h_next @ p["weight_hr"].transpose(0, 1)
    return h_next, c_next


def gru_step(p: Params, x: Tensor, h: Tensor) -> Tensor:
    gi, gh = _halves(p, x, h)
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    h_r, h_z, h_n = gh.chunk(3, dim=-1)
    r = torch.sigmoid(i_r + h_r)
    z = torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)  # b_hn sits inside r * (...): "linear before reset"
    return (1 - z) * n + z * h


# --- the public, shape-checked cells (batched "batch feature" or unbatched "feature") ---


@checked
def rnn_cell(
    x: Float[Tensor, "*batch input"],
    h: Float[Tensor, "*batch hidden"],
    params: Params,
    nonlinearity: str = "tanh",
) -> Float[Tensor, "*batch hidden"]:
    return rnn_step(params, x, h, nonlinearity)


@checked
def lstm_cell(
    x: Float[Tensor, "*batch input"],
    h: Float[Tensor, "*batch out"],
    c: Float[Tensor, "*batch hidden"],
    params: Params,
) -> tuple[Float[Tensor, "*batch out"], Float[Tensor, "*batch hidden"]]:
    return lstm_step(params, x, h, c)


@checked
def gru_cell(
    x: Float[Tensor, "*batch input"],
    h: Float[Tensor, "*batch hidden"],
    params: Params,
) -> Float[Tensor, "*batch hidden"]:
    return gru_step(params, x, h)
