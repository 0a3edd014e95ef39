"""The walk of torch's docstrings: every statement of the 14 documented objects, mapped to claims or to a reason.

``docs/sources.md`` walks the five source documents; this module walks torch's own documentation of the
recurrent layers the same way. A *statement* is one item of a docstring: a signature parameter, an entry of
``Args``, ``Inputs``, ``Outputs``, ``Shape``, ``Attributes`` (``Variables`` in old releases), ``Returns``, a
note, a warning, an included file, the examples, or a paragraph of the description. :data:`WALK` maps each
to the claims that check it or to the reason it is left unchecked.

:func:`statements` reads the installed torch's docstrings, so :func:`unmapped` names, on any release, every
statement that has no entry: a release that adds an argument, a note or a paragraph shows up by name instead
of passing in silence. Entries are keyed by name (arguments, inputs, attributes) or by a phrase the paragraph
or note contains (descriptions, notes, warnings); an entry may match nothing on one release (it documents
another). ``python -m spec claims`` prints the coverage; ``python -m spec docs`` writes one page per object.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from typing import Iterable, Optional, Tuple

#: The documented objects, in the order of the docs.
OBJECTS = (
    "torch.nn.RNN",
    "torch.nn.LSTM",
    "torch.nn.GRU",
    "torch.nn.RNNCell",
    "torch.nn.LSTMCell",
    "torch.nn.GRUCell",
    "torch.nn.utils.rnn.pack_padded_sequence",
    "torch.nn.utils.rnn.pad_packed_sequence",
    "torch.nn.utils.rnn.pack_sequence",
    "torch.nn.utils.rnn.pad_sequence",
    "torch.nn.utils.rnn.unpad_sequence",
    "torch.nn.utils.rnn.unpack_sequence",
    "torch.nn.utils.rnn.PackedSequence",
    "torch.nn.utils.clip_grad_norm_",
)

#: Sections whose statements are keyed by a name; the others (Description, Note, Warning) by a phrase.
NAMED = ("signature", "Args", "Inputs", "Outputs", "Shape", "Attributes", "Returns", "Include", "Example")
PHRASED = ("Description", "Note", "Warning")
SECTIONS = NAMED[:1] + PHRASED[:1] + NAMED[1:] + PHRASED[1:]


@dataclass(frozen=True)
class Statement:
    """One statement of an installed docstring: its object, section, name (or opening words) and text."""

    obj: str
    section: str
    name: str
    text: str = ""

    def label(self) -> str:
        if self.section in PHRASED:
            words = " ".join(self.text.split())
            return f'{self.section.lower()} "{words[:72]}{"..." if len(words) > 72 else ""}"'
        return f"{self.section} {self.name!r}" if self.section != "signature" else f"signature parameter {self.name!r}"


@dataclass(frozen=True)
class Entry:
    """What the walk says about a statement: the claims that check it, or why none does."""

    section: str
    name: str  # the argument's name, or a phrase the paragraph contains (case and spacing ignored)
    claims: Tuple[str, ...] = ()
    reason: str = ""

    def matches(self, s: Statement) -> bool:
        if s.section != self.section:
            return False
        if self.section in PHRASED:
            return _squash(self.name) in _squash(s.text)
        return _squash(self.name) == _squash(s.name)


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def c(section: str, name: str, *claims: str) -> Entry:
    """A statement checked by ``claims``."""
    return Entry(section, name, claims=tuple(claims))


def u(section: str, name: str, reason: str) -> Entry:
    """A statement left unchecked, and why."""
    return Entry(section, name, reason=reason)


# --- reading the installed docstrings -------------------------------------------------------------------

_HEADERS = {
    "args": "Args",
    "arguments": "Args",
    "parameters": "Args",
    "inputs": "Inputs",
    "outputs": "Outputs",
    "shape": "Shape",
    "attributes": "Attributes",
    "variables": "Attributes",
    "returns": "Returns",
    "return": "Returns",
    "example": "Example",
    "examples": "Example",
    "note": "Note",
    "warning": "Warning",
}
_HEADER = re.compile(r"^(\w+)\s*:(:?)\s*(.*)$")
_DIRECTIVE = re.compile(r"^\.\.\s+(note|warning|include|math|code-block|testcode)::\s*(.*)$")
_ITEM = re.compile(
    r"^(?:[-*]\s+)?(?:\*\*(?P<bold>[^*]+)\*\*|(?P<name>[\w\[\]']+(?:\[k\]_reverse)?))\s*(?:\([^)]*\))?\s*:?"
)


def resolve(path: str):
    """``"torch.nn.utils.rnn.pad_sequence"`` -> the object; None when the installed torch lacks it."""
    module, _, name = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def signature_parameters(obj) -> list:
    """The parameters a user passes: from the signature line a class docstring opens with, else inspect."""
    doc = inspect.getdoc(obj) or ""
    first = doc.splitlines()[0] if doc else ""
    if first.startswith("__init__("):
        inner = first[len("__init__(") : first.rindex(")")]
        return [p.split("=")[0].strip() for p in inner.split(",") if p.strip()]
    target = obj.__init__ if inspect.isclass(obj) and "__init__" in vars(obj) else obj
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blocks(lines: list) -> list:
    """Top-level blocks: (head line, the lines indented under it or continuing its paragraph)."""
    out, i = [], 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        head, body, i = lines[i], [], i + 1
        base = _indent(head)
        while i < len(lines):
            line = lines[i]
            if line.strip() and _indent(line) <= base and not _continues(head, body, line):
                break
            body.append(line)
            i += 1
        out.append((head, body))
    return out


def _continues(head: str, body: list, line: str) -> bool:
    """A line at the head's indent continues a plain paragraph until a blank line ends it."""
    if _HEADER.match(head.strip()) and head.strip().split(":")[0].lower() in _HEADERS:
        return False
    if _DIRECTIVE.match(head.strip()):
        return False
    return not body or bool(body[-1].strip())


