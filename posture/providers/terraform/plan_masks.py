"""Plan value masks: ``after_unknown`` values become UNKNOWN; sensitive values are dropped before any read."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN


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


_DROP = object()


def strip_sensitive(value: Any, mask: Any) -> Any:
    """Remove every value marked ``true`` in a sensitivity mask (dict keys dropped, list items removed).

    Copy-on-write like :func:`apply_unknown`: only containers holding a sensitive value are copied.
    """
    if mask is True:
        return _DROP
    if isinstance(mask, dict) and isinstance(value, dict):
        out = None
        for k, m in mask.items():
            if m and k in value:
                cur = value[k]
                new = strip_sensitive(cur, m)
                if new is not cur:
                    if out is None:
                        out = dict(value)
                    if new is _DROP:
                        del out[k]
                    else:
                        out[k] = new
        return value if out is None else out
    if isinstance(mask, list) and isinstance(value, list):
        changed = {}
        for i, m in enumerate(mask[: len(value)]):
            if m:
                new = strip_sensitive(value[i], m)
                if new is not value[i]:
                    changed[i] = new
        if not changed:
            return value
        return [changed.get(i, v) for i, v in enumerate(value) if changed.get(i) is not _DROP]
    return value


def _clean(values: Any, unknown: Any, sensitive: Any) -> dict[str, Any]:
    merged = apply_unknown(values if values is not None else {}, unknown)
    stripped = strip_sensitive(merged, sensitive)
    if stripped is _DROP or not isinstance(stripped, dict):
        return {}
    return stripped
