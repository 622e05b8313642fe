"""Plan value masks: ``after_unknown`` values become UNKNOWN; so do sensitive values, before any read."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN
from posture.redact import is_secret_key


# ----------------------------------------------------------------------------------------------------------
# unknown and sensitive masks
# ----------------------------------------------------------------------------------------------------------
def apply_unknown(value: Any, mask: Any) -> Any:
    """Overlay an ``after_unknown`` mask: ``true`` leaves become UNKNOWN (also for keys absent in ``after``).

    Copy-on-write: containers on a path to a ``true`` leaf are copied, the rest of ``value`` is shared, so
    the cost follows the mask, not the (much larger) values, and the caller's document is never modified.
    """
    if mask is True:
        return UNKNOWN
    if isinstance(mask, dict):
        if value is not None and not isinstance(value, dict):
            return value
        base = value if value is not None else {}
        out = None if value is not None else base
        for k, m in mask.items():
            if m is True:
                new = UNKNOWN  # the common case, inlined: most masks are flat {"id": true, "arn": true}
            elif isinstance(m, (dict, list)) and k in base:
                cur = base[k]
                new = apply_unknown(cur, m)
                if new is cur:
                    continue
            else:
                continue
            if out is None:
                out = dict(base)
            out[k] = new
        return base if out is None else out
    if isinstance(mask, list) and isinstance(value, list):
        items = None
        for i, m in enumerate(mask):
            if i < len(value):
                new = apply_unknown(value[i], m)
                if new is value[i]:
                    continue
            elif m is True:
                new = UNKNOWN
            else:
                continue
            if items is None:
                items = list(value)
            if i < len(value):
                items[i] = new
            else:
                items.append(new)
        return value if items is None else items
    return value


def hide_sensitive(value: Any, mask: Any, hidden: list[str], path: str = "", key: str = "") -> Any:
    """Every value marked ``true`` in a sensitivity mask becomes UNKNOWN (keys and list items kept), so a rule
    reads "cannot verify" rather than an absent value (a sensitive CIDR dropped from a list would read as
    "opens nothing"). ``hidden`` collects the paths of hidden values a rule could have read: not those of
    secret-named attributes (passwords: redacted anyway, read by no rule) nor null or unknown ones.

    Copy-on-write like :func:`apply_unknown`: only containers holding a sensitive value are copied.
    """
    if mask is True:
        if value is not None and value is not UNKNOWN and not is_secret_key(key):
            hidden.append(path)
        return UNKNOWN
    if isinstance(mask, dict) and isinstance(value, dict):
        out = None
        for k, m in mask.items():
            if m and k in value:
                cur = value[k]
                new = hide_sensitive(cur, m, hidden, f"{path}.{k}" if path else k, k)
                if new is not cur:
                    if out is None:
                        out = dict(value)
                    out[k] = new
        return value if out is None else out
    if isinstance(mask, list) and isinstance(value, list):
        changed = {}
        for i, m in enumerate(mask[: len(value)]):
            if m:
                new = hide_sensitive(value[i], m, hidden, f"{path}.{i}", key)
                if new is not value[i]:
                    changed[i] = new
        if not changed:
            return value
        return [changed.get(i, v) for i, v in enumerate(value)]
    return value


def _clean(values: Any, unknown: Any, sensitive: Any, hidden: list[str]) -> dict[str, Any]:
    merged = apply_unknown(values if values is not None else {}, unknown)
    masked = hide_sensitive(merged, sensitive, hidden)
    return masked if isinstance(masked, dict) else {}