def _items(body: list) -> list:
    """(name, text) of each item of a section body: the lines at the body's least indent start items."""
    lines = [ln for ln in body if ln.strip()]
    if not lines:
        return []
    base = min(_indent(ln) for ln in lines)
    items = []
    for ln in body:
        if ln.strip() and _indent(ln) == base and not ln.strip().startswith(("where", "..")):
            m = _ITEM.match(ln.strip())
            if m and (m.group("bold") or m.group("name")):
                items.append([(m.group("bold") or m.group("name")).strip(), ln.strip()])
                continue
        if items:
            items[-1][1] += " " + ln.strip()
    return [(n, t) for n, t in items]


def statements(path: str) -> list:
    """Every statement of the installed docstring of ``path`` ([] when torch lacks the object)."""
    obj = resolve(path)
    if obj is None:
        return []
    doc = inspect.getdoc(obj) or ""
    lines = doc.splitlines()
    if lines and lines[0].startswith("__init__("):
        lines = lines[1:]
    out = [Statement(path, "signature", p) for p in signature_parameters(obj)]
    description: list = []
    for head, body in _blocks(lines):
        text = " ".join([head.strip()] + [b.strip() for b in body if b.strip()])
        header, directive = _HEADER.match(head.strip()), _DIRECTIVE.match(head.strip())
        if directive and directive.group(1) in ("note", "warning"):
            kind = directive.group(1).capitalize()
            out.append(Statement(path, kind, kind, " ".join(b.strip() for b in body if b.strip())))
        elif directive and directive.group(1) == "include":
            out.append(Statement(path, "Include", directive.group(2).rsplit("/", 1)[-1], text))
        elif directive:  # math or code under the paragraph before it
            if description:
                description[-1] += " " + text
        elif header and header.group(1).lower() in _HEADERS:
            section = _HEADERS[header.group(1).lower()]
            if section in ("Note", "Warning"):
                out.append(Statement(path, section, section, " ".join(b.strip() for b in body if b.strip())))
            elif section in ("Returns", "Example"):
                out.append(Statement(path, section, section, text))
            else:
                out.extend(Statement(path, section, n, t) for n, t in _items(body))
        else:
            description.append(text)
    out[len(signature_parameters(obj)) : len(signature_parameters(obj))] = [
        Statement(path, "Description", "Description", t) for t in description
    ]
    return out


# --- the walk ---------------------------------------------------------------------------------------------


