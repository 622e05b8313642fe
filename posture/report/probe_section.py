"""The TLS endpoints a probe observed, as report rows: grade, why it is capped, Mozilla profile result.

Shared by the table, Markdown, HTML and JSON reports so that the four say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.result import ScanResult


def endpoint_rows(result: ScanResult) -> list[dict[str, Any]]:
    """One row per observed TLS endpoint (empty for scans without a probe)."""
    rows: list[dict[str, Any]] = []
    for r in result.graph.by_kind("endpoint"):
        tls = r.get("tls")
        if not isinstance(tls, Mapping) or "grade" not in tls:
            continue
        moz = tls.get("mozilla")
        rows.append({
            "endpoint": r.id,
            "grade": tls.get("grade"),
            "grade_if_trusted": tls.get("grade_if_trusted"),
            "reasons": list(tls.get("grade_reasons") or ()),
            "versions": list(tls.get("versions") or ()) if isinstance(tls.get("versions"), (list, tuple)) else None,
            "mozilla": ({"profile": moz.get("profile"), "compliant": moz.get("compliant"), "best": moz.get("best")}
                        if isinstance(moz, Mapping) else None),
        })
    return sorted(rows, key=lambda row: row["endpoint"])


def grade_text(row: Mapping[str, Any]) -> str:
    """``B``, ``T (A if trusted)`` or ``not graded``."""
    grade = row.get("grade") or "not graded"
    return f"{grade} ({row['grade_if_trusted']} if trusted)" if row.get("grade_if_trusted") else str(grade)


def reason_text(row: Mapping[str, Any]) -> str:
    return "; ".join(row.get("reasons") or ()) or "no cap"


def mozilla_text(row: Mapping[str, Any]) -> str:
    moz = row.get("mozilla")
    if not moz:
        return "not checked"
    return f"{moz['profile']}: {'meets' if moz.get('compliant') else 'deviates'}"
