"""Building, running and reading the modules under test, shared by the claims of every kind."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch.nn.utils.rnn import pack_padded_sequence

from reference.oracle.layers import forward as reference_forward
from spec import implementations
from spec.helpers.strategies import CELLS, describe

if TYPE_CHECKING:
    from spec.helpers.strategies import Config


def data_file(name: str):
    """The path of one of the sources' data files, verified. The case skips, saying why, when the file is
    nowhere it is looked for (no data is needed to pass); it fails, saying why, when the data is configured
    wrongly or damaged (``$RNN_SPEC_DATA`` naming a file, a file whose hash does not match): a user who named
    their data expects it checked, as the programs do (exit 2), not a run that passes as if none were given."""
    import pytest

    from reference.programs import datasets

    try:
        return datasets.locate(name)
    except datasets.DataMissing as e:
        pytest.skip(f"data: {e}")
    except datasets.DataError as e:
        pytest.fail(f"data: {e}", pytrace=False)


def fixed_randn(device, *shape, dtype=torch.float32, seed=0) -> torch.Tensor:
    """A random tensor from its own seeded generator (never the global RNG), moved to ``device``."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype).to(device)


def run(cfg: Config, device: str):
    """Build ``cfg``'s module and call it on ``cfg``'s input, without gradients: ``(output, state)``."""
    describe(cfg, device)
    with torch.no_grad():
        return cfg.build(device)(cfg.input(device))


def hidden_of(state):
    """h from a state: the first of LSTM's (h, c), the state itself otherwise."""
    return state[0] if isinstance(state, tuple) else state


def state_tensors(state) -> list:
    """``h_n`` -> ``[h_n]``; ``(h_n, c_n)`` -> ``[h_n, c_n]``."""
    return list(state) if isinstance(state, tuple) else [state]


def returned_tensors(result) -> list:
    """``(output, state)`` -> ``[output, h_n]`` or ``[output, h_n, c_n]``."""
    out, state = result
    return [out] + (list(state) if isinstance(state, tuple) else [state])


def grads_by_name(loss, leaves: dict, side: str) -> list:
    """The gradients of ``loss`` with respect to ``leaves`` (name -> tensor), in their order; a failure naming
    every leaf ``side`` (whose computation: the module's own, the oracle's) does not reach, never a None handed on
    to a comparison. The oracle reaches an implementation's parameters only through its adapter's
    ``torch_parameters`` (README, "Writing an adapter")."""
    got = torch.autograd.grad(loss, list(leaves.values()), allow_unused=True)
    missing = [name for name, g in zip(leaves, got) if g is None]
    assert not missing, f"{side} gives no gradient to {', '.join(missing)}" + (
        " (the adapter's torch_parameters maps no torch parameter to a tensor computed from it)"
        if "oracle" in side
        else ""
    )
    return list(got)


def weighted_sum(tensors, cfg: Config, device):
    """A random linear functional of every returned tensor, so each element's gradient matters."""
    return sum((t * cfg.randn(*t.shape, device=device, salt=100 + i)).sum() for i, t in enumerate(tensors))


def second_order(forward, cfg: Config, device) -> list:
    """The gradient, with respect to the input and every parameter, of a random linear functional of the first
    gradients (themselves taken with create_graph=True) of a random quadratic functional of everything ``forward``
    returns: what a gradient penalty or a Hessian-vector product differentiates."""
    m = cfg.build(device, train=True)  # train mode: cuDNN refuses backward in eval (cudnn-backward-needs-train)
    x = cfg.input(device).requires_grad_(True)
    leaves = [x] + list(m.parameters())
    loss = weighted_sum([t * t for t in returned_tensors(forward(m, x))], cfg, device)  # not linear in the outputs
    first = torch.autograd.grad(loss, leaves, create_graph=True)
    penalty = sum((g * cfg.randn(*g.shape, device=device, salt=300 + i)).sum() for i, g in enumerate(first))
    return list(torch.autograd.grad(penalty, leaves))


# --- cells ----------------------------------------------------------------------------------------------
def build_cell(cfg: Config, device: str, input_size=None, hidden_size=None, train: bool = False) -> torch.nn.Module:
    """``cfg``'s cell (RNNCell, LSTMCell or GRUCell), seeded apart from its layer (seed + 1), as the implementation
    under test provides it (with torch's cell's weights: :meth:`Config.build`); not applicable where it cannot.
    ``train=True`` for checks that run backward."""
    impl = cfg.refuse(CELLS[cfg.mode], device, backward=train)
    kw = {"bias": cfg.bias}
    if cfg.mode == "RNN":
        kw["nonlinearity"] = cfg.nonlinearity
    with torch.random.fork_rng(devices=[]):
        torch.random.default_generator.manual_seed(cfg.seed + 1)  # the CPU's, as Config.build seeds
        cell = getattr(torch.nn, CELLS[cfg.mode])(input_size or cfg.input_size, hidden_size or cfg.hidden_size, **kw)
    cell = cell.to(device=device, dtype=cfg.torch_dtype).train(train)
    return implementations.link(impl.from_torch(cell), cell, impl)


def torch_view(module):
    """The torch module behind a module built by :meth:`Config.build` / :func:`build_cell` for the
    implementation under test, sharing its weights: what the oracle reads (``reference`` knows torch's modules
    only). Under torch, the module itself."""
    return implementations.twin_of(module)


def cell_state(cfg: Config, device: str, zero=False):
    """A random (or zero) state: (h, c) for LSTMCell, h otherwise. Random makes W_hh matter."""
    shape = ((cfg.batch,) if cfg.batch is not None else ()) + (cfg.hidden_size,)
    make = (
        (lambda salt: torch.zeros(shape, dtype=cfg.torch_dtype, device=device))
        if zero
        else (lambda salt: cfg.randn(*shape, device=device, salt=salt))
    )
    return (make(10), make(11)) if cfg.mode == "LSTM" else make(10)


def step(cell, x, state):
    """One call of a torch cell, with LSTMCell's state passed as a list (as source 000 does)."""
    return cell(x, list(state)) if isinstance(state, tuple) else cell(x, state)


def packed(device, *shape):
    """A PackedSequence of two sequences (lengths 5 and 3) of elements of the given trailing shape."""
    return pack_padded_sequence(fixed_randn(device, 5, 2, *shape), torch.tensor([5, 3]))


def both(cfg: Config, device: str, x=None, hx=None):
    """(the implementation's result, the reference's result) for one configuration (the reference reads the
    torch module that shares the implementation's weights: :func:`torch_view`)."""
    describe(cfg, device)
    m = cfg.build(device)
    x = cfg.input(device) if x is None else x
    with torch.no_grad():
        return m(x, hx), reference_forward(torch_view(m), x, hx)


def gate_bias(module, gate: int, value: float) -> None:
    """Set one gate's block of bias_hh_l0 (torch stacks gate blocks along dim 0), in the weights the implementation
    under test computes with (written through its torch twin, by torch's names)."""
    twin = torch_view(module)
    h = twin.hidden_size
    with torch.no_grad():
        twin.bias_hh_l0[gate * h : (gate + 1) * h] = value
        twin.bias_ih_l0[gate * h : (gate + 1) * h] = 0.0
    implementations.refresh(module)


def expected_states(cfg: Config) -> tuple:
    """h_n is [L*D, N, H_out]; an LSTM also returns c_n, [L*D, N, H] (never projected)."""
    h = cfg.state_shape()
    return (h, cfg.state_shape(cfg.hidden_size)) if cfg.mode == "LSTM" else (h,)
