"""``--format html``: one self-contained page a person would rather read than the JSON.

It leads with what to act on: the verdict, the coverage gaps and a compact findings table
(severity, rule, resource, file:line; click a heading to sort), then the statement verdict, the
trend, the details with path pictures, and the counts by severity, category and control last.

No external assets: inline CSS and SVG, and one tiny inline sort script allowed by its hash in the
Content-Security-Policy (nothing else can run). Every value that comes from the estate (resource
names, ids, messages, evidence) is escaped. Controls of a provider-specific benchmark (CIS AWS /
Azure / GCP) are shown only when the estate has that provider.

The verdict is the result's own (:meth:`ScanResult.gate_verdict`).
Options: ``profile`` (a :class:`posture.profiles.ProfileReport` or its ``to_dict()``; default
``result.source["profile"]``, see :mod:`posture.report.profile`), ``trend`` (a list of trend
points: mappings or objects with ``to_dict()`` holding ``label``, ``by_severity`` and
``by_category``, as produced by :meth:`posture.history.History.trend`), ``title`` and
``generated_at``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from html import escape
from typing import Any

from posture.compliance import control_applies
from posture.model import Category, Finding, Severity
from posture.report.probe_section import endpoint_rows, grade_text, mozilla_text, reason_text
from posture.report.profile import ProfileView
from posture.report.svg import SEVERITY_COLOURS, path_svg, trend_svg
from posture.result import ScanResult

FORMAT = "html"

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#212121;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:2px solid #e0e0e0}
h3{font-size:15px;margin:0;word-break:break-all}
.meta{color:#616161}.muted{color:#757575}
.cards{display:flex;gap:10px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #e0e0e0;border-radius:8px;padding:10px 16px;min-width:92px}
.card b{display:block;font-size:22px}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #e0e0e0;padding:4px 10px;text-align:left;vertical-align:top}
th{background:#f5f5f5}
.bar{display:inline-block;height:10px;border-radius:2px;vertical-align:middle}
.sev{display:inline-block;color:#fff;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;
text-transform:uppercase}
.tag{display:inline-block;border:1px solid #9e9e9e;border-radius:4px;padding:0 5px;font-size:12px;margin-left:4px}
.resource{background:#fff;border:1px solid #e0e0e0;border-radius:8px;padding:12px 16px;margin:12px 0}
.finding{border-top:1px solid #eeeeee;padding:10px 0}
.finding.suppressed,.finding.baselined{opacity:.6}
pre{background:#f5f5f5;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}
svg{max-width:100%;height:auto;display:block;margin:6px 0}
.verdict-pass{color:#2e7d32;font-weight:600}.verdict-fail{color:#c62828;font-weight:600}
.verdict-unverified{color:#757575;font-weight:600}
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 16px}header .meta{flex-basis:100%;margin:0}
.verdict{font-size:17px;margin:10px 0 4px}.gaps-top{background:#fff8e1;border:1px solid #ffe082;border-radius:6px;
padding:6px 12px;margin:6px 0}.gaps-top ul{margin:2px 0;padding-left:20px}
.cards.compact{margin:8px 0}.cards.compact .card{padding:4px 10px;min-width:0}.cards.compact .card b{font-size:16px;
display:inline;margin-right:4px}
table.sortable{width:100%}table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
table.sortable td{font-size:13px;word-break:break-all}table.sortable tr.quiet{opacity:.6}
"""

# Sorts table.sortable by the clicked column (data-sort if present, else the text); allowed by its CSP hash.
_SORT_JS = ("document.querySelectorAll('table.sortable th').forEach(function(th,i){th.addEventListener('click',"
            "function(){var b=th.closest('table').tBodies[0],d=th.getAttribute('aria-sort')==='ascending'?-1:1;"
            "th.parentNode.querySelectorAll('th').forEach(function(h){h.removeAttribute('aria-sort')});"
            "th.setAttribute('aria-sort',d>0?'ascending':'descending');"
            "function k(r){var c=r.cells[i];return c.getAttribute('data-sort')||c.textContent}"
            "Array.prototype.slice.call(b.rows).sort(function(x,y){return d*k(x).localeCompare(k(y),undefined,"
            "{numeric:true})}).forEach(function(r){b.appendChild(r)})})})")
