"""Google Cloud resources of a Terraform plan -> normalised resources and edges (docs/model.md).

As in :mod:`.aws`, :data:`NORMALISERS` maps native types to pure functions and :data:`JOINED` lists the
types folded into others. Every VPC network also yields a firewall holding GCP's implied rules (deny all
ingress, allow all egress, priority 65535) so evaluation never needs to know the provider.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.kit.builders import (
    ALL_PORTS,
    blocks,
    customer_key,
    default_tls_policy,
    edge,
    gcp_ssl_policy,
    key_spec,
    listed,
    mapping,
    merge_port_specs,
    provider_default,
    public_read,
    rule,
    str_list,
    tags_of,
    unknown_encryption,
)
from posture.providers.kit.values import as_int, duration_days, json_document, tri, unless
from posture.providers.terraform.plan import PlanIndex, RawResource
from posture.providers.terraform.resource import block, resource

Out = list[Resource | Edge]

NETWORK_TYPES = ("google_compute_network",)
SUBNET_TYPES = ("google_compute_subnetwork",)
KEY_TYPES = ("google_kms_crypto_key",)
INSTANCE_TYPES = ("google_compute_instance",)
CERT_TYPES = ("google_compute_managed_ssl_certificate", "google_compute_ssl_certificate")
_LINK_ATTRS = ("id", "self_link", "name")
DEFAULT_FIREWALL_PRIORITY = 1000


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


# -- network -------------------------------------------------------------------------------------------------
def _network(raw: RawResource, index: PlanIndex) -> Out:
    auto = raw.get("auto_create_subnetworks")
    auto = True if auto is UNKNOWN and raw.is_configured("auto_create_subnetworks") is False else tri(auto, True)
    attrs = {
        "cidrs": [],
        "is_default": raw.get("name") == "default",
        "flow_logs": None,
        "auto_create_subnetworks": auto,
    }
    rid = f"{raw.address}/implied-firewall"
    implied = {
        "layer": "instance",
        "stateful": True,
        "is_default": True,
        "network": raw.address,
        "rules": [
            rule(
                "ingress",
                "deny",
                "all",
                ALL_PORTS,
                ["0.0.0.0/0", "::/0"],
                priority=65535,
                description="implied deny ingress",
                implied=True,
            ),
            rule(
                "egress",
                "allow",
                "all",
                ALL_PORTS,
                ["0.0.0.0/0", "::/0"],
                priority=65535,
                description="implied allow egress",
                implied=True,
            ),
        ],
        "targets": {"all": True, "tags": [], "service_accounts": []},
    }
    out: Out = [
        _res(raw, index, Kind.NETWORK, attrs),
        _res(
            raw,
            index,
            Kind.FIREWALL,
            implied,
            rid=rid,
            name=f"{raw.get('name')} implied rules" if isinstance(raw.get("name"), str) else rid,
            native_type="google_compute_network.implied_rules",
            tags={},
        ),
    ]
    return out


# Subnetworks reserved for Google-managed proxies and services cannot record flow logs.
_NO_FLOW_LOG_PURPOSES = frozenset(
    {"REGIONAL_MANAGED_PROXY", "GLOBAL_MANAGED_PROXY", "INTERNAL_HTTPS_LOAD_BALANCER", "PRIVATE_SERVICE_CONNECT",
     "PRIVATE_NAT"}
)


def _subnet_flow_logs(raw: RawResource) -> Any:
    """True when a ``log_config`` block is present (an empty block enables logging with the defaults).

    None for proxy-only and other managed subnetworks, where flow logs do not exist.
    """
    purpose = raw.get("purpose")
    if purpose is UNKNOWN and raw.is_configured("purpose") is not False:
        return UNKNOWN
    if isinstance(purpose, str) and purpose.upper() in _NO_FLOW_LOG_PURPOSES:
        return None
    configs = blocks(raw.values, "log_config")
    if configs is UNKNOWN:
        return UNKNOWN
    if configs:
        return True
    legacy = raw.get("enable_flow_logs")  # google provider < 4.0
    return UNKNOWN if legacy is UNKNOWN and raw.is_configured("enable_flow_logs") is not False else legacy is True


def _subnetwork(raw: RawResource, index: PlanIndex) -> Out:
    nets = index.targets(raw, "network", NETWORK_TYPES, _LINK_ATTRS)
    cidrs = str_list(raw.get("ip_cidr_range"))
    secondary = blocks(raw.values, "secondary_ip_range")
    if isinstance(secondary, list) and cidrs is not UNKNOWN:
        cidrs += [s.get("ip_cidr_range") for s in secondary if s.get("ip_cidr_range")]
    attrs = {
        "cidrs": cidrs,
        "network": nets[0] if len(nets) == 1 else raw.get("network"),
        "map_public_ip": False,
        "zone": None,
        "flow_logs": _subnet_flow_logs(raw),
        "private_access": tri(raw.get("private_ip_google_access"), False),
    }
    return [_res(raw, index, Kind.SUBNET, attrs), *[edge(n, raw.address, EdgeKind.CONTAINS) for n in nets[:1]]]


# GCP accepts IANA protocol numbers as well as names.
_IP_PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "ipv6-icmp": "icmpv6"}


def _fw_rules(raw: RawResource, kind: str, action: str, direction: Any, peers: Any, priority: Any) -> list[Any]:
    items = blocks(raw.values, kind)
    if items is UNKNOWN:
        return [UNKNOWN]
    out = []
    for b in items:
        proto_raw = b.get("protocol")
        proto = UNKNOWN if proto_raw is UNKNOWN else str(proto_raw).lower()
        proto = _IP_PROTOCOLS.get(proto, proto)
        ports_raw = b.get("ports")
        if proto == "all":
            ports: Any = ALL_PORTS
        elif proto in ("icmp", "icmpv6"):
            ports = []
        elif ports_raw is UNKNOWN:
            ports = UNKNOWN
        elif not ports_raw:
            ports = ALL_PORTS
        else:
            ports = merge_port_specs(ports_raw)
        out.append(rule(direction, action, proto, ports, peers, priority=priority, description=raw.get("description")))
    return out


def _on_default_network(index: PlanIndex, network: Any) -> Any:
    """Whether a firewall rule belongs to the project's ``default`` network (by name, link or resource)."""
    if network is UNKNOWN:
        return UNKNOWN
    if isinstance(network, str) and network in index.by_address:
        network = index.by_address[network].get("name")
    if not isinstance(network, str):
        return UNKNOWN if network is UNKNOWN else False
    return network == "default" or network.rstrip("/").endswith("/networks/default")


