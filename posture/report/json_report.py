"""``--format json``: the ScanResult document (schema in docs/output.md)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.report.jsontext import dumps
from posture.result import ScanResult

FORMAT = "json"


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    return dumps(result.to_dict(), levels=2)
