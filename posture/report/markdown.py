"""``--format markdown``: a compact summary fit for a pull-request comment.

A one-line verdict, a table of open findings (at most ``max_rows``, most severe first), then folded
sections for suppressed/baselined findings and coverage gaps. Text from the estate goes through
:mod:`posture.report.sanitize`: ids are code spans, messages and reasons escaped, so nothing can break the
table or render as HTML or a link.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.model import Finding, GapClass, Severity
from posture.report.probe_section import endpoint_rows, grade_text, mozilla_text, reason_text
from posture.report.sanitize import md_code, md_text
from posture.result import ScanResult

FORMAT = "markdown"
MAX_ROWS = 50
_ICON = {Severity.CRITICAL: "🟣", Severity.HIGH: "🔴", Severity.MEDIUM: "🟠", Severity.LOW: "🔵", Severity.INFO: "⚪"}


def _cell(text: str) -> str:
    return md_text(text, in_table=True)


def _code(text: str) -> str:
    return md_code(text, in_table=True)


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None or not loc.file:
        return ""
    return _code(f"{loc.file}{':' + str(loc.line) if loc.line else ''}")


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    verdict = result.gate_verdict()
    s = result.summary()
    open_findings = [f for f in result.findings if f.status == "open" and not f.unverified]
    unverified = [f for f in result.findings if f.status == "open" and f.unverified]
    quiet = [f for f in result.findings if f.status != "open"]
    counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n)
    head = {"passed": "✅ **posture gate passed**", "failed": "❌ **posture gate failed**",
            "failed_gaps": "❌ **posture gate failed: part of the input was not read**"}[verdict.status]
    if verdict.passed and verdict.unread:
        head = "⚠️ **posture gate passed on what was read**"
    note = verdict.gap_note()
    lines = [f"{head}: {len(open_findings)} open finding(s){' (' + counts + ')' if counts else ''}, "
             f"{verdict.failing} at or above `{verdict.threshold}`; {s['resources']} resources checked by "
             f"{s['rules']} rules{'; **' + note + '**' if note else ''}."]
    if open_findings:
        lines += ["", "| | Rule | Resource | Where | Finding |", "|---|---|---|---|---|"]
        for f in open_findings[:MAX_ROWS]:
            lines.append(f"| {_ICON[f.severity]} {f.severity.value} | {_code(f.rule_id)} | {_code(f.resource.id)} | "
                         f"{_where(f)} | {_cell(f.message)} |")
        if len(open_findings) > MAX_ROWS:
            lines.append(f"\n… and {len(open_findings) - MAX_ROWS} more (see the SARIF or JSON report).")
    for title, group in (("cannot verify (values unknown)", unverified),
                         ("suppressed or baselined", quiet)):
        if group:
            lines += ["", f"<details><summary>{len(group)} {title}</summary>", ""]
            for f in group[:MAX_ROWS]:
                reason = f" — {f.status}: {md_text(f.status_reason)}" if f.status != "open" else ""
                lines.append(f"- {md_code(f.rule_id)} {md_code(f.resource.id)} {_where(f)}{reason}")
            lines += ["", "</details>"]
    rows = endpoint_rows(result)
    if rows:
        lines += ["", "| TLS endpoint | Grade | Why | Mozilla profile |", "|---|---|---|---|"]
        lines.extend(f"| {md_code(row['endpoint'])} | {grade_text(row)} | {md_text(reason_text(row))} | "
                     f"{mozilla_text(row)} |" for row in rows[:MAX_ROWS])
    if result.gaps:
        lines += ["", f"<details><summary>⚠️ {len(result.gaps)} coverage gap(s): not checked</summary>", ""]
        for g in result.gaps[:MAX_ROWS]:
            target = f" ({md_code(g.target)})" if g.target else ""
            kind = "" if g.gap_class is GapClass.INPUT_NOT_READ else " (value unknown)"
            lines.append(f"- {md_code(g.code or g.source)}{kind} {md_text(g.reason)}{target}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
