"""ScanResult: what a scan returns to Python callers, and the CLI's JSON document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from posture.graph import Graph
from posture.model import Category, Finding, FrozenDict, Gap, GapClass, Inventory, Severity
from posture.rules.base import RuleMeta

SCHEMA_VERSION = "1"
GAP_POLICIES = ("fail", "warn")


@dataclass(frozen=True)
class Verdict:
    """The gate's decision, computed once (:meth:`ScanResult.judged`) and read by every sink.

    ``status`` is ``passed``, ``failed`` (open verified findings at or above ``fail_on``) or ``failed_gaps``
    (no such finding, but part of the input was not read and ``gaps`` is ``fail``). ``nothing_read`` marks a
    scan that read no resource at all while input went unread: the CLI refuses it with exit 2.
    """

    fail_on: Severity | None
    gaps: str  # the --gaps policy: "fail" or "warn"
    failing: int
    unread: int
    """Coverage gaps of class ``input_not_read``."""
    unknown: int
    """Coverage gaps of class ``value_unknown``."""
    nothing_read: bool = False

    @property
    def status(self) -> str:
        if self.failing:
            return "failed"
        if self.unread and self.gaps == "fail":
            return "failed_gaps"
        return "passed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def threshold(self) -> str:
        return self.fail_on.value if self.fail_on is not None else "none"

    def gap_note(self) -> str:
        """'coverage gaps: 2 input(s) not read, 1 value(s) unknown' (or '' when there is no gap)."""
        text = ", ".join(p for p in (f"{self.unread} input(s) not read" if self.unread else "",
                                     f"{self.unknown} value(s) unknown" if self.unknown else "") if p)
        if not text:
            return ""
        relaxed = " (not failing the gate: --gaps warn)" if self.unread and self.gaps == "warn" else ""
        return f"coverage gaps: {text}{relaxed}"

    def line(self) -> str:
        """One sentence: the verdict, its reason and the gaps beside it (never 'passed' alone over unread input)."""
        if self.status == "failed":
            head = f"gate failed: {self.failing} finding(s) at or above {self.threshold}"
        elif self.status == "failed_gaps":
            head = "gate failed: part of the input was not read"
        else:
            reason = (f"no finding at or above {self.threshold}" if self.fail_on is not None
                      else "findings do not fail it (--fail-on none)")
            head = f"gate passed{' on what was read' if self.unread else ''}: {reason}"
        note = self.gap_note()
        return f"{head}; {note}" if note else head

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "fail_on": self.threshold, "gaps_policy": self.gaps,
                "failing": self.failing, "gaps_not_read": self.unread, "gaps_value_unknown": self.unknown}


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
    verdict: Verdict | None = None
    """The gate's decision, set by :meth:`judged` (the CLI does it once; sinks read :meth:`gate_verdict`)."""

    def judged(self, fail_on: Severity | None = Severity.LOW, gaps: str = "fail") -> ScanResult:
        """This result with its :class:`Verdict` for ``fail_on`` and the ``gaps`` policy (fail|warn)."""
        if gaps not in GAP_POLICIES:
            raise ValueError(f"gaps policy must be one of {GAP_POLICIES}, got {gaps!r}")
        unread = sum(1 for g in self.gaps if g.gap_class is GapClass.INPUT_NOT_READ)
        verdict = Verdict(fail_on, gaps, len(self.failing(fail_on)), unread, len(self.gaps) - unread,
                          nothing_read=bool(unread) and len(self.graph) == 0)
        return replace(self, verdict=verdict)

    def gate_verdict(self) -> Verdict:
        """The verdict set by :meth:`judged`, else the defaults' (fail on low, gaps fail)."""
        return self.verdict if self.verdict is not None else self.judged().verdict  # type: ignore[return-value]

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
        from posture.version import __version__

        return {
            "tool": {"name": "posture", "version": __version__, "schema_version": SCHEMA_VERSION},
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary(),
            "gaps": [g.to_dict() for g in self.gaps],
            "verdict": self.gate_verdict().to_dict(),
            "rules": [{"id": m.id, "checked": self.checked.get(m.id), "controls": list(m.controls)}
                      for m in self.rules],
            "checked_by_control": dict(self.checked_by_control),
        }
