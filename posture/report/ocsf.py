"""``--format ocsf``: findings as OCSF 1.x events (JSON array) for SIEMs and security lakes.

Each finding becomes a Detection Finding (class_uid 2004, the default) or, with the option
``ocsf_class: compliance``, a Compliance Finding (class_uid 2003). Both belong to the Findings
category (category_uid 2); activity_id 1 (Create), so type_uid = class_uid * 100 + 1.
Our evidence, fingerprint discriminator and location go to ``unmapped`` (OCSF's place for
source data that has no attribute of its own).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from posture.model import Finding, Severity
from posture.report.jsontext import dumps
from posture.result import ScanResult

FORMAT = "ocsf"
OCSF_VERSION = "1.3.0"

CLASSES = {"detection": (2004, "Detection Finding"), "compliance": (2003, "Compliance Finding")}
SEVERITY_IDS = {Severity.INFO: 1, Severity.LOW: 2, Severity.MEDIUM: 3, Severity.HIGH: 4, Severity.CRITICAL: 5}
# Finding status_id: 1 New, 3 Suppressed (baselined findings are accepted risk, hence suppressed too).
STATUS_IDS = {"open": (1, "New"), "suppressed": (3, "Suppressed"), "baselined": (3, "Suppressed")}
_CLOUD_PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}


def _resource(f: Finding) -> dict[str, Any]:
    r = f.resource
    out: dict[str, Any] = {"uid": r.id, "name": r.name or r.id, "type": r.native_type or r.kind,
                           "data": {"kind": r.kind, "provider": r.provider, "account": r.account}}
    if r.region:
        out["region"] = r.region
    if r.tags:
        out["labels"] = [f"{k}:{v}" for k, v in sorted(r.tags.items())]
    return out


def event(f: Finding, *, cls: str, time_ms: int, version: str) -> dict[str, Any]:
    """One OCSF event for one finding."""
    class_uid, class_name = CLASSES[cls]
    status_id, status = STATUS_IDS.get(f.status, (99, f.status))
    ev: dict[str, Any] = {
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": class_uid,
        "class_name": class_name,
        "activity_id": 1,
        "activity_name": "Create",
        "type_uid": class_uid * 100 + 1,
        "type_name": f"{class_name}: Create",
        "time": time_ms,
        "severity_id": SEVERITY_IDS[f.severity],
        "severity": f.severity.value.capitalize() if f.severity is not Severity.INFO else "Informational",
        "status_id": status_id,
        "status": status,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "posture", "vendor_name": "posture", "version": version},
            "event_code": f.rule_id,
        },
        "finding_info": {
            "uid": f.fingerprint,
            "title": f.title,
            "desc": f.message,
            "types": [f.category.value],
            "analytic": {"uid": f.rule_id, "name": f.title, "type_id": 1, "type": "Rule"},
        },
        "resources": [_resource(f)],
        "confidence_id": 1 if f.unverified else 3,
        "confidence": "Low" if f.unverified else "High",
        "unmapped": {"evidence": f.evidence.to_dict(), "unverified": f.unverified,
                     "location": (f.location.to_dict() if f.location else None)},
    }
    if f.status != "open":
        ev["status_detail"] = f"{f.status}: {f.status_reason}" if f.status_reason else f.status
    if f.remediation:
        ev["remediation"] = {"desc": f.remediation}
    if f.resource.provider in _CLOUD_PROVIDERS:
        cloud: dict[str, Any] = {"provider": _CLOUD_PROVIDERS[f.resource.provider]}
        if f.resource.account:
            cloud["account"] = {"uid": f.resource.account}
        if f.resource.region:
            cloud["region"] = f.resource.region
        ev["cloud"] = cloud
    if cls == "compliance":
        # compliance.status_id: 3 Fail (a finding is a failed check; unverified ones are a Warning, 2)
        ev["compliance"] = {
            "control": f.rule_id,
            "requirements": list(f.controls),
            "standards": sorted({c.split(":", 1)[0] for c in f.controls}) or ["posture"],
            "status_id": 2 if f.unverified else 3,
            "status": "Warning" if f.unverified else "Fail",
        }
    elif f.controls:
        ev["unmapped"]["compliance"] = {"requirements": list(f.controls)}
    return ev


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    from posture import __version__
    from posture.errors import InputError

    cls = str(options.get("ocsf_class", "detection"))
    if cls not in CLASSES:
        raise InputError(f"unknown OCSF class {cls!r} (use detection or compliance)", where="ocsf_class")
    time_ms = int(options.get("time_ms") or time.time() * 1000)
    events = [event(f, cls=cls, time_ms=time_ms, version=__version__) for f in result.findings]
    return dumps(events, levels=1)
