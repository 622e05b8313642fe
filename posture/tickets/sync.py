"""The sync: compare the findings with the tickets a system holds and converge, step by step.

Order matters for crash safety: every step writes its comment first and the state change
(create with the key label, new content digest, close, reopen) last, and ``search`` finds every
posture ticket (open or closed) by its key before anything is written. A sync interrupted between
two calls therefore loses nothing: the next run sees what was done and finishes the rest (at
worst a comment is posted twice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from posture.errors import InputError
from posture.model import Severity
from posture.tickets.model import (
    DEFAULT_PRIORITY,
    GROUP_BY,
    Action,
    SyncReport,
    Ticket,
    TicketItem,
    TicketSink,
    build_items,
    group_key,
)


def finding_documents(source: Any) -> list[Mapping[str, Any]]:
    """Finding documents (``Finding.to_dict`` shape) from a ScanResult, a scan JSON document, a
    recorded scan (:class:`posture.history.ScanRecord`) or a list of finding documents."""
    from posture.result import ScanResult

    if isinstance(source, ScanResult):
        return [f.to_dict() for f in source.findings]
    findings = getattr(source, "findings", None)
    if findings is None and isinstance(source, Mapping):
        findings = source.get("findings")
    if findings is None and isinstance(source, Sequence) and not isinstance(source, (str, bytes)):
        findings = source
    if findings is None:
        raise InputError("expected a scan result with a findings list")
    if not isinstance(findings, Sequence) or isinstance(findings, (str, bytes)):
        raise InputError("findings: expected a list of findings")
    return [_finding(i, f) for i, f in enumerate(findings)]


def _finding(i: int, f: Any) -> Mapping[str, Any]:
    """A finding document checked for the fields a sync reads, so a hand-edited result fails here, in one line."""
    if not isinstance(f, Mapping) or not {"fingerprint", "rule_id", "severity", "resource", "message"} <= set(f):
        raise InputError(f"findings[{i}]: not a posture finding (needs fingerprint, rule_id, severity, resource, "
                         "message)")
    for key in ("fingerprint", "rule_id"):
        if not isinstance(f[key], str) or not f[key]:
            raise InputError(f"findings[{i}].{key}: expected a non-empty string")
    if f["severity"] not in {s.value for s in Severity}:
        raise InputError(f"findings[{i}].severity: expected one of {', '.join(s.value for s in Severity)}")
    resource = f["resource"]
    if not isinstance(resource, Mapping) or not isinstance(resource.get("id"), str):
        raise InputError(f"findings[{i}].resource: expected a mapping with a string id")
    for key in ("provider", "account", "region"):
        if not isinstance(resource.get(key) or "", str):
            raise InputError(f"findings[{i}].resource.{key}: expected a string")
    for key, kind in (("status", str), ("message", str), ("title", str), ("evidence", (dict, type(None))),
                      ("location", (dict, type(None)))):
        if key in f and not isinstance(f[key], kind):
            raise InputError(f"findings[{i}].{key}: wrong type {type(f[key]).__name__}")
    return f


def _changed_comment(item: TicketItem) -> str:
    lines = [f"posture: this finding changed (severity {item.severity.value})."]
    lines.extend(f"- {f['resource']['id']}: {f['message']}" for f in item.findings[:20])
    return "\n".join(lines)


def plan(
    findings: Iterable[Mapping[str, Any]],
    existing: Mapping[str, Ticket],
    *,
    group_by: str = "fingerprint",
    min_severity: Severity = Severity.INFO,
    include_unverified: bool = False,
) -> tuple[list[tuple[Action, TicketItem | None]], dict[str, TicketItem]]:
    """The actions that take the ticket system from ``existing`` to the findings' state."""
    if group_by not in GROUP_BY:
        raise InputError(f"group_by must be one of {', '.join(GROUP_BY)}", where="group_by")
    docs = list(findings)
    wanted_docs = [f for f in docs if f.get("status", "open") == "open" and Severity(f["severity"]).at_least(
        min_severity) and (include_unverified or not f.get("unverified"))]
    items = {i.key: i for i in build_items(wanted_docs, group_by)}
    present = {group_key(f, group_by) for f in docs}  # keys still in the scan, ticketed or not
    quiet_reason: dict[str, str] = {}
    for f in docs:
        if f.get("status", "open") != "open":
            quiet_reason.setdefault(group_key(f, group_by), f"{f['status']}: {f.get('status_reason') or 'no reason'}")
    steps: list[tuple[Action, TicketItem | None]] = []
    for key, item in items.items():
        t = existing.get(key)
        if t is None:
            steps.append((Action("create", key, item.title), item))
        elif not t.open:
            steps.append((Action("reopen", key, item.title, t.id, "the finding is back"), item))
        elif t.digest != item.digest:
            steps.append((Action("update", key, item.title, t.id, "the finding changed"), item))
        else:
            steps.append((Action("unchanged", key, item.title, t.id), item))
    for key, t in sorted(existing.items()):
        if key in items or not t.open:
            continue
        if key not in present:
            steps.append((Action("close", key, "", t.id, "resolved: no longer found"), None))
        elif key in quiet_reason:
            steps.append((Action("close", key, "", t.id, quiet_reason[key]), None))
        # else: still found but below min_severity / unverified: leave the ticket as it is
    return steps, items


def sync(
    result: Any,
    sink: TicketSink,
    *,
    group_by: str = "fingerprint",
    min_severity: Severity | str = Severity.INFO,
    include_unverified: bool = False,
    priority: Mapping[str, str] | None = None,
    dry_run: bool = False,
) -> SyncReport:
    """Make ``sink`` hold one open ticket per open finding (or rule+account group) of ``result``.

    Creates missing tickets, comments on and updates changed ones, closes tickets whose findings
    were resolved, suppressed or baselined, and reopens tickets whose findings came back.
    ``result``: a ScanResult, a scan JSON document, a recorded scan or finding documents.
    With ``dry_run`` only ``search`` is called and the report lists what would be done.
    """
    prio = {**DEFAULT_PRIORITY, **(priority or {})}
    steps, items = plan(finding_documents(result), sink.search(), group_by=group_by,
                        min_severity=Severity(min_severity), include_unverified=include_unverified)
    report = SyncReport(sink.name, dry_run)
    for action, item in steps:
        report.actions.append(action if dry_run else _apply(sink, action, item, prio))
    finish = getattr(sink, "finish", None)  # optional: sinks that send one digest per sync
    if finish is not None and not dry_run:
        finish(items, report.actions)
    return report


def _apply(sink: TicketSink, action: Action, item: TicketItem | None, prio: Mapping[str, str]) -> Action:
    ticket = Ticket(action.ticket, action.key, action.kind != "reopen")
    if action.kind == "create" and item is not None:
        return replace(action, ticket=sink.create(item, prio[item.severity.value]).id)
    if action.kind == "update" and item is not None:
        sink.comment(ticket, _changed_comment(item))
        sink.update(ticket, item, prio[item.severity.value])
    elif action.kind == "reopen" and item is not None:
        sink.comment(ticket, f"posture: the finding is back.\n{_changed_comment(item)}")
        sink.update(ticket, item, prio[item.severity.value])
        sink.reopen(ticket)
    elif action.kind == "close":
        sink.comment(ticket, f"posture: closing, {action.reason}.")
        sink.close(ticket)
    return action