_SORT_HASH = "sha256-" + base64.b64encode(hashlib.sha256(_SORT_JS.encode("utf-8")).digest()).decode("ascii")


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _sev(severity: str) -> str:
    return f'<span class="sev" style="background:{SEVERITY_COLOURS.get(severity, "#757575")}">{_e(severity)}</span>'


def _anchor(text: str) -> str:
    return "r-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _counts_table(title: str, counts: Mapping[str, int], colour: Mapping[str, str] | None = None) -> str:
    peak = max([1, *counts.values()])
    rows = []
    for key, n in counts.items():
        c = (colour or {}).get(key, "#546e7a")
        rows.append(f'<tr><td>{_e(key)}</td><td>{n}</td><td><span class="bar" '
                    f'style="width:{int(160 * n / peak)}px;background:{c}"></span></td></tr>')
    body = "".join(rows) or '<tr><td colspan="3" class="muted">none</td></tr>'
    return f'<table class="counts"><tr><th>{_e(title)}</th><th>open</th><th></th></tr>{body}</table>'


def _json(value: Any) -> str:
    return _e(json.dumps(value, indent=2, sort_keys=True, default=str))


def _finding(f: Finding, result: ScanResult, providers: set[str]) -> str:
    badges = "".join(f'<span class="tag">{_e(t)}</span>' for t in (
        *( [f.status] if f.status != "open" else []), *(["unverified"] if f.unverified else [])))
    ev = f.evidence.to_dict()
    parts = [f'<div class="finding {_e(f.status)}" id="f-{_e(f.fingerprint)}" data-fingerprint="{_e(f.fingerprint)}">',
             f"<p>{_sev(f.severity.value)} <b>{_e(f.title)}</b> <code>{_e(f.rule_id)}</code>{badges}</p>",
             f'<p class="message">{_e(f.message)}</p>']
    if f.status_reason:
        parts.append(f'<p class="muted">{_e(f.status)}: {_e(f.status_reason)}</p>')
    if f.evidence.path:
        parts.append(path_svg(f.evidence.path, result.graph))
    parts.append("<details open><summary>Evidence</summary>")
    parts.append(f"<p>Observed:</p><pre>{_json(ev.get('observed'))}</pre>")
    if ev.get("expected") is not None:
        parts.append(f"<p>Expected: {_e(ev['expected'])}</p>")
    if ev.get("details"):
        parts.append(f"<pre>{_json(ev['details'])}</pre>")
    parts.append("</details>")
    if f.remediation:
        parts.append(f'<p><b>Remediation:</b> {_e(f.remediation)}</p>')
    meta = [f"category {_e(f.category.value)}"]
    controls = [c for c in f.controls if control_applies(c, providers)]
    if controls:
        meta.append("controls " + ", ".join(f"<code>{_e(c)}</code>" for c in controls))
    if f.location and f.location.file:
        meta.append(f"at <code>{_e(f.location.file)}{':' + str(f.location.line) if f.location.line else ''}</code>")
    meta.append(f"fingerprint <code>{_e(f.fingerprint)}</code>")
    parts.append(f'<p class="muted">{"; ".join(meta)}</p></div>')
    return "".join(parts)


def _resources(result: ScanResult, providers: set[str]) -> str:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        groups[f.resource.id].append(f)
    order = sorted(groups, key=lambda rid: (-max(_rank(f) for f in groups[rid]), rid))
    out = []
    for rid in order:
        r = groups[rid][0].resource
        where = " · ".join(_e(x) for x in (r.provider, r.account, r.region, r.native_type) if x)
        out.append(f'<section class="resource" id="{_anchor(rid)}"><h3>{_e(r.name or rid)} '
                   f'<span class="muted">({_e(r.kind)})</span></h3><p class="muted">{_e(rid)}<br>{where}</p>')
        out.extend(_finding(f, result, providers) for f in groups[rid])
        out.append("</section>")
    return "".join(out) or '<p class="muted">No findings.</p>'


