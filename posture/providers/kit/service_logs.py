"""Table-driven service logs: which log streams a resource records, read from one knowledge-table entry per native
type (``posture/knowledge/service_logs.yaml``, its format described there).

:func:`service_logs` reads a resource's ``service_logs`` object: ``enabled`` (every judged stream is recorded;
Kleene: false when one is off, UNKNOWN when none is off and one is not known), ``off`` and ``unknown`` (stream
names) and ``streams`` (the streams judged). A type with no entry, or whose streams' conditions all fail, gets no
attribute. :func:`facets` turns the entries of some types into dispatch facets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture.knowledge import KnowledgeError, load_table
from posture.model import UNKNOWN, get_path

ON, OFF = True, False

_WAY_KEYS = {"path", "set", "contains", "enabled_by", "disabled_by", "default", "blocks", "match", "joined", "all"}
_JOIN_KEYS = {"type", "via", "literal", "match"}
_WHEN_KEYS = {"path", "in", "unset", "prefix"}


def check(table: Mapping[str, Any]) -> list[str]:
    """Problems of a service-logs table (unknown keys, a way that reads nothing, an entry without a source)."""
    problems: list[str] = []

    def way(where: str, w: Any) -> None:
        if not isinstance(w, dict) or set(w) - _WAY_KEYS:
            problems.append(f"{where}: a way takes {sorted(_WAY_KEYS)}")
            return
        if not {"path", "joined", "all"} & set(w) and "blocks" not in w:
            problems.append(f"{where}: a way needs path, blocks, joined or all")
        if w.get("default", "disabled") not in ("enabled", "disabled"):
            problems.append(f"{where}: default is enabled or disabled")
        if "joined" in w and (set(w["joined"]) - _JOIN_KEYS or not {"type", "via"} <= set(w["joined"])):
            problems.append(f"{where}: joined takes type, via and optionally {sorted(_JOIN_KEYS - {'type', 'via'})}")
        for sub in w.get("all", ()):
            way(f"{where}.all", sub)

    for native_type, entry in table.items():
        if not isinstance(entry, dict) or not entry.get("source") or not entry.get("streams"):
            problems.append(f"service_logs.yaml: {native_type}: needs a source and streams")
            continue
        for name, stream in entry["streams"].items():
            where = f"service_logs.yaml: {native_type}.streams.{name}"
            if not isinstance(stream, dict) or set(stream) - {"any", "when"} or not stream.get("any"):
                problems.append(f"{where}: a stream is {{any: [ways], when?}}")
                continue
            when = stream.get("when")
            if when is not None and (set(when) - _WHEN_KEYS or not {"path", "in"} <= set(when)):
                problems.append(f"{where}.when: takes path, in, unset, prefix")
            for w in stream["any"]:
                way(where, w)
    return problems


_TABLE: Mapping[str, Mapping[str, Any]] = load_table("service_logs")["types"]
_PROBLEMS = check(_TABLE)
if _PROBLEMS:
    raise KnowledgeError("; ".join(_PROBLEMS))


def types() -> tuple[str, ...]:
    """Every native type the table describes."""
    return tuple(_TABLE)


def _norm(value: Any) -> Any:
    """One comparable form: booleans, lower-case strings, ``none`` for unset, ``set`` for a block or list."""
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        low = value.strip().lower()
        return {"true": True, "false": False}.get(low, low)
    if isinstance(value, (list, dict)):
        return "set"
    return value


def _is_in(value: Any, wanted: Iterable[Any], prefix: bool = False) -> bool:
    v = _norm(value)
    for w in wanted:
        w = _norm(w)
        if v == w or (prefix and isinstance(v, str) and isinstance(w, str) and v.startswith(w)):
            return True
    return False


def _read(raw: Any, path: str) -> Any:
    """The value at ``path``: None when unset (a computed value the configuration leaves out is unset too)."""
    value = raw.get(path)
    if value is UNKNOWN and raw.is_configured(path) is False:
        return None
    return value


def _value_state(way: Mapping[str, Any], value: Any) -> Any:
    """ON / OFF / UNKNOWN of one way's setting value."""
    if value is UNKNOWN:
        return UNKNOWN
    if value is None or value in ("", [], {}):
        return ON if way.get("default") == "enabled" else OFF
    if "contains" in way:
        items = value if isinstance(value, list) else [value]
        if any(item is UNKNOWN for item in items):
            return UNKNOWN
        return ON if any(_is_in(item, way["contains"]) for item in items) else OFF
    if "enabled_by" in way:
        return ON if _is_in(value, way["enabled_by"]) else OFF
    if "disabled_by" in way:
        return OFF if _is_in(value, way["disabled_by"]) else ON
    return ON  # `set: true`: any value


def _matches(block: Any, match: Mapping[str, Any]) -> Any:
    """Whether a block (or a joined resource) has every ``match`` value; UNKNOWN when one is not known."""
    result: Any = True
    for path, wanted in match.items():
        value = _read(block, path) if hasattr(block, "is_configured") else get_path(block, path)
        if value is UNKNOWN:
            result = UNKNOWN
        elif not _is_in(value, wanted):
            return False
    return result


def _any(states: Iterable[Any]) -> Any:
    states = list(states)
    if ON in states:
        return ON
    return UNKNOWN if UNKNOWN in states else OFF


def _way(way: Mapping[str, Any], raw: Any, index: Any) -> Any:
    if "all" in way:
        states = [_way(w, raw, index) for w in way["all"]]
        if OFF in states:
            return OFF
        return UNKNOWN if UNKNOWN in states else ON
    if "joined" in way:
        join = way["joined"]
        found = index.referrers(raw.address, (join["type"],), join["via"], tuple(join.get("literal", ("id",))))
        return _any(_matches(other, join.get("match", {})) for other in found)
    if "blocks" in way:
        blocks = _read(raw, way["blocks"])
        if blocks is UNKNOWN:
            return UNKNOWN
        states = []
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                states.append(UNKNOWN)
                continue
            matched = _matches(block, way.get("match", {}))
            states.append(UNKNOWN if matched is UNKNOWN else
                          _value_state(way, block.get(way["path"])) if matched else OFF)
        return _any(states)
    return _value_state(way, _read(raw, way["path"]))


def _applies(when: Mapping[str, Any] | None, raw: Any) -> Any:
    if not when:
        return True
    value = _read(raw, when["path"])
    if value is UNKNOWN:
        return UNKNOWN
    if _norm(value) == "none" and "unset" in when:
        value = when["unset"]
    return _is_in(value, when["in"], bool(when.get("prefix")))


def service_logs(native_type: str, raw: Any, index: Any) -> dict[str, Any] | None:
    """The ``service_logs`` object of one resource, or None when its type has no entry or no stream applies."""
    entry = _TABLE.get(native_type)
    if entry is None:
        return None
    judged: list[str] = []
    off: list[str] = []
    unknown: list[str] = []
    for name, stream in entry["streams"].items():
        applies = _applies(stream.get("when"), raw)
        if applies is False:
            continue
        state = _any(_way(w, raw, index) for w in stream["any"])
        judged.append(name)
        if applies is UNKNOWN or state is UNKNOWN:
            unknown.append(name)
        elif state is OFF:
            off.append(name)
    if not judged:
        return None
    enabled: Any = False if off else (UNKNOWN if unknown else True)
    return {"enabled": enabled, "streams": judged, "off": off, "unknown": unknown,
            "default_source": f"service_logs.yaml#{native_type}"}


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
