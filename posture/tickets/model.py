"""What a sync works with: desired tickets (one per fingerprint or per rule+account), the tickets a
system already holds, the plan of actions between them, and the report of what was done.

Ticket content is built from finding fields only (rule, resource reference, message, evidence,
remediation, controls, location, fingerprint): never credentials. Evidence was already redacted
when resources were built (:mod:`posture.redact`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from posture.model import Severity

GROUP_BY = ("fingerprint", "rule_account")
DEFAULT_PRIORITY = {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low", "info": "Lowest"}

MAX_FINDINGS_IN_BODY = 25  # keeps grouped tickets under Jira's and GitHub's body limits
Block = tuple[str, Any]
"""A body block: ("h", text) heading, ("p", text) paragraph, ("code", text), ("ul", [text, ...])."""


@dataclass(frozen=True)
class TicketItem:
    """A ticket that should exist (open) for one fingerprint or one rule+account group."""

    key: str
    title: str
    severity: Severity
    findings: tuple[Mapping[str, Any], ...]
    digest: str

    def blocks(self) -> list[Block]:
        """The ticket body, rendered by each sink in its own markup."""
        first = self.findings[0]
        out: list[Block] = [("p", f"{first['title']} ({first['rule_id']}), severity {self.severity.value}, "
                                  f"category {first['category']}.")]
        for f in self.findings[:MAX_FINDINGS_IN_BODY]:
            r = f["resource"]
            where = ", ".join(x for x in (r.get("provider"), r.get("account"), r.get("region")) if x)
            out.append(("h", f"{r.get('name') or r['id']} ({r.get('kind', '')})"))
            out.append(("p", f"Resource: {r['id']}" + (f" [{where}]" if where else "")))
            out.append(("p", f["message"]))
            ev = f.get("evidence") or {}
            out.append(("code", json.dumps({"observed": ev.get("observed"), "expected": ev.get("expected")},
                                           indent=2, sort_keys=True, default=str)))
            if ev.get("path"):
                out.append(("p", "Path: " + " -> ".join(ev["path"])))
            loc = f.get("location") or {}
            if loc.get("file"):
                out.append(("p", f"Declared at {loc['file']}" + (f":{loc['line']}" if loc.get("line") else "")))
            if f.get("unverified"):
                out.append(("p", "Unverified: the value could not be decided (" + str(f.get("message", "")) + ")."))
        if len(self.findings) > MAX_FINDINGS_IN_BODY:
            out.append(("p", f"... and {len(self.findings) - MAX_FINDINGS_IN_BODY} more resource(s)."))
        if first.get("remediation"):
            out.append(("h", "Remediation"))
            out.append(("p", first["remediation"]))
        if first.get("controls"):
            out.append(("p", "Controls: " + ", ".join(first["controls"])))
        return out


@dataclass(frozen=True)
class Ticket:
    """A ticket found in the ticket system, with the posture key and content digest it carries."""

    id: str
    key: str
    open: bool
    digest: str = ""
    url: str = ""


@dataclass(frozen=True)
class Action:
    """One planned (or performed) step of a sync."""

    kind: str  # create | update | reopen | close | unchanged
    key: str
    title: str
    ticket: str = ""
    reason: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"action": self.kind, "key": self.key, "title": self.title, "ticket": self.ticket,
                "reason": self.reason}


@dataclass
class SyncReport:
    """What a sync did (or, with ``dry_run``, would do)."""

    sink: str
    dry_run: bool
    actions: list[Action] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.actions:
            out[a.kind] = out.get(a.kind, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"sink": self.sink, "dry_run": self.dry_run, "counts": self.counts(),
                "actions": [a.to_dict() for a in self.actions]}


class TicketSink(Protocol):
    """A ticket system. Each method is one (or a few) API calls; ``search`` reads, the rest write."""

    name: str

    def search(self) -> dict[str, Ticket]:
        """Every ticket this sink manages (open and closed), by posture key."""
        ...

    def create(self, item: TicketItem, priority: str) -> Ticket: ...

    def update(self, ticket: Ticket, item: TicketItem, priority: str) -> None: ...

    def comment(self, ticket: Ticket, text: str) -> None: ...

    def close(self, ticket: Ticket) -> None: ...

    def reopen(self, ticket: Ticket) -> None: ...


def group_key(finding: Mapping[str, Any], group_by: str) -> str:
    """The ticket key of a finding: its fingerprint, or a digest of rule id + account."""
    if group_by == "fingerprint":
        return str(finding["fingerprint"])
    raw = "\x1f".join(("rule_account", finding["rule_id"], finding["resource"].get("account", "")))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:32]


def content_digest(findings: Sequence[Mapping[str, Any]]) -> str:
    """Changes when what a ticket says changes (severity, message, evidence, membership)."""
    parts = sorted((f["fingerprint"], f["severity"], f["message"], json.dumps(f.get("evidence"), sort_keys=True,
                                                                           default=str)) for f in findings)
    return hashlib.sha256(json.dumps(parts).encode("utf-8")).hexdigest()[:16]


def build_items(findings: Sequence[Mapping[str, Any]], group_by: str = "fingerprint") -> list[TicketItem]:
    """One :class:`TicketItem` per key over the given (open) findings."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        groups.setdefault(group_key(f, group_by), []).append(f)
    items = []
    for key, fs in groups.items():
        fs.sort(key=lambda f: (-Severity(f["severity"]).rank, f["resource"]["id"]))
        worst = Severity(fs[0]["severity"])
        first = fs[0]
        if group_by == "fingerprint":
            title = f"[posture] {first['title']}: {first['resource'].get('name') or first['resource']['id']}"
        else:
            account = first["resource"].get("account") or "no account"
            title = f"[posture] {first['title']}: {len(fs)} resource(s) in {account}"
        items.append(TicketItem(key, title[:250], worst, tuple(fs), content_digest(fs)))
    return sorted(items, key=lambda i: (-i.severity.rank, i.key))
