"""torch's docstrings walked statement by statement (``spec/sources/docstrings.py``), one page per object."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from spec.tools.docs.common import GENERATED, cell, link
from spec.tools.render import table

#: The line every docstring page carries: the torch whose docstrings it walks.
MADE_WITH = "<!-- made with torch {} -->\n"


def torch_doc_slug(path: str) -> str:
    """``torch.nn.utils.rnn.pad_sequence`` -> ``pad_sequence``: the page name under ``torch-docs/``."""
    return path.rsplit(".", 1)[1]


def torch_doc_page(path: str, registry) -> str:
    """One object's docstring, statement by statement, with the claims that check each or the reason none does."""
    import torch

    from spec.sources import docstrings as ds

    by_id = {c.id: c for c in registry}
    found = ds.statements(path)
    head = f"# `{path}`\n\n{GENERATED}{MADE_WITH.format(torch.__version__)}\n"
    if not found:
        return head + f"torch {torch.__version__} does not have `{path}`.\n"
    rows = []
    for s in found:
        e = ds.entry_for(s)
        what = cell(" ".join(s.text.split())[:160]) if s.section in ds.PHRASED else f"`{s.name}`"
        if e is None:
            checked = "**unmapped**"
        elif e.claims:
            checked = ", ".join(link(by_id[cid], prefix="../") for cid in e.claims)
        else:
            checked = f"not claimed: {cell(e.reason)}"
        rows.append([s.section, what, checked])
    other = ds.stale([path])
    tail = ""
    if other:
        tail = "\n## Entries for other releases\n\nThe walk also maps these, which this torch does not document:\n\n"
        tail += "\n".join(f"- {cell(o.split(': ', 1)[1])}" for o in other) + "\n"
    intro = (
        f"Every statement of the docstring of torch {torch.__version__} (signature parameters, description "
        "paragraphs, arguments, inputs, outputs, attributes, notes, warnings, included files, examples), with "
        "the claims that check it or the reason it is left unchecked (`spec/sources/docstrings.py`).\n\n"
    )
    return head + intro + table(["section", "statement", "checked by"], rows, "markdown") + tail


def torch_docs_index(registry) -> str:
    """The docstring coverage of the 14 objects, one row each."""
    import torch

    from spec.sources import docstrings as ds

    rows = []
    for path, r in ds.coverage().items():
        name = f"[`{path}`]({torch_doc_slug(path)}.md)"
        if not r["present"]:
            rows.append([name, "not in this torch", "", "", ""])
            continue
        rows.append([name, r["statements"], r["claimed"], r["unclaimed"], r["unmapped"]])
    intro = (
        f"torch {torch.__version__}'s docstrings of the recurrent layers, walked statement by statement as "
        "[Sources](../sources.md) walks the tutorials. A statement the walk does not map (a new argument, note or "
        "paragraph of a later release) is named by `python -m spec claims`, which exits 1 until it is mapped."
    )
    made = MADE_WITH.format(torch.__version__)
    head = ["object", "statements", "claimed", "left with a reason", "unmapped"]
    return f"# torch's docstrings\n\n{GENERATED}{made}\n{intro}\n\n" + table(head, rows, "markdown", "lrrrr")


def torch_doc_pages(registry) -> dict:
    from spec.sources import docstrings as ds

    pages = {"torch-docs/index.md": torch_docs_index(registry)}
    for path in ds.OBJECTS:
        pages[f"torch-docs/{torch_doc_slug(path)}.md"] = torch_doc_page(path, registry)
    return pages


def made_with(docs: Path) -> Optional[str]:
    """The torch the stored docstring pages were made with (None: none stored, or made before it was recorded)."""
    index = Path(docs) / "torch-docs" / "index.md"
    if not index.is_file():
        return None
    found = re.search(r"<!-- made with torch (\S+) -->", index.read_text(encoding="utf-8", errors="replace"))
    return found.group(1) if found else None


def kept(docs: Path) -> dict:
    """The stored docstring pages, as they are."""
    folder = Path(docs) / "torch-docs"
    return {f"torch-docs/{p.name}": p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.md"))}
