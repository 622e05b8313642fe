"""GCP Terraform normalising helpers: native type groups, self-link references, key references."""

from __future__ import annotations

import re
from typing import Any

from posture.model import Edge, Kind, Resource
from posture.providers.kit.builders import tags_of
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import resource

Out = list[Resource | Edge]

NETWORK_TYPES = ("google_compute_network",)
SUBNET_TYPES = ("google_compute_subnetwork",)
KEY_TYPES = ("google_kms_crypto_key",)
INSTANCE_TYPES = ("google_compute_instance",)
CERT_TYPES = ("google_compute_managed_ssl_certificate", "google_compute_ssl_certificate")
_LINK_ATTRS = ("id", "self_link", "name")


def _region(raw: RawResource, index: PlanIndex) -> str:
    for key in ("region", "location"):
        v = raw.get(key)
        if isinstance(v, str) and v:
            return v.lower()
    zone = raw.get("zone")
    if isinstance(zone, str) and re.match(r"^[a-z]+-[a-z]+\d+-[a-z]$", zone):
        return zone.rsplit("-", 1)[0]
    return index.provider_setting(raw, "region")


def _res(raw: RawResource, index: PlanIndex, kind: Kind, attrs: dict[str, Any], **kw: Any) -> Resource:
    project = raw.get("project")
    account = project if isinstance(project, str) else index.provider_setting(raw, "project")
    name = kw.pop("name", None)
    if name is None:
        name = raw.get("name")
    tags = kw.pop("tags", None)
    if tags is None:
        tags = tags_of(raw.values, "labels")
    return resource(raw, index, kind, attrs, name=name, account=account, region=_region(raw, index), tags=tags, **kw)


def _one(index: PlanIndex, raw: RawResource, path: str, types: tuple[str, ...]) -> Any:
    found = index.targets(raw, path, types, _LINK_ATTRS)
    if len(found) == 1:
        return found[0]
    v = raw.get(path)
    return v if v != "" else None


def _kms(index: PlanIndex, raw: RawResource, path: str) -> tuple[Any, str | None]:
    found = index.targets(raw, path, KEY_TYPES, ("id",))
    if len(found) == 1:
        return found[0], found[0]
    return raw.get(path), None
