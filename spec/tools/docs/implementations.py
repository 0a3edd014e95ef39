"""The conformance pages: the claims run against each implementation of the recurrent API.

A summary on one screen (implementations x kinds), then a page per implementation: every claim as held, known
divergence (with the reason, the upstream link or repro, and a write-up ready to file where it looks like a bug
of that library) or not applicable (with the reason). Read from the stored reports
(``reports/implementations/``, ``python -m spec verify --impl NAME``) alone.
"""

from __future__ import annotations

import re

from spec.tools.docs import provenance as prov
from spec.tools.docs.common import GENERATED, KIND_TITLES, WIDE_PAGE, anchor, md
from spec.tools.render import GLYPHS, STATE_WORDS, STATES, table
from spec.tools.results import WORDS

PAGE = "implementations/{}.md"


def _counts(report) -> dict:
    """kind -> {status: count}."""
    out: dict = {}
    for r in report.claims.values():
        if r.subject != "torch":
            continue
        out.setdefault(r.kind, {}).setdefault(r.status, 0)
        out[r.kind][r.status] += 1
    return out


def _cell(counts: dict) -> str:
    order = ("passed", "xfailed", "failed", "not-applicable", "skipped")
    parts = [f'<span class="st-{s}">{counts[s]} {GLYPHS[s]}</span>' for s in order if counts.get(s)]
    return " · ".join(parts) or ""


def _slug(name: str) -> str:
    return name.replace(":", "-").replace(".", "-")


def own_version(rep) -> str:
    """The implementation's own library and version (torch's for the layers torch ships); the page of each lists
    every dependency's."""
    versions = rep.implementation_versions
    library = rep.implementation.split("-")[0].split(":")[0]
    if library in versions:
        return f"{library} {versions[library]}"
    return f"torch {versions.get('torch', rep.torch)}"


def summary_page(reports: list, now: dict) -> str:
    kinds = sorted(
        {r.kind for rep in reports for r in rep.claims.values() if r.subject == "torch"},
        key=lambda k: list(KIND_TITLES).index(k) if k in KIND_TITLES else 99,
    )
    rows = []
    for rep in reports:
        counts = _counts(rep)
        versions = own_version(rep)
        name = f"[{rep.implementation}]({_slug(rep.implementation)}.md)"
        totals: dict = {}
        for per in counts.values():
            for s, n in per.items():
                totals[s] = totals.get(s, 0) + n
        p = prov.of_report(rep, now)
        ran = f"{p.standing.same}/{p.standing.today}{prov.mark(p)}"
        rows.append([name, versions or md(rep.torch), _cell(totals), ran] + [_cell(counts.get(k, {})) for k in kinds])
    legend = ", ".join(f"{GLYPHS[s]} {STATE_WORDS[s]}" for s in STATES)  # the order and words of every page
    body = (
        table(["implementation", "version", "all claims about torch's API", "ran"] + kinds, rows, "markdown")
        if rows
        else "No stored run yet: `python -m spec verify --impl NAME`.\n"
    )
    return (
        f"{WIDE_PAGE}# Implementations\n\n{GENERATED}\n"
        "The spec's claims about torch's API run against other implementations "
        "of it, chosen with `python -m spec verify --impl NAME` (or `RNN_SPEC_IMPL=NAME pytest`; `MODULE:ATTR` names "
        'an adapter of your own: README, "Implementations"). A claim about the contract runs against every '
        "implementation that provides its objects; a claim about torch's own implementation (grad_fn names, error "
        "wording, kernels, the exporters) is not applicable there, with the reason. A known divergence is listed in "
        "the implementation's file of expected failures (`spec/implementations/known/`), with its reason; a run "
        "fails on any other, and flags an entry that now holds.\n\n"
        f"Per kind: {legend}. Ran: today's claims the report ran with today's check († behind today's set: its "
        f"page says how, and the command that makes it again).\n\n{body}"
    )


#: how a known divergence's message starts: the cases of one pytest item (spec.helpers.verdicts)
ITEM_COUNT = re.compile(r"^\d+ of \d+ cases: ")

#: a count of claims by status, in words (one, several)
COUNTED = {
    "passed": ("holds", "hold"),
    "xfailed": ("known divergence", "known divergences"),
    "failed": ("fails", "fail"),
    "not-applicable": ("not applicable", "not applicable"),
    "skipped": ("skipped", "skipped"),
}


