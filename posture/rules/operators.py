"""The one operator table of the rule language.

Every operator takes ``(observed, expected)`` and answers True, False or None
(None: the observed value is UNKNOWN, so the test cannot be decided). Python
rules use the same functions through :data:`OPERATORS`, so a semantic (how
ports overlap, how TLS versions compare) is written exactly once.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from posture.knowledge import TLS_VERSIONS
from posture.knowledge.network import INTERNET_ALIASES, INTERNET_PEERS
from posture.model import UNKNOWN, kleene_and, kleene_or

Operator = Callable[[Any, Any], "bool | None"]

_TLS_ORDER = {version: rank for rank, version in enumerate(TLS_VERSIONS)}

"""Peer values that mean "anyone on the internet" after normalisation."""


def _unknown(v: Any) -> bool:
    if v is UNKNOWN:
        return True
    if isinstance(v, (list, tuple)):
        return any(x is UNKNOWN for x in v)
    return False


def _order_key(v: Any) -> tuple[int, Any]:
    """Comparable key: numbers numerically, TLS versions in protocol order, else text."""
    if isinstance(v, bool):
        return (0, int(v))
    if isinstance(v, (int, float)):
        return (0, v)
    s = str(v).strip().lower()
    if s in _TLS_ORDER:
        return (1, _TLS_ORDER[s])
    try:
        return (0, float(s))
    except ValueError:
        return (2, s)


def _compare(pred: Callable[[tuple[int, Any], tuple[int, Any]], bool]) -> Operator:
    def op(observed: Any, expected: Any) -> bool | None:
        if observed is None:
            return False
        a, b = _order_key(observed), _order_key(expected)
        if a[0] != b[0]:
            return False  # not comparable: a version is never "less than" a name
        return pred(a, b)

    return op


def _as_list(v: Any) -> list[Any]:
    if v is None:
        return []
    if isinstance(v, (list, tuple, set, frozenset)):
        return list(v)
    return [v]


def parse_ports(spec: Any) -> list[tuple[int, int]]:
    """Port specs to inclusive ranges: 22, "22", "1000-2000", [1000, 2000], "*" / "all"."""
    out: list[tuple[int, int]] = []
    for item in _as_list(spec):
        if isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((int(item[0]), int(item[1])))
        elif isinstance(item, int):
            out.append((item, item))
        else:
            s = str(item).strip()
            if s in ("*", "all", "any", "-1"):
                out.append((0, 65535))
            elif "-" in s:
                lo, hi = s.split("-", 1)
                out.append((int(lo), int(hi)))
            else:
                out.append((int(s), int(s)))
    return out


def ports_overlap(observed: Any, expected: Any) -> bool | None:
    """Any observed port range overlaps any expected port (or range)."""
    if _unknown(observed):
        return None
    want = parse_ports(expected)
    return any(lo <= whi and wlo <= hi for lo, hi in parse_ports(observed) for wlo, whi in want)


@lru_cache(maxsize=4096)
def _network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    v = value.strip().lower()
    if v in INTERNET_ALIASES:
        return ipaddress.ip_network("0.0.0.0/0")
    try:
        return ipaddress.ip_network(v, strict=False)
    except ValueError:
        return None


def cidr_contains(observed: Any, expected: Any) -> bool | None:
    """Any observed CIDR contains (is a supernet of, or equals) any expected CIDR or address.

    ``*`` / ``internet`` count as 0.0.0.0/0. Non-CIDR peers (``sg:...``, tags) never match.
    """
    if _unknown(observed):
        return None
    wants = [n for n in (_network(str(e)) for e in _as_list(expected)) if n is not None]
    for o in _as_list(observed):
        net = _network(str(o))
        if net is None:
            continue
        for w in wants:
            if net.version == w.version and w.subnet_of(net):  # type: ignore[arg-type]
                return True
    return False


def cidr_prefix_le(observed: Any, expected: Any) -> bool | None:
    """Any observed public CIDR is at least as wide as /expected (prefix length <= expected)."""
    if _unknown(observed):
        return None
    for o in _as_list(observed):
        net = _network(str(o))
        if net is not None and net.prefixlen <= int(expected) and not net.is_private:
            return True
    return False


def is_internet(observed: Any, expected: Any = True) -> bool | None:
    """Observed peers include the whole internet (0.0.0.0/0, ::/0, ``*``, ``Internet``)."""
    if _unknown(observed):
        return None
    hit = any(str(o).strip().lower() in INTERNET_PEERS for o in _as_list(observed))
    return hit if expected else not hit


def _parse_time(v: Any) -> datetime | None:
    if isinstance(v, datetime):
        dt = v
    else:
        try:
            dt = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


EVALUATION_TIME: ContextVar[datetime | None] = ContextVar("posture_evaluation_time", default=None)
"""The engine sets this for the duration of one evaluation (so ages are computed against one instant)."""


def now() -> datetime:
    """The evaluation instant: the engine's ``now`` when set, else the current UTC time."""
    return EVALUATION_TIME.get() or datetime.now(timezone.utc)