def _firewall(raw: RawResource, index: PlanIndex) -> Out:
    d = raw.get("direction")
    if d is UNKNOWN and raw.is_configured("direction") is False:
        d = "INGRESS"
    direction = UNKNOWN if d is UNKNOWN else ("egress" if str(d or "INGRESS").upper() == "EGRESS" else "ingress")
    priority = as_int(raw.get("priority"))
    if priority is None or (priority is UNKNOWN and raw.is_configured("priority") is False):
        priority = DEFAULT_FIREWALL_PRIORITY
    if direction == "ingress":
        ranges = str_list(raw.get("source_ranges"))
        tags = str_list(raw.get("source_tags"))
        sas = str_list(raw.get("source_service_accounts"))
        configured = [raw.is_configured(k) for k in ("source_ranges", "source_tags", "source_service_accounts")]
    else:
        ranges = str_list(raw.get("destination_ranges"))
        tags, sas = [], []
        configured = [raw.is_configured("destination_ranges")]
    if (
        ranges is UNKNOWN
        and raw.is_configured("source_ranges" if direction == "ingress" else "destination_ranges") is False
    ):
        ranges = []
    peers: Any
    if UNKNOWN in (ranges, tags, sas) or direction is UNKNOWN:
        peers = [UNKNOWN]
    else:
        peers = list(ranges) + [f"tag:{t}" for t in tags] + [f"sa:{s}" for s in sas]
        if not peers and not any(c is True for c in configured):
            peers = ["0.0.0.0/0"]  # GCP: no source (ingress) / destination (egress) means 0.0.0.0/0
    rules = _fw_rules(raw, "allow", "allow", direction, peers, priority)
    rules += _fw_rules(raw, "deny", "deny", direction, peers, priority)
    target_tags = str_list(raw.get("target_tags"))
    target_sas = str_list(raw.get("target_service_accounts"))
    if target_tags is UNKNOWN and raw.is_configured("target_tags") is False:
        target_tags = []
    if target_sas is UNKNOWN and raw.is_configured("target_service_accounts") is False:
        target_sas = []
    targets = {
        "all": UNKNOWN if UNKNOWN in (target_tags, target_sas) else not (target_tags or target_sas),
        "tags": target_tags,
        "service_accounts": target_sas,
    }
    disabled = tri(raw.get("disabled"), False)
    network = _one(index, raw, "network", NETWORK_TYPES)
    attrs = {
        "layer": "instance",
        "stateful": True,
        "is_default": _on_default_network(index, network),
        "network": network,
        "rules": [] if disabled is True else rules,
        "disabled": disabled,
        "targets": targets,
    }
    if disabled is True:
        attrs["disabled_rules"] = rules
    out: Out = [_res(raw, index, Kind.FIREWALL, attrs)]
    # Instances of the plan that this rule applies to: same network, and target tags / accounts match.
    if isinstance(network, str) and network in index.by_address:
        for inst in index.by_type.get("google_compute_instance", []):
            nets = [
                n
                for i in range(len(listed(blocks(inst.values, "network_interface"))))
                for n in index.targets(inst, f"network_interface.{i}.network", NETWORK_TYPES, _LINK_ATTRS)
            ]
            nets += [
                n
                for i in range(len(listed(blocks(inst.values, "network_interface"))))
                for s in index.targets(inst, f"network_interface.{i}.subnetwork", SUBNET_TYPES, _LINK_ATTRS)
                for n in index.targets(index.by_address[s], "network", NETWORK_TYPES, _LINK_ATTRS)
            ]
            if network not in nets:
                continue
            inst_tags = str_list(inst.get("tags"))
            inst_sas = [sa.get("email") for sa in listed(blocks(inst.values, "service_account"))]
            if (
                targets["all"] is True
                or (isinstance(target_tags, list) and isinstance(inst_tags, list) and set(target_tags) & set(inst_tags))
                or (isinstance(target_sas, list) and set(target_sas) & set(s for s in inst_sas if isinstance(s, str)))
            ):
                out.append(edge(inst.address, raw.address, EdgeKind.PROTECTED_BY))
    return out


