"""``--format markdown``: a compact summary fit for a pull-request comment.

A one-line verdict, a table of open findings (at most ``max_rows``, most severe first), then folded
sections for suppressed/baselined findings and coverage gaps. Resource ids and messages are escaped
so they cannot break the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.model import Finding, Severity
from posture.report.probe_section import endpoint_rows, grade_text, mozilla_text, reason_text
from posture.result import ScanResult

FORMAT = "markdown"
MAX_ROWS = 50
_ICON = {Severity.CRITICAL: "🟣", Severity.HIGH: "🔴", Severity.MEDIUM: "🟠", Severity.LOW: "🔵", Severity.INFO: "⚪"}


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None or not loc.file:
        return ""
    return f"`{_cell(loc.file)}{':' + str(loc.line) if loc.line else ''}`"


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    args = options.get("args")
    fail_on = getattr(args, "fail_on", "low") if args is not None else "low"
    threshold = None if fail_on == "none" else Severity(fail_on)
    failing = result.failing(threshold)
    s = result.summary()
    open_findings = [f for f in result.findings if f.status == "open" and not f.unverified]
    unverified = [f for f in result.findings if f.status == "open" and f.unverified]
    quiet = [f for f in result.findings if f.status != "open"]
    counts = ", ".join(f"{n} {sev}" for sev, n in s["by_severity"].items() if n)
    verdict = "❌ **posture gate failed**" if failing else "✅ **posture gate passed**"
    lines = [f"{verdict}: {len(open_findings)} open finding(s){' (' + counts + ')' if counts else ''}, "
             f"{len(failing)} at or above `{fail_on}`; {s['resources']} resources checked by {s['rules']} rules."]
    if open_findings:
        lines += ["", "| | Rule | Resource | Where | Finding |", "|---|---|---|---|---|"]
        for f in open_findings[:MAX_ROWS]:
            lines.append(f"| {_ICON[f.severity]} {f.severity.value} | `{f.rule_id}` | `{_cell(f.resource.id)}` | "
                         f"{_where(f)} | {_cell(f.message)} |")
        if len(open_findings) > MAX_ROWS:
            lines.append(f"\n… and {len(open_findings) - MAX_ROWS} more (see the SARIF or JSON report).")
    for title, group in (("cannot verify (values unknown until apply)", unverified),
                         ("suppressed or baselined", quiet)):
        if group:
            lines += ["", f"<details><summary>{len(group)} {title}</summary>", ""]
            for f in group[:MAX_ROWS]:
                reason = f" — {f.status}: {_cell(f.status_reason)}" if f.status != "open" else ""
                lines.append(f"- `{f.rule_id}` `{_cell(f.resource.id)}` {_where(f)}{reason}")
            lines += ["", "</details>"]
    rows = endpoint_rows(result)
    if rows:
        lines += ["", "| TLS endpoint | Grade | Why | Mozilla profile |", "|---|---|---|---|"]
        lines.extend(f"| `{_cell(row['endpoint'])}` | {grade_text(row)} | {_cell(reason_text(row))} | "
                     f"{mozilla_text(row)} |" for row in rows[:MAX_ROWS])
    if result.gaps:
        lines += ["", f"<details><summary>⚠️ {len(result.gaps)} coverage gap(s): not checked</summary>", ""]
        for g in result.gaps[:MAX_ROWS]:
            target = f" ({_cell(g.target)})" if g.target else ""
            lines.append(f"- `{g.code or g.source}` {_cell(g.reason)}{target}")
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"