def implementation_page(rep, now: dict) -> str:
    versions = ", ".join(f"`{k}` {v}" for k, v in sorted(rep.implementation_versions.items()))
    title = rep.environment["implementation"].get("title") or rep.implementation
    claims = {cid: r for cid, r in rep.claims.items() if r.subject == "torch"}
    by_status: dict = {}
    for cid, r in claims.items():
        by_status.setdefault(r.status, []).append(cid)
    counts = ", ".join(
        f"{len(by_status[s])} {COUNTED[s][len(by_status[s]) != 1]}"
        for s in ("passed", "xfailed", "failed", "not-applicable", "skipped")
        if s in by_status
    )
    parts = [
        f"# {md(rep.implementation)}\n\n{GENERATED}\n{md(title)}: {versions} (torch {rep.torch}, "
        f"devices {rep.devices}, profile `{rep.environment.get('hypothesis_profile')}`, suite "
        f"`{(rep.suite.get('git') or '?')[:12]}`).\n\n{len(claims)} claims about torch's API: {counts}.\n",
        f"The report {prov.of_report(rep, now).line()}.\n" + prov.banner(prov.of_report(rep, now)),
    ]
    limits = rep.environment["implementation"].get("limits") or []
    if limits:
        parts.append("## Limits\n\nArgument values it refuses (configurations drawn for a claim leave them out):\n")
        for limit in limits:
            where = f" ({', '.join(limit['modules'])})" if limit.get("modules") else ""
            how = f" Repro: `{limit['repro']}`." if limit.get("repro") else ""
            link = f" <{limit['link']}>" if limit.get("link") else ""
            parts.append(f"- {md(limit['what'])}{where}.{how}{link}")
        parts.append("")
    configurations = rep.environment["implementation"].get("configurations") or []
    if configurations:
        parts.append(
            "## Known configurations\n\nArgument values it accepts and then computes wrongly with, whatever the "
            "claim: a case that builds one and fails is a known divergence, one that holds is held:\n"
        )
        for config in configurations:
            where = f" ({', '.join(config['modules'])})" if config.get("modules") else ""
            how = f" Repro: `{config['repro']}`." if config.get("repro") else ""
            link = f" <{config['link']}>" if config.get("link") else ""
            n = config.get("known")
            seen = "" if n is None else f" {n} failing case{'s' if n != 1 else ''} in this run."
            parts.append(f"- {md(config['what'])}{where}.{how}{link}{seen}")
        alone = sorted(cid for cid in by_status.get("xfailed", []) if not claims[cid].known)
        if alone:  # counted among the known divergences above, listed under no cause below
            which = "it" if len(configurations) == 1 else "these"
            named = ", ".join(f"`{cid}`" for cid in alone)
            verb = "diverges" if len(alone) == 1 else "diverge"
            parts.append(f"\n{len(alone)} claim{'s' * (len(alone) != 1)} {verb} only through {which}: {named}.")
        parts.append("")
    known = [cid for cid in by_status.get("xfailed", []) + by_status.get("passed", []) if claims[cid].known]
    if known:
        parts.append(known_section(rep, claims, known))
    failing = by_status.get("failed", [])
    if failing:
        parts.append("## Failing (not a known divergence)\n")
        parts.append(
            table(
                ["claim", "first failure"], [[f"`{c}`", md(claims[c].first_failure or "")] for c in failing], "markdown"
            )
        )
    rows = []
    for cid in sorted(claims):
        r = claims[cid]
        why = r.reason or (r.known or {}).get("reason") or r.first_failure or ""
        # a known divergence in its entry's words: the run's message counts one pytest item's cases ("1 of 1
        # cases: ..."), which the cases column contradicts
        if r.status == "xfailed":
            why = (r.known or {}).get("reason") or ITEM_COUNT.sub("", why)
        status = f'<span class="st-{r.status}" data-claim="{cid}" data-status="{r.status}">{GLYPHS[r.status]}</span>'
        rows.append([f"`{cid}`", f"{status} {WORDS[r.status]}", verdict_cell(r), md(why)])
    parts.append("## Every claim\n")
    parts.append(
        "Cases: the verdicts of the claim's cases (one per configuration drawn, device, target, table row), as the "
        "report recorded them.\n\n"
    )
    parts.append(table(["claim", "status", "cases", "reason"], rows, "markdown"))
    return "\n".join(parts)