def entry_for(s: Statement) -> Optional[Entry]:
    """The walk's entry for a statement; for a signature parameter, its Args entry will do."""
    entries = WALK.get(s.obj, ())
    found = next((e for e in entries if e.matches(s)), None)
    if found is None and s.section == "signature":
        found = next(
            (e for e in entries if e.section in ("Args", "Attributes") and _squash(e.name) == _squash(s.name)), None
        )
    return found


def unmapped(paths: Iterable[str] = OBJECTS) -> list:
    """``"<object>: <statement>"`` for every installed statement the walk does not map."""
    return [f"{s.obj}: {s.label()}" for p in paths for s in statements(p) if entry_for(s) is None]


def missing_objects() -> list:
    """The documented objects the installed torch does not have (unpad_sequence before 1.11)."""
    return [p for p in OBJECTS if resolve(p) is None]


def stale(paths: Iterable[str] = OBJECTS) -> list:
    """Entries that match no statement of the installed torch (they document another release)."""
    out = []
    for p in paths:
        found = statements(p)
        for e in WALK.get(p, ()):
            if not any(e.matches(s) for s in found) and not (
                e.section in ("Args", "Attributes")
                and any(s.section == "signature" and _squash(s.name) == _squash(e.name) for s in found)
            ):
                out.append(f"{p}: {e.section} {e.name!r}")
    return out


def coverage(paths: Iterable[str] = OBJECTS) -> dict:
    """Per object: how many installed statements are claimed, left with a reason, or unmapped."""
    out = {}
    for p in paths:
        row = {"statements": 0, "claimed": 0, "unclaimed": 0, "unmapped": 0, "present": resolve(p) is not None}
        for s in statements(p):
            e = entry_for(s)
            row["statements"] += 1
            row["claimed" if e and e.claims else "unclaimed" if e else "unmapped"] += 1
        out[p] = row
    return out


def walk_problems(known_ids: Iterable[str]) -> list:
    """Entries naming a claim the registry does not have, or with neither claims nor a reason."""
    known = set(known_ids)
    out = []
    for obj, entries in WALK.items():
        if obj not in OBJECTS:
            out.append(f"{obj}: not one of the documented objects")
        for e in entries:
            if e.section not in SECTIONS:
                out.append(f"{obj}: {e.section} {e.name!r}: unknown section")
            if not e.claims and not e.reason.strip():
                out.append(f"{obj}: {e.section} {e.name!r}: neither claims nor a reason")
            out.extend(f"{obj}: {e.section} {e.name!r}: unknown claim {cid!r}" for cid in e.claims if cid not in known)
    return out


# --- reasons shared by several objects ---
CUDNN_INCLUDE = (
    "cuDNN on a GPU: when it picks its persistent algorithm (an internal choice of kernel); the spec's cuda "
    "claims check what the layers compute (rnn.numerics.cpu-matches-cuda), not which kernel ran"
)
ROCM = "ROCm devices with float16 input: another device and dtype than the spec runs (cpu and cuda, float32/64)"
HEADLINE = "the summary line; what it summarises is claimed under the sections below"