def age_gt_days(observed: Any, expected: Any) -> bool | None:
    """The observed time is more than ``expected`` days in the past."""
    if _unknown(observed):
        return None
    t = _parse_time(observed) if observed is not None else None
    return t is not None and now() - t > timedelta(days=float(expected))


def expires_within_days(observed: Any, expected: Any) -> bool | None:
    """The observed time is less than ``expected`` days in the future (or already past)."""
    if _unknown(observed):
        return None
    t = _parse_time(observed) if observed is not None else None
    return t is not None and t - now() < timedelta(days=float(expected))


def _eq(observed: Any, expected: Any) -> bool | None:
    if observed is UNKNOWN:
        return None
    if isinstance(observed, str) and isinstance(expected, str):
        return observed.lower() == expected.lower()
    return bool(observed == expected)


def _in(observed: Any, expected: Any) -> bool | None:
    if observed is UNKNOWN:
        return None
    return any(_eq(observed, e) for e in _as_list(expected))


def _exists(observed: Any, expected: Any) -> bool | None:
    if observed is UNKNOWN:
        return None
    present = observed is not None and observed != "" and observed != () and observed != []
    return present if expected else not present


def _regex(observed: Any, expected: Any) -> bool | None:
    if observed is UNKNOWN:
        return None
    return observed is not None and re.search(str(expected), str(observed)) is not None


def _contains(observed: Any, expected: Any) -> bool | None:
    if _unknown(observed):
        return None
    return any(_eq(o, expected) for o in _as_list(observed))


def _intersects(observed: Any, expected: Any) -> bool | None:
    if _unknown(observed):
        return None
    return any(_in(o, expected) for o in _as_list(observed))


def _subset_of(observed: Any, expected: Any) -> bool | None:
    if _unknown(observed):
        return None
    return all(_in(o, expected) for o in _as_list(observed))


def _len_gt(observed: Any, expected: Any) -> bool | None:
    if observed is UNKNOWN:
        return None
    return len(_as_list(observed)) > int(expected)


def _not(op: Operator) -> Operator:
    def negated(observed: Any, expected: Any) -> bool | None:
        r = op(observed, expected)
        return None if r is None else not r

    return negated


def _unknown_guard(op: Operator) -> Operator:
    def guarded(observed: Any, expected: Any) -> bool | None:
        return None if observed is UNKNOWN else op(observed, expected)

    return guarded


OPERATORS: Mapping[str, Operator] = {
    "eq": _eq,
    "ne": _not(_eq),
    "in": _in,
    "not_in": _not(_in),
    "lt": _unknown_guard(_compare(lambda a, b: a < b)),
    "le": _unknown_guard(_compare(lambda a, b: a <= b)),
    "gt": _unknown_guard(_compare(lambda a, b: a > b)),
    "ge": _unknown_guard(_compare(lambda a, b: a >= b)),
    "regex": _regex,
    "exists": _exists,
    "contains": _contains,
    "intersects": _intersects,
    "subset_of": _subset_of,
    "len_gt": _len_gt,
    "cidr_contains": cidr_contains,
    "cidr_prefix_le": cidr_prefix_le,
    "is_internet": is_internet,
    "ports_overlap": ports_overlap,
    "age_gt_days": age_gt_days,
    "expires_within_days": expires_within_days,
}
"""Name -> operator. The YAML language and Python rules both use this table."""


def apply(op: str, observed: Any, expected: Any) -> bool | None:
    """Apply operator ``op`` (KeyError for an unknown name)."""
    return OPERATORS[op](observed, expected)


def tri_all(values: Iterable[bool | None]) -> bool | None:
    """Kleene AND over verdicts (None: undecided): :func:`posture.model.kleene_and`."""
    result: bool | None = kleene_and(values, None)
    return result


def tri_any(values: Iterable[bool | None]) -> bool | None:
    """Kleene OR over verdicts (None: undecided): :func:`posture.model.kleene_or`."""
    result: bool | None = kleene_or(values, None)
    return result
