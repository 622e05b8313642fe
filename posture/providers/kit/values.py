"""Pure readers of provider values shared by the live and Terraform sources.

A value read from a plan or HCL may be UNKNOWN; these helpers keep it so, and combine True / False / UNKNOWN
with Kleene logic, so one reading serves a plan and a live account alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from posture.model import UNKNOWN, kleene_and, kleene_or


def tri(value: Any, default: Any = None) -> Any:
    """A bool-ish value: UNKNOWN stays UNKNOWN, None becomes ``default``, anything else ``bool()``."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def as_int(value: Any) -> Any:
    """An int from an int or numeric string; UNKNOWN stays; anything else None."""
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def json_document(value: Any) -> Any:
    """A policy document: JSON text parsed, a mapping (HCL ``jsonencode`` with unknown leaves) as is.

    None for no document; UNKNOWN for an unknown or unparsable one (never read as "grants nothing").
    """
    if value is UNKNOWN or isinstance(value, Mapping):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        doc = json.loads(value)
    except ValueError:
        return UNKNOWN
    return doc if isinstance(doc, Mapping) else UNKNOWN


# -- Kleene logic over True / False / UNKNOWN ----------------------------------------------------------------
def any_of(values: Iterable[Any]) -> Any:
    """Kleene or: True if any is True, else UNKNOWN if any is UNKNOWN, else False."""
    return kleene_or(values, UNKNOWN)


def all_of(*values: Any) -> Any:
    """Kleene and: False if any is False, else UNKNOWN if any is UNKNOWN, else True."""
    return kleene_and(values, UNKNOWN)


def not_(value: Any) -> Any:
    """Kleene not: UNKNOWN stays UNKNOWN."""
    return UNKNOWN if value is UNKNOWN else not value


def unless(grant: Any, blocked: Any) -> Any:
    """A grant that a protection overrides: true only when granted and known not blocked (Kleene and-not)."""
    if blocked is True or grant is False or grant is None:
        return False
    if grant is True and blocked in (False, None):
        return True
    return UNKNOWN


# -- durations -----------------------------------------------------------------------------------------------
def iso_duration_days(value: Any) -> Any:
    """ISO 8601 duration (``P90D``, ``P1Y``, ``P2M``, ``P1Y6M``) -> whole days; UNKNOWN passes; None if unparsable."""
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?", value.strip().upper())
    if not m or not any(m.groups()):
        return None
    y, mo, w, d = (int(g) if g else 0 for g in m.groups())
    return y * 365 + mo * 30 + w * 7 + d


def duration_days(value: Any) -> Any:
    """GCP duration ``"7776000s"`` -> 90 (days); UNKNOWN passes; None when absent or unparsable."""
    if value is UNKNOWN:
        return UNKNOWN
    if not isinstance(value, str):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)s", value.strip())
    return int(float(m.group(1)) // 86400) if m else None
