"""ScanResult: what a scan returns to Python callers, and the CLI's JSON document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posture.graph import Graph
from posture.model import Category, Finding, FrozenDict, Gap, Inventory, Severity
from posture.rules.base import RuleMeta

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class ScanResult:
    """Findings, the graph they were found on, coverage gaps, and the rules that ran."""

    findings: tuple[Finding, ...]
    graph: Graph
    gaps: tuple[Gap, ...] = ()
    rules: tuple[RuleMeta, ...] = ()
    inventory: Inventory = field(default_factory=Inventory)
    source: Mapping[str, Any] = field(default_factory=FrozenDict)
    checked: Mapping[str, int] = field(default_factory=FrozenDict)
    """Per rule id: how many resources the rule applied to (0: nothing to check)."""
    checked_by_control: Mapping[str, int] = field(default_factory=FrozenDict)
    """Per control (``SOC2:CC6.6``): how many distinct resources the rules mapped to it checked."""

    def failing(self, threshold: Severity | None) -> list[Finding]:
        """Open (not suppressed/baselined), verified findings at or above ``threshold``."""
        if threshold is None:
            return []
        return [
            f for f in self.findings
            if f.status == "open" and not f.unverified and f.severity.at_least(threshold)
        ]

    def summary(self) -> dict[str, Any]:
        by_sev = Counter(f.severity.value for f in self.findings if f.status == "open")
        by_cat = Counter(f.category.value for f in self.findings if f.status == "open")
        by_status = Counter(f.status for f in self.findings)
        return {
            "total": len(self.findings),
            "open": by_status.get("open", 0),
            "suppressed": by_status.get("suppressed", 0),
            "baselined": by_status.get("baselined", 0),
            "unverified": sum(1 for f in self.findings if f.unverified),
            "by_severity": {s.value: by_sev.get(s.value, 0) for s in Severity},
            "by_category": {c.value: by_cat.get(c.value, 0) for c in Category if by_cat.get(c.value)},
            "resources": len(self.graph),
            "rules": len(self.rules),
            "gaps": len(self.gaps),
            "source": dict(self.source),
        }

    def to_dict(self) -> dict[str, Any]:
        """Exactly the CLI's ``--format json`` document (schema in docs/output.md)."""
        from posture import __version__

        return {
            "tool": {"name": "posture", "version": __version__, "schema_version": SCHEMA_VERSION},
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary(),
            "gaps": [g.to_dict() for g in self.gaps],
            "rules": [{"id": m.id, "checked": self.checked.get(m.id), "controls": list(m.controls)}
                      for m in self.rules],
            "checked_by_control": dict(self.checked_by_control),
        }