# -- compute and disks ---------------------------------------------------------------------------------------
def _disk_key_encryption(index: PlanIndex, raw: RawResource, values: Any, prefix: str) -> tuple[dict, str | None]:
    """Encryption of a disk-like block with optional ``kms_key_self_link`` / customer-supplied key."""
    if values is UNKNOWN:
        return unknown_encryption(), None
    link = values.get("kms_key_self_link")
    if link not in (None, ""):
        key_id, key = _kms(index, raw, f"{prefix}kms_key_self_link")
        return customer_key(key_id), key
    if (
        values.get("disk_encryption_key_sha256") not in (None, "", UNKNOWN)
        or values.get("sha256") not in (None, "", UNKNOWN)
        or raw.is_configured(f"{prefix}raw_key")
        or raw.is_configured(f"{prefix}disk_encryption_key_raw")
    ):
        return customer_key(None), None  # customer-supplied key (the key itself is sensitive, never read)
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


# -- storage and databases -----------------------------------------------------------------------------------
_PUBLIC_MEMBERS = frozenset({"allusers", "allauthenticatedusers"})
# Predefined roles that read or list objects (storage.objects.get / storage.objects.list). Others (objectCreator,
# bucket metadata roles...) do not expose data; custom roles are not resolved, so they stay undecided.
_READ_ROLES = frozenset(
    f"roles/{r}"
    for r in (
        "storage.objectViewer", "storage.objectUser", "storage.objectAdmin", "storage.admin",
        "storage.legacyObjectReader", "storage.legacyObjectOwner", "storage.legacyBucketReader",
        "storage.legacyBucketWriter", "storage.legacyBucketOwner",
    )
)
_PUBLIC_ACLS = frozenset({"publicread", "publicreadwrite"})
_IAM_TYPES = (
    "google_storage_bucket_iam_binding", "google_storage_bucket_iam_member", "google_storage_bucket_iam_policy",
)
_ACL_TYPES = ("google_storage_bucket_acl", "google_storage_default_object_acl", "google_storage_object_acl")


