"""The catalogue of simulated torch regressions: each a name, a description and the patch that applies it.

A mutant patches torch's recurrent modules (or the kernels they call, through ``torch.nn.modules.rnn._VF``)
to behave in one plausible wrong way. ``spec.tools.mutants.plugin`` applies the one named by ``SPEC_MUTANT`` in
a pytest process; ``spec.tools.mutants.campaign`` runs the spec once per mutant.

A mutant is *killed* when at least one claim fails on an assertion: an ``assert``, ``assert_close``, a
``pytest.raises`` that saw no exception, the wrong message or (under this plugin) the wrong exception type.
A claim that fails by raising anything else (a ``TypeError`` from the way a mutant is written, say) has
*crashed*: crashes are listed apart and kill nothing. The plugin writes, per failed claim, how it failed to
the file named by ``SPEC_MUTANT_FAILURES``. The command exits 1 if any mutant survives, since a survivor is a
missing or weak claim.

A mutant changes one behaviour and keeps the rest as torch has it: where it rewrites a returned state it
restacks it (:func:`restack`), so that the state keeps the autograd node torch's kernels give it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from reference.common.states import map_state


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    apply: Callable[[], None]
    #: The target the spec runs through to catch it (``--spec-target``). A mutant of another target than eager
    #: breaks only that way of running the layers: it is also run eagerly, and should survive there.
    target: str = "eager"
    #: The implementation whose path it breaks (``--impl``): a mutant of an adapter's own code survives the
    #: torch run and is caught through that implementation.
    impl: str = "torch"


CATALOGUE: dict = {}


def mutant(name: str, description: str, target: str = "eager", impl: str = "torch"):
    def register(fn):
        CATALOGUE[name] = Mutant(name, description, fn, target, impl)
        return fn

    return register


# --- helpers: wrap a module method, or the kernels behind torch.nn.modules.rnn ----------------


def wrap_method(cls, name, wrapper):
    original = getattr(cls, name)
    setattr(cls, name, wrapper(original))


class _KernelProxy:
    """Stands in for torch._VF inside torch.nn.modules.rnn; overrides some kernels, forwards the rest."""

    def __init__(self, real, **overrides):
        self._real, self._overrides = real, overrides

    def __getattr__(self, name):
        return self._overrides.get(name) or getattr(self._real, name)


def override_kernels(**overrides):
    import torch.nn.modules.rnn as rnn

    rnn._VF = _KernelProxy(rnn._VF, **{k: v(getattr(rnn._VF, k)) for k, v in overrides.items()})


def permute_gates(weights, gates: int, order):
    """Reorder the gate blocks of every stacked weight/bias (dim 0 divisible into `gates` blocks)."""
    import torch

    out = []
    for w in weights:
        if w.dim() >= 1 and w.shape[0] % gates == 0 and w.shape[0] >= gates and w.shape[0] // gates > 0:
            blocks = w.chunk(gates, dim=0)
            w = torch.cat([blocks[i] for i in order], dim=0)
        out.append(w)
    return out


def with_weights(kernel, transform):
    """A layer kernel (_VF.lstm / _VF.gru) whose flat weight list goes through `transform` first."""

    def patched(*args):
        import torch

        args = list(args)
        i = 3 if isinstance(args[1], torch.Tensor) and args[1].dtype == torch.int64 and args[1].dim() == 1 else 2
        args[i] = transform(list(args[i]))
        return kernel(*args)

    return patched


def on_output(transform):
    """Wrap forward so that its (output, state) goes through `transform(module, output, state, input)`."""

    def wrapper(forward):
        def patched(self, input, hx=None):
            output, state = forward(self, input, hx)
            return transform(self, output, state, input)

        return patched

    return wrapper


def _is_batched(module, input):
    from torch.nn.utils.rnn import PackedSequence

    return isinstance(input, PackedSequence) or input.dim() == 3


def restack(t):
    """``t`` with the same values, rebuilt by ``torch.stack`` over dim 0: the grad_fn of a state from torch's
    kernels (StackBackward0 on CPU), so that a mutant which reorders a state changes nothing else about it."""
    import torch

    return torch.stack(t.unbind(0)) if t.dim() > 0 and t.shape[0] > 0 else t


# --- the catalogue ----------------------------------------------------------------------------------


@mutant("hn-batch-first", "h_n (and c_n) come back batch-first when batch_first=True, as source 002 says")
def _hn_batch_first():
    import torch

    def transform(m, out, state, x):
        if not (m.batch_first and _is_batched(m, x)):
            return out, state
        return out, map_state(lambda s: restack(s.transpose(0, 1)), state)

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", on_output(transform))


@mutant("lstm-state-swapped", "nn.LSTM returns its state as (c_n, h_n)")
def _lstm_swapped():
    import torch

    wrap_method(torch.nn.LSTM, "forward", on_output(lambda m, out, s, x: (out, (s[1], s[0]))))


@mutant("lstm-gate-order", "the LSTM kernels read the gate blocks as (i, g, f, o) instead of (i, f, g, o)")
def _lstm_gates():
    override_kernels(lstm=lambda k: with_weights(k, lambda ws: permute_gates(ws, 4, (0, 2, 1, 3))))


@mutant("gru-gate-order", "the GRU kernel reads the gate blocks as (z, r, n) instead of (r, z, n)")
def _gru_gates():
    override_kernels(gru=lambda k: with_weights(k, lambda ws: permute_gates(ws, 3, (1, 0, 2))))


@mutant("gru-cell-update-inverted", "GRUCell mixes h' = z*n + (1-z)*h (the update gate's convention flipped)")
def _gru_cell_inverted():
    def kernel(k):
        def patched(x, hx, w_ih, w_hh, b_ih=None, b_hh=None):
            h = w_hh.shape[1]
            sign = w_ih.new_ones(3 * h)
            sign[h : 2 * h] = -1  # sigmoid(-a) = 1 - sigmoid(a): flips z
            scale = sign.unsqueeze(1)
            return k(
                x,
                hx,
                w_ih * scale,
                w_hh * scale,
                None if b_ih is None else b_ih * sign,
                None if b_hh is None else b_hh * sign,
            )

        return patched

    override_kernels(gru_cell=kernel)


@mutant("lstm-cell-swapped", "LSTMCell returns (c', h') instead of (h', c')")
def _lstm_cell_swapped():
    override_kernels(lstm_cell=lambda k: lambda *a: tuple(reversed(k(*a))))


@mutant("rnn-relu-ignored", "nn.RNN(nonlinearity='relu') computes with tanh")
def _relu_ignored():
    override_kernels(rnn_relu=lambda k: lambda *a: __import__("torch")._VF.rnn_tanh(*a))


@mutant("dropout-in-eval", "dropout between layers stays active in eval mode")
def _dropout_eval():
    def kernel(k):
        def patched(*args):
            args = list(args)
            # (..., num_layers, dropout, train, bidirectional[, batch_first]): train follows dropout
            for i, a in enumerate(args):
                if isinstance(a, float) and i + 1 < len(args) and isinstance(args[i + 1], bool):
                    args[i + 1] = args[i + 1] or a > 0
                    break
            return k(*args)

        return patched

    override_kernels(lstm=kernel, gru=kernel, rnn_tanh=kernel, rnn_relu=kernel)


@mutant("hx-ignored", "a given initial state is ignored and zeros are used")
def _hx_ignored():
    import torch

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", lambda f: lambda self, input, hx=None: f(self, input, None))


@mutant("backward-not-flipped", "the backward direction's outputs are left in reversed time order")
def _backward_not_flipped():
    import torch
    from torch.nn.utils.rnn import PackedSequence

    def transform(m, out, state, x):
        if not m.bidirectional or isinstance(out, PackedSequence):
            return out, state
        t = 1 if (m.batch_first and out.dim() == 3) else 0
        half = out.shape[-1] // 2
        return torch.cat([out[..., :half], out[..., half:].flip(t)], dim=-1), state

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", on_output(transform))


@mutant("hn-direction-major", "h_n stacks direction-major (all forward layers, then all backward) not layer-major")
def _hn_direction_major():
    import torch

    def reorder(m, s):
        if not m.bidirectional or m.num_layers == 1:
            return s
        idx = [k * 2 + d for d in range(2) for k in range(m.num_layers)]
        return restack(s[torch.tensor(idx, device=s.device)])

    def transform(m, out, state, x):
        return out, map_state(lambda s: reorder(m, s), state)

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", on_output(transform))


@mutant("unbatched-not-squeezed", "unbatched input returns batched output (a batch dimension of 1 is kept)")
def _unbatched_not_squeezed():
    import torch

    def transform(m, out, state, x):
        if _is_batched(m, x):
            return out, state
        keep = [s.unsqueeze(1) for s in (state if isinstance(state, tuple) else (state,))]
        return out.unsqueeze(1), tuple(keep) if isinstance(state, tuple) else keep[0]

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", on_output(transform))


@mutant("batch-of-one-squeezed", "a batch of one comes back without its batch dimension, as if it were unbatched")
def _batch_of_one_squeezed():
    import torch

    def transform(m, out, state, x):
        if not _is_batched(m, x) or hasattr(x, "batch_sizes") or x.shape[0 if m.batch_first else 1] != 1:
            return out, state
        return out.squeeze(0 if m.batch_first else 1), map_state(lambda s: s.squeeze(1), state)

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", on_output(transform))


@mutant("round-half-up", "torch.round rounds halves up (0.5 -> 1), not to even")
def _round_half_up():
    import torch

    real = torch.round

    def round_half_up(x, *args, **kwargs):
        return torch.floor(x + 0.5) if not args and not kwargs else real(x, *args, **kwargs)

    torch.round = round_half_up


@mutant("cross-entropy-unreduced", "CrossEntropyLoss() returns the per-token losses (reduction='none' by default)")
def _cross_entropy_unreduced():
    import torch

    def wrapper(init):
        def patched(self, *args, **kwargs):
            init(self, *args, **kwargs)
            if "reduction" not in kwargs and len(args) < 4:
                self.reduction = "none"

        return patched

    wrap_method(torch.nn.CrossEntropyLoss, "__init__", wrapper)


@mutant("mean-grad-of-sum", "Tensor.mean back-propagates the gradient of sum (it does not divide by the count)")
def _mean_grad_of_sum():
    import torch

    real = torch.Tensor.mean

    def mean(self, *args, **kwargs):
        result = real(self, *args, **kwargs)
        if not (self.requires_grad and self.is_floating_point()):
            return result
        count = self.numel() // max(result.numel(), 1)
        return result + (result - result.detach()) * (count - 1)  # same value, count times the gradient

    torch.Tensor.mean = mean


@mutant("packed-hn-sorted", "with packed input h_n comes back in length-sorted order, not the original order")
def _packed_sorted():
    import torch

    wrap_method(torch.nn.RNN, "permute_hidden", lambda f: lambda self, hx, permutation: hx)
    wrap_method(torch.nn.GRU, "permute_hidden", lambda f: lambda self, hx, permutation: hx)
    wrap_method(torch.nn.LSTM, "permute_hidden", lambda f: lambda self, hx, permutation: hx)


@mutant("packed-lengths-ignored", "a PackedSequence is run to the longest length, padding included")
def _lengths_ignored():
    import torch
    from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

    def wrapper(forward):
        def patched(self, input, hx=None):
            if not isinstance(input, PackedSequence):
                return forward(self, input, hx)
            padded, lengths = pad_packed_sequence(input)
            out, state = forward(self, padded, hx)
            full = torch.full_like(lengths, padded.shape[0])
            return pack_padded_sequence(out, full, enforce_sorted=False), state

        return patched

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", wrapper)


@mutant("init-normal", "parameters start from N(0, 1/H) instead of U(-1/sqrt(H), 1/sqrt(H))")
def _init_normal():
    import math

    import torch

    def reset(self):
        for w in self.parameters():
            torch.nn.init.normal_(w, 0.0, 1.0 / math.sqrt(self.hidden_size))

    torch.nn.RNNBase.reset_parameters = reset
    torch.nn.RNNCellBase.reset_parameters = reset


@mutant("init-bound-input-size", "the init bound is 1/sqrt(input_size) instead of 1/sqrt(hidden_size)")
def _init_input_bound():
    import math

    import torch

    def reset(self):
        for w in self.parameters():
            torch.nn.init.uniform_(w, -1 / math.sqrt(self.input_size), 1 / math.sqrt(self.input_size))

    torch.nn.RNNBase.reset_parameters = reset
    torch.nn.RNNCellBase.reset_parameters = reset


@mutant("repr-drops-num-layers", "repr no longer shows num_layers")
def _repr():
    import torch

    def wrapper(extra_repr):
        return lambda self: extra_repr(self).replace(f", num_layers={self.num_layers}", "")

    wrap_method(torch.nn.RNNBase, "extra_repr", wrapper)


@mutant("no-input-width-check", "forward no longer checks the input width (2.1-2.2's LSTM regression, everywhere)")
def _no_width_check():
    import torch

    def check_input(self, input, batch_sizes):
        expected = 2 if batch_sizes is not None else 3
        if input.dim() not in (expected, expected - 1) and batch_sizes is None:
            raise RuntimeError(f"input must have {expected} dimensions, got {input.dim()}")

    torch.nn.RNNBase.check_input = check_input


@mutant("no-proj-size-check", "RNN and GRU accept proj_size and ignore it (the ValueError is gone)")
def _no_proj_check():
    import torch

    def wrapper(init):
        def patched(self, *args, **kwargs):
            kwargs.pop("proj_size", None)
            init(self, *args, **kwargs)

        return patched

    for cls in (torch.nn.RNN, torch.nn.GRU):
        wrap_method(cls, "__init__", wrapper)


@mutant("num-layers-zero-accepted", "the constructors accept num_layers=0 again (the check 2.2 added is gone)")
def _num_layers_zero_accepted():
    import torch

    def wrapper(init):
        def patched(self, mode, input_size, hidden_size, *args, **kwargs):
            if kwargs.get("num_layers", args[0] if args else 1) == 0:
                kwargs.pop("num_layers", None)
                init(self, mode, input_size, hidden_size, *args[1:], num_layers=1, **kwargs)
                self.num_layers = 0
                return
            init(self, mode, input_size, hidden_size, *args, **kwargs)

        return patched

    wrap_method(torch.nn.RNNBase, "__init__", wrapper)


@mutant("state-type-error", "a state of the wrong structure (a tensor for LSTM, a pair for GRU) raises TypeError first")
def _state_type_error():
    import torch

    def wrapper(forward, pair):
        def patched(self, input, hx=None):
            if hx is not None and isinstance(hx, tuple) != pair:
                raise TypeError(f"{type(self).__name__}: hx must be {'a pair' if pair else 'a tensor'}")
            return forward(self, input, hx)

        return patched

    wrap_method(torch.nn.LSTM, "forward", lambda f: wrapper(f, True))
    wrap_method(torch.nn.GRU, "forward", lambda f: wrapper(f, False))


@mutant("no-one-layer-dropout-warning", "dropout > 0 with one layer is accepted silently")
def _no_warning():
    import warnings

    import torch

    def wrapper(init):
        def patched(self, *args, **kwargs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                init(self, *args, **kwargs)

        return patched

    wrap_method(torch.nn.RNNBase, "__init__", wrapper)


@mutant("state-not-carried", "the returned state is the initial one: h_n = h_0 whatever the input")
def _state_not_carried():
    import torch

    def wrapper(forward):
        def patched(self, input, hx=None):
            out, state = forward(self, input, hx)
            if hx is not None:
                return out, hx
            zeros = [torch.zeros_like(s) for s in (state if isinstance(state, tuple) else (state,))]
            return out, tuple(zeros) if isinstance(state, tuple) else zeros[0]

        return patched

    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", wrapper)


@mutant("clip-per-parameter", "clip_grad_norm_ clips each parameter's gradient to the norm on its own")
def _clip_per_parameter():
    import torch

    def clip(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
        params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
        norms = []
        for p in params:
            if p.grad is None:
                continue
            n = p.grad.norm(norm_type)
            norms.append(n)
            if n > max_norm:
                p.grad.mul_(max_norm / (n + 1e-6))
        return torch.stack(norms).norm(norm_type) if norms else torch.tensor(0.0)

    torch.nn.utils.clip_grad_norm_ = clip
    torch.nn.utils.clip_grad.clip_grad_norm_ = clip


@mutant("detach-keeps-graph", "Tensor.detach on a returned state keeps it linked to the input that produced it")
def _detach_keeps_graph():
    """The link is a path that saves no tensor (sum, times 0), so a backward through the next minibatch
    completes, and reaches the previous minibatch's input, as it would if detach did nothing."""
    import torch

    real_detach = torch.Tensor.detach

    def detach(self):
        link = self.__dict__.get("_spec_link")
        return real_detach(self) if link is None else real_detach(self) + 0.0 * link

    def wrapper(forward):
        def patched(self, input, hx=None):
            out, state = forward(self, input, hx)
            data = input.data if hasattr(input, "batch_sizes") else input
            if data.requires_grad:
                for s in state if isinstance(state, tuple) else (state,):
                    s._spec_link = data.sum()
            return out, state

        return patched

    torch.Tensor.detach = detach
    for cls in (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU):
        wrap_method(cls, "forward", wrapper)


