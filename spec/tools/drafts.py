"""Upstream-ready output: from one report, an issue draft per cause (``python -m spec drafts REPORT``).

A cause gathers the claims that diverge for one reason, so a library's tracker gets one issue per bug, not one per
claim: a known divergence by its upstream write-up (its title), else its link, else its reason; a failure not yet
known by its message with the numbers, addresses and quoted values taken out (the same exception at other sizes
is the same cause). A known divergence whose claim now holds (stale) is no issue: the index lists it, for the
known file.

Each draft is Markdown for the implementation's tracker: a title, the claims it breaks (ID, and the statement when
the registry has it), what was expected and what happened, the environment the report recorded, and a repro that
runs when pasted in a fresh virtual environment: it installs torch at the report's release, the suite and the
implementation (``--install``: default the suite at the report's version and the implementation's packages at
the versions recorded), then runs exactly those claims with the adapter's import path the run was given
(``RNN_SPEC_IMPL=MODULE:ATTR python -m spec verify -k "<ids>"``), and, where the known file gives one, the
entry's own few lines of Python.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Optional

from spec.tools.results import Report, write_text

#: what a message keeps of itself in a cause's key: numbers, addresses and quoted values vary between cases
VARYING = (
    (re.compile(r"0x[0-9a-fA-F]+"), "0x…"),
    (re.compile(r"'[^']*'|\"[^\"]*\""), "'…'"),
    (re.compile(r"\d+(\.\d+)?(e-?\d+)?"), "N"),
)


def cause_of(message: str) -> str:
    text = (message or "failed").strip().splitlines()[0]
    for pattern, what in VARYING:
        text = pattern.sub(what, text)
    return text[:200]


def causes(report: Report) -> list:
    """``[{"key", "title", "known", "claims": [ids], "entry"}]``: the failures' causes first, then the known ones,
    each in the order of its first claim in the report."""
    found: dict = {}
    for cid, r in report.claims.items():
        if r.status == "failed":
            key = ("failed", cause_of(r.first_failure))
            title, entry = key[1], None
        elif r.status == "xfailed" and r.known:
            upstream = r.known.get("upstream") or {}
            key = ("known", upstream.get("title") or r.known.get("link") or r.known.get("reason"))
            title = upstream.get("title") or r.known.get("reason") or cid
            entry = r.known
        else:
            continue
        cause = found.setdefault(key, {"key": key, "title": title, "known": key[0] == "known", "claims": []})
        cause["claims"].append(cid)
        cause.setdefault("entry", entry)
        cause.setdefault("message", r.first_failure)
    for cause in found.values():
        if not cause["known"]:  # named by what broke: its first claim, and the message as it came
            more = len(cause["claims"]) - 1
            message = (cause["message"] or "failed").strip().splitlines()[0][:120]
            cause["title"] = f"{cause['claims'][0]}{f' (and {more} more)' if more else ''}: {message}"
    return [c for c in found.values() if not c["known"]] + [c for c in found.values() if c["known"]]


def stale(report: Report) -> list:
    return [cid for cid, r in report.claims.items() if r.known and r.known.get("stale")]


def default_install(report: Report) -> str:
    """The suite at the report's version and the implementation's packages at the versions it recorded."""
    pins = [f"rnn-spec=={report.suite.get('version') or '0.1.0'}"]
    for name, ver in sorted(report.implementation_versions.items()):
        if name != "torch" and ver and ver != "not installed":
            pins.append(f"{name}=={ver}")
    return " ".join(shlex.quote(p) for p in pins)


def adapter_of(report: Report) -> str:
    """What ``RNN_SPEC_IMPL`` was for the run: the import path ``verify`` recorded, else the shipped name."""
    impl = report.environment.get("implementation", {})
    return impl.get("adapter") or impl.get("name") or "torch"


def bound_repro(adapter: str, code: str) -> str:
    """A known file's repro as a script: ``api`` bound to the implementation, building as asked, and ``torch``."""
    head = [
        "import torch",
        "from spec.helpers.api import Api",
        "from spec.implementations import resolve",
        "",
        f"api = Api(resolve({adapter!r}), raw=True)",
    ]
    return "\n".join(head + [code.rstrip()])


