"""Recording a scan from the command line: ``posture scan ... --history URL``."""

from __future__ import annotations

import sys
from typing import Any

from posture.errors import InputError
from posture.history.store import open_history, source_key


def record_scan(url: str, result: Any, render_options: dict[str, Any]) -> bool:
    """Record ``result`` (``posture scan --history``) and give the HTML report its trend.

    A history that cannot be written is reported in one line and False returned: the scan's
    report is still written, and the command exits 2.
    """
    try:
        with open_history(url) as h:
            scan_id = h.record(result)
            render_options["trend"] = h.trend(source_key(result.source))
    except InputError as e:
        print(f"posture: error: {e} (scan not recorded)", file=sys.stderr)
        return False
    if not render_options.get("quiet"):
        print(f"posture: recorded scan {scan_id} in {h.where}", file=sys.stderr)
    return True
