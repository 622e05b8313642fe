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
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

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


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"expires must be a date YYYY-MM-DD, got {value!r}", where=where) from None


def inline_suppressions(result: ScanResult) -> list[Suppression]:
    """Suppressions written as ``posture:ignore`` comments in the scanned HCL."""
    out = []
    for s in result.inventory.meta.get("suppressions") or ():
        where = f"{s.get('file')}:{s.get('line')}"
        out.append(Suppression(s["rule"], s["resource"], s["reason"], _date(s.get("expires"), where), where,
                               bool(s.get("by_config"))))
    return out


def load_suppressions(path: str | os.PathLike[str]) -> list[Suppression]:
    """Read a suppressions YAML file; an entry without a reason is an :class:`InputError` naming file:line."""
    from posture.rules.lang import _LineLoader
    from posture.yamlfile import read_yaml

    p = Path(path)
    doc = read_yaml(p, "suppressions file", loader=_LineLoader)
    entries = doc.get("suppressions") if isinstance(doc, Mapping) else doc
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise InputError("expected a list under 'suppressions'", where=str(p))
    out = []
    for i, e in enumerate(entries):
        line = _line_of(e)
        where = f"{p}:{line}" if line else f"{p}: suppressions[{i}]"
        if not isinstance(e, Mapping):
            raise InputError("each suppression must be a mapping with rule, resource, reason", where=where)
        rule_id = e.get("rule")
        if not isinstance(rule_id, str) or not rule_id.strip():
            raise InputError("suppression without 'rule'", where=where)
        reason = e.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise InputError(f"suppression of {rule_id} has no reason (write why it is accepted)", where=where)
        resource = e.get("resource", "*")
        if not isinstance(resource, str) or not resource:
            raise InputError("'resource' must be a resource id glob", where=where)
        out.append(Suppression(rule_id.strip(), resource, reason.strip(), _date(e.get("expires"), where), where))
    return out


def _line_of(node: Any) -> int | None:
    line = getattr(node, "line", None)  # set by the rule language's line-tracking YAML loader
    return line if isinstance(line, int) else None


def read_baseline(path: str | os.PathLike[str]) -> set[str]:
    """Fingerprints recorded by :func:`write_baseline`."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read baseline: {exc.strerror}", where=str(p)) from None
    except ValueError as exc:
        raise InputError(f"baseline is not valid JSON: {exc}", where=str(p)) from None
    fps = doc.get("fingerprints") if isinstance(doc, dict) else None
    if not isinstance(fps, (dict, list)):
        raise InputError("not a posture baseline (no 'fingerprints')", where=str(p))
    return set(fps)


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
