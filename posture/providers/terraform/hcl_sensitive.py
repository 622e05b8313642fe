"""Terraform's sensitivity marks in the static HCL evaluator.

Terraform marks the value of a ``sensitive = true`` variable (whatever set it: a default, a tfvars file, a
module call), of ``sensitive(...)`` and of a module output declared ``sensitive = true``, and every value
computed from a marked one: templates, operators, conditionals (a marked condition marks the result), ``for``
expressions over a marked collection, function results, indexing a marked collection or indexing with a marked
key. ``nonsensitive(...)`` removes the mark of its argument. A collection may hold marked elements without
being marked itself (``{ a = var.secret, b = "public" }``: only ``a`` is sensitive).

A marked value is a :class:`Marked` wrapper around the plain value (never nested). It never reaches a
resource: :func:`redact_marked` turns it into UNKNOWN when the resource's values are built (a rule that needs
it reports "cannot verify", and the loader adds a ``sensitive_value`` gap naming the attribute, not the value).
Terraform refuses a sensitive ``for_each`` (its keys would become instance addresses): :func:`sensitive_keys`
detects it and the loader reports a gap instead of printing a key. ``count`` may be sensitive (Terraform
unmarks it: a number of instances discloses no secret).
"""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Gap
from posture.redact import is_secret_key

STRUCTURAL = frozenset({"merge", "concat", "tolist", "tomap", "element", "lookup", "values", "keys", "length",
                        "one", "slice", "reverse"})
"""Functions that only move the elements of their arguments (never look into them): elements keep their own
marks and only a mark on an argument itself marks the result. Every other function's result is marked when
any argument holds a marked value anywhere (Terraform's default for function parameters)."""


class Marked:
    """A sensitive value. Its text is never shown: ``repr``/``str`` name only the mark."""

    __slots__ = ("value",)

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return "Marked(<sensitive>)"

    __str__ = __repr__

    def __bool__(self) -> bool:
        raise TypeError("a sensitive value has no truth value; unmark it first")


def mark(value: Any) -> Any:
    """``value`` marked sensitive (a marked value stays marked once)."""
    return value if isinstance(value, Marked) else Marked(value)


def mark_if(flag: bool, value: Any) -> Any:
    return mark(value) if flag else value


def unmark(value: Any) -> tuple[Any, bool]:
    """(the value without its own mark, whether it had one); marks of elements inside stay."""
    if isinstance(value, Marked):
        return value.value, True
    return value, False


def unmark_deep(value: Any) -> tuple[Any, bool]:
    """(the value with every mark removed, whether there was any). Copy-on-write: unmarked data is shared."""
    if isinstance(value, Marked):
        return unmark_deep(value.value)[0], True
    if isinstance(value, dict):
        items = [(k, *unmark_deep(v)) for k, v in value.items()]
        if not any(m for _, _, m in items):
            return value, False
        out = {k: v for k, v, _ in items}
        return (out if type(value) is dict else type(value)(out)), True
    if isinstance(value, list):
        pairs = [unmark_deep(v) for v in value]
        if not any(m for _, m in pairs):
            return value, False
        return [v for v, _ in pairs], True
    return value, False


def nonsensitive(value: Any) -> Any:
    """Terraform's ``nonsensitive``: the value without its own mark (marked elements inside stay marked)."""
    return unmark(value)[0]


MARK_FUNCTIONS = {"sensitive": mark, "nonsensitive": nonsensitive}
"""The built-ins that set or remove a mark (one argument each)."""


def unmark_args(name: str, args: list[Any]) -> tuple[list[Any], bool]:
    """The arguments a built-in function is called with, and whether its result is marked."""
    hidden = False
    out = []
    for a in args:
        a, m = unmark(a) if name in STRUCTURAL else unmark_deep(a)
        hidden = hidden or m
        out.append(a)
    return out, hidden


def sensitive_keys(coll: Any) -> bool:
    """True when a ``for_each`` value would make instance keys of sensitive values (Terraform refuses it)."""
    if isinstance(coll, Marked):
        return True
    return isinstance(coll, list) and any(isinstance(v, Marked) for v in coll)


def declared_sensitive(flag: Any) -> bool:
    """Whether a ``sensitive`` argument's value means sensitive: anything but a literal false is (fail closed)."""
    flag = unmark(flag)[0]
    return not (flag is False or flag is None or flag == "false")


def redact_marked(values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``values`` with every marked value replaced by UNKNOWN, and the paths of those it hid.

    Paths are attribute names and block indices (``ingress.1.description``), never a value. Not listed: a
    secret-named attribute (``password``: redacted anyway, :mod:`posture.redact`, and no rule reads it) and a
    sensitive value that is itself unknown (a variable set only at apply: nothing was hidden).
    """
    paths: list[str] = []

    def walk(value: Any, path: str, key: str) -> Any:
        if isinstance(value, Marked):
            if value.value is not UNKNOWN and not is_secret_key(key):
                paths.append(path)
            return UNKNOWN
        if isinstance(value, dict):
            out = {k: walk(v, f"{path}.{k}" if path else str(k), str(k)) for k, v in value.items()}
            if all(out[k] is value[k] for k in value):
                return value
            return out if type(value) is dict else type(value)(out)
        if isinstance(value, list):
            items = [walk(v, f"{path}.{i}", key) for i, v in enumerate(value)]
            return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
        return value

    return walk(values, "", ""), paths


def sensitive_gaps(hidden: dict[str, dict[str, list[str]]]) -> list[Gap]:
    """One ``sensitive_value`` gap per declaration (``file:line`` -> address -> hidden paths), its instances
    counted, the attribute paths named (never a value)."""
    out = []
    for where, by_address in hidden.items():
        first, *others = by_address
        paths = list(dict.fromkeys(p for ps in by_address.values() for p in ps))
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        more = f" (and {len(others)} other instance(s))" if others else ""
        out.append(Gap("terraform", f"{first}{more}: values derived from sensitive variables or outputs are not read "
                       f"(unknown to the rules): {shown}", code="sensitive_value", target=where))
    return out
