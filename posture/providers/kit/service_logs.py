"""Table-driven service logs: which log streams a resource records, read from one knowledge-table entry per native
type (``posture/knowledge/service_logs.yaml``, its format described there).

:func:`service_logs` reads a resource's ``service_logs`` object: ``enabled`` (every judged stream is recorded;
Kleene: false when one is off, UNKNOWN when none is off and one is not known), ``off`` and ``unknown`` (stream
names) and ``streams`` (the streams judged). A type with no entry, or whose streams' conditions all fail, gets no
attribute. :func:`facets` turns the entries of some types into dispatch facets; :func:`live_service_logs` reads the
same streams from a live API record where the entry says how (``live``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture.knowledge import KnowledgeError, load_table
from posture.model import UNKNOWN, get_path
from posture.providers.kit.switches import OFF, any_state, applies, check_way, check_when, read, way_state
from posture.providers.kit.values import as_int


def check(table: Mapping[str, Any]) -> list[str]:
    """Problems of a service-logs table (unknown keys, a way that reads nothing, an entry without a source)."""
    problems: list[str] = []
    for native_type, entry in table.items():
        if not isinstance(entry, dict) or not entry.get("source") or not entry.get("streams"):
            problems.append(f"service_logs.yaml: {native_type}: needs a source and streams")
            continue
        live = entry.get("live")
        if live is not None and (not isinstance(live, dict) or not {"record", "fields"} <= set(live)
                                 or set(live) - {"record", "fields", "engines"}):
            problems.append(f"service_logs.yaml: {native_type}.live: takes record, fields and optionally engines")
        for name, stream in entry["streams"].items():
            where = f"service_logs.yaml: {native_type}.streams.{name}"
            if not isinstance(stream, dict) or set(stream) - {"any", "when"} or not stream.get("any"):
                problems.append(f"{where}: a stream is {{any: [ways], when?}}")
                continue
            check_when(where, stream.get("when"), problems)
            for w in stream["any"]:
                check_way(where, w, problems)
    return problems


_DOC = load_table("service_logs")
_TABLE: Mapping[str, Mapping[str, Any]] = _DOC["types"]
_RETENTION: Mapping[str, Mapping[str, Any]] = _DOC.get("retention", {})
_PROBLEMS = check(_TABLE) + [f"service_logs.yaml: retention.{t}: needs path and source"
                             for t, spec in _RETENTION.items() if not {"path", "source"} <= set(spec)]
if _PROBLEMS:
    raise KnowledgeError("; ".join(_PROBLEMS))


def types() -> tuple[str, ...]:
    """Every native type the table describes."""
    return tuple(_TABLE)


def service_logs(native_type: str, raw: Any, index: Any) -> dict[str, Any] | None:
    """The ``service_logs`` object of one resource, or None when its type has no entry or no stream applies."""
    entry = _TABLE.get(native_type)
    if entry is None:
        return None
    judged: list[str] = []
    off: list[str] = []
    unknown: list[str] = []
    for name, stream in entry["streams"].items():
        holds = applies(stream.get("when"), raw)
        if holds is False:
            continue
        state = any_state(way_state(w, raw, index) for w in stream["any"])
        judged.append(name)
        if holds is UNKNOWN or state is UNKNOWN:
            unknown.append(name)
        elif state is OFF:
            off.append(name)
    if not judged:
        return None
    enabled: Any = False if off else (UNKNOWN if unknown else True)
    return {"enabled": enabled, "streams": judged, "off": off, "unknown": unknown,
            "default_source": f"service_logs.yaml#{native_type}"}


def retention_days(raw: Any) -> Any:
    """Days a log sink keeps its records: None when kept until deleted, UNKNOWN when not known yet."""
    spec = _RETENTION[raw.type]
    if "switch" in spec:
        switch = read(raw, spec["switch"])
        if switch is UNKNOWN:
            return UNKNOWN
        if switch is False or (isinstance(switch, str) and switch.strip().lower() == "false"):
            return None  # no retention policy: nothing is deleted
    days = as_int(read(raw, spec["path"]))
    if days is None or days in spec.get("unlimited", ()):
        return None
    return days


class _LiveRecord:
    """A live API record read through a table entry's ``live.fields`` (its path roots renamed to API fields)."""

    def __init__(self, record: Mapping[str, Any], fields: Mapping[str, str]):
        self._record, self._fields = record, fields

    def get(self, path: str, default: Any = None) -> Any:
        root, _, rest = path.partition(".")
        field = self._fields.get(root)
        value = self._record.get(field) if field else None
        return get_path(value, rest) if rest and value is not None else value

    def is_configured(self, path: str) -> bool | None:
        return None


def live_service_logs(record_type: str, record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``service_logs`` object of a live record (``rds.db_instance`` ...), or None when no entry reads it."""
    engine = str(record.get("Engine") or "").lower()
    for native_type, entry in _TABLE.items():
        live = entry.get("live")
        if live and live["record"] == record_type and (not live.get("engines") or engine in live["engines"]):
            return service_logs(native_type, _LiveRecord(record, live["fields"]), None)
    return None


def facet(raw: Any, index: Any) -> dict[str, Any]:
    """A dispatch facet: ``{"service_logs": ...}`` for a type of the table (empty when nothing is judged)."""
    found = service_logs(raw.type, raw, index)
    return {"service_logs": found} if found is not None else {}


def facets(native_types: Iterable[str]) -> dict[str, Any]:
    """The facet for each of ``native_types`` (each must have a table entry)."""
    missing = sorted(set(native_types) - set(_TABLE))
    if missing:
        raise ValueError(f"service_logs.yaml has no entry for {', '.join(missing)}")
    return dict.fromkeys(native_types, facet)
