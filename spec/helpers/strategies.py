"""The configuration space of nn.RNN / nn.LSTM / nn.GRU, shared by every claim.

A :class:`Config` is everything needed to build a module and its input. Its
``repr`` is a constructor call and :meth:`Config.repro` is a snippet that
rebuilds the failing case in a REPL, so a falsifying example can be pasted.
Weights and inputs come from seeded generators, never from global RNG state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

import torch
from hypothesis import note
from hypothesis import strategies as st

from spec.helpers import targets

#: The layer modules, and their cells.
LAYERS = ("RNN", "LSTM", "GRU")
#: Gates stacked in weight_ih / weight_hh: RNN 1, LSTM 4 (i, f, g, o), GRU 3 (r, z, n).
GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}
CELLS = {"RNN": "RNNCell", "LSTM": "LSTMCell", "GRU": "GRUCell"}
CELL_NAMES = tuple(CELLS.values())
DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class Config:
    mode: str
    input_size: int = 3
    hidden_size: int = 4
    num_layers: int = 1
    bias: bool = True
    batch_first: bool = False
    bidirectional: bool = False
    proj_size: int = 0
    nonlinearity: str = "tanh"
    dropout: float = 0.0
    batch: Optional[int] = 2  # None: unbatched (2-D) input
    seq: int = 3
    dtype: str = "float64"
    seed: int = 0

    # --- derived sizes -------------------------------------------------------
    @property
    def dirs(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def out_size(self) -> int:
        """Width of h (and of each direction's output): proj_size when set."""
        return self.proj_size or self.hidden_size

    @property
    def torch_dtype(self) -> torch.dtype:
        return DTYPES[self.dtype]

    def module_kwargs(self) -> dict:
        kw = dict(
            num_layers=self.num_layers,
            bias=self.bias,
            batch_first=self.batch_first,
            dropout=self.dropout,
            bidirectional=self.bidirectional,
        )
        if self.mode == "RNN":
            kw["nonlinearity"] = self.nonlinearity
        if self.proj_size:
            kw["proj_size"] = self.proj_size
        return kw

    # --- shapes the docs promise ---------------------------------------------
    def input_shape(self) -> tuple:
        if self.batch is None:
            return (self.seq, self.input_size)
        if self.batch_first:
            return (self.batch, self.seq, self.input_size)
        return (self.seq, self.batch, self.input_size)

    def state_shape(self, width: Optional[int] = None) -> tuple:
        width = self.out_size if width is None else width
        lead = (self.num_layers * self.dirs,)
        return lead + ((width,) if self.batch is None else (self.batch, width))

    # --- building ------------------------------------------------------------
    def build(self, device: str = "cpu", train: bool = False) -> torch.nn.Module:
        """The module, seeded, in eval mode; ``train=True`` for checks that run backward.

        cuDNN refuses backward through an RNN in eval mode (``rnn.autograd.cudnn-backward-needs-train``);
        with dropout 0, train and eval mode compute the same function, so gradient claims build in train mode.
        """
        if train and self.dropout:
            raise ValueError("train=True with dropout would make the module random; set dropout=0")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            m = getattr(torch.nn, self.mode)(self.input_size, self.hidden_size, **self.module_kwargs())
        m = m.to(device=device, dtype=self.torch_dtype)
        return targets.apply(m.train() if train else m.eval(), self)  # run as the target in force

    def randn(self, *shape: int, device: str = "cpu", salt: int = 1) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed * 7919 + salt)
        return torch.randn(*shape, generator=g, dtype=self.torch_dtype).to(device)

    def input(self, device: str = "cpu") -> torch.Tensor:
        return self.randn(*self.input_shape(), device=device)

    def with_(self, **changes) -> Config:
        return replace(self, **changes)

    def repro(self, device: str = "cpu") -> str:
        """A line that rebuilds this case exactly (same weights, same input), on ``device``."""
        where = "" if str(device) == "cpu" else repr(str(device))
        return (
            f"from spec.helpers.strategies import Config; cfg = {self!r}; "
            f"m, x = cfg.build({where}), cfg.input({where}); out, h = m(x)"
        )


