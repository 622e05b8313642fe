"""What the history returns: scan records, diffs and trend points (plain, frozen, JSON-ready)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from posture.model import Category, Evidence, Finding, Location, Resource, Severity


@dataclass(frozen=True)
class ScanRecord:
    """One recorded scan. ``findings`` and ``gaps`` are filled by :meth:`History.get` only."""

    id: int
    time: str
    source_key: str
    source: Mapping[str, Any]
    scope: Mapping[str, Any]
    tool_version: str
    rules_version: str
    summary: Mapping[str, Any]
    findings: tuple[Mapping[str, Any], ...] = ()
    gaps: tuple[Mapping[str, Any], ...] = ()

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        out = {"id": self.id, "time": self.time, "source_key": self.source_key, "source": dict(self.source),
               "scope": dict(self.scope), "tool_version": self.tool_version, "rules_version": self.rules_version,
               "summary": dict(self.summary)}
        if full:
            out["findings"] = [dict(f) for f in self.findings]
            out["gaps"] = [dict(g) for g in self.gaps]
        return out


@dataclass(frozen=True)
class Diff:
    """Open findings of two scans compared by fingerprint."""

    old: int
    new: int
    new_findings: tuple[Mapping[str, Any], ...] = field(default=())
    resolved: tuple[Mapping[str, Any], ...] = field(default=())
    persisting: tuple[Mapping[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new_scan": self.new, "new": [dict(f) for f in self.new_findings],
                "resolved": [dict(f) for f in self.resolved], "persisting": [dict(f) for f in self.persisting]}


@dataclass(frozen=True)
class TrendPoint:
    """Open-finding counts of one scan (or of the last scan of a month/quarter)."""

    scan_id: int
    time: str
    label: str
    by_severity: Mapping[str, int]
    by_category: Mapping[str, int]

    def to_dict(self) -> dict[str, Any]:
        return {"scan_id": self.scan_id, "time": self.time, "label": self.label,
                "by_severity": dict(self.by_severity), "by_category": dict(self.by_category)}


def finding_from_dict(d: Mapping[str, Any]) -> Finding:
    """Rebuild a :class:`Finding` from its JSON document (``Finding.to_dict``), e.g. for reports."""
    r = d.get("resource") or {}
    ev = d.get("evidence") or {}
    loc = d.get("location") or {}
    resource = Resource(r.get("id", ""), r.get("kind", ""), r.get("native_type", ""), r.get("provider", ""),
                        name=r.get("name", ""), account=r.get("account", ""), region=r.get("region", ""))
    return Finding(
        rule_id=d["rule_id"], title=d.get("title", ""), severity=Severity(d["severity"]),
        category=Category(d["category"]), resource=resource, message=d.get("message", ""),
        evidence=Evidence(ev.get("observed"), ev.get("expected"), tuple(ev.get("path") or ()), ev.get("details") or {}),
        remediation=d.get("remediation", ""), controls=tuple(d.get("controls") or ()),
        location=Location(loc.get("file"), loc.get("line")) if loc.get("file") else None,
        discriminator=d.get("discriminator", ""), unverified=bool(d.get("unverified")),
        status=d.get("status", "open"), status_reason=d.get("status_reason", ""), fingerprint=d["fingerprint"],
    )


def open_fingerprints(findings: Sequence[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {f["fingerprint"]: f for f in findings if f.get("status", "open") == "open"}
