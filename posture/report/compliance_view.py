"""Compliance views (:mod:`posture.compliance`) as table, markdown, HTML, JSON and CSV.

Not an output format of its own: ``--framework`` on a scan, and ``posture compliance``, render the
per-requirement view in the chosen format (:data:`VIEW_FORMATS`).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Sequence
from html import escape

from posture.compliance import ComplianceView

VIEW_FORMATS = ("table", "markdown", "html", "json", "csv")
_HEAD = ("requirement", "status", "resources checked", "failing", "unverified", "rules", "title")
_ICON = {"fail": "❌", "unverified": "❔", "incomplete": "⚠️", "pass": "✅", "no resources": "·", "not covered": "⬜"}


def _summary(view: ComplianceView) -> str:
    counts = ", ".join(f"{n} {s}" for s, n in view.counts().items() if n)
    gaps = f"; {view.gaps} coverage gap(s): parts of the estate were NOT read" if view.gaps else ""
    return f"{len(view.rows)} requirements: {counts}{gaps}"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(1, width - 1)] + "…"


def _table(views: Sequence[ComplianceView], width: int) -> str:
    """Fixed columns, then the title and the rules clipped to the terminal width."""
    out: list[str] = []
    head = ("requirement", "status", "checked", "failing", "unverified", "title", "rules")
    for view in views:
        out += [f"{view.framework.title} — {view.target}", _summary(view), ""]
        rows = [head] + [(r.id, r.status, str(r.checked), str(r.failing), str(r.unverified), r.title,
                          ", ".join(r.rules) or "—") for r in view.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        widths.append(min(48, max(len(r[5]) for r in rows)))
        rest = max(12, width - sum(widths) - 2 * len(widths))
        for r in rows:
            cells = [c.ljust(w) for c, w in zip(r[:5], widths[:5], strict=True)]
            cells.append(_clip(r[5], widths[5]).ljust(widths[5]))
            out.append("  ".join(cells) + "  " + _clip(r[6], rest))
        out.append("")
    return "\n".join(out)


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _markdown(views: Sequence[ComplianceView]) -> str:
    out: list[str] = []
    for view in views:
        fw = view.framework
        out += [f"### {fw.title}", "", f"{_summary(view)} ([source]({fw.source}))", "",
                "| Requirement | Status | Resources checked | Failing | Unverified | Rules | Title |",
                "|---|---|---:|---:|---:|---|---|"]
        for r in view.rows:
            rules = ", ".join(f"`{x}`" for x in r.rules) or "—"
            out.append(f"| {_md(r.id)} | {_ICON[r.status]} {r.status} | {r.checked} | {r.failing} | {r.unverified} "
                       f"| {rules} | {_md(r.title)} |")
        out.append("")
    return "\n".join(out)


def html_section(view: ComplianceView) -> str:
    """One framework's table as an HTML fragment (escaped; used by the HTML page and report)."""
    e = escape
    rows = "".join(
        f'<tr class="st-{e(r.status.replace(" ", "-"))}"><td>{e(r.id)}</td><td>{e(r.status)}</td>'
        f"<td>{r.checked}</td><td>{r.failing}</td><td>{r.unverified}</td>"
        f"<td>{', '.join(f'<code>{e(x)}</code>' for x in r.rules) or '—'}</td><td>{e(r.title)}</td></tr>"
        for r in view.rows)
    fw = view.framework
    return (f'<section class="framework" id="fw-{e(fw.name)}"><h2>{e(fw.title)}</h2>'
            f'<p class="muted">{e(_summary(view))}; requirements from <a href="{e(fw.source)}">{e(fw.source)}</a></p>'
            "<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in _HEAD) + f"</tr>{rows}</table></section>")


_CSS = ("body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#212121}table{border-collapse:collapse}"
        "th,td{border:1px solid #e0e0e0;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f5f5f5}"
        ".muted{color:#616161}td:nth-child(2){white-space:nowrap}"
        ".st-fail td:nth-child(2){color:#c62828;font-weight:600}"
        ".st-pass td:nth-child(2){color:#2e7d32;font-weight:600}.st-not-covered{color:#757575}")


def _html(views: Sequence[ComplianceView]) -> str:
    body = "".join(html_section(v) for v in views)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
            f"<title>posture compliance</title><style>{_CSS}</style></head><body>{body}</body></html>\n")


def _csv(views: Sequence[ComplianceView]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(("framework", "requirement", "status", "resources_checked", "failing", "unverified", "rules",
                "title"))
    for view in views:
        for r in view.rows:
            w.writerow((view.framework.name, r.id, r.status, r.checked, r.failing, r.unverified, ";".join(r.rules),
                        r.title))
    return buf.getvalue()


def render_views(views: Sequence[ComplianceView], fmt: str, width: int | None = None) -> str:
    """Render compliance views in ``fmt`` (one of :data:`VIEW_FORMATS`)."""
    if fmt == "table":
        return _table(views, width or shutil.get_terminal_size((120, 24)).columns)
    if fmt == "markdown":
        return _markdown(views)
    if fmt == "html":
        return _html(views)
    if fmt == "csv":
        return _csv(views)
    if fmt == "json":
        from posture import __version__

        doc = {"tool": {"name": "posture", "version": __version__}, "frameworks": [v.to_dict() for v in views]}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    raise ValueError(f"no compliance view in format {fmt!r} (choose from {', '.join(VIEW_FORMATS)})")
