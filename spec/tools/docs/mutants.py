"""The mutants page: the simulated regressions and the claims that catch each."""

from __future__ import annotations

from pathlib import Path

from spec.tools import results as res
from spec.tools.docs.common import GENERATED, banner, cell, link, made_with, md
from spec.tools.render import table


def mutants_page(registry, path: Path, current: dict) -> str:
    head = f"# Mutants: does the spec catch regressions?\n\n{GENERATED}\n"
    if not path.exists():
        return head + "No stored run yet: `python -m spec mutants --out reports/mutants.json`.\n"
    data = res.load_json(path)
    by_id = {c.id: c for c in registry}
    results = data["mutants"]
    killed = sum(r["killed"] for r in results.values())
    rows = []
    for name, r in results.items():
        claims = ", ".join(link(by_id[c]) for c in r["claims"] if c in by_id) or "**survived**"
        if r.get("target") or r.get("impl"):  # a mutant of one target or implementation: caught through it only
            plain = ", ".join(link(by_id[c]) for c in r["eager_claims"] if c in by_id) or "none: it survives there"
            via = f"--target {r['target']}" if r.get("target") else f"--impl {r['impl']}"
            claims = f"with `{via}`: {claims}; in a plain run (eager, torch): {plain}"
        crashes = "; ".join(f"`{c}`: {cell(m)}" for c, m in (r.get("crashes") or {}).items())
        rows.append([f"`{name}`", md(r["description"]), claims, crashes])
    made = made_with(data, current) if data.get("suite") else ", environment not recorded"
    legacy = (
        ""
        if data.get("suite")
        else '\n!!! warning "Outdated"\n    This run records no provenance and predates the rule that only a '
        "failed assertion catches a mutant: its lists count crashes too. Re-run "
        "`python -m spec mutants --out reports/mutants.json`.\n"
    )
    return (
        head
        + legacy
        + banner(data, current, "python -m spec mutants --out reports/mutants.json")
        + "\nEach mutant patches torch's recurrent modules (or the kernels they call) to behave in one plausible "
        "wrong way; the spec then runs against it. A mutant is caught only by a claim that fails on an assertion "
        "(an `assert`, `assert_close`, or a `pytest.raises` that saw no exception, another message or another "
        "exception type); a claim that fails by raising anything else crashed, and is listed apart. A mutant of "
        "one target (compile, export) breaks only that way of running the layers: the spec runs through that "
        "target to catch it, and eagerly too, where it should survive. "
        f"**{killed} of {len(results)} caught** (profile `{data['profile']}`{made}; produced by "
        "`python -m spec mutants --out reports/mutants.json`).\n\n"
        + table(
            ["mutant", "what it breaks", "caught by (a claim failing on an assertion)", "crashed (not counted)"],
            rows,
            "markdown",
        )
    )
