"""The model's attribute contract (``posture/model_contract.yaml``): kinds, their attributes and who fills them.

Rule loading checks kinds and attribute paths against it (an unknown one is an error with a did-you-mean),
``docs/model.md`` is generated from it, and the normaliser tests check every resource against it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from posture.inputs import parse_yaml

CONTRACT_FILE = Path(__file__).with_name("model_contract.yaml")

Fields = Mapping[str, Any]
"""The declared keys of one level: attribute name -> its spec (``type``, ``meaning``, optional ``fields``)."""

Scope = tuple["Fields | None", ...]
"""Where a path is resolved: one field table per candidate kind; ``None`` = free-form (not checked)."""


@cache
def contract() -> Mapping[str, Any]:
    """The parsed contract file."""
    doc: Mapping[str, Any] = parse_yaml(CONTRACT_FILE.read_text(encoding="utf-8"), str(CONTRACT_FILE))
    return doc


def kinds() -> tuple[str, ...]:
    """Every declared resource kind, in contract order."""
    return tuple(contract()["kinds"])


def attributes(kind: str) -> Fields:
    """The declared attributes of ``kind`` (empty for an unknown kind)."""
    spec = contract()["kinds"].get(kind)
    return spec["attributes"] if spec else {}


def suggest(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest of ``known``, or an empty string."""
    close = difflib.get_close_matches(word, sorted(set(known)), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def kind_error(kind: str) -> str | None:
    """Why ``kind`` is not a declared kind, or None when it is."""
    if kind in contract()["kinds"]:
        return None
    return f"unknown kind {kind!r}{suggest(kind, kinds())}"


def edge_error(edge: str) -> str | None:
    """Why ``edge`` is not a declared edge kind, or None when it is."""
    if edge in contract()["edges"]:
        return None
    return f"unknown edge kind {edge!r}{suggest(edge, contract()['edges'])}"


def scope_of(kind_names: Sequence[str] | None) -> Scope:
    """The scope of a resource of any of ``kind_names`` (every kind when None or empty)."""
    names = kind_names or kinds()
    return tuple(attributes(k) for k in names if k in contract()["kinds"])


def _step(scope: Scope, segment: str) -> tuple[Scope, list[str]] | None:
    """The scope below ``segment`` and the names that were known at this level; None when free-form."""
    if any(level is None for level in scope):
        return None
    below: list[Fields | None] = []
    known: list[str] = []
    for level in scope:
        assert level is not None
        known.extend(level)
        spec = level.get(segment)
        if spec is not None:
            below.append(spec.get("fields"))
    return tuple(below), known


def path_scope(scope: Scope, path: str) -> tuple[Scope | None, str | None]:
    """Resolve a dotted ``path`` in ``scope``: (the scope of its value or its elements, error or None).

    A segment that is a number (a list index) is skipped; below a free-form object nothing is checked.
    """
    if path == "." or path.startswith("@"):
        return None, None
    current: Scope | None = scope
    for segment in path.split("."):
        if current is None:
            return None, None
        if segment.isdigit():
            continue
        stepped = _step(current, segment)
        if stepped is None:
            return None, None
        below, known = stepped
        if not below:
            where = path[: path.index(segment)] if "." in path else ""
            return None, f"unknown attribute {segment!r}{' under ' + repr(where.rstrip('.')) if where else ''}" \
                         f"{suggest(segment, known)}"
        current = None if any(b is None for b in below) else below
    return current, None


def undeclared(kind: str, attrs: Mapping[str, Any]) -> list[str]:
    """Attribute paths of one resource that the contract does not declare for ``kind``."""
    return _undeclared(attributes(kind), attrs, "")


def _undeclared(fields: Fields, value: Mapping[str, Any], prefix: str) -> list[str]:
    out: list[str] = []
    for key, sub in value.items():
        spec = fields.get(key)
        path = f"{prefix}{key}"
        if spec is None:
            out.append(path)
            continue
        below = spec.get("fields")
        if below is None:
            continue
        items = sub if isinstance(sub, (list, tuple)) else [sub]
        for item in items:
            if isinstance(item, Mapping):
                out.extend(_undeclared(below, item, f"{path}."))
    return sorted(set(out))