LAYER_SHAPES = ("rnn.shape.output-seq-first", "rnn.shape.hn-batch-second", "rnn.shape.unbatched")
INIT = ("rnn.parameters.init-uniform", "rnn.parameters.init-bounds-every-parameter")
FACTORY = ("rnn.parameters.factory-kwargs", "rnn.errors.factory-kwargs-rejected")
EXAMPLE = {"RNN": "rnn.shape.example-rnn-100-20", "LSTM": "lstm.shape.example-lstm-100-20-4", "GRU": None}
DROPOUT = (
    "rnn.semantics.dropout-rate",
    "rnn.semantics.dropout-between-layers",
    "rnn.semantics.dropout-eval-off",
    "rnn.semantics.dropout-one-layer-inert",
    "rnn.semantics.dropout-seeded",
    "rnn.parameters.dropout-probability",
    "rnn.warnings.dropout-one-layer",
    "rnn.errors.constructor-arguments",
)
STATE_IN = (
    "rnn.state.default-zeros",
    "rnn.semantics.unbatched-state",
    "rnn.semantics.initial-state-matches-reference",
    "packed.semantics.state-in-original-order",
    "rnn.autograd.packed-and-state-gradients",
    "rnn.errors.state",
    "rnn.errors.ranks-every-module",
)
INPUT = LAYER_SHAPES + (
    "rnn.errors.input",
    "rnn.errors.ranks-every-module",
    "rnn.semantics.unbatched-matches-reference",
    "rnn.errors.unbatched-rejected",
    "packed.semantics.matches-reference",
    "packed.semantics.ignores-batch-first",
    "rnn.shape.empty-batch",
)
OUTPUT = LAYER_SHAPES + (
    "rnn.semantics.output-is-last-layer-states",
    "packed.shape.output",
    "rnn.semantics.matches-reference",
)
H_N = LAYER_SHAPES + (
    "rnn.semantics.output-is-last-layer-states",
    "packed.semantics.matches-reference",
    "rnn.semantics.matches-reference",
)
#: the type checks of input_size, bias and batch_first (from 2.11) and what the releases before do
ARGUMENT_TYPES = ("rnn.errors.argument-types", "rnn.errors.argument-types-before-2-11")
ATTRIBUTES = ("rnn.parameters.names-shapes", "rnn.parameters.replaced-and-copied") + INIT


def layer_entries(mode: str) -> tuple:
    """What nn.RNN, nn.LSTM and nn.GRU document alike."""
    return (
        c("Args", "input_size", "rnn.parameters.names-shapes", "rnn.errors.input", *ARGUMENT_TYPES),
        c(
            "Args",
            "hidden_size",
            "rnn.parameters.names-shapes",
            "rnn.shape.output-seq-first",
            "rnn.errors.constructor-arguments",
        ),
        c(
            "Args",
            "num_layers",
            "rnn.semantics.matches-reference",
            "cells.semantics.stacked-equal-multilayer",
            "rnn.parameters.signature-defaults",
            "rnn.errors.constructor-arguments",
        ),
        c(
            "Args",
            "bias",
            "rnn.parameters.names-shapes",
            "rnn.parameters.signature-defaults",
            "rnn.semantics.matches-reference",
            *ARGUMENT_TYPES,
        ),
        c(
            "Args",
            "batch_first",
            "rnn.shape.hn-batch-second",
            "rnn.parameters.signature-defaults",
            "packed.semantics.ignores-batch-first",
            *(("rnn.shape.example-batch-first-layout",) if mode == "LSTM" else ()),
            *ARGUMENT_TYPES,
        ),
        c("Args", "dropout", *DROPOUT),
        c(
            "Args",
            "bidirectional",
            "rnn.semantics.bidirectional-is-two-passes",
            "rnn.semantics.matches-reference",
            "rnn.parameters.signature-defaults",
        ),
        c("signature", "device", *FACTORY),
        c("signature", "dtype", *FACTORY),
        c("Inputs", "input", *INPUT),
        c("Inputs", "hx" if mode == "RNN" else "h_0", *STATE_IN),
        c("Outputs", "output", *OUTPUT),
        c("Outputs", "h_n", *H_N),
        c("Attributes", "weight_ih_l[k]", *ATTRIBUTES),
        c("Attributes", "weight_hh_l[k]", *ATTRIBUTES),
        c("Attributes", "bias_ih_l[k]", *ATTRIBUTES),
        c("Attributes", "bias_hh_l[k]", *ATTRIBUTES),
        c("Note", "initialized from", *INIT),
        c(
            "Note",
            "directions 0 and 1",
            "rnn.semantics.bidirectional-is-two-passes",
            "rnn.semantics.output-is-last-layer-states",
        ),
        c("Note", "ignored for unbatched inputs", "rnn.shape.unbatched"),
        # the non-determinism warning and its recipe (CUBLAS_WORKSPACE_CONFIG), .rst on 2.11, .md on 2.13
        *(
            (
                c("Include", "cudnn_rnn_determinism.md", "rnn.numerics.deterministic-recipe"),
                c("Include", "cudnn_rnn_determinism.rst", "rnn.numerics.deterministic-recipe"),
            )
            if mode != "GRU"
            else ()
        ),
        u("Include", "cudnn_persistent_rnn.rst", CUDNN_INCLUDE),
        c("Example", "Example", "rnn.shape.output-seq-first", *filter(None, (EXAMPLE[mode],))),
        c(
            "Description",
            "to an input sequence",
            "rnn.semantics.matches-reference",
            *(("rnn.semantics.onnx-oracle",) if mode != "RNN" else ()),
        ),
        c(
            "Description",
            "is the hidden state at time",
            "rnn.semantics.matches-reference",
            "rnn.state.default-zeros",
            "rnn.semantics.initial-state-matches-reference",
        ),
        *(
            (c("Description", "In a multilayer", *DROPOUT[:5], "cells.semantics.stacked-equal-multilayer"),)
            if mode != "RNN"
            else ()
        ),
    )