_SINK_TYPES = (
    "google_logging_project_sink", "google_logging_folder_sink", "google_logging_organization_sink",
    "google_logging_billing_account_sink",
)
_SINK_STORAGE_PREFIX = "storage.googleapis.com/"


def _bucket_log_role(raw: RawResource, index: PlanIndex) -> str | None:
    """``access_logs`` for the target of another bucket's ``logging.log_bucket`` (a log bucket: exempt),
    ``audit_trail`` for the destination of a log sink (by reference or literal ``storage.googleapis.com/<name>``)."""
    writers = index.referrers(raw.address, ("google_storage_bucket",), "logging.0.log_bucket", ("name", "id"))
    if any(w.address != raw.address for w in writers):
        return "access_logs"
    name = raw.get("name")
    for sink in (s for t in _SINK_TYPES for s in index.by_type.get(t, ())):
        destination = sink.get("destination")
        if raw.address in sink.refs.get("destination", ()) or (
            isinstance(name, str) and name and destination == _SINK_STORAGE_PREFIX + name
        ):
            return "audit_trail"
    return None


def _bucket_access_logs(raw: RawResource) -> Any:
    logging = block(raw, "logging")  # log_bucket is required in the block
    if logging is UNKNOWN:
        return False if raw.is_configured("logging") is False else UNKNOWN
    return bool(logging)


def _public_member(member: Any) -> Any:
    if member is UNKNOWN:
        return UNKNOWN
    return isinstance(member, str) and member.strip().lower() in _PUBLIC_MEMBERS


def _reads(role: Any) -> Any:
    if role is UNKNOWN:
        return UNKNOWN
    if not isinstance(role, str):
        return False
    return True if role in _READ_ROLES else (UNKNOWN if "/roles/" in role else False)


def _iam_grants(raw: RawResource) -> list[tuple[str, Any]]:
    """(what, granted) for one bucket IAM resource: a read role to allUsers / allAuthenticatedUsers."""
    if raw.type == "google_storage_bucket_iam_policy":
        doc = json_document(raw.get("policy_data"))
        if doc is UNKNOWN:
            return [(raw.address, UNKNOWN)]
        bindings = mapping(doc).get("bindings")
        pairs = [(b.get("role"), b.get("members")) for b in listed(bindings) if isinstance(b, dict)]
        if bindings is UNKNOWN or any(b is UNKNOWN for b in listed(bindings)):
            pairs.append((UNKNOWN, UNKNOWN))
    else:
        members = raw.get("members") if raw.type.endswith("_binding") else [raw.get("member")]
        pairs = [(raw.get("role"), members)]
    out = []
    for role, members in pairs:
        reads = _reads(role)
        if reads is False:
            continue
        for member in [UNKNOWN] if members is UNKNOWN else listed(members):
            public = _public_member(member)
            if public is not False:
                what = f"{raw.address}: {role if isinstance(role, str) else 'a role'} to {member}"
                out.append((what, True if reads is True and public is True else UNKNOWN))
    return out or [(raw.address, False)]


def _acl_grants(raw: RawResource) -> list[tuple[str, Any]]:
    """(what, granted) for one ACL resource: a predefined public ACL or a role entity for allUsers."""
    out: list[tuple[str, Any]] = []
    for key in ("predefined_acl", "default_acl"):
        value = raw.get(key)
        if value is UNKNOWN or (isinstance(value, str) and value.lower() in _PUBLIC_ACLS):
            out.append((f"{raw.address}: {key} {value if isinstance(value, str) else '(unknown)'}",
                        UNKNOWN if value is UNKNOWN else True))
    entities = raw.get("role_entity")
    for entry in [UNKNOWN] if entities is UNKNOWN else listed(entities):
        entity = entry.split(":", 1)[-1] if isinstance(entry, str) else entry
        granted = _public_member(entity)
        if granted is not False:
            out.append((f"{raw.address}: {entry if isinstance(entry, str) else 'an entity'}", granted))
    return out or [(raw.address, False)]


