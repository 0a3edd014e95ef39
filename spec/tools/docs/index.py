"""The home page."""

from __future__ import annotations

from spec.tools.docs.common import GENERATED, KIND_TITLES, SUBJECT_PAGES, column_name, page_of
from spec.tools.docs.matrix import headlines
from spec.tools.docs.provenance import of_report, summary
from spec.tools.render import legend_html


def index_page(registry, reports: list, impl_reports: list, now: dict) -> str:
    claims = list(registry)
    errata = sum(len(c.errata) for c in claims)
    releases = ", ".join(column_name(r) for r in reports if r.implementation == "torch") or "none stored yet"
    impls = sorted({r.implementation for r in impl_reports})
    stored = summary([of_report(r, now) for r in reports + impl_reports])
    sections = []
    for subject, (_, heading) in SUBJECT_PAGES.items():
        pages: dict = {}
        for c in claims:
            if c.subject == subject:
                pages.setdefault((c.kind, page_of(c)), []).append(c)
        lines = [
            f"- [{KIND_TITLES[k]}]({p}): {len(cs)} claim{'' if len(cs) == 1 else 's'}" for (k, p), cs in pages.items()
        ]
        sections.append(f"## {heading}\n\n" + "\n".join(lines))
    topics = "\n\n".join(sections)
    return f"""# The executable specification of PyTorch's recurrent layers

{GENERATED}
{headlines(reports, impl_reports, now)}
{len(claims)} claims about `nn.RNN`, `nn.LSTM`, `nn.GRU`, their cells and packed sequences, each a check
that runs against the installed torch; {errata} of them correct a statement of a source tutorial (errata).

- [Compatibility matrix](matrix.md): every claim on every stored release.
- [Errata](errata.md): what the sources get wrong, and what holds instead.
- [Sources](sources.md): from a source document's statement to the claim that checks it.
- [Targets](targets.md): the claims run eagerly, compiled, exported, scripted and through ONNX, per release.
- [Implementations](implementations/index.md): the claims run against other implementations of the recurrent
  API (opacus, torchrl, torch.ao's quantizable and dynamic quantized layers, your own).
- [Mutants](mutants.md): simulated torch regressions, and the claims that catch each.
- [Benchmarks](benchmarks.md): how long the suite takes.
- Programs: [hello](programs/hello.md), [char_lm](programs/char_lm.md), [lyrics](programs/lyrics.md),
  [sentiment](programs/sentiment.md): the sources' examples as runnable, shape-checked references.

{topics}

## Stored reports

torch: {releases}. Implementations: {", ".join(impls) or "none stored yet"}. {stored} The
[matrix page](matrix.md#where-each-column-comes-from) names each report's claim set, revision and the command that
makes it again.

Statuses: {legend_html()}
"""
