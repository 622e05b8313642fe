"""``--format csv``: one row per finding with stable columns (RFC 4180 quoting).

Cells that a spreadsheet would run as a formula (starting with ``= + - @`` or a tab/CR) are
prefixed with ``'`` unless the option ``csv_raw`` is true: resource names come from the estate
and must not become live formulas on an auditor's laptop.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from posture.result import ScanResult

FORMAT = "csv"

COLUMNS = (
    "fingerprint", "rule_id", "title", "severity", "category", "status", "status_reason", "unverified",
    "resource_id", "resource_kind", "native_type", "provider", "account", "region", "resource_name",
    "message", "observed", "expected", "path", "remediation", "controls", "file", "line",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any, raw: bool) -> str:
    text = "" if value is None else str(value)
    if not raw and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    raw = bool(options.get("csv_raw"))
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for f in result.findings:
        d = f.to_dict()
        r, ev, loc = d["resource"], d["evidence"], d["location"]
        row = {
            **{k: d.get(k) for k in ("fingerprint", "rule_id", "title", "severity", "category", "status",
                                     "status_reason", "message", "remediation")},
            "unverified": "true" if f.unverified else "false",
            "resource_id": r["id"], "resource_kind": r["kind"], "native_type": r["native_type"],
            "provider": r["provider"], "account": r["account"], "region": r["region"], "resource_name": r["name"],
            "observed": json.dumps(ev.get("observed"), sort_keys=True),
            "expected": ev.get("expected") if isinstance(ev.get("expected"), str) else json.dumps(ev.get("expected")),
            "path": " > ".join(ev.get("path", [])),
            "controls": ";".join(d["controls"]),
            "file": loc["file"], "line": loc["line"],
        }
        writer.writerow([_cell(row[c], raw) if c != "line" else (row[c] or "") for c in COLUMNS])
    return buf.getvalue()
