"""``--format ocsf-compliance``: the OCSF output as Compliance Findings (class_uid 2003)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.report import ocsf
from posture.result import ScanResult

FORMAT = "ocsf-compliance"


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    return ocsf.render(result, {**options, "ocsf_class": "compliance"})