CELL_STATE = (
    "cells.semantics.default-state-zeros",
    "cells.semantics.equations",
    "cells.errors.inconsistent-sizes",
    "rnn.errors.ranks-every-module",
)
CELL_SHAPES = ("cells.shape.batched", "cells.shape.unbatched")
CELL_ATTRIBUTES = ("cells.parameters.names-shapes", "rnn.parameters.init-uniform")


def cell_entries(mode: str) -> tuple:
    """What the three cells document alike; LSTMCell names its state h_0, c_0 and h_1, c_1 and has no Shape."""
    lstm = mode == "LSTM"
    state = (
        (c("Inputs", "h_0", *CELL_STATE), c("Inputs", "c_0", *CELL_STATE))
        if lstm
        else (c("Inputs", "hidden", *CELL_STATE),)
    )
    outputs = ("h_1", "c_1") if lstm else ("h'",)
    shapes = () if lstm else tuple(c("Shape", n, *CELL_SHAPES) for n in ("input", "hidden", "output"))
    return (
        c("Args", "input_size", "cells.parameters.names-shapes", "cells.errors.inconsistent-sizes"),
        c("Args", "hidden_size", "cells.parameters.names-shapes", "cells.errors.inconsistent-sizes"),
        c("Args", "bias", "cells.parameters.defaults", "cells.parameters.names-shapes"),
        c("signature", "device", "rnn.parameters.factory-kwargs"),
        c("signature", "dtype", "rnn.parameters.factory-kwargs"),
        c("Inputs", "input", *CELL_SHAPES, "cells.errors.inconsistent-sizes", "rnn.errors.ranks-every-module"),
        *state,
        *(c("Outputs", n, *CELL_SHAPES, "cells.semantics.equations") for n in outputs),
        *shapes,
        c("Attributes", "weight_ih", *CELL_ATTRIBUTES),
        c("Attributes", "weight_hh", *CELL_ATTRIBUTES),
        c("Attributes", "bias_ih", *CELL_ATTRIBUTES),
        c("Attributes", "bias_hh", *CELL_ATTRIBUTES),
        c("Note", "initialized from", "rnn.parameters.init-uniform"),
        c(
            "Example",
            "Example",
            "cells.semantics.loop-equals-layer",
            *(("cells.shape.example-cell-loops",) if mode != "GRU" else ()),
        ),
        c("Description", " cell", "cells.semantics.equations"),
        *(
            (c("Description", "sigmoid function", "cells.semantics.equations"), u("Description", "ROCm", ROCM))
            if mode != "RNN"
            else (c("Description", "then ReLU is used", "cells.semantics.equations"),)
        ),
    )


PACK = "packed.semantics.pack-sequence"
PACK_PADDED = "packed.semantics.pack-padded-options"
PAD_PACKED = "packed.semantics.pad-packed-options"
PAD = "packed.semantics.pad-sequence"
UNPAD = "packed.semantics.unpad-unpack"
EXAMPLES = "packed.semantics.docstring-examples"

