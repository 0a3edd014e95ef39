"""The README's sample of ``verify``'s output, rendered from a stored report (never typed): between the markers

    <!-- verify-output: implementations/torch.json -->
    ...
    <!-- /verify-output -->

(the report's path under the reports folder), ``python -m spec docs`` writes the table, the lines under it and
the report line as ``verify --device <the report's>`` prints them, then where they come from; ``docs --check``
and the site test say when they are not what the stored report gives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

from spec.tools import results as res

MARKERS = re.compile(
    r"(<!-- verify-output: (?P<report>[\w/.+-]+\.json) -->\n)(?P<body>.*?)(<!-- /verify-output -->)", re.S
)


def sample(report_path: Path, shown: str, now: Optional[dict]) -> str:
    """What ``verify`` printed for the stored report at ``report_path`` (named ``shown``), and where it comes
    from."""
    from spec.tools import summary
    from spec.tools.cli import default_report
    from spec.tools.docs.common import made_with

    try:
        report = res.Report.load(report_path)
    except res.ReportError as e:  # the pages are still made; the sample says what is missing
        return f"(not measured: {e})\n"
    env = report.environment
    device = env.get("devices") or "all"
    lines = [summary.table(report), *summary.explanations(report), *summary.flags(report)]
    lines.append(f"report: {default_report(device, torch=env['torch'])}")
    made = made_with({"environment": env, "suite": report.suite}, now).lstrip(", ")
    return (
        "```\n" + "\n".join(lines) + "\n```\n\n"
        f"(`python -m spec verify --device {device}`, rendered from the stored `{shown}`: {made}.)\n"
    )


def render(text: str, reports: Path, now: Optional[dict] = None) -> str:
    """``text`` (the README) with each marked sample rendered from the report its marker names under ``reports``."""

    def one(m: re.Match) -> str:
        shown = f"reports/{m.group('report')}"
        return m.group(1) + sample(reports / m.group("report"), shown, now) + m.group(4)

    return MARKERS.sub(one, text)
