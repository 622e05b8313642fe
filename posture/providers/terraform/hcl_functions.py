"""Terraform's built-in functions as the HCL evaluator runs them (a subset; others evaluate to UNKNOWN)."""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Callable
from typing import Any

from posture.model import UNKNOWN
from posture.providers.terraform.hcl_limits import EvalBudget
from posture.providers.terraform.hcl_limits import current as current_budget
from posture.providers.terraform.hcl_values import EvalError, _clean_num, _num, _to_str, _truthy, has_unknown, json_text


def _flatten(v: Any) -> list[Any]:
    out: list[Any] = []
    for x in v:
        if isinstance(x, list):
            out.extend(_flatten(x))
        else:
            out.append(x)
    return out



def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise EvalError("merge of a non-map")
        out.update(m)
    return out



def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if not isinstance(m, dict):
        raise EvalError("lookup on a non-map")
    if key in m:
        return m[key]
    if default:
        return default[0]
    raise EvalError(f"no key {key!r}")



def _coalesce(*args: Any) -> Any:
    for a in args:
        if a is UNKNOWN:
            return UNKNOWN
        if a is not None and a != "":
            return a
    raise EvalError("coalesce: no non-null argument")



def _element(lst: Any, i: Any) -> Any:
    if not lst:
        raise EvalError("element of an empty list")
    return lst[int(i) % len(lst)]



def _hashable(x: Any) -> Any:
    """A key equal for equal values (lists and maps by their JSON text), so set operations are linear."""
    return ("\0json", json.dumps(x, sort_keys=True, default=repr)) if isinstance(x, (list, dict)) else x


def _distinct(lst: Any) -> list[Any]:
    seen: set[Any] = set()
    out: list[Any] = []
    for x in lst:
        key = _hashable(x)
        if key not in seen:
            seen.add(key)
            out.append(x)
    return out


def _setintersection(a: Any, *others: Any) -> list[Any]:
    keys = [{_hashable(x) for x in o} for o in others]
    return [x for x in _distinct(a) if all(_hashable(x) in k for k in keys)]



def _toset(v: Any) -> Any:
    if has_unknown(v):
        return UNKNOWN
    return sorted(_distinct(v), key=lambda x: json.dumps(x, sort_keys=True)) if isinstance(v, list) else v



def _format(fmt: str, *args: Any) -> str:
    out, ai, i = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            j = i + 1
            while j < len(fmt) and fmt[j] in "0123456789.+-# ":
                j += 1
            verb = fmt[j] if j < len(fmt) else ""
            if any(len(n) > 4 for n in re.findall(r"\d+", fmt[i + 1 : j])):
                raise EvalError("format width or precision over 9999")  # "%999999999f" would be a 1 GB string
            if verb == "%":
                out.append("%")
            elif verb in "sdvtfgqx":
                arg = args[ai]
                ai += 1
                if verb == "d":
                    out.append(str(int(_num(arg))))
                elif verb == "q":
                    out.append(json.dumps(arg))
                elif verb in "fg":
                    out.append(f"%{fmt[i + 1 : j]}{verb}" % float(_num(arg)))
                elif verb == "x":
                    out.append(f"{int(_num(arg)):x}")
                else:
                    out.append(_to_str(arg) if not isinstance(arg, (list, dict)) else json.dumps(arg))
            else:
                raise EvalError(f"format verb {verb!r}")
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)



def _cidrsubnet(prefix: str, newbits: Any, netnum: Any) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    sub = net.prefixlen + int(newbits)
    size = net.max_prefixlen
    base = int(net.network_address) + (int(netnum) << (size - sub))
    return str(ipaddress.ip_network((base, sub)))



def _cidrhost(prefix: str, host: Any) -> str:
    net = ipaddress.ip_network(prefix, strict=False)
    h = int(host)
    return str(net.network_address + h if h >= 0 else net.broadcast_address + h + 1)



def _range(*a: Any) -> list[int]:
    r = range(*[int(_num(x)) for x in a])
    budget = current_budget()
    if budget is not None:  # before the list is built: range(1e9) would be 8 GB
        try:
            budget.check_count(len(r))
        except OverflowError:  # longer than a C ssize_t
            budget.check_count(budget.limits.collection + 1)
    return list(r)



def _tobool(v: Any) -> Any:
    if isinstance(v, bool) or v is None:
        return v
    if v in ("true", "false"):
        return v == "true"
    raise EvalError("not a bool")



def _tonumber(v: Any) -> Any:
    return None if v is None else _clean_num(_num(v))



def _tostring(v: Any) -> Any:
    return None if v is None else _to_str(v)



def _one(v: Any) -> Any:
    if not v:
        return None
    if len(v) == 1:
        return v[0]
    raise EvalError("one() of several elements")