WALK = {
    "torch.nn.RNN": layer_entries("RNN")
    + (
        c(
            "Args",
            "nonlinearity",
            "rnn.semantics.relu-nonnegative-unbounded",
            "rnn.semantics.matches-reference",
            "rnn.parameters.signature-defaults",
            "rnn.errors.constructor-arguments",
            "rnn.repr.hides-nonlinearity",
            "rnn.parameters.positional-nonlinearity",
            "rnn.parameters.positional-nonlinearity-before-2-3",
        ),
    ),
    "torch.nn.LSTM": layer_entries("LSTM")
    + (
        c(
            "Args",
            "proj_size",
            "lstm.shape.state-pair",
            "rnn.semantics.matches-reference",
            "rnn.parameters.signature-defaults",
            "rnn.errors.constructor-arguments",
            "lstm.warnings.proj-onednn-fallback",
        ),
        c(
            "Inputs",
            "c_0",
            *STATE_IN,
            "lstm.shape.state-pair",
            "lstm.errors.packed-input-unchecked",
            "lstm.errors.packed-input-checked-before-2-1",
        ),
        c("Outputs", "c_n", *H_N, "lstm.shape.state-pair", "lstm.semantics.h-bounded-c-unbounded"),
        *(
            c("Attributes", name, *ATTRIBUTES)
            for name in ("weight_hr_l[k]",)
            + tuple(f"{w}_l[k]_reverse" for w in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))
        ),
        c(
            "Description",
            "If ``proj_size > 0``",
            "rnn.semantics.matches-reference",
            "lstm.shape.state-pair",
            "rnn.parameters.names-shapes",
        ),
        c(
            "Note",
            "is not equivalent to the last element",
            "rnn.semantics.output-is-last-layer-states",
            "lstm.semantics.example-imdb-bilstm-head",
        ),
        c("Note", "should be smaller than", "rnn.errors.constructor-arguments"),
    ),
    "torch.nn.GRU": layer_entries("GRU")
    + (
        c(
            "Note",
            "subtly differs from the original paper",
            "rnn.semantics.onnx-oracle",
            "rnn.semantics.matches-reference",
        ),
    ),
    "torch.nn.RNNCell": cell_entries("RNN")
    + (
        c(
            "Args",
            "nonlinearity",
            "cells.errors.unknown-nonlinearity",
            "cells.semantics.equations",
            "cells.parameters.defaults",
        ),
    ),
    "torch.nn.LSTMCell": cell_entries("LSTM"),
    "torch.nn.GRUCell": cell_entries("GRU"),
    "torch.nn.utils.rnn.pack_padded_sequence": (
        c("Args", "input", PACK_PADDED, "packed.semantics.pad-inverts-pack"),
        c("Args", "lengths", PACK_PADDED, "packed.errors.lengths", "packed.errors.length-beyond-padding"),
        c("Args", "batch_first", PACK_PADDED, "packed.semantics.pad-inverts-pack"),
        c("Args", "enforce_sorted", PACK_PADDED, "packed.errors.lengths", "packed.semantics.matches-reference"),
        c("Returns", "Returns", PACK_PADDED),
        c("Description", "Packs a Tensor", PACK_PADDED),
        c("Description", "can be of size", PACK_PADDED),
        c(
            "Description",
            "For unsorted sequences",
            "packed.errors.lengths",
            "packed.semantics.matches-reference",
            PACK_PADDED,
        ),
        c("Description", "inverse operation", "packed.semantics.pad-inverts-pack"),
        c("Note", "at least two dimensions", PACK_PADDED, "packed.semantics.docstring-examples"),
        c("Warning", "will be truncated", PACK_PADDED, "packed.semantics.pad-inverts-pack"),
    ),
    "torch.nn.utils.rnn.pad_packed_sequence": (
        c("Args", "sequence", PAD_PACKED),
        c("Args", "batch_first", PAD_PACKED),
        c("Args", "padding_value", PAD_PACKED),
        c("Args", "total_length", PAD_PACKED, "packed.errors.total-length-too-short"),
        c("Returns", "Returns", PAD_PACKED, "packed.semantics.pad-inverts-pack"),
        c("Description", "Pad a packed batch", PAD_PACKED),
        c("Description", "inverse operation", "packed.semantics.pad-inverts-pack"),
        c("Description", "The returned Tensor", PAD_PACKED),
        c("Note", "DataParallel", PAD_PACKED),
        c("Example", "Example", EXAMPLES),
    ),
    "torch.nn.utils.rnn.pack_sequence": (
        c("Args", "sequences", PACK),
        c("Args", "enforce_sorted", PACK, "packed.errors.pack-sequence-unsorted"),
        c("Returns", "Returns", PACK),
        c("Description", "Packs a list", PACK),
        c("Description", "Consecutive call", PACK),
        c("Description", "should be a list of Tensors", PACK),
        c("Description", "For unsorted sequences", PACK, "packed.errors.pack-sequence-unsorted"),
        c("Example", "Example", EXAMPLES),
    ),
    "torch.nn.utils.rnn.pad_sequence": (
        c(
            "Args",
            "sequences",
            PAD,
            "packed.errors.pad-sequence-not-iterable",
            "packed.errors.pad-sequence-not-iterable-before-1-11",
        ),
        c("Args", "batch_first", PAD),
        c("Args", "padding_value", PAD),
        c("Args", "padding_side", "packed.semantics.pad-sequence-left", "packed.errors.padding-side-before-2-5"),
        c("Returns", "Returns", PAD),
        c("Description", "Pad a list", PAD),
        c("Description", "stacks a list of Tensors", PAD),
        c("Note", "This function returns a Tensor of size", PAD),
        c("Example", "Example", EXAMPLES),
    ),
    "torch.nn.utils.rnn.unpad_sequence": (
        c("Args", "padded_sequences", UNPAD),
        c("Args", "lengths", UNPAD),
        c("Args", "batch_first", UNPAD),
        c("Returns", "Returns", UNPAD),
        c("Description", "Unpad padded Tensor", UNPAD, "packed.errors.unpad-unpack-before-1-11"),
        c("Description", "unstacks padded Tensor", UNPAD),
        c("Example", "Example", EXAMPLES),
    ),
    "torch.nn.utils.rnn.unpack_sequence": (
        c("Args", "packed_sequences", UNPAD),
        c("Returns", "Returns", UNPAD),
        c("Description", "Unpack PackedSequence", UNPAD, "packed.errors.unpad-unpack-before-1-11"),
        c("Description", "should be a PackedSequence object", UNPAD),
        c("Example", "Example", EXAMPLES),
    ),
    "torch.nn.utils.rnn.PackedSequence": (
        c("Attributes", "data", PACK, "packed.shape.index-tensors", "packed.semantics.conversions"),
        c("Attributes", "batch_sizes", PACK, "packed.shape.index-tensors"),
        c(
            "Attributes",
            "sorted_indices",
            PACK,
            "packed.semantics.state-in-original-order",
            "packed.shape.index-tensors",
        ),
        c(
            "Attributes",
            "unsorted_indices",
            PACK,
            "packed.semantics.state-in-original-order",
            "packed.shape.index-tensors",
        ),
        c("Description", "Holds the data", PACK),
        c(
            "Description",
            "All RNN modules accept packed sequences",
            "packed.semantics.matches-reference",
            "packed.shape.output",
        ),
        c("Note", "Batch sizes represent", EXAMPLES, PACK),
        c("Note", "can be on arbitrary device", "packed.shape.index-tensors", "packed.semantics.conversions"),
    ),
    "torch.nn.utils.clip_grad_norm_": (
        c("Args", "parameters", "clip.training.norm-types", "clip.training.global-norm", "clip.training.no-gradients"),
        c("Args", "max_norm", "clip.training.global-norm", "clip.training.norm-types"),
        c("Args", "norm_type", "clip.training.norm-types"),
        c("Args", "error_if_nonfinite", "clip.errors.error-if-nonfinite", "clip.errors.error-if-nonfinite-before-1-9"),
        c("Args", "foreach", "clip.training.foreach", "clip.errors.foreach-before-2-0"),
        c("Returns", "Returns", "clip.training.global-norm", "clip.training.norm-types"),
        c("Description", "Clip the gradient norm", "clip.training.global-norm"),
        c("Description", "concatenated into a single vector", "clip.training.global-norm", "clip.training.norm-types"),
        u(
            "Description",
            "get_total_norm",
            "names two helpers outside the 14 objects (torch.nn.utils.get_total_norm and clip_grads_with_norm_); "
            "the result they compose is checked as clip_grad_norm_'s own (clip.training.norm-types)",
        ),
    ),
}
