"""Output formats (sinks). Each renders a :class:`~posture.result.ScanResult` to text.

Built-in formats register here; plugins use the ``posture.sinks`` entry-point group
with a callable ``render(result, options) -> str``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from posture.registry import Registry
from posture.result import ScanResult

Renderer = Callable[[ScanResult, Mapping[str, Any]], str]

SINKS: Registry[Renderer] = Registry("sinks")

_BUILTIN = {
    "json": "posture.report.json_report:render",
    "table": "posture.report.table:render",
}


def _lazy(target: str) -> Renderer:
    module, _, attr = target.partition(":")

    def render(result: ScanResult, options: Mapping[str, Any]) -> str:
        fn: Renderer = getattr(importlib.import_module(module), attr)
        return fn(result, options)

    return render


for _name, _target in _BUILTIN.items():
    SINKS.register(_name, _lazy(_target), origin=_target)


def formats() -> list[str]:
    """Names of every available output format."""
    SINKS.load_entry_points()
    return list(SINKS)


def render(result: ScanResult, fmt: str, options: Mapping[str, Any] | None = None) -> str:
    """Render ``result`` in format ``fmt``."""
    return SINKS.get(fmt)(result, options or {})