def _rank(f: Finding) -> int:
    # open findings first, then by severity
    return f.severity.rank + (10 if f.status == "open" and not f.unverified else 0)


def _profile(profile: ProfileView) -> str:
    rows = "".join(
        f'<tr><td>{_e(c.id)}</td><td>{_e(c.text)}</td><td class="verdict-{c.css}">{_e(c.verdict)}</td>'
        f"<td>{'<br>'.join(_e(r) for r in c.reasons)}{'<br>' if c.reasons and c.rules else ''}"
        f"{', '.join(f'<code>{_e(r)}</code>' for r in c.rules)}</td></tr>"
        for c in profile.claims
    )
    overall = profile.verdict
    statement = f'<p class="muted">{_e(profile.statement)}</p>' if profile.statement else ""
    return (f'<h2 id="profile">Statement: {_e(profile.title)}</h2>{statement}'
            f'<p>Overall: <span class="verdict-{ProfileView.css_of(overall)}">{_e(overall)}</span></p>'
            f"<table class=\"claims\"><tr><th>claim</th><th>text</th><th>verdict</th><th>why</th></tr>"
            f"{rows}</table>")


def _trend(points: Sequence[Any]) -> str:
    data = [p.to_dict() if hasattr(p, "to_dict") else dict(p) for p in points]
    if not data:
        return ""
    cats = sorted({c for p in data for c in (p.get("by_category") or {})})
    head = "".join(f"<th>{_e(c)}</th>" for c in cats)
    rows = "".join(
        f"<tr><td>{_e(p.get('label'))}</td>"
        + "".join(f"<td>{int((p.get('by_severity') or {}).get(s.value, 0))}</td>" for s in Severity)
        + "".join(f"<td>{int((p.get('by_category') or {}).get(c, 0))}</td>" for c in cats)
        + "</tr>"
        for p in data
    )
    sev_head = "".join(f"<th>{s.value}</th>" for s in Severity)
    return (f'<h2 id="trend">Trend</h2>{trend_svg(data)}'
            f'<table class="trend-table"><tr><th>scan</th>{sev_head}{head}</tr>{rows}</table>')


def _where(f: Finding) -> str:
    loc = f.location
    if loc is None or not loc.file:
        return ""
    return f"{loc.file}:{loc.line}" if loc.line else loc.file