def _bucket_public(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """Public read through bucket IAM (any role that reads objects to allUsers / allAuthenticatedUsers) or
    ACLs (ignored under uniform bucket-level access); public access prevention "enforced" overrides both."""
    pap = raw.get("public_access_prevention")
    if pap is UNKNOWN and raw.is_configured("public_access_prevention") is False:
        pap = "inherited"  # the API default; an organisation policy may still enforce prevention
    prevented = UNKNOWN if pap is UNKNOWN else pap == "enforced"
    uniform = tri(raw.get("uniform_bucket_level_access"), False)
    grants = [
        (what, unless(granted, prevented))
        for iam in index.referrers(raw.address, _IAM_TYPES, "bucket", ("name", "id"))
        for what, granted in _iam_grants(iam)
    ]
    grants += [
        (what, unless(unless(granted, uniform), prevented))
        for acl in index.referrers(raw.address, _ACL_TYPES, "bucket", ("name", "id"))
        for what, granted in _acl_grants(acl)
    ]
    return public_read(grants, raw.type)


def _bucket(raw: RawResource, index: PlanIndex) -> Out:
    enc_block = block(raw, "encryption")
    key = None
    if enc_block is UNKNOWN:
        enc = unknown_encryption()
    elif enc_block and enc_block.get("default_kms_key_name") not in (None, ""):
        key_id, key = _kms(index, raw, "encryption.0.default_kms_key_name")
        enc = customer_key(key_id)
    else:
        enc = provider_default("google_storage_bucket")
    versioning = block(raw, "versioning")
    attrs = {
        "store_type": "object_storage",
        "encryption": enc,
        **_bucket_public(raw, index),
        "uniform_access": tri(raw.get("uniform_bucket_level_access"), False),
        "transport": {"tls_required": UNKNOWN, "min_tls_version": None},
        "versioning": UNKNOWN if versioning is UNKNOWN else tri(mapping(versioning).get("enabled"), False),
        "access_logs": _bucket_access_logs(raw),
        "log_role": _bucket_log_role(raw, index),
    }
    out: Out = [_res(raw, index, Kind.DATASTORE, attrs)]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out


_SSL_REQUIRED = {
    "ENCRYPTED_ONLY": True,
    "TRUSTED_CLIENT_CERTIFICATE_REQUIRED": True,
    "ALLOW_UNENCRYPTED_AND_ENCRYPTED": False,
}


def _sql_instance(raw: RawResource, index: PlanIndex) -> Out:
    settings = block(raw, "settings")
    ip = block(settings, "ip_configuration") if isinstance(settings, dict) else UNKNOWN
    if isinstance(ip, dict):
        mode = ip.get("ssl_mode")
        require = ip.get("require_ssl")
        if isinstance(mode, str) and mode in _SSL_REQUIRED:
            tls_required: Any = _SSL_REQUIRED[mode]
        elif require is True or require is False:
            tls_required = require
        elif mode is UNKNOWN or require is UNKNOWN:
            tls_required = UNKNOWN
        else:
            tls_required = False  # Cloud SQL accepts unencrypted connections unless told otherwise
        ipv4 = tri(ip.get("ipv4_enabled"), True)
        nets = blocks(ip, "authorized_networks")
        if ipv4 is False:
            public: Any = False
        elif nets is UNKNOWN or ipv4 is UNKNOWN:
            public = UNKNOWN
        else:
            public = any(n.get("value") in ("0.0.0.0/0", "::/0") for n in nets)
    else:
        tls_required = public = UNKNOWN
    backup = block(settings, "backup_configuration") if isinstance(settings, dict) else UNKNOWN
    if isinstance(backup, dict):
        retention = block(backup, "backup_retention_settings")
        retained = as_int(retention.get("retained_backups")) if isinstance(retention, dict) else None
        enabled = tri(backup.get("enabled"), False)
        backup_attrs = {
            "enabled": enabled,
            # automated backups are daily, so N retained backups cover about N days (as the live normaliser)
            "retention_days": retained if enabled is True and isinstance(retained, int) else None,
            "retained_backups": retained,
            "point_in_time_recovery": tri(backup.get("point_in_time_recovery_enabled"), False),
        }
    else:
        backup_attrs = {"enabled": UNKNOWN, "retention_days": None}
    master = raw.get("master_instance_name")
    if master not in (None, ""):  # a read replica: automated backups are the primary's, never its own
        backup_attrs = {"enabled": None, "retention_days": None, "replica_of": master}
    key = None
    if raw.get("encryption_key_name") not in (None, ""):
        key_id, key = _kms(index, raw, "encryption_key_name")
        enc = customer_key(key_id)
    else:
        enc = provider_default("google_sql_database_instance")
    availability = settings.get("availability_type") if isinstance(settings, dict) else UNKNOWN
    attrs = {
        "store_type": "database",
        "encryption": enc,
        "public": public,
        "transport": {"tls_required": tls_required, "min_tls_version": None},
        "backup": backup_attrs,
        "multi_az": UNKNOWN if availability is UNKNOWN else availability == "REGIONAL",
        "engine": raw.get("database_version"),
    }
    out: Out = [
        _res(
            raw,
            index,
            Kind.DATASTORE,
            attrs,
            tags=tags_of(settings, "user_labels") if isinstance(settings, dict) else {},
        )
    ]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out


_PURPOSE = {
    "ENCRYPT_DECRYPT": "encrypt",
    "ASYMMETRIC_SIGN": "sign",
    "ASYMMETRIC_DECRYPT": "encrypt",
    "MAC": "mac",
    "RAW_ENCRYPT_DECRYPT": "encrypt",
}


def _crypto_key(raw: RawResource, index: PlanIndex) -> Out:
    period = duration_days(raw.get("rotation_period"))
    template = block(raw, "version_template")
    algo = template.get("algorithm") if isinstance(template, dict) and template else None
    if algo in (None, "") and raw.get("purpose") in (None, "ENCRYPT_DECRYPT"):
        algo = "GOOGLE_SYMMETRIC_ENCRYPTION"
    spec = key_spec("gcp", algo) if isinstance(algo, str) else None
    purpose = raw.get("purpose")
    protection = template.get("protection_level") if isinstance(template, dict) and template else "SOFTWARE"
    attrs = {
        "manager": "customer",
        "algorithm": spec.get("algorithm") if spec else UNKNOWN,
        "bits": spec.get("bits") if spec else UNKNOWN,
        "usage": UNKNOWN if purpose is UNKNOWN else _PURPOSE.get(purpose or "ENCRYPT_DECRYPT", str(purpose).lower()),
        # Cloud KMS rotates only symmetric encryption keys automatically
        # (https://cloud.google.com/kms/docs/key-rotation#automatic_rotation).
        "rotation": {"enabled": UNKNOWN if period is UNKNOWN else period is not None, "period_days": period,
                     "supported": UNKNOWN if purpose is UNKNOWN else purpose in (None, "ENCRYPT_DECRYPT")},
        "enabled": True,
        "expires": None,
        "protection": UNKNOWN if protection is UNKNOWN else str(protection or "SOFTWARE").lower(),
    }
    return [_res(raw, index, Kind.KEY, attrs)]


def _policy_tls(raw: RawResource) -> dict[str, Any]:
    profile = raw.get("profile")
    if (profile is UNKNOWN and raw.is_configured("profile") is False) or profile in (None, ""):
        profile = "COMPATIBLE"
    minimum = raw.get("min_tls_version")
    if (minimum is UNKNOWN and raw.is_configured("min_tls_version") is False) or minimum in (None, ""):
        minimum = "TLS_1_0"
    features = raw.get("custom_features")
    tls = gcp_ssl_policy(profile, minimum, features if isinstance(features, list) and features else None)
    tls["profile"] = profile
    return tls


def _ssl_policy(raw: RawResource, index: PlanIndex) -> Out:
    tls = _policy_tls(raw)
    attrs = {
        "min_version": tls["min_version"],
        "versions": tls["versions"],
        "ciphers": tls["ciphers"],
        "profile": tls["profile"],
    }
    return [_res(raw, index, Kind.TLS_POLICY, attrs)]


def _target_proxy(raw: RawResource, index: PlanIndex) -> Out:
    policies = index.targets(raw, "ssl_policy", ("google_compute_ssl_policy",), _LINK_ATTRS)
    value = raw.get("ssl_policy")
    if policies:
        tls = _policy_tls(index.by_address[policies[0]])
        tls["policy"] = policies[0]
    elif value in (None, "") or (value is UNKNOWN and raw.is_configured("ssl_policy") is False):
        tls = default_tls_policy("gcp", "gcp_ssl_policy")
    else:
        tls = {"policy": value, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    tls.pop("profile", None)
    certs = index.targets(raw, "ssl_certificates", CERT_TYPES, _LINK_ATTRS)
    if not certs:
        certs = [c for c in listed(str_list(raw.get("ssl_certificates"))) if isinstance(c, str)]
    rules = index.referrers(
        raw.address, ("google_compute_global_forwarding_rule", "google_compute_forwarding_rule"), "target", _LINK_ATTRS
    )
    port: Any = 443 if raw.type == "google_compute_target_https_proxy" else None
    if rules:
        pr = rules[0].get("port_range")
        port = UNKNOWN if pr is UNKNOWN else (as_int(str(pr).split("-")[0]) if pr not in (None, "") else port)
    attrs = {
        "protocol": "https" if raw.type == "google_compute_target_https_proxy" else "tls",
        "port": port,
        "tls": tls,
        "redirects_to_https": False,
        "load_balancer": None,
        "certificates": certs,
    }
    out: Out = [_res(raw, index, Kind.LISTENER, attrs)]
    out += [edge(raw.address, p, EdgeKind.USES_POLICY) for p in policies]
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if c in index.by_address]
    return out


def _certificate(raw: RawResource, index: PlanIndex) -> Out:
    managed = raw.type == "google_compute_managed_ssl_certificate"
    domains = str_list(mapping(block(raw, "managed")).get("domains")) if managed else UNKNOWN
    attrs = {
        "key_algorithm": UNKNOWN,  # chosen by Google for managed certificates; not in the plan for uploaded ones
        "key_bits": UNKNOWN,
        "domains": domains,
        "managed": managed,
        "not_after": raw.get("expire_time") if isinstance(raw.get("expire_time"), str) else UNKNOWN,
    }
    return [_res(raw, index, Kind.CERTIFICATE, attrs)]


# -- audit logs ----------------------------------------------------------------------------------------------
def _audit_config(raw: RawResource, index: PlanIndex) -> Out:
    """An IAM audit config for ``allServices``: the data-access log types recorded and who is exempted.

    Configs for one service only add to the allServices one (GCP takes the union), so they are not judged alone.
    """
    if raw.get("service") != "allServices":
        return []
    entries = blocks(raw.values, "audit_log_config")
    log_types: Any = []
    exempted: Any = []
    for entry in listed(entries):
        kind, members = entry.get("log_type"), entry.get("exempted_members")
        if kind is UNKNOWN or members is UNKNOWN:
            log_types = exempted = UNKNOWN
            break
        if isinstance(kind, str):
            log_types.append(kind)
        exempted += [m for m in listed(members) if isinstance(m, str)]
    if entries is UNKNOWN:
        log_types = exempted = UNKNOWN
    attrs = {
        "covers": "account" if raw.type == "google_project_iam_audit_config" else "organization",
        "enabled": True,
        "multi_region": None,
        "log_validation": None,
        "log_types": log_types,
        "exempted_members": exempted,
        "encryption": None,
        "retention_days": None,
    }
    return [_res(raw, index, Kind.LOG_SINK, attrs, name=f"{raw.type.split('_')[1]} audit config (allServices)")]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "google_compute_network": _network,
    "google_compute_subnetwork": _subnetwork,
    "google_compute_firewall": _firewall,
    "google_compute_instance": _instance,
    "google_compute_disk": _disk,
    "google_storage_bucket": _bucket,
    "google_sql_database_instance": _sql_instance,
    "google_kms_crypto_key": _crypto_key,
    "google_compute_ssl_policy": _ssl_policy,
    "google_compute_target_https_proxy": _target_proxy,
    "google_compute_target_ssl_proxy": _target_proxy,
    "google_compute_managed_ssl_certificate": _certificate,
    "google_compute_ssl_certificate": _certificate,
    "google_project_iam_audit_config": _audit_config,
    "google_folder_iam_audit_config": _audit_config,
    "google_organization_iam_audit_config": _audit_config,
}
"""Native google type -> normaliser."""

JOINED: frozenset[str] = frozenset(
    {
        "google_compute_global_forwarding_rule",
        "google_compute_forwarding_rule",
        "google_kms_key_ring",
        *_IAM_TYPES,
        *_ACL_TYPES,
    }
)
"""google types folded into another resource rather than normalised on their own."""
