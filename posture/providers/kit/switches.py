"""Switches as data: one way a configuration turns something on, read from a knowledge table.

A *way* (a mapping, format in ``posture/knowledge/service_logs.yaml``) reads one setting of a raw Terraform resource, a
list of its blocks, another resource joined to it, or several ways at once, and answers ON, OFF or UNKNOWN (Kleene
logic). The service-logs and backups tables (:mod:`posture.providers.kit.service_logs`,
:mod:`posture.providers.kit.backups`) both speak it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture.model import UNKNOWN, get_path

ON, OFF = True, False

_WAY_KEYS = {"path", "set", "contains", "enabled_by", "disabled_by", "default", "blocks", "match", "joined", "all",
             "at_least"}
_JOIN_KEYS = {"type", "via", "literal", "match"}
_WHEN_KEYS = {"path", "in", "unset", "prefix"}


def check_way(where: str, w: Any, problems: list[str]) -> None:
    """Append the problems of one way (unknown keys, nothing read, a bad default) to ``problems``."""
    if not isinstance(w, dict) or set(w) - _WAY_KEYS:
        problems.append(f"{where}: a way takes {sorted(_WAY_KEYS)}")
        return
    if not {"path", "joined", "all", "blocks"} & set(w):
        problems.append(f"{where}: a way needs path, blocks, joined or all")
    if w.get("default", "disabled") not in ("enabled", "disabled"):
        problems.append(f"{where}: default is enabled or disabled")
    if "joined" in w and (set(w["joined"]) - _JOIN_KEYS or not {"type", "via"} <= set(w["joined"])):
        problems.append(f"{where}: joined takes type, via and optionally {sorted(_JOIN_KEYS - {'type', 'via'})}")
    for sub in w.get("all", ()):
        check_way(f"{where}.all", sub, problems)


def check_when(where: str, when: Any, problems: list[str]) -> None:
    """Append the problems of one condition to ``problems``."""
    if when is not None and (not isinstance(when, dict) or set(when) - _WHEN_KEYS or not {"path", "in"} <= set(when)):
        problems.append(f"{where}.when: takes path, in, unset, prefix")


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


def read(raw: Any, path: str) -> Any:
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
        return ON if way.get("default") == "enabled" or way.get("set") is False else OFF
    if "at_least" in way:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            return UNKNOWN
        try:
            return ON if float(value) >= float(way["at_least"]) else OFF
        except ValueError:
            return UNKNOWN
    if way.get("set") is False:  # on only while unset (e.g. a one-zone file system names its zone)
        return OFF
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
        value = read(block, path) if hasattr(block, "is_configured") else get_path(block, path)
        if value is UNKNOWN:
            result = UNKNOWN
        elif not _is_in(value, wanted):
            return False
    return result


def any_state(states: Iterable[Any]) -> Any:
    """ON when one state is ON, else UNKNOWN when one is, else OFF."""
    states = list(states)
    if ON in states:
        return ON
    return UNKNOWN if UNKNOWN in states else OFF


def way_state(way: Mapping[str, Any], raw: Any, index: Any) -> Any:
    """ON / OFF / UNKNOWN of one way on ``raw`` (``index`` resolves joined resources)."""
    if "all" in way:
        states = [way_state(w, raw, index) for w in way["all"]]
        if OFF in states:
            return OFF
        return UNKNOWN if UNKNOWN in states else ON
    if "joined" in way:
        if index is None:  # a live record: other resources are not joined here
            return UNKNOWN
        join = way["joined"]
        found = index.referrers(raw.address, (join["type"],), join["via"], tuple(join.get("literal", ("id",))))
        return any_state(_matches(other, join.get("match", {})) for other in found)
    if "blocks" in way:
        blocks = read(raw, way["blocks"])
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
        return any_state(states)
    return _value_state(way, read(raw, way["path"]))


def applies(when: Mapping[str, Any] | None, raw: Any) -> Any:
    """Whether a condition holds for ``raw`` (True without one; UNKNOWN when its value is not known)."""
    if not when:
        return True
    value = read(raw, when["path"])
    if value is UNKNOWN:
        return UNKNOWN
    if _norm(value) == "none" and "unset" in when:
        value = when["unset"]
    return _is_in(value, when["in"], bool(when.get("prefix")))
