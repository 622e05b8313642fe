"""``--format json``: the ScanResult document (schema in docs/output.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.report.jsontext import dumps
from posture.report.probe_section import endpoint_rows
from posture.result import ScanResult

FORMAT = "json"


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    doc = result.to_dict()
    rows = endpoint_rows(result)
    if rows:
        doc["tls_endpoints"] = rows
    return dumps(doc, levels=2)
