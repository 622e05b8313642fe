"""``--format json``: the ScanResult document (schema in docs/output.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from posture.result import ScanResult

FORMAT = "json"


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    return json.dumps(result.to_dict(), indent=2, sort_keys=False) + "\n"
