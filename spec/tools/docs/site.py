"""The site: every page generated in memory, then written (atomically, orphans removed) or checked for freshness."""

from __future__ import annotations

from pathlib import Path

from spec.tools import results as res
from spec.tools.docs.common import GENERATED


def build(reports_dir: Path, out: Path, torch_docs: bool = False, record: bool = False) -> dict:
    """{relative path: content (str, or bytes for copied images)} for every generated file.

    ``reports_dir`` is the reports root: ``matrix/`` (one report per release), ``cuda/`` (runs that included a
    GPU), ``implementations/`` (other implementations), ``mutants.json``, ``coverage/``, ``programs/``, ... The
    pages under ``torch-docs/`` walk one torch's docstrings: they are made again only under the torch they were
    made with (or with ``torch_docs``); under another torch the stored pages in ``out`` are kept as they are.
    """
    import spec
    from spec.tools.docs import (
        benchmarks,
        claims,
        errata,
        history,
        implementations,
        index,
        matrix,
        mutants,
        programs,
        sources,
    )
    from spec.tools.docs import coverage as cov
    from spec.tools.docs import targets as tgt
    from spec.tools.docs import torch_docs as td
    from spec.tools.docs.common import load_reports, ordered, page_of
    from spec.tools.docs.provenance import of_report, summary, today_of
    from spec.tools.matrix import Matrix

    registry = spec.load_all()
    problems = registry.problems()
    if problems:
        raise res.ReportError(f"the registry is invalid: {problems[0]}")
    releases = load_reports(reports_dir / "matrix", registry)
    if not releases:
        raise res.ReportError(f"{reports_dir / 'matrix'}: no stored report (the docs are made from them)")
    reports = releases + load_reports(reports_dir / "cuda", registry)
    impls = load_reports(reports_dir / "implementations", registry)
    ordered_claims = ordered(registry)
    current = today_of(registry)
    if record:  # the headlines' history grows by the columns whose headline changed (docs --check never writes)
        history.record(reports_dir / history.FILE, history.current(matrix.headline_rows(reports, impls), current))
    pages = {
        "index.md": index.index_page(ordered_claims, reports, impls, current),
        "matrix.md": matrix.matrix_page(
            ordered_claims, Matrix.build(reports, targets=("eager",)), reports, impls, current
        )
        + "\n"
        + history.section(history.read(reports_dir / history.FILE)),
        "errata.md": errata.errata_page(ordered_claims),
        "sources.md": sources.sources_page(ordered_claims, reports_dir, current),
        "mutants.md": mutants.mutants_page(ordered_claims, reports_dir / "mutants.json", current),
        "targets.md": tgt.targets_page(ordered_claims, releases, current),
        "benchmarks.md": benchmarks.benchmarks_page(reports_dir, current),
    }
    pages.update(implementations.implementation_pages(impls, current))
    by_page: dict = {}
    for c in ordered_claims:
        by_page.setdefault(page_of(c), []).append(c)
    cards = claims.Cards(reports, impls, current)
    stored = summary([of_report(r, current) for r in reports + impls])
    for page, members in by_page.items():
        pages[page] = claims.kind_page(members, cards, stored)
    pages.update(torch_doc_pages(td, ordered_claims, out, torch_docs))
    pages.update(cov.coverage_pages(reports_dir / "coverage", current))
    results = reports_dir / "programs"
    for name in programs.PROGRAMS:
        pages[f"programs/{name}.md"] = programs.program_page(name, ordered_claims, results, current)
    if results.is_dir():
        for png in sorted(results.glob("*.png")):
            pages[f"programs/img/{png.name}"] = png.read_bytes()
    on_cuda = reports_dir / "programs-cuda"
    if on_cuda.is_dir():
        for png in sorted(on_cuda.glob("*.png")):
            pages[f"programs/img/cuda-{png.name}"] = png.read_bytes()
    return pages


