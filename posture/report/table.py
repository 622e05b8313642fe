"""``--format table``: a compact human summary for terminals.

A header (source, then the column names), two lines per finding (severity, rule and resource; then
the message and file:line, wrapped at the terminal width with ``shutil.get_terminal_size``, or the
``width`` option), then the totals and the coverage gaps. Estate text is made inert by ``sanitize.plain``.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Mapping
from typing import Any

from posture.model import GapClass, Severity
from posture.report.probe_section import endpoint_rows, grade_text, mozilla_text, reason_text
from posture.report.sanitize import plain
from posture.result import ScanResult

FORMAT = "table"

_COLOURS = {
    Severity.CRITICAL: "\033[1;35m",
    Severity.HIGH: "\033[1;31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
    Severity.INFO: "\033[2m",
}
_RESET = "\033[0m"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    colour = bool(options.get("colour")) and "NO_COLOR" not in os.environ
    width = max(60, int(options.get("width") or shutil.get_terminal_size((100, 24)).columns))
    source = result.source
    target = " ".join(str(source[k]) for k in ("type", "target") if source.get(k))
    lines: list[str] = [f"posture {target}".rstrip()]
    if result.findings:
        rule_w = max(len("RULE"), *(len(f.rule_id) for f in result.findings))
        indent = " " * (9 + rule_w + 2)
        lines.append(f"{'SEVERITY':8} {'RULE'.ljust(rule_w)}  RESOURCE / FINDING")
        for f in result.findings:
            sev = f.severity.value.upper().ljust(8)
            if colour:
                sev = f"{_COLOURS[f.severity]}{sev}{_RESET}"
            mark = "" if f.status == "open" else f" [{f.status}]"
            loc = f.location
            where = f" ({plain(loc.file)}{':' + str(loc.line) if loc.line else ''})" if loc and loc.file else ""
            lines.append(f"{sev} {plain(f.rule_id).ljust(rule_w)}  "
                         f"{_clip(plain(f.resource.id), width - len(indent) - len(mark))}{mark}")
            lines.extend(textwrap.wrap(f"{plain(f.message)}{where}", width, initial_indent=indent,
                                       subsequent_indent=indent, break_on_hyphens=False) or [indent])
    s = result.summary()
    counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n)
    lines.append("")
    lines.append(
        f"{s['total']} finding(s){' (' + counts + ')' if counts else ''} on {s['resources']} resource(s), "
        f"{s['rules']} rule(s)"
        + (f"; {s['suppressed']} suppressed" if s["suppressed"] else "")
        + (f"; {s['baselined']} baselined" if s["baselined"] else "")
    )
    rows = endpoint_rows(result)
    if rows:
        lines.append(f"TLS endpoints ({len(rows)}): grade, why, Mozilla profile")
        lines.extend(plain(f"  {_clip(row['endpoint'], 60)}  {grade_text(row)}  {reason_text(row)}  "
                           f"[{mozilla_text(row)}]") for row in rows)
    if result.gaps:
        lines.append(f"{len(result.gaps)} coverage gap(s) — these parts were NOT checked:")
        for g in result.gaps[:20]:
            scope = "/".join(x for x in (g.account, g.region, g.service) if x)
            kind = "" if g.gap_class is GapClass.INPUT_NOT_READ else " (value unknown)"
            lines.append(plain(f"  - [{g.code or g.source}]{kind} {scope + ': ' if scope else ''}{g.reason}"))
        if len(result.gaps) > 20:
            lines.append(f"  ... and {len(result.gaps) - 20} more (see --format json)")
    lines.append(result.gate_verdict().line())
    return "\n".join(lines) + "\n"
