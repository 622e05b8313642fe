"""Table-driven resilience: zones, regions and policy retention of the types whose normaliser does not read them,
from one knowledge-table entry per native type (``posture/knowledge/backups.yaml``).

:func:`placement` gives the ``multi_az`` / ``geo_redundant`` attributes (Kleene: UNKNOWN when a setting is not
known yet); :func:`retention_days` the shortest retention of a backup policy. :func:`facets` turns the placement
entries of some types into dispatch facets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture.knowledge import KnowledgeError, load_table
from posture.model import UNKNOWN, get_path
from posture.providers.kit.switches import any_state, check_way, read, way_state
from posture.providers.kit.values import as_int

_PLACEMENT = ("multi_az", "geo_redundant")


def check(table: Mapping[str, Any]) -> list[str]:
    """Problems of a backups table (unknown keys, an entry without a source, a way that reads nothing)."""
    problems: list[str] = []
    for native_type, entry in table.items():
        where = f"backups.yaml: {native_type}"
        if not isinstance(entry, dict) or not entry.get("source"):
            problems.append(f"{where}: needs a source")
            continue
        unknown = set(entry) - {"source", "note", "retention_days", *_PLACEMENT}
        if unknown:
            problems.append(f"{where}: unknown keys {sorted(unknown)}")
        for attr in _PLACEMENT:
            if attr in entry:
                for w in entry[attr].get("any", ()) if isinstance(entry[attr], dict) else [None]:
                    check_way(f"{where}.{attr}", w, problems)
        if "retention_days" in entry and "path" not in entry["retention_days"]:
            problems.append(f"{where}.retention_days: needs a path (and optionally blocks)")
    return problems


_TABLE: Mapping[str, Mapping[str, Any]] = load_table("backups")["types"]
_PROBLEMS = check(_TABLE)
if _PROBLEMS:
    raise KnowledgeError("; ".join(_PROBLEMS))


def placement(raw: Any, index: Any) -> dict[str, Any]:
    """``multi_az`` / ``geo_redundant`` of one resource, as its type's table entry defines them."""
    entry = _TABLE.get(raw.type, {})
    return {attr: any_state(way_state(w, raw, index) for w in entry[attr]["any"])
            for attr in _PLACEMENT if attr in entry}


def retention_days(raw: Any) -> Any:
    """The shortest retention (days) of a backup policy; None when kept until deleted, UNKNOWN when not known."""
    spec = _TABLE[raw.type]["retention_days"]
    if "blocks" not in spec:
        values = [read(raw, spec["path"])]
    else:
        blocks = read(raw, spec["blocks"])
        if blocks is UNKNOWN:
            return UNKNOWN
        values = [get_path(b, spec["path"]) if isinstance(b, dict) else UNKNOWN
                  for b in (blocks if isinstance(blocks, list) else [])]
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    days = [d for d in (as_int(v) for v in values) if d is not None]
    return min(days) if days else None


def facet(raw: Any, index: Any) -> dict[str, Any]:
    """A dispatch facet: the placement attributes of a type of the table."""
    return placement(raw, index)


def facets(native_types: Iterable[str]) -> dict[str, Any]:
    """The facet for each of ``native_types`` (each must have a placement entry)."""
    missing = sorted(t for t in native_types if not set(_PLACEMENT) & set(_TABLE.get(t, {})))
    if missing:
        raise ValueError(f"backups.yaml has no placement entry for {', '.join(missing)}")
    return dict.fromkeys(native_types, facet)
