"""``--format sarif``: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.

Every rule that ran is a ``reportingDescriptor`` with help text and ``properties.security-severity``;
every finding is a ``result`` with its file/line (when known), the resource as a logical location and
``partialFingerprints`` carrying posture's own fingerprint, so alerts survive reformatting. Suppressed
findings carry a SARIF ``suppressions`` entry (``inSource`` for ``posture:ignore`` comments, ``external``
for a suppressions file); baselined ones have ``baselineState: unchanged``. The output validates
against the official schema (posture/schemas/sarif-schema-2.1.0.json).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from posture.model import Finding, GapClass, Severity
from posture.report.jsontext import dumps
from posture.report.sanitize import plain
from posture.result import ScanResult

FORMAT = "sarif"
SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
FINGERPRINT_KEY = "postureFingerprint/v1"
SRCROOT = "%SRCROOT%"

# GitHub maps security-severity to critical (>= 9.0), high (7.0-8.9), medium (4.0-6.9), low (0.1-3.9).
SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5",
                     Severity.LOW: "3.0", Severity.INFO: "0.0"}
LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
         Severity.LOW: "note", Severity.INFO: "note"}
_INLINE_ORIGIN = re.compile(r"\.tf:\d+\)$")


def _rule(meta: Any) -> dict[str, Any]:
    help_text = "\n\n".join(x for x in (meta.rationale, f"Remediation: {meta.remediation}" if meta.remediation
                                         else "") if x) or meta.title
    help_md = "\n\n".join(x for x in (meta.rationale, f"**Remediation:** {meta.remediation}" if meta.remediation
                                       else "", "**Controls:** " + ", ".join(meta.controls) if meta.controls
                                       else "") if x) or meta.title
    return {
        "id": meta.id,
        "name": re.sub(r"[^A-Za-z0-9]", "", meta.title.title()) or meta.id,
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": meta.rationale or meta.title},
        "help": {"text": help_text, "markdown": help_md},
        "defaultConfiguration": {"level": LEVEL[meta.severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[meta.severity],
            "precision": "high",
            "problem.severity": LEVEL[meta.severity].replace("note", "recommendation"),
            "tags": ["security", meta.category.value, *meta.controls],
        },
    }


def artifact(file: str) -> dict[str, Any]:
    """A file location: relative to ``%SRCROOT%`` (the scan's base directory), or an absolute file URI."""
    path = file.replace("\\", "/")
    if PurePosixPath(path).is_absolute():
        return {"uri": Path(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _result(f: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    location: dict[str, Any] = {
        "logicalLocations": [{"fullyQualifiedName": plain(f.resource.id), "kind": "resource",
                              "name": plain(f.resource.name or f.resource.id)}],
    }
    if f.location is not None and f.location.file:
        physical: dict[str, Any] = {"artifactLocation": artifact(f.location.file)}
        if f.location.line and f.location.line >= 1:
            physical["region"] = {"startLine": int(f.location.line)}
        location["physicalLocation"] = physical
    out: dict[str, Any] = {
        "ruleId": f.rule_id,
        "level": "note" if f.unverified else LEVEL[f.severity],
        "message": {"text": plain(f.message + (f" — {f.remediation}" if f.remediation and not f.unverified else ""))},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": {
            "resource": f.resource.id,
            "resourceType": f.resource.native_type,
            "provider": f.resource.provider,
            "severity": f.severity.value,
            "status": f.status,
            "unverified": f.unverified,
        },
    }
    if f.rule_id in rule_index:
        out["ruleIndex"] = rule_index[f.rule_id]
    if f.status == "suppressed":
        kind = "inSource" if _INLINE_ORIGIN.search(f.status_reason) else "external"
        out["suppressions"] = [{"kind": kind, "status": "accepted", "justification": plain(f.status_reason)}]
    elif f.status == "baselined":
        out["baselineState"] = "unchanged"
    return out


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    from posture import __version__

    metas = {m.id: m for m in result.rules}
    for f in result.findings:  # rules known only through findings (e.g. a rule removed from the selection)
        metas.setdefault(f.rule_id, None)  # type: ignore[arg-type]
    rules = [_rule(m) for m in metas.values() if m is not None]
    rule_index = {r["id"]: i for i, r in enumerate(rules)}
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": "posture",
            "version": __version__,
            "semanticVersion": __version__,
            "rules": rules,
        }},
        "results": [_result(f, rule_index) for f in result.findings],
        "columnKind": "unicodeCodePoints",
        "properties": {
            "source": dict(result.source),
            "coverageGaps": [g.to_dict() for g in result.gaps],
        },
    }
    root = result.source.get("root")
    if root:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": Path(root).as_uri().rstrip("/") + "/",
                                               "description": {"text": "the directory locations are relative to"}}}
    verdict = result.gate_verdict()
    run["properties"]["verdict"] = verdict.to_dict()
    run["invocations"] = [{
        # false when part of the input was not read: the results do not cover everything that was asked for
        "executionSuccessful": not verdict.unread,
        "toolExecutionNotifications": [
            {"level": "error" if g.gap_class is GapClass.INPUT_NOT_READ else "warning",
             "message": {"text": plain(f"[{g.code or g.source}] {g.gap_class.value.replace('_', ' ')}: {g.reason}")},
             "descriptor": {"id": plain(g.code or g.source)},
             **({"locations": [{"physicalLocation": {"artifactLocation": artifact(g.target.rsplit(":", 1)[0])}}]}
                if g.target and ".tf" in g.target else {})}
            for g in result.gaps
        ],
    }]
    doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
    return dumps(doc, levels=4)
