"""AWS Terraform normalising helpers: native type groups, references, regions and key references."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.kit.builders import customer_key, edge, encryption, parse_arn, provider_key, str_list, tags_of
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import resource

Out = list[Resource | Edge]

SG_TYPES = ("aws_security_group", "aws_default_security_group")
VPC_TYPES = ("aws_vpc", "aws_default_vpc")
SUBNET_TYPES = ("aws_subnet", "aws_default_subnet")
KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key")
LB_TYPES = ("aws_lb", "aws_alb")
NACL_TYPES = ("aws_network_acl", "aws_default_network_acl")
CERT_TYPES = ("aws_acm_certificate",)

def _region(raw: RawResource, index: PlanIndex, arn_attr: str = "arn") -> tuple[str, str]:
    account, region = parse_arn(raw.get(arn_attr))
    own = raw.get("region")
    if isinstance(own, str) and own:
        region = own
    return account, region or index.provider_setting(raw, "region")


def _res(raw: RawResource, index: PlanIndex, kind: Kind, attrs: dict[str, Any], **kw: Any) -> Resource:
    account, region = _region(raw, index)
    name = kw.pop("name", None)
    if name is None:
        name = tags_of(raw.values).get("Name") or raw.get("name")
    return resource(raw, index, kind, attrs, name=name, account=account, region=region, **kw)


def _first_str(*values: Any) -> Any:
    """The first non-empty string among ``values``; else the last value (which may be UNKNOWN)."""
    for v in values:
        if isinstance(v, str) and v:
            return v
    return values[-1] if values else None


def _unset_default(raw: RawResource, path: str, default: Any) -> Any:
    """The value at ``path``; a computed (UNKNOWN) value the configuration does not set -> the API default."""
    value = raw.get(path)
    if value is UNKNOWN and raw.is_configured(path) is False:
        return default
    return value


def _ref(index: PlanIndex, raw: RawResource, path: str, types: Iterable[str]) -> Any:
    """Address of the referenced plan resource, else the literal (external) id, UNKNOWN or None."""
    return index.ref_or_value(raw, path, tuple(types))


def _in_plan(index: PlanIndex, raw: RawResource, path: str, types: Iterable[str]) -> list[str]:
    return index.targets(raw, path, tuple(types))


# -- key references ------------------------------------------------------------------------------------------
def _kms(index: PlanIndex, raw: RawResource, path: str) -> tuple[Any, str | None]:
    """(key id for attrs, key address for an encrypted_by edge) for a KMS key attribute."""
    targets = index.targets(raw, path, KEY_TYPES, ("arn", "id", "key_id"))
    if len(targets) == 1:
        return targets[0], targets[0]
    value = raw.get(path)
    return (value if value != "" else None), None


def _aws_managed_alias(value: Any) -> bool:
    return isinstance(value, str) and ("alias/aws/" in value)


def _kms_encryption(index: PlanIndex, raw: RawResource, path: str) -> tuple[dict[str, Any], str | None]:
    """Encryption explicitly on, with the key at ``path``: customer key if set, else the AWS managed key."""
    key_id, addr = _kms(index, raw, path)
    if addr is not None:
        return customer_key(key_id), addr
    if key_id is UNKNOWN:
        # Unknown at plan time: if the configuration sets it, it is some customer key; otherwise the
        # provider computes the AWS managed key.
        if raw.is_configured(path):
            return customer_key(UNKNOWN), None
        if raw.is_configured(path) is False:
            return provider_key(), None
        return encryption(True, algorithm="AES-256", key_id=UNKNOWN, key_manager=UNKNOWN, basis="explicit"), None
    if key_id is None or _aws_managed_alias(key_id):
        return provider_key(key_id=key_id), None
    return customer_key(key_id), None


def _enc_edge(src: str, key_addr: str | None) -> list[Edge]:
    return [edge(src, key_addr, EdgeKind.ENCRYPTED_BY)] if key_addr else []


def _protected_by(index: PlanIndex, raw: RawResource, src: str, *paths: str) -> tuple[list[Any], list[Edge]]:
    """Security groups of ``raw`` (addresses or external ids) and protected_by edges to plan ones."""
    ids: list[Any] = []
    edges: list[Edge] = []
    for path in paths:
        targets = index.targets(raw, path, SG_TYPES, ("id", "name"))
        if targets:
            ids.extend(targets)
            edges.extend(edge(src, t, EdgeKind.PROTECTED_BY) for t in targets)
        else:
            value = str_list(raw.get(path))
            if value is UNKNOWN:
                if raw.is_configured(path) is not False:
                    ids.append(UNKNOWN)
            else:
                ids.extend(value)
    return ids, edges