def describe(cfg: Config, device: str = "cpu") -> None:
    """Attach the reproduction line to a hypothesis failure (a no-op outside a hypothesis test)."""
    from hypothesis.control import currently_in_test_context

    if currently_in_test_context():
        note(cfg.repro(device))


def state_shapes(h) -> tuple:
    """(h_n shape,) for RNN/GRU, (h_n shape, c_n shape) for LSTM."""
    if isinstance(h, tuple):
        return tuple(tuple(t.shape) for t in h)
    return (tuple(h.shape),)


def param_layout(cfg: Config) -> list:
    """The parameters torch documents, in order, as (name, shape), derived by hand.

    For layer k and direction suffix s ('' then '_reverse'):
    weight_ih_l{k}{s} [G*H, in_k], weight_hh_l{k}{s} [G*H, P or H],
    bias_ih_l{k}{s} [G*H], bias_hh_l{k}{s} [G*H], weight_hr_l{k}{s} [P, H] (LSTM with proj_size P),
    where in_0 = input_size and in_k = D * (P or H) for k > 0.
    """
    gh = GATES[cfg.mode] * cfg.hidden_size
    out = []
    for k in range(cfg.num_layers):
        in_k = cfg.input_size if k == 0 else cfg.dirs * cfg.out_size
        for s in ("", "_reverse")[: cfg.dirs]:
            out.append((f"weight_ih_l{k}{s}", (gh, in_k)))
            out.append((f"weight_hh_l{k}{s}", (gh, cfg.out_size)))
            if cfg.bias:
                out.append((f"bias_ih_l{k}{s}", (gh,)))
                out.append((f"bias_hh_l{k}{s}", (gh,)))
            if cfg.proj_size:
                out.append((f"weight_hr_l{k}{s}", (cfg.proj_size, cfg.hidden_size)))
    return out


# --- strategies ---------------------------------------------------------------
sizes = st.integers(min_value=1, max_value=6)
seeds = st.integers(min_value=0, max_value=2**16)


@st.composite
def configs(
    draw,
    modes=st.sampled_from(LAYERS),
    batch_first=st.booleans(),
    bidirectional=st.booleans(),
    num_layers=st.integers(min_value=1, max_value=3),
    batch=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    seq=st.integers(min_value=1, max_value=5),
    bias=st.booleans(),
    proj=st.booleans(),
    dtype=st.just("float64"),
):
    """A configuration; each field is a named draw, so a failure prints as ``Config(...)``.

    ``batch=None`` draws unbatched 2-D input (torch >= 1.11); pass
    ``batch=st.integers(...)`` for claims that hold on every release.
    Sizes stay small: the claims are about structure, and the ci budget is tight.
    """
    mode = draw(modes)
    hidden = draw(st.integers(min_value=1, max_value=6))
    proj_size = 0
    if mode == "LSTM" and hidden > 1 and draw(proj):
        proj_size = draw(st.integers(min_value=1, max_value=hidden - 1))
    return Config(
        mode=mode,
        input_size=draw(sizes),
        hidden_size=hidden,
        num_layers=draw(num_layers),
        bias=draw(bias),
        batch_first=draw(batch_first),
        bidirectional=draw(bidirectional),
        proj_size=proj_size,
        nonlinearity=draw(st.sampled_from(("tanh", "relu"))) if mode == "RNN" else "tanh",
        batch=draw(batch),
        seq=draw(seq),
        dtype=draw(dtype),
        seed=draw(seeds),
    )


batched = st.integers(min_value=1, max_value=4)
#: Lengths of the sequences of a packed batch, unsorted.
lengths_lists = st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=4)


#: Single-layer, unidirectional, batched configurations: what a cell can reproduce.
cell_configs = configs(
    num_layers=st.just(1),
    bidirectional=st.just(False),
    batch_first=st.just(False),
    proj=st.just(False),
    batch=st.integers(min_value=1, max_value=4),
)
