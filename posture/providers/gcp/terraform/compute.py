"""GCP compute instances and disks of a Terraform plan."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.gcp.terraform.common import _LINK_ATTRS, SUBNET_TYPES, Out, _kms, _res
from posture.providers.kit.builders import (
    blocks,
    customer_key,
    edge,
    listed,
    mapping,
    provider_default,
    str_list,
    tags_of,
    unknown_encryption,
)
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


# -- compute and disks ---------------------------------------------------------------------------------------
def _disk_key_encryption(index: PlanIndex, raw: RawResource, values: Any, prefix: str) -> tuple[dict, str | None]:
    """Encryption of a disk-like block with optional ``kms_key_self_link`` / customer-supplied key."""
    if values is UNKNOWN:
        return unknown_encryption(), None
    link = values.get("kms_key_self_link")
    if link not in (None, ""):
        key_id, key = _kms(index, raw, f"{prefix}kms_key_self_link")
        return customer_key(key_id), key
    raw_key = bool(raw.is_configured(f"{prefix}raw_key") or raw.is_configured(f"{prefix}disk_encryption_key_raw"))
    if (
        values.get("disk_encryption_key_sha256") not in (None, "", UNKNOWN)
        or values.get("sha256") not in (None, "", UNKNOWN)
        or raw_key
    ):
        # a customer-supplied key (the key itself is sensitive, never read); a raw one sits in the code and state
        return {**customer_key(None), "key_in_code": raw_key}, None
    return provider_default("google_compute_disk"), None


def _instance(raw: RawResource, index: PlanIndex) -> Out:
    nics = blocks(raw.values, "network_interface")
    public_ips: Any = []
    private_ips: list[Any] = []
    subnet = None
    subnets: list[str] = []
    for i, nic in enumerate(nics if isinstance(nics, list) else []):
        configs = blocks(nic, "access_config")
        if configs is UNKNOWN:
            public_ips.append(UNKNOWN)
        for ac in configs if isinstance(configs, list) else []:
            ip = ac.get("nat_ip")
            public_ips.append(ip if isinstance(ip, str) and ip else UNKNOWN)
        if nic.get("network_ip") not in (None, ""):
            private_ips.append(nic.get("network_ip"))
        found = index.targets(raw, f"network_interface.{i}.subnetwork", SUBNET_TYPES, _LINK_ATTRS)
        subnets += found
        if subnet is None:
            subnet = found[0] if found else nic.get("subnetwork")
    if nics is UNKNOWN:
        public_ips = UNKNOWN
    tags = str_list(raw.get("tags"))
    sas = [sa.get("email") for sa in listed(blocks(raw.values, "service_account")) if isinstance(sa, dict)]
    attrs = {
        "public_ips": public_ips,
        "private_ips": private_ips,
        "network_tags": tags,
        "service_accounts": [s for s in sas if s not in (None, "")],
        "subnet": subnet,
        "image": mapping(block(mapping(block(raw, "boot_disk")), "initialize_params")).get("image"),
        "imds_v2_required": None,
        "role": None,
        "shielded_vm": tri(mapping(block(raw, "shielded_instance_config")).get("enable_secure_boot"), False),
    }
    out: Out = [_res(raw, index, Kind.COMPUTE, attrs, tags=tags_of(raw.values, "labels"))]
    out += [edge(s, raw.address, EdgeKind.CONTAINS) for s in dict.fromkeys(subnets)]
    disks = [("boot_disk", block(raw, "boot_disk"), "boot_disk.0.")]
    attached = blocks(raw.values, "attached_disk")
    disks += [
        (f"attached_disk/{i}", d, f"attached_disk.{i}.")
        for i, d in enumerate(attached if isinstance(attached, list) else [])
    ]
    for label, values, prefix in disks:
        if values == {}:
            continue
        source = index.targets(raw, f"{prefix}source", ("google_compute_disk",), _LINK_ATTRS)
        if source:  # the disk resource describes its own encryption
            out += [edge(source[0], raw.address, EdgeKind.ATTACHED_TO)]
            continue
        rid = f"{raw.address}/{label}"
        enc, key = _disk_key_encryption(index, raw, values, prefix)
        out.append(
            _res(
                raw,
                index,
                Kind.DATASTORE,
                {"store_type": "disk", "encryption": enc, "public": False},
                rid=rid,
                name=f"{raw.get('name')} {label}",
                tags={},
            )
        )
        out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
        if key:
            out.append(edge(rid, key, EdgeKind.ENCRYPTED_BY))
    return out


def _disk(raw: RawResource, index: PlanIndex) -> Out:
    dek = block(raw, "disk_encryption_key")
    if dek is UNKNOWN and raw.is_configured("disk_encryption_key") is False:
        dek = {}
    enc, key = _disk_key_encryption(index, raw, dek, "disk_encryption_key.0.")
    out: Out = [_res(raw, index, Kind.DATASTORE, {"store_type": "disk", "encryption": enc, "public": False})]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out
