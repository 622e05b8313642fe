"""The one dispatch table from a Terraform native type to its normaliser, filled by each cloud.

Each cloud's ``<cloud>/terraform`` package calls :func:`register` when imported; :func:`tables` imports the
clouds by name, so the format layer (``plan.py``) never imports a cloud module that imports it back.

A *facet* is one aspect of a type read by its own table (network exposure, service logs...): a function
``(raw, index) -> attrs`` whose attributes are added to the resource the type's normaliser builds for
``raw.address``. Facets let each aspect live in its own module without a second normaliser per type.
*Parts* are the same for whole resources: a parts normaliser adds resources of their own (a service's
``<address>/https`` listener) to whatever the type's normaliser builds, or builds them alone when no table
normalises the type.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from posture.model import Resource
from posture.providers.kit.at_rest import with_parts

Normaliser = Callable[[Any, Any], Iterable[Any]]  # (RawResource, PlanIndex) -> Resource | Edge items
Facet = Callable[[Any, Any], Mapping[str, Any]]  # (RawResource, PlanIndex) -> attrs added to the type's resource

CLOUDS = ("posture.providers.aws.terraform", "posture.providers.azure.terraform", "posture.providers.gcp.terraform")

_NORMALISERS: dict[str, Normaliser] = {}
_JOINED: set[str] = set()
_FACETS: dict[str, list[Facet]] = {}
_PARTS: dict[str, list[Normaliser]] = {}


def register(normalisers: Mapping[str, Normaliser], joined: Iterable[str] = ()) -> None:
    """Add a cloud's normalisers (and the types it reads only through another resource) to the table."""
    taken = sorted(set(normalisers) & set(_NORMALISERS))
    if taken:
        raise ValueError(f"Terraform types registered twice: {', '.join(taken)}")
    _NORMALISERS.update(normalisers)
    _JOINED.update(joined)


def register_facets(facets: Mapping[str, Facet]) -> None:
    """Add one aspect's facet for each native type in ``facets`` (a type may carry several aspects)."""
    for native_type, facet in facets.items():
        _FACETS.setdefault(native_type, []).append(facet)


def register_parts(parts: Mapping[str, Normaliser]) -> None:
    """Add one aspect's parts normaliser for each native type in ``parts``."""
    for native_type, fn in parts.items():
        _PARTS.setdefault(native_type, []).append(fn)


def with_facets(base: Normaliser, facets: Iterable[Facet]) -> Normaliser:
    """``base`` with each facet's attributes added to the resource it builds for the raw resource's address.

    A facet attribute the base normaliser already sets is a programming error (two tables would own one fact).
    """
    facets = tuple(facets)

    def normalise(raw: Any, index: Any) -> list[Any]:
        items = list(base(raw, index))
        extra: dict[str, Any] = {}
        for facet in facets:
            extra.update(facet(raw, index))
        if not extra:
            return items
        for i, item in enumerate(items):
            if isinstance(item, Resource) and item.id == raw.address:
                clash = sorted(set(extra) & set(item.attrs))
                if clash:
                    raise ValueError(f"{raw.type}: facet attributes {clash} are already set by its normaliser")
                items[i] = dataclasses.replace(item, attrs={**item.attrs, **extra})
                break
        return items

    return normalise


def tables() -> tuple[dict[str, Normaliser], frozenset[str]]:
    """The dispatch table (facets applied) and the joined types, every cloud loaded."""
    for module in CLOUDS:
        importlib.import_module(module)
    orphans = sorted(set(_FACETS) - set(_NORMALISERS))
    if orphans:
        raise ValueError(f"Terraform types with facets but no normaliser: {', '.join(orphans)}")
    table = dict(_NORMALISERS)
    for native_type, parts in _PARTS.items():
        base = [table[native_type]] if native_type in table else []
        table[native_type] = with_parts(*base, *parts)
    for native_type, facets in _FACETS.items():
        table[native_type] = with_facets(table[native_type], facets)
    return table, frozenset(_JOINED)
