"""A verified statement as a table, JSON, Markdown or an auditor-ready HTML page.

The HTML page shows the statement as published (headings, paragraphs, list items), each claim highlighted in
its verdict's colour, with the evidence beside it. Every piece of text is escaped.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Sequence

from posture.profiles import FAILS, HOLDS, UNVERIFIABLE
from posture.statement.report import NO_CLAIM, NOT_CHECKABLE, ClaimResult, StatementReport
from posture.statement.text import HEADING, ITEM

MARK = {HOLDS: "HOLDS", FAILS: "FAILS", UNVERIFIABLE: "UNVERIFIED", NOT_CHECKABLE: "NOT CHECKABLE"}
CSS_CLASS = {HOLDS: "holds", FAILS: "fails", UNVERIFIABLE: "unverified", NOT_CHECKABLE: "manual", NO_CLAIM: "none"}
_RANK = {FAILS: 0, UNVERIFIABLE: 1, HOLDS: 2, NOT_CHECKABLE: 3, NO_CLAIM: 4}
_SHOWN = 5


def _header(r: StatementReport) -> list[str]:
    return [f"Statement: {r.statement} ({len(r.sentences)} sentences, {len(r.claims)} claims)",
            f"Providers: {', '.join(r.providers) or 'not named (every resource is in scope)'}",
            f"Estates: {', '.join(r.targets) or 'none given'}",
            f"History: {r.history or 'none given'}"]


def render_table(r: StatementReport) -> str:
    lines = [*_header(r), ""]
    for c in r.claims:
        s = c.claim.sentence
        lines.append(f"[{MARK[c.verdict]:<13}] s{s.number} {c.claim.topic} (line {s.line}): {s.text}")
        for why in c.reasons:
            lines.append(f"{'':16}{why}")
        for f in c.findings[:_SHOWN]:
            lines.append(f"{'':16}- {f.rule_id} {f.resource.id}: {f.message}")
        if len(c.findings) > _SHOWN:
            lines.append(f"{'':16}- ... and {len(c.findings) - _SHOWN} more")
    if r.no_claims:
        lines += ["", "Sentences that promise nothing (negated or hedged):"]
        lines += [f"  s{c.sentence.number} {c.topic} ({c.status}: {c.cue!r}): {c.text}" for c in r.no_claims]
    if r.lint:
        lines += ["", "Statement lint (weaker or vaguer than current practice):"]
        for x in r.lint:
            lines += [f"  [{x.id}] s{x.sentence} (line {x.line}): {x.problem}", f"      sentence:    {x.text}",
                      f"      recommended: {x.recommended}"]
    lines += ["", f"Overall: {r.verdict} - {r.counts_text()}; {len(r.lint)} lint finding(s)"]
    return "\n".join(lines) + "\n"


def render_json(r: StatementReport) -> str:
    return json.dumps(r.to_dict(), indent=2, default=str) + "\n"


def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def render_markdown(r: StatementReport) -> str:
    lines = [f"## Statement verification: {_cell(r.statement)}", ""]
    lines += [f"- {_cell(h)}" for h in _header(r)[1:]]
    lines += [f"- **Overall: {r.verdict}** ({r.counts_text()})", "",
              "| # | claim | topic | verdict | evidence |", "|---|---|---|---|---|"]
    for c in r.claims:
        evidence = list(c.reasons) + [f"`{f.rule_id}` {f.resource.id}: {f.message}" for f in c.findings[:_SHOWN]]
        lines.append(f"| s{c.claim.sentence.number} | {_cell(c.claim.text)} | {c.claim.topic} | **{c.verdict}** | "
                     f"{'<br>'.join(_cell(e) for e in evidence)} |")
    if r.no_claims:
        lines += ["", "### Sentences that promise nothing", ""]
        lines += [f"- s{c.sentence.number} ({c.status}: \"{_cell(c.cue)}\"): {_cell(c.text)}" for c in r.no_claims]
    if r.lint:
        lines += ["", "### Statement lint", ""]
        lines += [f"- **{x.id}** s{x.sentence} (line {x.line}): {_cell(x.problem)}. Sentence: \"{_cell(x.text)}\" "
                  f"Recommended: \"{_cell(x.recommended)}\"" for x in r.lint]
    return "\n".join(lines) + "\n"


_CSS = """
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:1200px;color:#1d2327;padding:0 1rem}
h1{font-size:1.5rem}.meta{color:#555}.row{display:grid;grid-template-columns:3fr 2fr;gap:1.2rem;
border-top:1px solid #e3e3e3;padding:.5rem 0}.row aside{font-size:13px}.row h2,.row h3{margin:.4rem 0}
mark{padding:1px 2px;border-radius:3px}mark.holds{background:#d7f5dd}mark.fails{background:#fbd5d5}
mark.unverified{background:#fdf0c4}mark.manual{background:#dde7f7}mark.none{background:#ececec}
.badge{display:inline-block;font-weight:600;font-size:12px;padding:0 6px;border-radius:8px;margin-right:4px}
.badge.holds{background:#1e7d32;color:#fff}.badge.fails{background:#b3261e;color:#fff}
.badge.unverified{background:#a86b00;color:#fff}.badge.manual{background:#3a5ba0;color:#fff}
.badge.none{background:#777;color:#fff}aside ul{margin:.2rem 0 .6rem 1rem;padding:0}code{font-size:12px}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.legend span{margin-right:1rem}sup{color:#777;font-size:10px;margin-left:1px}aside a{color:#777;font-size:11px}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _sentence_verdicts(r: StatementReport) -> tuple[dict[int, list[ClaimResult]], dict[int, str]]:
    by_sentence: dict[int, list[ClaimResult]] = defaultdict(list)
    for c in r.claims:
        by_sentence[c.claim.sentence.number].append(c)
    colour: dict[int, str] = {n: min((c.verdict for c in cs), key=_RANK.__getitem__) for n, cs in by_sentence.items()}
    for nc in r.no_claims:
        colour.setdefault(nc.sentence.number, NO_CLAIM)
    return by_sentence, colour


def _evidence(cs: Sequence[ClaimResult], r: StatementReport, number: int) -> str:
    parts = []
    for c in cs:
        css = CSS_CLASS[c.verdict]
        rules = ", ".join(f"<code>{_e(x)}</code>" for x in c.rules)
        items = "".join(f"<li>{_e(x)}</li>" for x in c.reasons)
        items += "".join(f"<li><code>{_e(f.rule_id)}</code> {_e(f.resource.id)}: {_e(f.message)}</li>"
                         for f in c.findings[:10])
        if len(c.findings) > 10:
            items += f"<li>... and {len(c.findings) - 10} more</li>"
        params = ", ".join(f"{_e(k)}={_e(', '.join(map(str, v)) if isinstance(v, (list, tuple)) else v)}"
                           for k, v in c.claim.params.items())
        parts.append(f'<div><a href="#s{number}">s{number}</a> <span class="badge {css}">{_e(c.verdict)}</span>'
                     f"<b>{_e(c.claim.topic)}</b>"
                     f"{' (' + params + ')' if params else ''}<ul>{items}</ul>"
                     f"{'<div>rules: ' + rules + '</div>' if rules else ''}</div>")
    for nc in r.no_claims:
        if nc.sentence.number == number:
            parts.append(f'<div><span class="badge none">{_e(NO_CLAIM)}</span>{_e(nc.topic)}: {_e(nc.status)} '
                         f"(&ldquo;{_e(nc.cue)}&rdquo;)</div>")
    for x in r.lint:
        if x.sentence == number:
            parts.append(f"<div>&#9888; <b>{_e(x.id)}</b>: {_e(x.problem)}<br>recommended: "
                         f"&ldquo;{_e(x.recommended)}&rdquo;</div>")
    return "".join(parts)


def render_html(r: StatementReport) -> str:
    by_sentence, colour = _sentence_verdicts(r)
    per_block: dict[int, list[int]] = defaultdict(list)
    for s in r.sentences:
        per_block[s.block].append(s.number)
    text_of = {s.number: s.text for s in r.sentences}
    rows = []
    for i, b in enumerate(r.blocks):
        if b.kind == HEADING:
            rows.append(f'<div class="row"><h3>{_e(b.text)}</h3><aside></aside></div>')
            continue
        spans, aside = [], []
        for n in per_block.get(i, []):
            css = CSS_CLASS.get(colour.get(n, ""), "")
            spans.append(f'<mark class="{css}" id="s{n}">{_e(text_of[n])}</mark><sup>s{n}</sup>' if css
                         else _e(text_of[n]))
            aside.append(_evidence(by_sentence.get(n, ()), r, n))
        body = " ".join(spans)
        tag = "li" if b.kind == ITEM else "p"
        body = f"<ul><li>{body}</li></ul>" if tag == "li" else f"<p>{body}</p>"
        rows.append(f'<div class="row">{body}<aside>{"".join(aside)}</aside></div>')
    counts = "".join(f"<tr><td>{_e(v)}</td><td>{n}</td></tr>" for v, n in r.counts().items())
    legend = "".join(f'<span><mark class="{c}">{_e(v)}</mark></span>' for v, c in CSS_CLASS.items())
    meta = "<br>".join(_e(h) for h in _header(r)[1:])
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Statement verification: "
            f"{_e(r.statement)}</title><style>{_CSS}</style></head><body>"
            f"<h1>Statement verification: {_e(r.statement)}</h1><p class=\"meta\">{meta}</p>"
            f'<p>Overall: <span class="badge {CSS_CLASS[r.verdict]}">{_e(r.verdict)}</span> {_e(r.counts_text())}; '
            f"{len(r.lint)} lint finding(s)</p><table>{counts}</table><p class=\"legend\">{legend}</p>"
            f"{''.join(rows)}</body></html>\n")


RENDERERS = {"table": render_table, "json": render_json, "markdown": render_markdown, "html": render_html}


def render(report: StatementReport, fmt: str) -> str:
    """The report in ``fmt``: table, json, markdown or html."""
    return RENDERERS[fmt](report)