# --- mutants of one target: the module as the user runs it breaks, the eager module does not ----------------
@mutant(
    "compile-drops-initial-state",
    "a compiled layer ignores the initial state it is given and starts from zeros (eager is untouched)",
    target="compile",
)
def _compile_drops_initial_state():
    import torch

    real = torch.compile

    def compile(model=None, *args, **kwargs):
        compiled = real(model, *args, **kwargs)
        if isinstance(model, torch.nn.RNNBase):
            compiled.register_forward_pre_hook(lambda _module, inputs: inputs[:1] if len(inputs) > 1 else None)
        return compiled

    torch.compile = compile


@mutant(
    "export-gru-batch-first-time-major",
    "an exported batch_first GRU returns its output time-major, batch and time swapped (eager is untouched)",
    target="export",
)
def _export_gru_time_major():
    import torch

    real = torch.export.export

    def export(module, args, *rest, **kwargs):
        program = real(module, args, *rest, **kwargs)
        if isinstance(module, torch.nn.GRU) and module.batch_first:
            build = program.module

            def time_major(*a, **k):
                graph = build(*a, **k)
                graph.register_forward_hook(lambda _m, _inputs, out: (out[0].transpose(0, 1), *out[1:]))
                return graph

            program.module = time_major
        return program

    torch.export.export = export


