"""``--format ocsf``: findings as OCSF 1.x events (JSON array) for SIEMs and security lakes.

Each finding becomes a Detection Finding (class_uid 2004, the default) or, with the option
``ocsf_class: compliance``, a Compliance Finding (class_uid 2003). Both belong to the Findings
category (category_uid 2); activity_id 1 (Create), so type_uid = class_uid * 100 + 1.
Our evidence, fingerprint discriminator and location go to ``unmapped`` (OCSF's place for
source data that has no attribute of its own). With ``include_passed`` (``--include-passed``) the
Compliance Findings also hold one Pass event per requirement that passed (of ``frameworks``, default
every framework in the catalogue). Events validate against the OCSF models Prowler uses
(py-ocsf-models; tests/sinks/report/test_ocsf_conformance.py), with every required and recommended attribute the
estate can fill.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
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
# provider -> (cloud.provider, account type_id, account type): OCSF account type_id 10 is "AWS Account";
# OCSF has no type for an Azure subscription or a GCP project (5 "GCP Account" is a user), hence 99 Other.
_CLOUD_PROVIDERS = {"aws": ("AWS", 10, "AWS Account"), "azure": ("Azure", 99, "Azure Subscription"),
                    "gcp": ("GCP", 99, "GCP Project")}


def _resource(f: Finding) -> dict[str, Any]:
    r = f.resource
    out: dict[str, Any] = {"uid": r.id, "name": r.name or r.id, "type": r.native_type or r.kind,
                           "data": {"kind": r.kind, "provider": r.provider, "account": r.account}}
    if r.region:
        out["region"] = r.region
    if r.tags:
        out["labels"] = [f"{k}:{v}" for k, v in sorted(r.tags.items())]
    if r.id.startswith("arn:"):  # the AWS partition: aws, aws-cn, aws-us-gov
        out["cloud_partition"] = r.id.split(":", 2)[1]
    return out


def _cloud(provider: str, account: str, region: str | None) -> dict[str, Any] | None:
    """The Cloud profile object; ``account`` carries uid, name, type_id and type (all required by the models)."""
    if provider not in _CLOUD_PROVIDERS:
        return None
    name, type_id, type_name = _CLOUD_PROVIDERS[provider]
    cloud: dict[str, Any] = {"provider": name}
    if account:
        cloud["account"] = {"uid": account, "name": account, "type_id": type_id, "type": type_name}
    if region:
        cloud["region"] = region
    return cloud


def _metadata(uid: str, version: str, event_code: str, cloud: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "version": OCSF_VERSION,
        "uid": uid,
        "product": {"name": "posture", "vendor_name": "posture", "version": version, "uid": "posture"},
        "event_code": event_code,
        "log_name": "findings",
        "log_provider": "posture",
    }
    if cloud:
        out["profiles"] = ["cloud"]
    return out


def event(f: Finding, *, cls: str, time_ms: int, version: str) -> dict[str, Any]:
    """One OCSF event for one finding."""
    class_uid, class_name = CLASSES[cls]
    status_id, status = STATUS_IDS.get(f.status, (99, f.status))
    cloud = _cloud(f.resource.provider, f.resource.account, f.resource.region)
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
        "timezone_offset": 0,
        "severity_id": SEVERITY_IDS[f.severity],
        "severity": f.severity.value.capitalize() if f.severity is not Severity.INFO else "Informational",
        "status_id": status_id,
        "status": status,
        "status_code": f.status,
        "status_detail": f"{f.status}: {f.status_reason}" if f.status_reason else f.status,
        "message": f.message,
        "metadata": _metadata(f"{f.fingerprint}-{time_ms}", version, f.rule_id, cloud is not None),
        "finding_info": {
            "uid": f.fingerprint,
            "title": f.title,
            "desc": f.message,
            "types": [f.category.value],
            "created_time": time_ms,
            "analytic": {"uid": f.rule_id, "name": f.title, "type_id": 1, "type": "Rule"},
        },
        "resources": [_resource(f)],
        "observables": [{"name": "resources[0].uid", "type_id": 10, "type": "Resource UID", "value": f.resource.id}],
        "confidence_id": 1 if f.unverified else 3,
        "confidence": "Low" if f.unverified else "High",
        "unmapped": {"evidence": f.evidence.to_dict(), "unverified": f.unverified,
                     "location": (f.location.to_dict() if f.location else None)},
    }
    if f.remediation:
        ev["remediation"] = {"desc": f.remediation}
    if cloud is not None:
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


def passed_events(result: ScanResult, frameworks: Sequence[str], *, time_ms: int, version: str) -> list[dict[str, Any]]:
    """Compliance Findings (status Pass) for every requirement of ``frameworks`` that passed in this scan."""
    from posture.compliance import compliance_view
    from posture.compliance import frameworks as catalogue

    doc = result.to_dict()
    target = str(result.source.get("target", ""))
    events = []
    for name in frameworks or list(catalogue()):
        view = compliance_view(doc, name)
        fw = view.framework
        for row in view.rows:
            if row.status != "pass":
                continue
            control = f"{fw.prefix}:{row.id}"
            uid = hashlib.sha256(f"{control}\x1f{target}".encode()).hexdigest()[:32]
            message = (f"{control} passed: {row.checked} resource(s) checked by {', '.join(row.rules)}, "
                       "no finding")
            events.append({
                "category_uid": 2, "category_name": "Findings",
                "class_uid": 2003, "class_name": "Compliance Finding",
                "activity_id": 1, "activity_name": "Create", "type_uid": 200301,
                "type_name": "Compliance Finding: Create",
                "time": time_ms, "timezone_offset": 0,
                "severity_id": 1, "severity": "Informational",
                "status_id": 1, "status": "New", "status_code": "passed", "status_detail": "passed",
                "message": message,
                "metadata": _metadata(f"{uid}-{time_ms}", version, control, False),
                "finding_info": {"uid": uid, "title": f"{control}: {row.title}", "desc": message,
                                 "types": ["compliance"], "created_time": time_ms,
                                 "analytic": {"uid": control, "name": row.title, "type_id": 1, "type": "Rule"}},
                "observables": [{"name": "compliance.control", "type_id": 99, "type": "Other", "value": control}],
                "compliance": {"control": control, "desc": row.title, "requirements": [control],
                               "standards": [fw.title], "status_id": 1, "status": "Pass"},
                "unmapped": {"rules": list(row.rules), "resources_checked": row.checked, "target": target},
            })
    return events


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    from posture import __version__
    from posture.errors import InputError

    cls = str(options.get("ocsf_class", "detection"))
    if cls not in CLASSES:
        raise InputError(f"unknown OCSF class {cls!r} (use detection or compliance)", where="ocsf_class")
    time_ms = int(options.get("time_ms") or time.time() * 1000)
    events = [event(f, cls=cls, time_ms=time_ms, version=__version__) for f in result.findings]
    if cls == "compliance" and options.get("include_passed"):
        events += passed_events(result, options.get("frameworks") or (), time_ms=time_ms, version=__version__)
    return dumps(events, levels=1)