def _replace(s: str, old: str, new: str) -> str:
    if len(old) > 1 and old.startswith("/") and old.endswith("/"):
        raise EvalError("regex replace")
    return s.replace(old, new)



FUNCTIONS: dict[str, Callable[..., Any]] = {
    "abs": lambda x: abs(_num(x)),
    "alltrue": lambda v: all(_truthy(x) for x in v),
    "anytrue": lambda v: any(_truthy(x) for x in v),
    "base64encode": lambda s: __import__("base64").b64encode(s.encode()).decode(),
    "ceil": lambda x: math.ceil(_num(x)),
    "chomp": lambda s: s.rstrip("\r\n"),
    "cidrhost": _cidrhost,
    "cidrsubnet": _cidrsubnet,
    "coalesce": _coalesce,
    "coalescelist": lambda *ls: next((x for x in ls if x), []),
    "compact": lambda v: [x for x in v if x not in (None, "")],
    "concat": lambda *ls: [x for lst in ls for x in (lst or [])],
    "contains": lambda v, x: x in v,
    "distinct": _distinct,
    "element": _element,
    "endswith": lambda s, x: s.endswith(x),
    "flatten": _flatten,
    "floor": lambda x: math.floor(_num(x)),
    "format": _format,
    "formatlist": lambda f, *a: [_format(f, *xs)
                                 for xs in zip(*[x if isinstance(x, list) else [x] for x in a], strict=False)],
    "index": lambda v, x: v.index(x),
    "join": lambda sep, *ls: sep.join(_to_str(x) for lst in ls for x in lst),
    "jsondecode": lambda s: json.loads(s),
    "jsonencode": json_text,
    "keys": lambda m: sorted(m.keys()),
    "length": lambda v: len(v),
    "lookup": _lookup,
    "lower": lambda s: s.lower(),
    "max": lambda *a: _clean_num(max(_num(x) for x in a)),
    "merge": _merge,
    "min": lambda *a: _clean_num(min(_num(x) for x in a)),
    "one": _one,
    "range": _range,
    "replace": _replace,
    "reverse": lambda v: list(reversed(v)),
    "setintersection": _setintersection,
    "setunion": lambda *ls: _toset([x for lst in ls for x in lst]),
    "slice": lambda v, a, b: v[int(a):int(b)],
    "sort": lambda v: sorted(v),
    "split": lambda sep, s: s.split(sep),
    "startswith": lambda s, x: s.startswith(x),
    "substr": lambda s, o, n: s[int(o):] if int(n) < 0 else s[int(o):int(o) + int(n)],
    "sum": lambda v: _clean_num(sum(_num(x) for x in v)),
    "title": lambda s: s.title(),
    "tobool": _tobool,
    "tolist": lambda v: list(v),
    "tomap": lambda v: dict(v),
    "tonumber": _tonumber,
    "toset": _toset,
    "tostring": _tostring,
    "transpose": lambda m: {v: sorted(k for k, vs in m.items() if v in vs) for vs in m.values() for v in vs},
    "trimspace": lambda s: s.strip(),
    "trimprefix": lambda s, p: s[len(p):] if s.startswith(p) else s,
    "trimsuffix": lambda s, p: s[: -len(p)] if p and s.endswith(p) else s,
    "upper": lambda s: s.upper(),
    "values": lambda m: [m[k] for k in sorted(m)],
    "zipmap": lambda ks, vs: dict(zip(ks, vs, strict=False)),
}



_TEXT_BUILDERS = frozenset({"join", "jsonencode", "format", "formatlist", "base64encode"})
"""Functions whose text grows with all of their arguments' text (a list of one shared 1 MiB string, joined)."""


def before_call(name: str, args: list[Any], budget: EvalBudget) -> None:
    """Refuse, before it runs, a call whose result would be over a limit (LimitHit); charge its work (a step per
    element of its collection arguments: sort(local.big) in 10,000 instances is 10,000 times that work)."""
    budget.step(1 + sum(len(a) for a in args if isinstance(a, (list, dict))))
    if name in _TEXT_BUILDERS:
        budget.check_text_of(args)
    elif name == "replace" and len(args) == 3 and all(isinstance(a, str) for a in args) and args[1]:
        budget.check_string(len(args[0]) + args[0].count(args[1]) * max(0, len(args[2]) - len(args[1])))
    elif name in ("concat", "setunion") and all(isinstance(a, (list, dict)) for a in args):
        budget.check_count(sum(len(a) for a in args))
    elif name == "transpose" and args and isinstance(args[0], dict):
        budget.step(len(args[0]) * sum(len(v) for v in args[0].values() if isinstance(v, list)))


_UNKNOWN_TOLERANT = {"coalesce", "concat", "compact", "merge", "length", "flatten", "tolist", "jsonencode",
                     "distinct", "toset", "lookup", "element", "keys", "values"}
