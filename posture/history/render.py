"""Text renderings of history answers (list, show, diff, trend) for the CLI: json, table, markdown, html."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from posture.history.records import Diff, ScanRecord, TrendPoint
from posture.report.sanitize import md_text, plain

FORMATS = ("json", "table", "markdown", "html")


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, title: str = "") -> str:
    cells = [[str(c) for c in r] for r in rows]
    if fmt == "markdown":
        out = [f"### {title}", ""] if title else []
        out.append("| " + " | ".join(headers) + " |")
        out.append("|" + "---|" * len(headers))
        out.extend("| " + " | ".join(md_text(c, in_table=True) for c in r) + " |" for r in cells)
        return "\n".join(out) + "\n"
    if fmt == "html":
        head = "".join(f"<th>{escape(h)}</th>" for h in headers)
        body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in cells)
        return (f"<h2>{escape(title)}</h2>" if title else "") + f"<table><tr>{head}</tr>{body}</table>"
    cells = [[plain(c) for c in r] for r in cells]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = [title] if title else []
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)
    return "\n".join(lines) + "\n"


def _page(title: str, body: str) -> str:
    css = ("body{font:14px system-ui,sans-serif;margin:24px}table{border-collapse:collapse;margin:8px 0 16px}"
           "th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}th{background:#f5f5f5}")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{css}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>\n")


def _finding_rows(findings: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [[f["severity"], f["rule_id"], f["resource"]["id"], f.get("status", "open"), f["message"],
             f["fingerprint"]] for f in findings]


_FINDING_HEADERS = ("severity", "rule", "resource", "status", "message", "fingerprint")


def render_list(scans: Sequence[ScanRecord], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([s.to_dict(full=False) for s in scans], indent=2) + "\n"
    rows = [[s.id, s.time, s.source_key, s.summary.get("open", 0),
             " ".join(f"{k}:{v}" for k, v in s.summary.get("by_severity", {}).items() if v),
             s.summary.get("gaps", 0), s.rules_version] for s in scans]
    text = _table(("id", "time", "source", "open", "by severity", "gaps", "rules"), rows, fmt)
    return _page("posture scan history", text) if fmt == "html" else text


def render_show(scan: ScanRecord, fmt: str, trend: Sequence[TrendPoint] = ()) -> str:
    if fmt == "json":
        return json.dumps(scan.to_dict(), indent=2) + "\n"
    if fmt == "html":
        from posture.report import render

        return render(scan_result(scan), "html", {"trend": list(trend), "title": f"posture scan #{scan.id}",
                                                  "generated_at": scan.time})
    head = (f"scan {scan.id} at {scan.time} of {scan.source_key}; posture {scan.tool_version}, "
            f"{scan.rules_version}; {len(scan.findings)} finding(s), {len(scan.gaps)} gap(s)\n")
    out = _table(_FINDING_HEADERS, _finding_rows(scan.findings), fmt, "findings")
    if scan.gaps:
        out += _table(("code", "target", "reason"), [[g["code"], g["target"], g["reason"]] for g in scan.gaps],
                      fmt, "coverage gaps")
    return (f"## {head}\n" if fmt == "markdown" else head) + out


def render_diff(diff: Diff, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2) + "\n"
    parts = [_table(_FINDING_HEADERS, _finding_rows(group), fmt, f"{name} ({len(group)})")
             for name, group in (("new", diff.new_findings), ("resolved", diff.resolved),
                                 ("persisting", diff.persisting))]
    title = f"posture diff: scan {diff.old} -> scan {diff.new}"
    if fmt == "html":
        return _page(title, "".join(parts))
    return (f"## {title}\n\n" if fmt == "markdown" else f"{title}\n\n") + "\n".join(parts)


def render_trend(points: Sequence[TrendPoint], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([p.to_dict() for p in points], indent=2) + "\n"
    cats = sorted({c for p in points for c in p.by_category})
    sevs = ("critical", "high", "medium", "low", "info")
    rows = [[p.label, p.scan_id, *(p.by_severity.get(s, 0) for s in sevs), *(p.by_category.get(c, 0) for c in cats)]
            for p in points]
    text = _table(("period", "scan", *sevs, *cats), rows, fmt)
    if fmt == "html":
        from posture.report.svg import trend_svg

        return _page("posture trend", trend_svg([p.to_dict() for p in points]) + text)
    return text


def scan_result(scan: ScanRecord) -> Any:
    """A ScanResult rebuilt from a recorded scan (graph holding only the resources with findings)."""
    from posture.graph import Graph
    from posture.history.records import finding_from_dict
    from posture.model import Gap, sorted_findings
    from posture.result import ScanResult

    findings = sorted_findings(finding_from_dict(f) for f in scan.findings)
    graph = Graph()
    for f in findings:
        graph.add_resource(f.resource)
    return ScanResult(findings=findings, graph=graph.freeze(), gaps=tuple(Gap.from_dict(g) for g in scan.gaps),
                      source={**scan.source, "scan": scan.id})
