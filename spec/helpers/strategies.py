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

from spec import implementations
from spec.helpers import targets
from spec.registry import not_applicable

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

        torch's module is built and seeded exactly as always, then handed to the implementation under test
        (``$RNN_SPEC_IMPL``), which returns its equivalent with the same weights (and, if it computes with other
        values, such as dequantized ones, writes those back into torch's module first). A case the
        implementation cannot take (the object, dtype, device, backward or an argument it refuses) is not
        applicable, with the reason.
        """
        if train and self.dropout:
            raise ValueError("train=True with dropout would make the module random; set dropout=0")
        impl = self.refuse(self.mode, device, backward=train)
        with torch.random.fork_rng(devices=[]):
            # the CPU generator alone, the one forked here, where the module initialises its weights:
            # torch.manual_seed would also queue a seed for every other device (with a stack trace each: 1 ms)
            torch.random.default_generator.manual_seed(self.seed)
            m = getattr(torch.nn, self.mode)(self.input_size, self.hidden_size, **self.module_kwargs())
        m = m.to(device=device, dtype=self.torch_dtype)
        m = m.train() if train else m.eval()
        return targets.apply(implementations.link(impl.from_torch(m), m, impl), self)  # run as the target in force

    def twin(self, device: str = "cpu", train: bool = False) -> tuple:
        """``(torch's module, the implementation's)``: the same weights (the ones the implementation computes
        with), for claims that compare the two or read torch's parameters by name."""
        impl = self.refuse(self.mode, device, backward=train)
        with torch.random.fork_rng(devices=[]):
            torch.random.default_generator.manual_seed(self.seed)  # as build() does
            m = getattr(torch.nn, self.mode)(self.input_size, self.hidden_size, **self.module_kwargs())
        m = m.to(device=device, dtype=self.torch_dtype)
        m = m.train() if train else m.eval()
        return m, targets.apply(implementations.link(impl.from_torch(m), m, impl), self)

    def refuse(self, name: str, device, backward: bool = False):
        """The current implementation, after making the case not applicable if it cannot build ``name`` for
        this configuration (see :func:`spec.helpers.api.refusal`)."""
        from spec.helpers import verdicts
        from spec.helpers.api import refusal

        impl = implementations.current()
        values = dict(self.module_kwargs(), proj_size=self.proj_size, nonlinearity=self.nonlinearity, dtype=self.dtype)
        if impl.name == "torch":
            verdicts.built(name, values)  # what the running case builds (refusal records it otherwise)
        else:
            why = refusal(impl, name, values, device=device, backward=backward)
            if why:
                not_applicable(why, implementation=True)
        return impl

    def randn(self, *shape: int, device: str = "cpu", salt: int = 1) -> torch.Tensor:
        g = torch.Generator().manual_seed(self.seed * 7919 + salt)
        return torch.randn(*shape, generator=g, dtype=self.torch_dtype).to(device)

    def input(self, device: str = "cpu") -> torch.Tensor:
        return self.randn(*self.input_shape(), device=device)

    def with_(self, **changes) -> Config:
        return replace(self, **changes)

    def repro(self, device: str = "cpu") -> str:
        """A line that rebuilds this case exactly (same weights, same input), on ``device``, on the implementation
        under test (prefixed ``RNN_SPEC_IMPL=... python -c`` when it is not torch, so it runs on that library)."""
        where = "" if str(device) == "cpu" else repr(str(device))
        line = (
            f"from spec.helpers.strategies import Config; cfg = {self!r}; "
            f"m, x = cfg.build({where}), cfg.input({where}); out, h = m(x)"
        )
        chosen = implementations.chosen()
        if chosen == "torch":
            return line
        return f"{implementations.ENV}={chosen} python -c {_shell_quote(line)}"


def _shell_quote(text: str) -> str:
    import shlex

    return shlex.quote(text)


def describe(cfg: Config, device: str = "cpu") -> None:
    """Attach the reproduction line to a hypothesis failure (a no-op outside a hypothesis test)."""
    from hypothesis.control import currently_in_test_context

    from spec.helpers import verdicts

    verdicts.label(cfg.repro(device))  # the running case's name: a line that rebuilds it
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


#: configs()'s own draws, where a claim leaves a field to it (and an implementation's limits may steer it)
_MODES = st.sampled_from(LAYERS)
_BOOLS = st.booleans()
_LAYERS_1_3 = st.integers(min_value=1, max_value=3)
_FLOAT64 = st.just("float64")


@st.composite
def configs(
    draw,
    modes=None,
    batch_first=None,
    bidirectional=None,
    num_layers=None,
    batch=st.one_of(st.none(), st.integers(min_value=1, max_value=4)),
    seq=st.integers(min_value=1, max_value=5),
    bias=None,
    proj=None,
    dtype=None,
):
    """A configuration; each field is a named draw, so a failure prints as ``Config(...)``.

    ``batch=None`` draws unbatched 2-D input (torch >= 1.11); pass
    ``batch=st.integers(...)`` for claims that hold on every release.
    Sizes stay small: the claims are about structure, and the ci budget is tight.

    Under an implementation other than torch (``$RNN_SPEC_IMPL``) the draws stay within what it runs: the
    layers it provides, its dtypes (a float32-only implementation draws float32 where the claim left the
    default float64: the claims' float64 is for tight comparisons, and torch's own run is unchanged, so the
    torch contract loses nothing), and none of the argument values its known file lists as refused
    (``limits``), wherever the claim lets that argument vary. A claim that asks for what it cannot run is
    not applicable there, with the reason.
    """
    # None: the default draw, which an implementation's limits may steer (hypothesis hands a composite strategy its
    # arguments through its own wrappers, so the defaults are told apart by None, not by identity)
    free = {
        "num_layers": num_layers is None,
        "bias": bias is None,
        "batch_first": batch_first is None,
        "bidirectional": bidirectional is None,
        "proj_size": proj is None,
        "nonlinearity": True,
        "dtype": dtype is None,
        "dropout": False,
    }
    modes = _MODES if modes is None else modes
    batch_first = _BOOLS if batch_first is None else batch_first
    bidirectional = _BOOLS if bidirectional is None else bidirectional
    num_layers = _LAYERS_1_3 if num_layers is None else num_layers
    bias = _BOOLS if bias is None else bias
    proj = _BOOLS if proj is None else proj
    dtype = _FLOAT64 if dtype is None else dtype
    impl = implementations.current()
    mode = draw(modes)
    if impl.name != "torch" and mode not in impl.provides:
        mode = draw(_within(modes, [m for m in LAYERS if m in impl.provides], f"{impl.name} provides no {mode}"))
    hidden = draw(st.integers(min_value=1, max_value=6))
    proj_size = 0
    if mode == "LSTM" and hidden > 1 and draw(proj):
        proj_size = draw(st.integers(min_value=1, max_value=hidden - 1))
    cfg = Config(
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
    if impl.name == "torch":
        return cfg
    if cfg.dtype not in impl.dtypes:
        if not free["dtype"]:
            cfg = cfg.with_(dtype=draw(_within(dtype, impl.dtypes, f"{impl.name} computes in {impl.dtypes}")))
        else:
            cfg = cfg.with_(dtype=impl.dtypes[0])
    for limit in implementations.limits(impl):
        values = dict(cfg.module_kwargs(), proj_size=cfg.proj_size, nonlinearity=cfg.nonlinearity, dtype=cfg.dtype)
        if not limit.matches(cfg.mode, values):
            continue
        movable = [k for k, _ in limit.when if free.get(k)]
        if not movable:  # the claim asks for it: this case alone is not applicable, when it builds (Config.refuse)
            continue
        k, want = next((k, w) for k, w in limit.when if k == movable[0])
        cfg = cfg.with_(**{k: _other_than(k, want, impl)})
    return cfg


def _within(strategy, allowed, why):
    """``strategy``'s values that are ``allowed`` (a sampled_from or just strategy), else not applicable."""
    values = getattr(strategy, "elements", None)
    if values is None and hasattr(strategy, "value"):
        values = (strategy.value,)
    kept = [v for v in (values or ()) if v in allowed]
    if not kept:
        not_applicable(why, implementation=True)
    return st.sampled_from(kept)


def _other_than(field: str, want, impl):
    """A value of ``field`` a limit ``field == want`` (or ``>= want``) does not hold: the nearest one."""
    if isinstance(want, bool):
        return not want
    if field == "dtype":
        return next(d for d in impl.dtypes if d != want)
    if field == "nonlinearity":
        return "relu" if want == "tanh" else "tanh"
    return want - 1  # a lower bound: one below it (num_layers 2 -> 1, proj_size 1 -> 0)


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
