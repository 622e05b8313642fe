"""Helpers shared by the azurerm normalisers of this package (network, stores, web, data)."""

from __future__ import annotations

import re
from typing import Any

from posture.model import UNKNOWN, Kind, Resource
from posture.providers.kit.builders import blocks
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import resource


def subscription(value: Any) -> str:
    """The subscription id of a literal Azure resource id ("" when there is none)."""
    if isinstance(value, str):
        m = re.match(r"^/subscriptions/([^/]+)/", value, re.IGNORECASE)
        if m:
            return m.group(1)
    return ""


def res(raw: RawResource, index: PlanIndex, kind: Kind, attrs: dict[str, Any], **kw: Any) -> Resource:
    """A normalised resource with Azure's region (location) and account (subscription) filled in."""
    location = raw.get("location")
    region = location.replace(" ", "").lower() if isinstance(location, str) else ""
    account = subscription(raw.get("id")) or index.provider_setting(raw, "subscription_id")
    name = kw.pop("name", None)
    if name is None:
        name = raw.get("name")
    return resource(raw, index, kind, attrs, name=name, account=account, region=region, **kw)


def names(index: PlanIndex, raw: RawResource, path: str, types: tuple[str, ...]) -> list[str]:
    """Targets of an attribute that references by id, or by name (``*_name`` attributes)."""
    return index.targets(raw, path, types, ("id", "name"))


def one(index: PlanIndex, raw: RawResource, path: str, types: tuple[str, ...]) -> Any:
    """The single target address of ``path``, else its literal value (an external id) or None."""
    found = names(index, raw, path, types)
    if len(found) == 1:
        return found[0]
    value = raw.get(path)
    return value if value != "" else None


def diagnostic_logs(setting: RawResource) -> Any:
    """The log entries a diagnostic setting exports: its ``enabled_log`` blocks and the legacy ``log`` blocks
    not disabled; UNKNOWN when either list is unknown."""
    entries, legacy = blocks(setting.values, "enabled_log"), blocks(setting.values, "log")
    if UNKNOWN in (entries, legacy):
        return UNKNOWN
    return [*entries, *(e for e in legacy if e.get("enabled") is not False)]
