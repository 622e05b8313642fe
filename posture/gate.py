"""The CI gate after evaluation: baselines and suppressions.

Nothing is dropped: a suppressed finding keeps ``status="suppressed"`` and a ``status_reason`` naming the
suppression; a known finding from a baseline keeps ``status="baselined"``. Neither fails the gate
(:meth:`ScanResult.failing` only counts ``open`` findings). An expired suppression stops working: the
finding stays open, its ``status_reason`` says which suppression expired, and a warning is returned.

Suppressions come from inline HCL comments (``# posture:ignore RULE_ID reason [until:YYYY-MM-DD]`` on
or above a resource or module block; collected by the HCL loader into
``result.inventory.meta["suppressions"]``) and from a YAML file::

    suppressions:
      - rule: POSTURE-NET-001            # a rule id or a glob (POSTURE-NET-*)
        resource: "module.bastion.*"     # a resource id glob (default "*")
        reason: Bastion hosts accept SSH from the VPN egress range only   # required
        expires: 2026-12-31              # optional; from this day on the suppression no longer applies

A baseline file is JSON: ``{"version": 1, "fingerprints": {fingerprint: {rule_id, resource}}}``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fnmatch
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from posture.addresses import strip_keys
from posture.errors import InputError
from posture.model import Finding
from posture.result import ScanResult

BASELINE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class Suppression:
    """One accepted risk: which rule on which resources, why, until when, and where it was written."""

    rule: str
    resource: str
    reason: str
    expires: dt.date | None = None
    origin: str = ""  # "file:line" of the comment or YAML entry
    by_config: bool = False  # match index-free ids (comments in .tf files next to a plan)

    def matches(self, finding: Finding) -> bool:
        rid = finding.resource.id
        if self.by_config:
            rid = strip_keys(rid)
        if not fnmatch.fnmatchcase(finding.rule_id, self.rule):
            return False
        if fnmatch.fnmatchcase(rid, self.resource) or rid == self.resource:
            return True
        return rid.startswith(self.resource + "/")  # derived ids: "<address>/listener/443"

    def expired(self, today: dt.date) -> bool:
        return self.expires is not None and today >= self.expires


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"expires must be a date YYYY-MM-DD, got {value!r}") from None


def _date(value: Any, where: str) -> dt.date | None:
    try:
        return _as_date(value)
    except ValueError as e:
        raise InputError(str(e), where=where) from None


def inline_suppressions(result: ScanResult) -> list[Suppression]:
    """Suppressions written as ``posture:ignore`` comments in the scanned HCL."""
    out = []
    for s in result.inventory.meta.get("suppressions") or ():
        where = f"{s.get('file')}:{s.get('line')}"
        out.append(Suppression(s["rule"], s["resource"], s["reason"], _date(s.get("expires"), where), where,
                               bool(s.get("by_config"))))
    return out


class _SuppressionEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule: str = ""
    resource: str = "*"
    reason: str = ""
    expires: dt.date | None = None

    @field_validator("expires", mode="before")
    @classmethod
    def _date(cls, value: Any) -> dt.date | None:
        return _as_date(value)

    @model_validator(mode="after")
    def _complete(self) -> _SuppressionEntry:
        self.rule, self.reason = self.rule.strip(), self.reason.strip()
        if not self.rule:
            raise ValueError("suppression without 'rule'")
        if not self.reason:
            raise ValueError(f"suppression of {self.rule} has no reason (write why it is accepted)")
        if not self.resource:
            raise ValueError("'resource' must be a resource id glob")
        return self


class _SuppressionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suppressions: list[_SuppressionEntry] = Field(default_factory=list)


def load_suppressions(path: str | os.PathLike[str], known_rules: Iterable[str] | None = None) -> list[Suppression]:
    """Read a suppressions YAML file; any error (an unknown key, an entry without a reason, a ``rule`` that
    matches none of ``known_rules`` when given) is an :class:`InputError` naming file:line: field."""
    from posture import inputs

    where = os.fspath(path)
    doc = inputs.load_yaml(path, "config", "suppressions file")
    if doc is None:
        return []
    if isinstance(doc, list):
        doc = {"suppressions": doc}
    spec = inputs.validate(doc, _SuppressionsFile, where)
    known = sorted(set(known_rules)) if known_rules is not None else None
    out = []
    for i, e in enumerate(spec.suppressions):
        at = f"{where}:{inputs.line_of(doc, ('suppressions', i))}"
        if known is not None and not any(fnmatch.fnmatchcase(r, e.rule) for r in known):
            raise InputError(f"suppressions[{i}].rule: no rule matches {e.rule!r}"
                             + inputs.did_you_mean(e.rule, known), where=at)
        out.append(Suppression(e.rule, e.resource, e.reason, e.expires, at))
    return out


def read_baseline(path: str | os.PathLike[str]) -> set[str]:
    """Fingerprints recorded by :func:`write_baseline`."""
    from posture import inputs

    where = os.fspath(path)
    doc = inputs.load_json(path, "baseline", "baseline")
    if not isinstance(doc, dict) or "fingerprints" not in doc:
        raise InputError("not a posture baseline (no 'fingerprints')", where=where)
    return set(inputs.validate(doc, _Baseline, where).fingerprints)


class _BaselineEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rule_id: str = ""
    resource: str = ""


class _Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: Literal[1] = 1  # BASELINE_VERSION
    fingerprints: dict[str, _BaselineEntry] | list[str]


def write_baseline(result: ScanResult, path: str | os.PathLike[str]) -> Path:
    """Record every current finding (any status) by fingerprint; returns the path written."""
    doc = {
        "version": BASELINE_VERSION,
        "fingerprints": {
            f.fingerprint: {"rule_id": f.rule_id, "resource": f.resource.id}
            for f in sorted(result.findings, key=lambda f: f.fingerprint)
        },
    }
    p = Path(path)
    try:
        p.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write baseline: {exc.strerror}", where=str(p)) from None
    return p


def apply_gate(
    result: ScanResult,
    *,
    suppressions: Iterable[Suppression] = (),
    baseline: Iterable[str] = (),
    inline: bool = True,
    today: dt.date | None = None,
) -> tuple[ScanResult, list[str]]:
    """Mark suppressed and baselined findings; returns the new result and warning lines.

    Suppressions win over the baseline (a finding that is both is reported as suppressed). ``inline``
    adds the ``posture:ignore`` comments found by the HCL loader.
    """
    today = today or dt.date.today()
    rules = [*(inline_suppressions(result) if inline else []), *suppressions]
    known = set(baseline)
    warnings: list[str] = []
    warned: set[str] = set()
    findings = []
    for f in result.findings:
        if f.status != "open":
            findings.append(f)
            continue
        hits = [s for s in rules if s.matches(f)]
        active = next((s for s in hits if not s.expired(today)), None)
        if active is not None:
            reason = f"{active.reason} ({active.origin})" if active.origin else active.reason
            findings.append(dataclasses.replace(f, status="suppressed", status_reason=reason))
            continue
        note = ""
        if hits:
            s = hits[0]
            note = f"suppression expired on {s.expires.isoformat() if s.expires else '?'} ({s.origin})"
            if s.origin not in warned:
                warned.add(s.origin)
                warnings.append(f"posture: warning: {s.origin}: suppression of {s.rule} expired on "
                                f"{s.expires.isoformat() if s.expires else '?'}; it no longer applies")
        if f.fingerprint in known:
            findings.append(dataclasses.replace(f, status="baselined", status_reason=note or "in baseline"))
        elif note:
            findings.append(dataclasses.replace(f, status_reason=note))
        else:
            findings.append(f)
    return dataclasses.replace(result, findings=tuple(findings)), warnings
