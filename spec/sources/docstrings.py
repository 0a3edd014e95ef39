"""The walk of torch's docstrings: every statement of the 14 documented objects, mapped to claims or to a reason.

``docs/sources.md`` walks the five source documents; this module walks torch's own documentation of the
recurrent layers the same way. A *statement* is one item of a docstring: a signature parameter, an entry of
``Args``, ``Inputs``, ``Outputs``, ``Shape``, ``Attributes`` (``Variables`` in old releases), ``Returns``, a
note, a warning, an included file, the examples, or a paragraph of the description. :func:`walk` maps each
to the claims that check it, read from their ``TorchDoc(obj, section, name)`` citations, or to the reason it is
left unchecked, written here (:data:`UNCLAIMED`).

:func:`statements` reads the installed torch's docstrings, so :func:`unmapped` names, on any release, every
statement that has no entry: a release that adds an argument, a note or a paragraph shows up by name instead
of passing in silence. Entries are keyed by name (arguments, inputs, attributes) or by a phrase the paragraph
or note contains (descriptions, notes, warnings); an entry may match nothing on one release (it documents
another). ``python -m spec claims`` prints the coverage; ``python -m spec docs`` writes one page per object.
"""

from __future__ import annotations

import functools
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
    entries = walk().get(s.obj, ())
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
        for e in walk().get(p, ()):
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
    for obj, entries in walk().items():
        if obj not in OBJECTS:
            out.append(f"{obj}: not one of the documented objects")
        for e in entries:
            if e.section not in SECTIONS:
                out.append(f"{obj}: {e.section} {e.name!r}: unknown section")
            if not e.claims and not e.reason.strip():
                out.append(f"{obj}: {e.section} {e.name!r}: neither claims nor a reason")
            if not e.name.strip():
                out.append(f"{obj}: {e.section}: no name (an argument's, or a phrase of the paragraph)")
            if e.claims and any((u.section, u.name) == (e.section, e.name) for u in UNCLAIMED.get(obj, ())):
                out.append(f"{obj}: {e.section} {e.name!r}: both claimed ({', '.join(e.claims)}) and unclaimed")
            out.extend(f"{obj}: {e.section} {e.name!r}: unknown claim {cid!r}" for cid in e.claims if cid not in known)
    return out


# --- reasons shared by several objects ---
CUDNN_INCLUDE = (
    "cuDNN on a GPU: when it picks its persistent algorithm (an internal choice of kernel); the spec's cuda "
    "claims check what the layers compute (rnn.numerics.cpu-matches-cuda), not which kernel ran"
)
ROCM = "ROCm devices with float16 input: another device and dtype than the spec runs (cpu and cuda, float32/64)"

#: The statements left unchecked, by object, each with the reason; every other statement is claimed, read from the
#: claims' TorchDoc citations (:func:`walk`). An entry may match nothing on one release (it documents another).
UNCLAIMED = {
    "torch.nn.RNN": (u("Include", "cudnn_persistent_rnn.rst", CUDNN_INCLUDE),),
    "torch.nn.LSTM": (u("Include", "cudnn_persistent_rnn.rst", CUDNN_INCLUDE),),
    "torch.nn.GRU": (u("Include", "cudnn_persistent_rnn.rst", CUDNN_INCLUDE),),
    "torch.nn.LSTMCell": (u("Description", "ROCm", ROCM),),
    "torch.nn.GRUCell": (u("Description", "ROCm", ROCM),),
}


def claimed(registry) -> dict:
    """The claimed entries, by object, read from the claims' citations: one entry per statement a claim cites
    (``TorchDoc(obj, section, name)``), naming every claim that cites it, in registry order."""
    out: dict = {}
    for claim in registry:
        for s in claim.sources:
            if getattr(s, "obj", None) in OBJECTS:
                entries = out.setdefault(s.obj, {})
                key = (s.section, s.name)
                found = entries.get(key, ())
                entries[key] = found + (claim.id,) if claim.id not in found else found
    return {obj: tuple(Entry(sec, name, claims=ids) for (sec, name), ids in e.items()) for obj, e in out.items()}


@functools.cache
def walk() -> dict:
    """Every entry, by object: the unclaimed ones (:data:`UNCLAIMED`) first, then those read from the registry."""
    import spec  # the registry, complete: every claim module imported (spec.load_all)

    found = claimed(spec.load_all())
    return {obj: UNCLAIMED.get(obj, ()) + found.get(obj, ()) for obj in dict.fromkeys(OBJECTS + tuple(UNCLAIMED))}
