"""The one dispatch table from a Terraform native type to its normaliser, filled by each cloud.

Each cloud's ``<cloud>/terraform`` package calls :func:`register` when imported; :func:`tables` imports the
clouds by name, so the format layer (``plan.py``) never imports a cloud module that imports it back.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Normaliser = Callable[[Any, Any], Iterable[Any]]  # (RawResource, PlanIndex) -> Resource | Edge items

CLOUDS = ("posture.providers.aws.terraform", "posture.providers.azure.terraform", "posture.providers.gcp.terraform")

_NORMALISERS: dict[str, Normaliser] = {}
_JOINED: set[str] = set()


def register(normalisers: Mapping[str, Normaliser], joined: Iterable[str] = ()) -> None:
    """Add a cloud's normalisers (and the types it reads only through another resource) to the table."""
    taken = sorted(set(normalisers) & set(_NORMALISERS))
    if taken:
        raise ValueError(f"Terraform types registered twice: {', '.join(taken)}")
    _NORMALISERS.update(normalisers)
    _JOINED.update(joined)


def tables() -> tuple[dict[str, Normaliser], frozenset[str]]:
    """The dispatch table and the joined types, every cloud loaded."""
    for module in CLOUDS:
        importlib.import_module(module)
    return dict(_NORMALISERS), frozenset(_JOINED)
