"""JSON text for the JSON-based formats: the outer levels indented, everything deeper on one line.

``json.dumps(indent=...)`` falls back to the pure-Python encoder, several times slower than the C one on
big reports. Indenting only the outer ``levels`` keeps the document readable (one finding, result or
event per line, easy to grep and diff) while every row is encoded by the C encoder.
"""

from __future__ import annotations

import json
from typing import Any


def dumps(value: Any, levels: int, indent: int = 2) -> str:
    """``value`` as JSON text ending in a newline; containers nested less than ``levels`` deep are indented."""
    return _encode(value, levels, indent, 0) + "\n"


def _encode(value: Any, levels: int, indent: int, depth: int) -> str:
    if depth >= levels or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value)
    inner = "\n" + " " * (indent * (depth + 1))
    outer = "\n" + " " * (indent * depth)
    if isinstance(value, dict):
        items = [f"{json.dumps(str(k))}: {_encode(v, levels, indent, depth + 1)}" for k, v in value.items()]
        return "{" + inner + ("," + inner).join(items) + outer + "}"
    items = [_encode(v, levels, indent, depth + 1) for v in value]
    return "[" + inner + ("," + inner).join(items) + outer + "]"
