"""Chat-shaped webhook messages (Slack, Microsoft Teams): a summary line plus the top findings.

One message per sync instead of one event per ticket: channels want a digest, not a stream. Text
from the estate (resource ids, messages) is escaped for the target's markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from posture.model import Severity
from posture.tickets.model import Action, TicketItem

SHAPES = ("slack", "teams")
_CHANGES = (("create", "new"), ("reopen", "reopened"), ("update", "changed"), ("close", "resolved"))


def summary(items: Mapping[str, TicketItem], actions: Sequence[Action]) -> str:
    """``posture: 5 open finding(s) (1 critical, 4 high); this run: 2 new, 1 resolved``."""
    findings = [f for item in items.values() for f in item.findings]
    counts = ", ".join(f"{n} {s.value}" for s in Severity
                       if (n := sum(1 for f in findings if f["severity"] == s.value)))
    changes = ", ".join(f"{n} {label}" for kind, label in _CHANGES
                        if (n := sum(1 for a in actions if a.kind == kind)))
    return (f"posture: {len(findings)} open finding(s)" + (f" ({counts})" if counts else "")
            + f"; this run: {changes or 'no change'}")


def top_findings(items: Mapping[str, TicketItem], limit: int) -> list[Mapping[str, Any]]:
    """The ``limit`` most severe open findings (then by rule and resource, for a stable order)."""
    findings = [f for item in items.values() for f in item.findings]
    findings.sort(key=lambda f: (-Severity(f["severity"]).rank, f["rule_id"], f["resource"]["id"]))
    return findings[:limit]


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _teams_escape(text: str) -> str:
    # Adaptive Card TextBlocks render a Markdown subset: neutralise its markers
    for ch in "\\*_[]`#>":
        text = text.replace(ch, "\\" + ch)
    return text


def _line(f: Mapping[str, Any]) -> tuple[str, str, str, str]:
    loc = f.get("location") or {}
    where = f" ({loc['file']}{':' + str(loc['line']) if loc.get('line') else ''})" if loc.get("file") else ""
    return f["severity"].upper(), f["rule_id"], f["resource"]["id"] + where, f["message"]


def message(shape: str, items: Mapping[str, TicketItem], actions: Sequence[Action], *, limit: int = 10
            ) -> dict[str, Any]:
    """The JSON body for a Slack incoming webhook or a Teams (Workflows) webhook."""
    head = summary(items, actions)
    top = top_findings(items, limit)
    total = sum(len(i.findings) for i in items.values())
    more = f"… and {total - len(top)} more" if total > len(top) else ""
    if shape == "slack":
        e = _slack_escape
        lines = [f"*{e(sev)}* `{e(rule)}` {e(res)}: {e(msg)}" for sev, rule, res, msg in map(_line, top)]
        blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": e(head)}}]
        if lines:
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)[:2900]}})
        if more:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
        return {"text": e(head), "blocks": blocks}
    if shape == "teams":
        t = _teams_escape
        body: list[dict[str, Any]] = [{"type": "TextBlock", "text": t(head), "weight": "Bolder", "wrap": True}]
        body += [{"type": "TextBlock", "wrap": True, "spacing": "Small",
                  "text": f"**{sev}** {t(rule)} {t(res)}: {t(msg)}"} for sev, rule, res, msg in map(_line, top)]
        if more:
            body.append({"type": "TextBlock", "text": more, "isSubtle": True})
        card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
                "version": "1.4", "body": body}
        return {"type": "message", "summary": head,
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}]}
    raise ValueError(f"unknown message shape {shape!r} (use {', '.join(SHAPES)})")