@mutant(
    "opacus-lstm-drops-initial-state",
    "opacus's DPLSTM ignores the initial state it is given and starts from zeros (torch's own layers untouched)",
    impl="opacus",
)
def _opacus_drops_initial_state():
    from opacus.layers import dp_rnn

    real = dp_rnn.DPRNNBase.forward

    def forward(self, input, state_init=None):
        return real(self, input, None if self.has_cell_state else state_init)

    dp_rnn.DPRNNBase.forward = forward


# --- issue 32: checks that cannot be fooled ----------------------------------------------------------------
@mutant("gru-nan-one-step", "nn.GRU returns NaN in one element of its output at the first step (state untouched)")
def _gru_nan_one_step():
    import torch
    from torch.nn.utils.rnn import PackedSequence

    def transform(m, out, state, x):
        if isinstance(out, PackedSequence):
            data = out.data.clone()
            data[0, 0] = float("nan")
            return out._replace(data=data), state
        out = out.clone()
        out[(0,) * (out.dim() - 1) + (0,)] = float("nan")  # step 0, batch 0 (either layout), feature 0
        return out, state

    wrap_method(torch.nn.GRU, "forward", on_output(transform))


class _FirstOrderOnly:
    """An identity whose backward passes the gradient on detached (built on first use: torch is imported late)."""

    fn = None

    @classmethod
    def apply(cls, x):
        import torch

        if cls.fn is None:

            class Fn(torch.autograd.Function):
                @staticmethod
                def forward(ctx, t):
                    return t.view_as(t)

                @staticmethod
                def backward(ctx, grad):
                    return grad.detach()

            cls.fn = Fn
        return cls.fn.apply(x)