#: A case verdict's glyph (``spec.helpers.verdicts``: held, failed, known, n/a).
VERDICT_STATUS = {"held": "passed", "failed": "failed", "known": "xfailed", "n/a": "not-applicable"}


def verdict_cell(r) -> str:
    """ "12 ✓ · 3 ⚑": a claim's case verdicts (recorded since reports carry them; older ones say so)."""
    if not r.verdicts:
        return "not recorded"
    return " · ".join(
        f'<span class="st-{VERDICT_STATUS[v]}" data-verdict="{v}">{n} {GLYPHS[VERDICT_STATUS[v]]}</span>'
        for v, n in r.verdicts.items()
        if n
    )


def _cases(entry: dict) -> str:
    """The cases a known entry names: every case, or each selection (parameters, objects built, values)."""
    cases = entry.get("cases")
    if not cases or any(not c for c in cases):
        return "every case"
    return "; ".join(", ".join(f"{k}={v}" for k, v in sorted(c.items())) for c in cases)


def known_section(rep, claims: dict, ids: list) -> str:
    """The known divergences grouped by cause: one reason, the claims and cases it covers, one draft to file."""
    causes: dict = {}
    for cid in sorted(ids):
        causes.setdefault(claims[cid].known.get("reason", ""), []).append(cid)
    out = [
        f"## Known divergences\n\n{len(ids)} claim{'s' * (len(ids) != 1)} diverge{'s' * (len(ids) == 1)} for "
        f"{len(causes)} "
        f"cause{'s' * (len(causes) != 1)} named in the known file, each listed once with the claims and cases it "
        "covers.\n"
    ]
    for n, (reason, members) in enumerate(causes.items(), 1):
        first = claims[members[0]].known
        lines = [f"### {n}. {md(_headline(reason))}\n", f"{md(reason)}\n"]
        for cid in members:
            r = claims[cid]
            stale = " — **stale: it now holds; remove the entry**" if r.known.get("stale") else ""
            lines.append(f'- <span id="{anchor(cid)}"></span>`{cid}`: {_cases(r.known)}; {verdict_cell(r)}{stale}')
        if first.get("link"):
            lines.append(f"\nUpstream: <{first['link']}>")
        if first.get("repro"):
            lines += [
                f"\nRepro (`api` bound to {rep.implementation}, `torch` in scope: it fails there and passes on torch, "
                "as `tests/test_implementations.py` checks):",
                "",
                "```python",
                first["repro"].rstrip(),
                "```",
            ]
        up = first.get("upstream")
        if isinstance(up, dict):
            lines += ["", '??? note "Ready to file upstream"', ""]
            for key in ("title", "versions", "expected", "actual"):
                if up.get(key):
                    lines.append(f"    **{key}**: {md(str(up[key]))}\n")
            if up.get("repro"):
                lines += ["    ```python"] + [f"    {ln}" for ln in up["repro"].rstrip().splitlines()] + ["    ```"]
        out.append("\n".join(lines) + "\n")
    return "\n".join(out)


#: where a cause's heading ends: the first of these outside parentheses
HEADLINE_ENDS = (": ", "; ", ", so ", ", where ")


def _headline(reason: str) -> str:
    """A cause's heading: its reason up to the first clause break outside parentheses, without a closing
    parenthetical, at most ~100 characters (a cut inside "(h_0, c_0)" or "(ValueError: ...)" read as a sentence
    broken off: "torchrl's LSTM accepts a 2-D")."""
    depth, end = 0, len(reason)
    for i, ch in enumerate(reason):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and any(reason.startswith(sep, i) for sep in HEADLINE_ENDS):
            end = i
            break
    head = reason[:end].rstrip()
    while head.endswith(")") and " (" in head:  # "take no unbatched (2-D) input (RuntimeError ...)": drop the last
        depth, i = 0, len(head)
        for i in range(len(head) - 1, -1, -1):
            depth += (head[i] == ")") - (head[i] == "(")
            if depth == 0:
                break
        if i == 0 or head[i - 1] != " ":
            break
        head = head[: i - 1].rstrip()
    return head if len(head) <= 100 else head[:97].rsplit(" ", 1)[0] + " ..."


def implementation_pages(reports: list, now: dict) -> dict:
    pages = {"implementations/index.md": summary_page(reports, now)}
    for rep in reports:
        pages[PAGE.format(_slug(rep.implementation))] = implementation_page(rep, now)
    return pages
