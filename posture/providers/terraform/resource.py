"""Building a model resource from a planned resource: where plan values become a ``Resource``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from posture.model import UNKNOWN, Kind, Resource
from posture.providers.kit.builders import tags_of
from posture.providers.terraform.plan import location_for
from posture.providers.terraform.plan_index import PlanIndex, RawResource


def block(raw_or_values: RawResource | Mapping[str, Any] | Any, name: str) -> Any:
    """The first element of a nested block (plan JSON renders blocks as lists); {} when absent.

    UNKNOWN when the block itself is unknown at plan time.
    """
    values = raw_or_values.values if isinstance(raw_or_values, RawResource) else raw_or_values
    if values is UNKNOWN:
        return UNKNOWN
    if not isinstance(values, Mapping):
        return {}
    value = values.get(name)
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, list):
        return value[0] if value else {}
    return value if isinstance(value, Mapping) else {}


def resource(
    raw: RawResource,
    index: PlanIndex,
    kind: Kind | str,
    attrs: Mapping[str, Any],
    *,
    name: Any = None,
    region: str | None = None,
    account: str | None = None,
    tags: Mapping[str, str] | None = None,
    rid: str | None = None,
    native_type: str | None = None,
) -> Resource:
    """Build a plan resource with the common fields (id = address, source, location) filled in."""
    return Resource(
        id=rid or raw.address,
        kind=kind,
        native_type=native_type or raw.type,
        provider=raw.provider,
        name=name if isinstance(name, str) and name else raw.name,
        account=account or "",
        region=region or "",
        tags=tags if tags is not None else tags_of(raw.values),
        attrs=attrs,
        source=f"terraform-plan:{index.origin}",
        location=location_for(index),
    )
