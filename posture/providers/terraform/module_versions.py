"""Terraform module version constraints (``version = "~> 5.0"``) against the knowledge table's version ranges.

A constraint is a comma-separated list of ``OP VERSION`` terms (``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``,
``~>``; no operator means ``=``), as Terraform reads them. A knowledge entry covers ``[from, to)``. The entry
chosen for a call is the newest one that some version allowed by the constraint falls in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

Version = tuple[int, int, int]

_TERM = re.compile(r"^\s*(=|!=|>=|<=|>|<|~>)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?\s*$")
_INF: Version = (10**9, 0, 0)


class ConstraintError(ValueError):
    """A version constraint posture cannot read."""


def parse_version(text: str) -> Version:
    """``"5.1"`` -> (5, 1, 0)."""
    m = _TERM.match(text)
    if not m or m.group(1):
        raise ConstraintError(f"not a version: {text!r}")
    return int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0)


def _bump(v: Version, parts: int) -> Version:
    """The first version outside ``~>`` of a version written with ``parts`` components."""
    if parts >= 3:
        return v[0], v[1] + 1, 0
    return v[0] + 1, 0, 0


def allowed_intervals(constraint: str) -> list[tuple[Version, Version]] | None:
    """The constraint as half-open intervals ``[low, high)``; None when it allows nothing."""
    low, high = (0, 0, 0), _INF
    excluded: list[Version] = []
    for term in constraint.split(","):
        if not term.strip():
            continue
        m = _TERM.match(term)
        if not m:
            raise ConstraintError(f"cannot read version constraint {constraint!r}")
        op = m.group(1) or "="
        parts = sum(1 for g in m.group(2, 3, 4) if g is not None)
        v = (int(m.group(2)), int(m.group(3) or 0), int(m.group(4) or 0))
        nxt = (v[0], v[1], v[2] + 1)
        if op == "=":
            low, high = max(low, v), min(high, nxt)
        elif op == "!=":
            excluded.append(v)
        elif op == ">":
            low = max(low, nxt)
        elif op == ">=":
            low = max(low, v)
        elif op == "<":
            high = min(high, v)
        elif op == "<=":
            high = min(high, nxt)
        else:  # ~>
            low, high = max(low, v), min(high, _bump(v, parts))
    if low >= high:
        return None
    intervals = [(low, high)]
    for x in excluded:
        intervals = [part for a, b in intervals for part in ((a, x), ((x[0], x[1], x[2] + 1), b)) if part[0] < part[1]]
    return intervals or None


@dataclass(frozen=True)
class VersionRange:
    """One knowledge entry's versions: ``[start, end)``; ``end`` None = still current."""

    start: Version
    end: Version | None

    def overlaps(self, low: Version, high: Version) -> bool:
        return self.start < high and low < (self.end or _INF)


def parse_range(text: str) -> VersionRange:
    """A knowledge range written ``">= 4.0.0, < 6.0.0"`` (one lower and one upper bound)."""
    intervals = allowed_intervals(text)
    if intervals is None or len(intervals) != 1:
        raise ConstraintError(f"not a version range: {text!r}")
    low, high = intervals[0]
    return VersionRange(low, None if high == _INF else high)


def pick(ranges: Sequence[VersionRange], constraint: str | None) -> int | None:
    """Index of the newest range a version allowed by ``constraint`` falls in (no constraint: the newest)."""
    order = sorted(range(len(ranges)), key=lambda i: ranges[i].start, reverse=True)
    if constraint is None:
        return order[0] if order else None
    intervals = allowed_intervals(constraint)
    if intervals is None:
        return None
    for i in order:
        if any(ranges[i].overlaps(a, b) for a, b in intervals):
            return i
    return None
