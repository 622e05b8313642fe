"""AWS compute and volumes of a Terraform plan: instances, launch templates, EBS volumes and defaults."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.terraform.common import (
    KEY_TYPES,
    SUBNET_TYPES,
    Out,
    _enc_edge,
    _kms_encryption,
    _protected_by,
    _res,
)
from posture.providers.aws.terraform.network import _default_vpc
from posture.providers.kit.builders import (
    blocks,
    customer_key,
    edge,
    encryption,
    listed,
    provider_default,
    provider_key,
    tags_of,
    unknown_encryption,
)
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


# -- compute and volumes -------------------------------------------------------------------------------------
def _account_ebs_default(index: PlanIndex) -> tuple[Any, Any]:
    """(enabled, key address or id) from aws_ebs_encryption_by_default / aws_ebs_default_kms_key in the plan."""
    settings = index.by_type.get("aws_ebs_encryption_by_default", [])
    if not settings:
        return None, None
    enabled = settings[0].get("enabled", True)
    key = None
    for k in index.by_type.get("aws_ebs_default_kms_key", []):
        key = index.target(k, "key_arn", KEY_TYPES, ("arn",)) or k.get("key_arn")
    return enabled, key


def _volume_encryption(
    index: PlanIndex,
    raw: RawResource,
    values: dict[str, Any],
    prefix: str,
) -> tuple[dict[str, Any], str | None]:
    enc = values.get("encrypted")
    enc = tri(enc) if isinstance(enc, str) else enc  # launch templates spell it "true"/"false"
    path = f"{prefix}kms_key_id"
    if enc is True:
        return _kms_encryption(index, raw, path)
    default_on, default_key = _account_ebs_default(index)
    if default_on is True:
        if isinstance(default_key, str) and default_key in index.by_address:
            return customer_key(default_key), default_key
        return (customer_key(default_key) if default_key else provider_key()), None
    if enc is False:
        return encryption(False, basis="explicit"), None
    snapshot = values.get("snapshot_id")  # computed (UNKNOWN) in plans even when not configured
    from_snapshot = (isinstance(snapshot, str) and snapshot != "") or (
        snapshot is UNKNOWN and raw.is_configured(f"{prefix}snapshot_id") is not False
    )
    if (enc is UNKNOWN or enc is None) and (
        prefix.startswith(("root_block_device", "block_device_mappings"))
        or from_snapshot
        or (enc is UNKNOWN and raw.is_configured(path.replace("kms_key_id", "encrypted")) is not False)
    ):
        # A root volume inherits the AMI snapshot's encryption, a volume made from a snapshot the
        # snapshot's, and a launch template mapping may be the root: not decidable from the code.
        return unknown_encryption(), None
    return provider_default("aws_ebs_volume"), None


def _block_volume(raw: RawResource, index: PlanIndex, rid: str, values: dict[str, Any], prefix: str, name: str) -> Out:
    enc, key = _volume_encryption(index, raw, values, prefix)
    attrs = {"store_type": "block_volume", "encryption": enc, "public": False, "attached_to": raw.address}
    return [
        _res(raw, index, Kind.DATASTORE, attrs, rid=rid, name=name, tags={}),
        *_enc_edge(rid, key),
        edge(rid, raw.address, EdgeKind.ATTACHED_TO),
    ]


def _role(tags: dict[str, str]) -> str | None:
    for k in ("role", "Role", "posture:role"):
        if tags.get(k, "").lower() in ("internal", "public"):
            return tags[k].lower()
    return None


def _instance(raw: RawResource, index: PlanIndex) -> Out:
    subnet_addr = index.target(raw, "subnet_id", SUBNET_TYPES)
    assoc = raw.get("associate_public_ip_address")
    public_ip = raw.get("public_ip")
    eips = index.referrers(raw.address, ("aws_eip",), "instance") + [
        e
        for a in index.referrers(raw.address, ("aws_eip_association",), "instance_id")
        for e in [index.by_address.get(t) for t in index.targets(a, "allocation_id", ("aws_eip",))]
        if e
    ]
    if isinstance(public_ip, str) and public_ip:
        public_ips: Any = [public_ip]
    elif assoc is True:
        public_ips = [UNKNOWN]
    elif assoc is False:
        public_ips = []
    else:
        subnet = index.by_address.get(subnet_addr) if subnet_addr else None
        mapped = subnet.get("map_public_ip_on_launch") if subnet else UNKNOWN
        public_ips = [UNKNOWN] if mapped is True else ([] if mapped is False else UNKNOWN)
    for e in eips:
        ip = e.get("public_ip")
        if public_ips is UNKNOWN:
            public_ips = []
        public_ips.append(ip if isinstance(ip, str) and ip else UNKNOWN)
    tokens = block(raw, "metadata_options")
    http_tokens = tokens.get("http_tokens") if isinstance(tokens, dict) else UNKNOWN
    tags = tags_of(raw.values)
    sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_security_group_ids", "security_groups")
    attrs = {
        "public_ips": public_ips,
        "private_ips": [raw.get("private_ip")] if raw.get("private_ip") not in (None, "") else [],
        "network_tags": [],
        "service_accounts": [],
        "subnet": subnet_addr or raw.get("subnet_id"),
        "image": raw.get("ami"),
        "imds_v2_required": UNKNOWN if http_tokens is UNKNOWN else http_tokens == "required",
        "role": _role(tags),
        "firewalls": sgs,
    }
    out: Out = [_res(raw, index, Kind.COMPUTE, attrs), *sg_edges]
    if subnet_addr:
        out.append(edge(subnet_addr, raw.address, EdgeKind.CONTAINS))
    elif raw.is_configured("subnet_id") is False and raw.is_configured("network_interface") is False:
        # no subnet and no interface: EC2 launches into a default subnet of the region's default VPC
        default_vpc = _default_vpc(index, raw)
        if default_vpc:
            out.append(edge(default_vpc, raw.address, EdgeKind.CONTAINS))
    root = block(raw, "root_block_device")
    if isinstance(root, dict):
        out += _block_volume(
            raw, index, f"{raw.address}/root_block_device", root, "root_block_device.0.", f"{raw.name} root volume"
        )
    elif root is UNKNOWN:
        out += _block_volume(
            raw,
            index,
            f"{raw.address}/root_block_device",
            {"encrypted": UNKNOWN},
            "root_block_device.0.",
            f"{raw.name} root volume",
        )
    ebs = blocks(raw.values, "ebs_block_device")
    for i, dev in enumerate(ebs if isinstance(ebs, list) else []):
        name = dev.get("device_name") if isinstance(dev.get("device_name"), str) else str(i)
        out += _block_volume(
            raw, index, f"{raw.address}/ebs_block_device/{name}", dev, f"ebs_block_device.{i}.", f"{raw.name} {name}"
        )
    return out


def _launch_volumes(raw: RawResource, index: PlanIndex) -> Out:
    """Volumes a launch configuration / template gives every instance it launches (one datastore each)."""
    out: Out = []
    if raw.type == "aws_launch_template":
        for i, m in enumerate(listed(blocks(raw.values, "block_device_mappings"))):
            ebs = block(m, "ebs")
            if not isinstance(ebs, dict) or not ebs:
                continue  # an instance-store or unknown mapping
            name = m.get("device_name") if isinstance(m.get("device_name"), str) else str(i)
            prefix = f"block_device_mappings.{i}.ebs.0."
            out += _template_volume(raw, index, f"{raw.address}/block_device/{name}", ebs, prefix, name)
        return out
    root = block(raw, "root_block_device")
    if isinstance(root, dict) and root:
        out += _template_volume(raw, index, f"{raw.address}/root_block_device", root, "root_block_device.0.", "root")
    for i, dev in enumerate(listed(blocks(raw.values, "ebs_block_device"))):
        name = dev.get("device_name") if isinstance(dev.get("device_name"), str) else str(i)
        rid = f"{raw.address}/ebs_block_device/{name}"
        out += _template_volume(raw, index, rid, dev, f"ebs_block_device.{i}.", name)
    return out


def _template_volume(raw: RawResource, index: PlanIndex, rid: str, values: dict[str, Any], prefix: str,
                     name: str) -> Out:
    enc, key = _volume_encryption(index, raw, values, prefix)
    attrs = {"store_type": "block_volume", "encryption": enc, "public": False, "template": raw.address}
    return [_res(raw, index, Kind.DATASTORE, attrs, rid=rid, name=f"{raw.name} {name}", tags={}),
            *_enc_edge(rid, key)]


def _ebs_volume(raw: RawResource, index: PlanIndex) -> Out:
    enc, key = _volume_encryption(index, raw, raw.values, "")
    attrs = {"store_type": "block_volume", "encryption": enc, "public": False, "zone": raw.get("availability_zone")}
    out: Out = [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]
    for att in index.referrers(raw.address, ("aws_volume_attachment",), "volume_id"):
        out += [
            edge(raw.address, i, EdgeKind.ATTACHED_TO) for i in index.targets(att, "instance_id", ("aws_instance",))
        ]
    return out


def _ebs_default(raw: RawResource, index: PlanIndex) -> Out:
    enabled = raw.get("enabled", True)
    return [
        _res(raw, index, Kind.ACCOUNT, {"ebs_default_encryption": tri(enabled, True)}, name="ebs-default-encryption")
    ]


def _s3_account_pab(raw: RawResource, index: PlanIndex) -> Out:
    pab = {
        k: tri(raw.get(k), False)
        for k in ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
    }
    return [_res(raw, index, Kind.ACCOUNT, {"s3_public_access_block": pab}, name="s3-public-access-block")]
