"""Output formats (sinks). Each renders a :class:`~posture.result.ScanResult` to text.

Every module in this package that defines ``FORMAT = "name"`` and
``render(result, options) -> str`` is a format; plugins use the ``posture.sinks``
entry-point group with such a callable. Keep heavy imports inside ``render``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from typing import Any

from posture.gcpause import gc_paused
from posture.registry import Registry
from posture.result import ScanResult

Renderer = Callable[[ScanResult, Mapping[str, Any]], str]


def _sinks() -> Registry[Renderer]:
    registry: Registry[Renderer] = Registry("sinks")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        name = getattr(module, "FORMAT", None)
        if name:
            registry.register(name, module.render, origin=module.__name__)
    registry.load_entry_points()
    return registry


_REGISTRY: list[Registry[Renderer]] = []


def sinks() -> Registry[Renderer]:
    """The format registry, built on first use."""
    if not _REGISTRY:
        _REGISTRY.append(_sinks())
    return _REGISTRY[0]


def formats() -> list[str]:
    """Names of every available output format."""
    return list(sinks())


def render(result: ScanResult, fmt: str, options: Mapping[str, Any] | None = None) -> str:
    """Render ``result`` in format ``fmt``.

    With the option ``frameworks`` (``--framework``), the table, markdown, html, json and csv formats
    show the per-requirement compliance view of those frameworks instead (see :mod:`posture.compliance`).
    """
    frameworks = (options or {}).get("frameworks")
    if frameworks:
        from posture.report.compliance_view import VIEW_FORMATS, render_views

        if fmt in VIEW_FORMATS:
            from posture.compliance import compliance_view

            doc = result.to_dict()
            return render_views([compliance_view(doc, name) for name in frameworks], fmt)
    renderer = sinks().get(fmt)
    with gc_paused():  # reports build many small acyclic containers (see posture.gcpause)
        return renderer(result, options or {})