def _findings_table(result: ScanResult) -> str:
    """The compact, sortable table: one row per finding, linking to its details below."""
    if not result.findings:
        return '<p class="muted" id="findings-table">No findings.</p>'
    rows = []
    for f in sorted(result.findings, key=lambda f: (-_rank(f), f.sort_key)):
        status = f.status + (", unverified" if f.unverified else "")
        quiet = ' class="quiet"' if f.status != "open" or f.unverified else ""
        rows.append(f"<tr{quiet}><td data-sort=\"{9 - f.severity.rank}\">{_sev(f.severity.value)}</td>"
                    f"<td><code>{_e(f.rule_id)}</code></td>"
                    f'<td><a href="#f-{_e(f.fingerprint)}">{_e(f.resource.name or f.resource.id)}</a></td>'
                    f"<td><code>{_e(_where(f))}</code></td><td>{_e(status)}</td></tr>")
    return ('<table class="sortable" id="findings-table"><thead><tr><th>severity</th><th>rule</th><th>resource</th>'
            f"<th>file:line</th><th>status</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _verdict(result: ScanResult) -> str:
    verdict = result.gate_verdict()
    s = result.summary()
    css = {"failed": "fail", "failed_gaps": "fail"}.get(verdict.status, "unverified" if result.gaps else "pass")
    return (f'<p class="verdict verdict-{css}" id="verdict">{_e(verdict.line())}</p>'
            f'<p class="muted">{s["open"]} open, {s["suppressed"]} suppressed, {s["baselined"]} baselined, '
            f'{s["unverified"]} unverified; {s["resources"]} resources checked by {s["rules"]} rules</p>')


def _gaps_top(result: ScanResult) -> str:
    if not result.gaps:
        return ""
    items = "".join(f"<li><code>{_e(g.code or g.source)}</code> {_e(g.reason)}</li>" for g in result.gaps[:5])
    more = f' … <a href="#gaps">all {len(result.gaps)}</a>' if len(result.gaps) > 5 else ""
    return (f'<div class="gaps-top"><b>{len(result.gaps)} coverage gap(s)</b>: these parts were NOT checked'
            f"<ul>{items}</ul>{more}</div>")


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    from posture import __version__

    s = result.summary()
    source = {k: v for k, v in s["source"].items() if k != "profile"}
    generated = options.get("generated_at") or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    title = options.get("title") or "posture report"
    providers = {r.provider for r in result.graph.resources()} | {f.resource.provider for f in result.findings}
    open_findings = [f for f in result.findings if f.status == "open"]
    by_control = Counter(c for f in open_findings for c in f.controls if control_applies(c, providers))
    by_category = {c.value: s["by_category"].get(c.value, 0) for c in Category if s["by_category"].get(c.value)}
    cards = [*((sev, n) for sev, n in s["by_severity"].items() if n), ("coverage gaps", s["gaps"])]
    body = [
        f"<header><h1>{_e(title)}</h1><p class=\"meta\">"
        + " · ".join(f"{_e(k)}: {_e(v)}" for k, v in source.items())
        + f" · generated {_e(generated)} by posture {_e(__version__)}</p></header>",
        _verdict(result),
        _gaps_top(result),
        '<div class="cards compact">' + "".join(f'<div class="card"><b>{n}</b>{_e(k)}</div>' for k, n in cards)
        + "</div>",
        _findings_table(result),
    ]
    profile = ProfileView.coerce(options.get("profile") or result.source.get("profile"))
    if profile is not None:
        body.append(_profile(profile))
    if options.get("trend"):
        body.append(_trend(options["trend"]))
    body.append(f'<h2 id="findings">Findings by resource</h2>{_resources(result, providers)}')
    tls_rows = endpoint_rows(result)
    if tls_rows:
        cells = "".join(f"<tr><td>{_e(r['endpoint'])}</td><td>{_e(grade_text(r))}</td><td>{_e(reason_text(r))}</td>"
                        f"<td>{_e(mozilla_text(r))}</td></tr>" for r in tls_rows)
        body.append('<h2 id="tls">TLS endpoints</h2><table><tr><th>endpoint</th><th>grade</th><th>why</th>'
                    f"<th>Mozilla profile</th></tr>{cells}</table>")
    if result.gaps:
        rows = "".join(f"<tr><td>{_e(g.code or g.source)}</td>"
                       f"<td>{_e('/'.join(x for x in (g.account, g.region, g.service) if x))}</td>"
                       f"<td>{_e(g.target)}</td><td>{_e(g.gap_class.value.replace('_', ' '))}</td>"
                       f"<td>{_e(g.reason)}</td></tr>" for g in result.gaps)
        body.append('<h2 id="gaps">Coverage gaps — these parts were NOT checked</h2>'
                    "<table><tr><th>code</th><th>scope</th><th>target</th><th>class</th><th>reason</th></tr>"
                    f"{rows}</table>")
    body.append('<h2 id="summary">Summary</h2><div class="cards">')
    body.append(_counts_table("severity", s["by_severity"], SEVERITY_COLOURS))
    body.append(_counts_table("category", by_category))
    body.append(_counts_table("control", dict(sorted(by_control.items(), key=lambda kv: (-kv[1], kv[0])))))
    body.append("</div>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
            f"img-src data:; script-src '{_SORT_HASH}'\">"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body><main>"
            + "".join(body) + f"</main><script>{_SORT_JS}</script></body></html>\n")