def repro(report: Report, cause: dict, install: str) -> str:
    adapter = adapter_of(report)
    devices = {
        d for cid in cause["claims"] for d, s in report.claims[cid].devices.items() if s in ("failed", "xfailed")
    }
    device = "cpu" if devices <= {"cpu", "none"} else "all"
    target = report.environment.get("targets") or "eager"
    words = " or ".join(cause["claims"])
    lines = [
        "python3 -m venv rnn-spec-repro && . rnn-spec-repro/bin/activate",
        f"pip install torch=={report.release} {install}",
        f"RNN_SPEC_IMPL={shlex.quote(adapter)} python -m spec verify --device {device}"
        + (f" --target {target}" if target != "eager" else "")
        + f" -k {shlex.quote(words)}",
    ]
    return "\n".join(lines)


def draft(report: Report, cause: dict, install: str, statements: dict) -> str:
    env = report.environment
    impl = env.get("implementation", {})
    entry = cause.get("entry") or {}
    upstream = entry.get("upstream") or {}
    out = [f"# {impl.get('name', 'torch')}: {cause['title']}", ""]
    out += [
        f"{len(cause['claims'])} claim(s) of the executable specification of torch's recurrent layers "
        f"(rnn-spec {report.suite.get('version')}, git {report.suite.get('git')}) "
        + ("diverge, known and written up:" if cause["known"] else "fail with this message:"),
        "",
    ]
    for cid in cause["claims"]:
        r = report.claims[cid]
        out.append(f"- `{cid}`" + (f": {statements[cid]}" if cid in statements else ""))
        if not cause["known"] and r.first_failure:
            out.append(f"  - got: `{r.first_failure.splitlines()[0][:300]}`")
    out.append("")
    if cause["known"]:
        out += [f"Reason: {entry.get('reason')}", ""]
        for key in ("versions", "expected", "actual"):
            if upstream.get(key):
                out += [f"**{key.capitalize()}**: {upstream[key]}", ""]
        if entry.get("link"):
            out += [f"Link: {entry['link']}", ""]
        if upstream.get("repro"):  # written for the library's tracker: its own calls
            out += ["Minimal repro:", "", "```python", upstream["repro"].rstrip(), "```", ""]
        elif entry.get("repro"):  # the known file's lines, run with `api` bound to the implementation
            out += [
                "Minimal repro (with the suite installed, as below):",
                "",
                "```python",
                bound_repro(adapter_of(report), entry["repro"]),
                "```",
                "",
            ]
    else:
        out += [
            "Expected: each claim above holds, as it does on torch's own layers.",
            "",
            f"Actual: `{(cause.get('message') or 'failed').splitlines()[0][:300]}`",
            "",
        ]
    out += ["## Reproduce (a fresh virtual environment)", "", "```sh", repro(report, cause, install), "```", ""]
    versions = ", ".join(f"{k} {v}" for k, v in sorted(report.implementation_versions.items()))
    out += [
        "## Environment",
        "",
        f"- torch {report.torch}, python {env.get('python')}, {env.get('platform')}",
        f"- {impl.get('title') or impl.get('name')}: {versions}",
        f"- hypothesis profile {env.get('hypothesis_profile')}, seed {env.get('seed')}",
        "",
    ]
    return "\n".join(out)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "cause"


def write(report: Report, out: Path, install: Optional[str] = None, statements: Optional[dict] = None) -> list:
    """Write one draft per cause and an index (``README.md``) into ``out``; the drafts' paths."""
    install = install if install is not None else default_install(report)
    found = causes(report)
    paths = []
    index = [
        f"# Drafts from {report.path or 'a report'}",
        "",
        f"{len(found)} cause(s): {sum(not c['known'] for c in found)} failing, {sum(c['known'] for c in found)} known.",
        "",
    ]
    for i, cause in enumerate(found, 1):
        path = out / f"{i:02d}-{'known' if cause['known'] else 'failing'}-{slug(cause['title'])}.md"
        write_text(path, draft(report, cause, install, statements or {}))
        paths.append(path)
        index.append(f"- [{cause['title']}]({path.name}): {', '.join(cause['claims'])}")
    for cid in stale(report):
        index.append(f"- stale known entry (the claim now holds; remove it from the known file): {cid}")
    write_text(out / "README.md", "\n".join(index) + "\n")
    return paths
