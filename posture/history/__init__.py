"""Scan history: every scan recorded (SQLite by default, PostgreSQL by URL), diffed and trended.

>>> import posture.history
>>> with posture.history.open("posture-history.db") as h:   # doctest: +SKIP
...     scan_id = h.record(result)
...     print(h.diff().to_dict()["new"])
"""

from __future__ import annotations

from posture.history.records import Diff, ScanRecord, TrendPoint, finding_from_dict
from posture.history.schema import SCHEMA_VERSION
from posture.history.store import History, open_history, source_key

open = open_history  # the public name: posture.history.open(url)

__all__ = ["SCHEMA_VERSION", "Diff", "History", "ScanRecord", "TrendPoint", "finding_from_dict", "open",
           "open_history", "source_key"]