@mutant(
    "gru-cell-first-order-only", "GRUCell's backward is right but not differentiable: second-order gradients lose it"
)
def _gru_cell_first_order_only():
    import torch

    wrap_method(torch.nn.GRUCell, "forward", lambda f: lambda self, *a, **k: _FirstOrderOnly.apply(f(self, *a, **k)))


@mutant("flatten-copies-weights", "flatten_parameters() leaves the layer computing with detached copies of its weights")
def _flatten_copies_weights():
    import torch

    def wrapper(flatten):
        def patched(self):
            flatten(self)
            self._flat_weights = [None if w is None else w.detach().clone() for w in self._flat_weights]

        return patched

    wrap_method(torch.nn.RNNBase, "flatten_parameters", wrapper)


@mutant("packed-to-casts-indices", "PackedSequence.to(dtype) casts sorted_indices and unsorted_indices too")
def _packed_to_casts_indices():
    from torch.nn.utils.rnn import PackedSequence

    def wrapper(to):
        def patched(self, *args, **kwargs):
            out = to(self, *args, **kwargs)
            if out.sorted_indices is None or out.data.dtype == out.sorted_indices.dtype:
                return out
            cast = out.data.dtype
            return out._replace(
                sorted_indices=out.sorted_indices.to(cast), unsorted_indices=out.unsorted_indices.to(cast)
            )

        return patched

    wrap_method(PackedSequence, "to", wrapper)


@mutant("state-dict-copies", "state_dict() of the recurrent layers returns copies of the parameters, not references")
def _state_dict_copies():
    import torch

    def wrapper(state_dict):
        def patched(self, *args, **kwargs):
            out = state_dict(self, *args, **kwargs)
            for k in list(out):
                out[k] = out[k].clone()
            return out

        return patched

    wrap_method(torch.nn.RNNBase, "state_dict", wrapper)