#: the pages of docs/ made from one folder of the reports (a path prefix of docs/ -> that folder): the longest
#: prefix first (``programs/img/cuda-`` before ``programs/img/``)
INPUTS = (
    ("implementations/", "implementations"),
    ("coverage/", "coverage"),
    ("programs/img/cuda-", "programs-cuda"),
    ("programs/img/", "programs"),
)


def input_problem(reports_dir: Path, out: Path):
    """Why the docs cannot be made from ``reports_dir`` into ``out``, in one line; None when they can. Checked
    before any work: a file there that is no regular file (a FIFO would block the read for ever, a socket or a
    device fails it), and a folder of reports that pages of ``out`` were made from and that is absent (the pages
    would be removed, as for a run taken away: ``--reports`` naming a folder that holds ``matrix/`` alone)."""
    for path in sorted(Path(reports_dir).rglob("*")):
        if not (path.is_file() or path.is_dir()):
            return f"{path}: not a regular file or folder (the docs read every report there)"
    made = sorted(p.relative_to(out).as_posix() for p in Path(out).rglob("*") if p.is_file()) if out.is_dir() else []
    for prefix, folder in INPUTS:
        if (Path(reports_dir) / folder).is_dir():
            continue
        pages = [rel for rel in made if rel.startswith(prefix) and _input_of(rel) == folder]
        if pages:
            return (
                f"{reports_dir} has no {folder}/, which {len(pages)} page(s) of {out} are made from ({pages[0]}, ...): "
                "--reports names the whole reports folder"
            )
    return None


def _input_of(rel: str):
    return next((folder for prefix, folder in INPUTS if rel.startswith(prefix)), None)


def torch_doc_pages(td, registry, docs: Path, force: bool) -> dict:
    """The docstring pages, made under the torch the stored ones were made with (``td.made_with``); under another
    torch, the stored pages as they are (named by ``td.kept``), unless ``force``."""
    import torch

    stored = td.made_with(docs)
    if force or stored is None or stored == torch.__version__:
        return td.torch_doc_pages(registry)
    return td.kept(docs)


def write(pages: dict, out: Path) -> list:
    """Write pages atomically; remove generated pages that are no longer produced. Returns changed paths."""
    changed = []
    for rel, content in pages.items():
        if not fresh(out / rel, content):
            if isinstance(content, bytes):
                res.write_bytes(out / rel, content)
            else:
                res.write_text(out / rel, content)
            changed.append(rel)
    for rel in orphans(pages, out):
        (out / rel).unlink()
        changed.append(rel)
    return changed


def orphans(pages: dict, out: Path) -> list:
    """Generated files in ``out`` that are no longer generated (a claim module renamed, a run removed)."""
    found = []
    for path in sorted(out.rglob("*")) if out.is_dir() else []:
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel in pages:
            continue
        if rel.startswith("programs/img/") or (
            path.suffix == ".md" and GENERATED.strip() in path.read_text(encoding="utf-8", errors="replace")
        ):
            found.append(rel)
    return found


def readme(reports_dir: Path, out: Path):
    """(the checkout's README, its text with the samples rendered from ``reports_dir``) when ``out`` is the
    checkout's docs folder (a build elsewhere leaves the README alone); None otherwise."""
    from spec.tools.docs import readme as rd
    from spec.tools.docs.common import ROOT
    from spec.tools.docs.provenance import today_of

    path = ROOT / "README.md"
    if out.resolve() != (ROOT / "docs").resolve() or not path.exists():
        return None
    import spec

    return path, rd.render(path.read_text(encoding="utf-8"), reports_dir, today_of(spec.load_all()))


def fresh(path: Path, content) -> bool:
    if not path.exists():
        return False
    return path.read_bytes() == content if isinstance(content, bytes) else path.read_text(encoding="utf-8") == content


def stale(pages: dict, out: Path) -> list:
    """Pages whose file differs from what would be generated, and generated pages that would be removed
    (for the freshness check)."""
    return [rel for rel, content in pages.items() if not fresh(out / rel, content)] + orphans(pages, out)
