"""AWS resources of a Terraform plan -> normalised resources and edges (docs/model.md).

Provider knowledge is data: :data:`NORMALISERS` maps a native type to a pure function
``(raw, index) -> [Resource | Edge]``; :data:`JOINED` lists types that carry no resource of their own but
are folded into another one (an SSE configuration into its bucket, a rule into its security group...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from posture.model import UNKNOWN, Edge, EdgeKind, Kind, Resource
from posture.providers.aws.facts import transport as aws_transport
from posture.providers.aws.facts.s3_public import PUBLIC_CANNED_ACLS, acl_grant_public, policy_public
from posture.providers.aws.facts.transport import policies_deny_http
from posture.providers.kit.builders import (
    ALL_PORTS,
    blocks,
    customer_key,
    default_tls_policy,
    edge,
    encryption,
    key_spec,
    listed,
    parse_arn,
    port_range,
    provider_default,
    provider_key,
    public_read,
    rule,
    str_list,
    tags_of,
    tls_policy,
    unknown_encryption,
)
from posture.providers.kit.values import any_of, as_int, json_document, tri, unless
from posture.providers.terraform.plan import PlanIndex, RawResource, address_type, split_address
from posture.providers.terraform.resource import block, resource

Out = list[Resource | Edge]

SG_TYPES = ("aws_security_group", "aws_default_security_group")
VPC_TYPES = ("aws_vpc", "aws_default_vpc")
SUBNET_TYPES = ("aws_subnet", "aws_default_subnet")
KEY_TYPES = ("aws_kms_key", "aws_kms_replica_key")
LB_TYPES = ("aws_lb", "aws_alb")
NACL_TYPES = ("aws_network_acl", "aws_default_network_acl")
CERT_TYPES = ("aws_acm_certificate",)

_PROTOCOLS = {
    "-1": "all",
    "all": "all",
    "6": "tcp",
    "tcp": "tcp",
    "17": "udp",
    "udp": "udp",
    "1": "icmp",
    "icmp": "icmp",
    "58": "icmpv6",
    "icmpv6": "icmpv6",
}


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


# -- network -------------------------------------------------------------------------------------------------
def _cidrs(raw: RawResource) -> list[Any]:
    """IPv4 and IPv6 CIDRs; a computed IPv6 block counts only when one is actually requested."""
    out = [c for c in (raw.get("cidr_block"),) if c not in (None, "")]
    v6 = raw.get("ipv6_cidr_block")
    if isinstance(v6, str) and v6:
        out.append(v6)
    elif v6 is UNKNOWN and (
        raw.get("assign_generated_ipv6_cidr_block") is True or raw.is_configured("ipv6_cidr_block")
    ):
        out.append(UNKNOWN)
    return out


def _vpc(raw: RawResource, index: PlanIndex) -> Out:
    cidrs = _cidrs(raw)
    flow = [r for r in index.referrers(raw.address, ("aws_flow_log",), "vpc_id")]
    attrs = {
        "cidrs": cidrs,
        "is_default": raw.type == "aws_default_vpc",
        "flow_logs": bool(flow),
    }
    return [_res(raw, index, Kind.NETWORK, attrs)]


def _default_vpc(index: PlanIndex, raw: RawResource) -> str | None:
    """The plan's ``aws_default_vpc`` of ``raw``'s region (same provider configuration when no region is known)."""
    region = _region(raw, index)[1]
    found = [
        v.address
        for v in index.by_type.get("aws_default_vpc", ())
        if _region(v, index)[1] == region and (region or v.provider_key == raw.provider_key)
    ]
    return found[0] if len(found) == 1 else None


def _subnet(raw: RawResource, index: PlanIndex) -> Out:
    vpcs = _in_plan(index, raw, "vpc_id", VPC_TYPES)
    if not vpcs and raw.type == "aws_default_subnet":
        # a default subnet always belongs to its region's default VPC; its vpc_id is computed
        vpcs = [v for v in (_default_vpc(index, raw),) if v]
    vpc = vpcs[0] if len(vpcs) == 1 else _ref(index, raw, "vpc_id", VPC_TYPES)
    flow = index.referrers(raw.address, ("aws_flow_log",), "subnet_id")
    attrs = {
        "cidrs": _cidrs(raw),
        "network": vpc,
        "map_public_ip": tri(raw.get("map_public_ip_on_launch"), raw.type == "aws_default_subnet"),
        "zone": raw.get("availability_zone"),
        "flow_logs": True if flow else None,
    }
    out: Out = [_res(raw, index, Kind.SUBNET, attrs)]
    out += [edge(v, raw.address, EdgeKind.CONTAINS) for v in vpcs]
    return out


_ROUTE_TARGETS = (
    ("gateway_id", ("aws_internet_gateway", "aws_vpn_gateway"), "internet_gateway"),
    ("nat_gateway_id", ("aws_nat_gateway",), "nat_gateway"),
    ("transit_gateway_id", ("aws_ec2_transit_gateway",), "transit_gateway"),
    ("vpc_peering_connection_id", ("aws_vpc_peering_connection",), "peering"),
    ("egress_only_gateway_id", ("aws_egress_only_internet_gateway",), "other"),
    ("network_interface_id", ("aws_network_interface",), "other"),
    ("vpc_endpoint_id", ("aws_vpc_endpoint",), "other"),
    ("local_gateway_id", (), "other"),
    ("carrier_gateway_id", (), "other"),
    ("core_network_arn", (), "other"),
)


def _route(values: dict[str, Any], refs: dict[str, tuple[str, ...]], flat: tuple[str, ...]) -> dict[str, Any]:
    """One route; ``refs`` are per-attribute references, ``flat`` those of an attribute-mode ``route``."""
    dest = next(
        (
            values.get(k)
            for k in (
                "cidr_block",
                "destination_cidr_block",
                "ipv6_cidr_block",
                "destination_ipv6_cidr_block",
                "destination_prefix_list_id",
            )
            if values.get(k) not in (None, "")
        ),
        None,
    )
    for attr, types, kind in _ROUTE_TARGETS:
        value = values.get(attr)
        hits = [a for a in refs.get(attr, ()) if address_type(a) in types]
        if not hits and value is UNKNOWN:
            hits = list(dict.fromkeys(a for a in flat if address_type(a) in types))
        if not hits and value in (None, ""):
            continue
        target = hits[0] if len(hits) == 1 else value
        if attr == "gateway_id":
            if value == "local":
                kind = "local"
            elif (isinstance(value, str) and value.startswith("vgw-")) or any(
                address_type(h) == "aws_vpn_gateway" for h in hits
            ):
                kind = "other"
        return {"destination": dest, "target": target, "target_kind": kind}
    return {"destination": dest, "target": None, "target_kind": "other"}


def _route_table(raw: RawResource, index: PlanIndex) -> Out:
    routes: list[Any] = []
    inline = raw.get("route")
    if inline is UNKNOWN:
        if raw.is_configured("route"):
            routes.append(UNKNOWN)
    else:
        flat = raw.refs.get("route", ())
        for i, r in enumerate(inline or []):
            prefix = f"route.{i}."
            refs = {k[len(prefix) :]: v for k, v in raw.refs.items() if k.startswith(prefix)}
            if len(inline) == 1 or not refs:
                refs = {k[6:]: v for k, v in raw.refs.items() if k.count(".") == 1 and k.startswith("route.")}
            routes.append(_route(r, refs, flat if len(inline) == 1 else ()))
    for r in index.referrers(raw.address, ("aws_route",), "route_table_id"):
        routes.append(_route(r.values, dict(r.refs), ()))
    attrs = {"routes": routes, "network": _ref(index, raw, "vpc_id", VPC_TYPES)}
    out: Out = [_res(raw, index, Kind.ROUTE_TABLE, attrs)]
    for route in routes:
        if route is not UNKNOWN and isinstance(route["target"], str) and route["target"] in index.by_address:
            out.append(edge(raw.address, route["target"], EdgeKind.ROUTES_TO, destination=route["destination"]))
    for assoc in index.referrers(raw.address, ("aws_route_table_association",), "route_table_id"):
        for subnet in index.targets(assoc, "subnet_id", SUBNET_TYPES):
            out.append(edge(subnet, raw.address, EdgeKind.ROUTES_TO))
    return out


def _gateway(gateway_type: str) -> Callable[[RawResource, PlanIndex], Out]:
    def normalise(raw: RawResource, index: PlanIndex) -> Out:
        attrs = {"gateway_type": gateway_type, "network": _ref(index, raw, "vpc_id", VPC_TYPES)}
        if raw.type == "aws_nat_gateway":
            attrs["subnet"] = _ref(index, raw, "subnet_id", SUBNET_TYPES)
            attrs["public"] = raw.get("connectivity_type") in (None, "public")
        return [_res(raw, index, Kind.GATEWAY, attrs)]

    return normalise


# -- security groups -----------------------------------------------------------------------------------------
def _protocol(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    return _PROTOCOLS.get(str(value).lower(), str(value).lower())


def _ports(protocol: Any, from_port: Any, to_port: Any) -> Any:
    if protocol == "all":
        return ALL_PORTS
    if protocol in ("icmp", "icmpv6"):
        return []
    if protocol is UNKNOWN:
        return UNKNOWN
    f, t = as_int(from_port), as_int(to_port)
    if f == -1 or (f == 0 and t == 0 and protocol not in ("tcp", "udp")):
        return ALL_PORTS
    return port_range(from_port, to_port)


def _sg_peers(index: PlanIndex, own: str, values: dict[str, Any], refs: tuple[str, ...] | None) -> list[Any]:
    peers: list[Any] = []
    for key in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"):
        v = str_list(values.get(key))
        peers.extend([UNKNOWN] if v is UNKNOWN else v)
    groups = str_list(values.get("security_groups"))
    if groups is UNKNOWN:
        groups = [UNKNOWN]
    unknown = [g for g in groups if g is UNKNOWN]
    for g in groups:
        if g is UNKNOWN:
            continue
        hit = index.find_literal(SG_TYPES, ("id",), g)
        peers.append(f"sg:{hit[0] if len(hit) == 1 else g}")
    if unknown:
        targets = [a for a in (refs or ()) if address_type(a) in SG_TYPES]
        if refs is not None and targets:
            peers.extend(f"sg:{t}" for t in targets)
        else:
            peers.extend(UNKNOWN for _ in unknown)
    if values.get("self") is True:
        peers.append(f"sg:{own}")
    return peers


def _inline_sg_rules(raw: RawResource, direction: str, index: PlanIndex) -> list[Any]:
    inline = raw.get(direction)
    if inline is UNKNOWN:
        # Computed when the block is not configured (rules then come from separate resources).
        return [] if raw.is_configured(direction) is False else [UNKNOWN]
    out = []
    blocks_with_unknown = [
        b
        for b in inline or []
        if str_list(b.get("security_groups")) is UNKNOWN or UNKNOWN in (str_list(b.get("security_groups")) or [])
    ]
    for b in inline or []:
        refs = (
            raw.refs.get(f"{direction}.security_groups") or raw.refs.get(direction)
            if len(blocks_with_unknown) <= 1
            else None
        )
        proto = _protocol(b.get("protocol"))
        out.append(
            rule(
                direction,
                "allow",
                proto,
                _ports(proto, b.get("from_port"), b.get("to_port")),
                _sg_peers(index, raw.address, b, refs),
                description=b.get("description"),
            )
        )
    return out


def _sg_rule_resource(r: RawResource, own: str, index: PlanIndex) -> dict[str, Any]:
    v = r.values
    if r.type == "aws_security_group_rule":
        direction = v.get("type") if v.get("type") in ("ingress", "egress") else UNKNOWN
        proto = _protocol(v.get("protocol"))
        peers = _sg_peers(
            index, own, {k: v.get(k) for k in ("cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "self")}, None
        )
        src = index.targets(r, "source_security_group_id", SG_TYPES, ("id",))
        if src:
            peers.append(f"sg:{src[0]}")
        elif v.get("source_security_group_id") is UNKNOWN and r.is_configured("source_security_group_id") is not False:
            peers.append(UNKNOWN)
        elif isinstance(v.get("source_security_group_id"), str) and v["source_security_group_id"]:
            peers.append(f"sg:{v['source_security_group_id']}")
    else:
        direction = "ingress" if r.type == "aws_vpc_security_group_ingress_rule" else "egress"
        proto = _protocol(v.get("ip_protocol"))
        peers = [p for p in (v.get("cidr_ipv4"), v.get("cidr_ipv6"), v.get("prefix_list_id")) if p not in (None, "")]
        ref = index.targets(r, "referenced_security_group_id", SG_TYPES, ("id",))
        if ref:
            peers.append(f"sg:{ref[0]}")
        elif (
            v.get("referenced_security_group_id") is UNKNOWN
            and r.is_configured("referenced_security_group_id") is not False
        ):
            peers.append(UNKNOWN)
        elif isinstance(v.get("referenced_security_group_id"), str) and v["referenced_security_group_id"]:
            peers.append(f"sg:{v['referenced_security_group_id']}")
    ports = _ports(proto, v.get("from_port"), v.get("to_port"))
    return rule(direction, "allow", proto, ports, peers, description=v.get("description"), source=r.address)


def _security_group(raw: RawResource, index: PlanIndex) -> Out:
    rules = _inline_sg_rules(raw, "ingress", index) + _inline_sg_rules(raw, "egress", index)
    separate = index.referrers(raw.address, _SG_RULE_TYPES, "security_group_id")
    rules += [_sg_rule_resource(r, raw.address, index) for r in separate]
    attrs = {
        "layer": "instance",
        "stateful": True,
        "is_default": raw.type == "aws_default_security_group" or raw.get("name") == "default",
        "network": _ref(index, raw, "vpc_id", VPC_TYPES),
        "rules": rules,
    }
    return [_res(raw, index, Kind.FIREWALL, attrs, name=_first_str(raw.get("name"), raw.name))]


_SG_RULE_TYPES = (
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_vpc_security_group_egress_rule",
)


def _orphan_sg_rule(raw: RawResource, index: PlanIndex) -> Out:
    """A rule whose security group is not in the plan (an id, a variable, a data source): its own firewall.

    Rules of groups in the plan are folded into them (:func:`_security_group`). Security group rules only
    allow, so one rule judged alone never overstates what the whole group admits.
    """
    if any(split_address(t)[1] == "managed" for t in index.targets(raw, "security_group_id", SG_TYPES)):
        return []  # folded into that group (a data source's group is not in the plan: judged here)
    group = raw.get("security_group_id")
    attrs = {
        "layer": "instance",
        "stateful": True,
        "is_default": False,
        "network": None,
        "rules": [_sg_rule_resource(raw, raw.address, index)],
        "security_group": group if isinstance(group, str) and group else UNKNOWN,
    }
    return [_res(raw, index, Kind.FIREWALL, attrs, name=_first_str(raw.get("description"), raw.name))]


# -- network ACLs --------------------------------------------------------------------------------------------
def _nacl_rule(v: dict[str, Any], direction: Any, action: Any, number: Any, source: str | None = None) -> dict:
    proto = _protocol(v.get("protocol"))
    peers = [p for p in (v.get("cidr_block"), v.get("ipv6_cidr_block")) if p not in (None, "")]
    extra = {"source": source} if source else {}
    return rule(
        direction,
        action if action in ("allow", "deny") else UNKNOWN,
        proto,
        _ports(proto, v.get("from_port"), v.get("to_port")),
        peers,
        priority=as_int(number),
        **extra,
    )


def _network_acl(raw: RawResource, index: PlanIndex) -> Out:
    rules: list[Any] = []
    for direction in ("ingress", "egress"):
        inline = raw.get(direction)
        if inline is UNKNOWN:
            if raw.is_configured(direction) is not False:
                rules.append(UNKNOWN)
            continue
        rules += [_nacl_rule(b, direction, b.get("action"), b.get("rule_no")) for b in inline or []]
    for r in index.referrers(raw.address, ("aws_network_acl_rule",), "network_acl_id"):
        eg = r.get("egress")
        direction = UNKNOWN if eg is UNKNOWN else ("egress" if eg else "ingress")
        rules.append(_nacl_rule(r.values, direction, r.get("rule_action"), r.get("rule_number"), r.address))
    for direction in ("ingress", "egress"):
        rules.append(
            rule(
                direction,
                "deny",
                "all",
                ALL_PORTS,
                ["0.0.0.0/0", "::/0"],
                priority=32767,
                description="implied final deny (*)",
                implied=True,
            )
        )
    subnets = list(index.targets(raw, "subnet_ids", SUBNET_TYPES))
    for assoc in index.referrers(raw.address, ("aws_network_acl_association",), "network_acl_id"):
        subnets += index.targets(assoc, "subnet_id", SUBNET_TYPES)
    attrs = {
        "layer": "subnet",
        "stateful": False,
        "is_default": raw.type == "aws_default_network_acl",
        "network": _ref(index, raw, "vpc_id", VPC_TYPES),
        "rules": rules,
    }
    out: Out = [_res(raw, index, Kind.FIREWALL, attrs)]
    out += [edge(s, raw.address, EdgeKind.PROTECTED_BY) for s in dict.fromkeys(subnets)]
    return out


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


# -- S3 ------------------------------------------------------------------------------------------------------
_BUCKET_LITERALS = ("bucket", "id")


def _bucket_related(index: PlanIndex, raw: RawResource, rtype: str) -> list[RawResource]:
    return index.referrers(raw.address, (rtype,), "bucket", _BUCKET_LITERALS)


# Who writes access logs into a bucket, and through which attribute (bucket name, id, or domain name for CloudFront).
_ACCESS_LOG_WRITERS = (
    ("aws_s3_bucket", "logging.0.target_bucket", _BUCKET_LITERALS),
    ("aws_s3_bucket_logging", "target_bucket", _BUCKET_LITERALS),
    ("aws_lb", "access_logs.0.bucket", _BUCKET_LITERALS),
    ("aws_alb", "access_logs.0.bucket", _BUCKET_LITERALS),
    ("aws_elb", "access_logs.0.bucket", _BUCKET_LITERALS),
    ("aws_cloudfront_distribution", "logging_config.0.bucket", ("bucket_domain_name", "bucket_regional_domain_name")),
)


def _log_role(index: PlanIndex, raw: RawResource) -> str | None:
    """``access_logs`` for a bucket that receives other resources' access logs (a log bucket: logging it
    again would log the logs), ``audit_trail`` for a CloudTrail bucket (CIS AWS 3.6 asks access logs on it)."""
    for rtype, path, literals in _ACCESS_LOG_WRITERS:
        if any(w.address != raw.address for w in index.referrers(raw.address, (rtype,), path, literals)):
            return "access_logs"
    if index.referrers(raw.address, ("aws_cloudtrail",), "s3_bucket_name", _BUCKET_LITERALS):
        return "audit_trail"
    return None


def _s3_access_logs(index: PlanIndex, raw: RawResource) -> Any:
    """Server access logging: an ``aws_s3_bucket_logging`` (provider v4+) or the inline ``logging`` block."""
    if _bucket_related(index, raw, "aws_s3_bucket_logging"):
        return True  # target_bucket is required: the resource's existence is the setting
    inline = block(raw, "logging")
    if inline is UNKNOWN:
        return False if raw.is_configured("logging") is False else UNKNOWN
    target = inline.get("target_bucket")
    return UNKNOWN if target is UNKNOWN else target not in (None, "")


def _sse_from_rules(index: PlanIndex, holder: RawResource, rules: Any, prefix: str) -> tuple[dict, str | None] | None:
    if rules is UNKNOWN:
        return unknown_encryption(), None
    for i, r in enumerate(rules or []):
        default = block(r, "apply_server_side_encryption_by_default")
        if default is UNKNOWN:
            return unknown_encryption(), None
        if not default:
            continue
        algo = default.get("sse_algorithm")
        if algo is UNKNOWN:
            return unknown_encryption(), None
        if algo == "AES256":
            return provider_key(), None
        if isinstance(algo, str) and algo.startswith("aws:kms"):
            path = f"{prefix}{i}.apply_server_side_encryption_by_default.0.kms_master_key_id"
            holder_refs = holder.refs.get(path) or holder.refs.get(
                f"{prefix.rstrip('.0123456789')}.apply_server_side_encryption_by_default.kms_master_key_id".lstrip(".")
            )
            key_id = default.get("kms_master_key_id")
            targets = [a for a in holder_refs or () if address_type(a) in KEY_TYPES]
            if len(targets) == 1:
                return customer_key(targets[0]), targets[0]
            if key_id in (None, "") or _aws_managed_alias(key_id):
                return provider_key(key_id=key_id or None), None
            hits = index.find_literal(KEY_TYPES, ("arn", "id", "key_id"), key_id) if isinstance(key_id, str) else []
            if len(hits) == 1:
                return customer_key(hits[0]), hits[0]
            return customer_key(key_id), None
    return None


def _resource_policies(raw: RawResource, holders: Iterable[RawResource]) -> list[tuple[str, Any]]:
    """(address, policy) of the separate policy resources and the resource's own ``policy`` attribute."""
    policies = [(p.address, p.get("policy")) for p in holders]
    if not (raw.get("policy") is UNKNOWN and raw.is_configured("policy") is False):
        policies.append((raw.address, raw.get("policy")))
    return [(address, policy) for address, policy in policies if policy not in (None, "")]


_PAB_KEYS = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")


def _pab(holder: RawResource) -> dict[str, Any]:
    return {k: tri(holder.get(k), False) for k in _PAB_KEYS}


def _canned_acl(what: str, acl: Any) -> list[tuple[str, Any]]:
    if acl in (None, ""):
        return []
    return [(f"{what}: acl {acl if isinstance(acl, str) else '(unknown)'}",
              UNKNOWN if acl is UNKNOWN else str(acl).lower() in PUBLIC_CANNED_ACLS)]


def _acl_grants(index: PlanIndex, raw: RawResource) -> list[tuple[str, Any]]:
    """(what, granted) for the bucket's ACLs: canned ACLs and grants to the AllUsers / AuthenticatedUsers groups
    (inline on the bucket, or aws_s3_bucket_acl with an access_control_policy)."""
    out = _canned_acl(raw.address, _unset_default(raw, "acl", None))
    inline = _unset_default(raw, "grant", None)
    for g in [{"uri": UNKNOWN}] if inline is UNKNOWN else listed(inline):
        perms = g.get("permissions", UNKNOWN)
        for perm in [UNKNOWN] if perms is UNKNOWN else listed(perms):
            out.append((f"{raw.address}: grant {perm} to {g.get('uri')}", acl_grant_public(g.get("uri"), perm)))
    for holder in _bucket_related(index, raw, "aws_s3_bucket_acl"):
        out += _canned_acl(holder.address, _unset_default(holder, "acl", None))
        grants = blocks(block(holder, "access_control_policy"), "grant")
        for g in [{"grantee": UNKNOWN}] if grants is UNKNOWN else grants:
            grantee = block(g, "grantee")
            uri = UNKNOWN if grantee is UNKNOWN else grantee.get("uri")
            perm = g.get("permission")
            out.append((f"{holder.address}: grant {perm} to {uri}", acl_grant_public(uri, perm)))
    return out


def _s3_public(raw: RawResource, index: PlanIndex, pab: dict[str, Any] | None, policies: list) -> dict[str, Any]:
    """``public``/``public_via`` from ACLs and bucket policies; the bucket's or the account's public access
    block overrides the mechanism it covers, and so does BucketOwnerEnforced object ownership for ACLs."""
    pabs = [pab] if pab else []
    pabs += [_pab(a) for a in index.by_type.get("aws_s3_account_public_access_block", ())]
    ownership = [block(o, "rule") for o in _bucket_related(index, raw, "aws_s3_bucket_ownership_controls")]
    acls_off = any_of(
        [p[k] for p in pabs for k in ("block_public_acls", "ignore_public_acls")]
        + [UNKNOWN if r is UNKNOWN else r.get("object_ownership") == "BucketOwnerEnforced" for r in ownership]
    )
    policy_off = any_of(p[k] for p in pabs for k in ("block_public_policy", "restrict_public_buckets"))
    grants = [(what, unless(granted, acls_off)) for what, granted in _acl_grants(index, raw)]
    grants += [
        (f"{address}: policy grants reads to anyone", unless(policy_public(json_document(policy)), policy_off))
        for address, policy in policies
    ]
    return public_read(grants, raw.type)


def _s3_bucket(raw: RawResource, index: PlanIndex) -> Out:
    enc_result = None
    for sse in _bucket_related(index, raw, "aws_s3_bucket_server_side_encryption_configuration"):
        enc_result = _sse_from_rules(index, sse, sse.get("rule"), "rule.")
    if enc_result is None:
        inline = raw.get("server_side_encryption_configuration")
        if not (inline is UNKNOWN and raw.is_configured("server_side_encryption_configuration") is False):
            holder_rules = UNKNOWN if inline is UNKNOWN else (block(inline[0], "rule") if inline else None)
            if holder_rules is not None and holder_rules != {}:
                rules = holder_rules if holder_rules is UNKNOWN else [holder_rules]
                enc_result = _sse_from_rules(index, raw, rules, "server_side_encryption_configuration.0.rule.")
    if enc_result is None:
        enc_result = (provider_default("aws_s3_bucket", "aws.s3.sse_s3_default"), None)
    enc, key = enc_result

    pab_res = _bucket_related(index, raw, "aws_s3_bucket_public_access_block")
    pab = _pab(pab_res[0]) if pab_res else None
    policies = _resource_policies(raw, _bucket_related(index, raw, "aws_s3_bucket_policy"))
    public = _s3_public(raw, index, pab, policies)
    tls_required = policies_deny_http(p for _, p in policies)

    versioning: Any = None
    for v in _bucket_related(index, raw, "aws_s3_bucket_versioning"):
        status = block(v, "versioning_configuration")
        status = status.get("status") if isinstance(status, dict) else UNKNOWN
        versioning = UNKNOWN if status is UNKNOWN else status == "Enabled"
    if versioning is None:
        inline_v = block(raw, "versioning")
        if inline_v is UNKNOWN:
            versioning = False if raw.is_configured("versioning") is False else UNKNOWN
        else:
            versioning = tri(inline_v.get("enabled"), False)
    attrs = {
        "store_type": "object_storage",
        "encryption": enc,
        **public,
        "public_access_block": pab,
        "transport": {"tls_required": tls_required, "min_tls_version": None},
        "versioning": versioning,
        "backup": {"enabled": versioning, "retention_days": None},
        "access_logs": _s3_access_logs(index, raw),
        "log_role": _log_role(index, raw),
    }
    bucket = raw.get("bucket")
    return [
        _res(raw, index, Kind.DATASTORE, attrs, name=bucket if isinstance(bucket, str) else raw.name),
        *_enc_edge(raw.address, key),
    ]


# -- databases and other datastores --------------------------------------------------------------------------
def _storage_encrypted(raw: RawResource, index: PlanIndex, flag: str, key_path: str) -> tuple[dict, str | None]:
    value = _unset_default(raw, flag, None)
    value = tri(value) if isinstance(value, str) else value
    if value is True:
        return _kms_encryption(index, raw, key_path)
    if value is False and raw.is_configured(flag):
        return encryption(False, basis="explicit"), None
    if value is False or value is None:
        return provider_default(raw.type), None
    return unknown_encryption(), None


def _db_subnets(index: PlanIndex, raw: RawResource) -> list[str]:
    out: list[str] = []
    for g in index.targets(raw, "db_subnet_group_name", ("aws_db_subnet_group",), ("name", "id")):
        group = index.by_address.get(g)
        if group is not None:
            out += index.targets(group, "subnet_ids", SUBNET_TYPES)
    return out


# Cluster member types per cluster type: members carry publicly_accessible and decide Multi-AZ.
_CLUSTER_MEMBERS = {
    "aws_rds_cluster": "aws_rds_cluster_instance",
    "aws_docdb_cluster": "aws_docdb_cluster_instance",
    "aws_neptune_cluster": "aws_neptune_cluster_instance",
}


_PARAMETER_GROUPS = ("aws_db_parameter_group", "aws_rds_cluster_parameter_group", "aws_docdb_cluster_parameter_group")


def _group_parameter(index: PlanIndex, raw: RawResource, path: str, types: tuple[str, ...], name: str) -> Any:
    """The last value of parameter ``name`` in the parameter group named at ``path``: None when no group is
    set or the group does not set it, UNKNOWN when the group is outside the plan or not known yet."""
    group = raw.get(path)
    if group in (None, "") or (group is UNKNOWN and raw.is_configured(path) is False):
        return None
    targets = index.targets(raw, path, types, ("name", "id"))
    if len(targets) != 1 or index.by_address.get(targets[0]) is None:
        return UNKNOWN  # a group outside the plan (or a default.* group named explicitly)
    params = index.by_address[targets[0]].get("parameter")
    if params is UNKNOWN:
        return UNKNOWN
    values = [p.get("value") for p in params or [] if isinstance(p, dict) and p.get("name") == name]
    return values[-1] if values else None


def _rds_tls_required(raw: RawResource, index: PlanIndex) -> Any:
    """Whether the server refuses unencrypted connections: its parameter group, else the engine default
    (posture.providers.aws.facts.transport). None (not judged) for engines without such a parameter (Oracle uses an
    option group) and for read replicas; UNKNOWN when the group or the engine version is not known from the plan.
    """
    engine = "docdb" if raw.type == "aws_docdb_cluster" else raw.get("engine")
    if not isinstance(engine, str):
        return UNKNOWN if engine is UNKNOWN else None
    name = aws_transport.rds_tls_parameter(engine)
    if name is None or raw.get("replicate_source_db") not in (None, ""):
        return None
    path = "parameter_group_name" if raw.type == "aws_db_instance" else "db_cluster_parameter_group_name"
    value = _group_parameter(index, raw, path, _PARAMETER_GROUPS, name)
    return UNKNOWN if value is UNKNOWN else aws_transport.rds_tls_required(engine, value, raw.get("engine_version"))


def _backup_retention(raw: RawResource, path: str) -> Any:
    """Retention days; unset -> the API default of 1 day (not for replicas, which follow their source)."""
    value = raw.get(path)
    if value is None or (value is UNKNOWN and raw.is_configured(path) is False):
        if raw.get("replicate_source_db") not in (None, ""):
            return UNKNOWN
        return 1  # CreateDBInstance/CreateDBCluster/CreateCluster: BackupRetentionPeriod default 1
    return as_int(value)


def _backup(retention: Any) -> dict[str, Any]:
    return {"retention_days": retention, "enabled": UNKNOWN if retention is UNKNOWN else (retention or 0) > 0}


def _rds(store_type: str) -> Callable[[RawResource, PlanIndex], Out]:
    def normalise(raw: RawResource, index: PlanIndex) -> Out:
        if raw.get("engine_mode") == "serverless":
            enc, key = provider_default("rds.db_cluster.serverless_v1"), None  # always encrypted
            if raw.get("kms_key_id") not in (None, "", UNKNOWN):
                enc, key = _kms_encryption(index, raw, "kms_key_id")
        else:
            enc, key = _storage_encrypted(raw, index, "storage_encrypted", "kms_key_id")
        members = (
            index.referrers(raw.address, (_CLUSTER_MEMBERS[raw.type],), "cluster_identifier",
                            ("id", "cluster_identifier"))
            if raw.type in _CLUSTER_MEMBERS
            else []
        )
        if raw.type == "aws_db_instance":
            public = tri(raw.get("publicly_accessible"), False)
            multi_az = tri(_unset_default(raw, "multi_az", False), False)
        else:
            flags = [tri(m.get("publicly_accessible"), False) for m in members]
            public = any_of(flags)
            zones = raw.get("availability_zones")
            if members:
                multi_az = len(members) > 1  # a replica instance is what fails over to another zone
            elif isinstance(zones, list):
                multi_az = len(zones) > 1
            else:
                multi_az = UNKNOWN
        attrs = {
            "store_type": store_type,
            "encryption": enc,
            "public": public,
            "backup": _backup(_backup_retention(raw, "backup_retention_period")),
            "multi_az": multi_az,
            "engine": raw.get("engine"),
        }
        tls = _rds_tls_required(raw, index) if raw.type != "aws_neptune_cluster" else None
        if tls is not None:
            attrs["transport"] = {"tls_required": tls, "min_tls_version": None}
        sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_security_group_ids")
        attrs["firewalls"] = sgs
        name = raw.get("identifier") if raw.type == "aws_db_instance" else raw.get("cluster_identifier")
        out: Out = [
            _res(raw, index, Kind.DATASTORE, attrs, name=name if isinstance(name, str) else raw.name),
            *_enc_edge(raw.address, key),
            *sg_edges,
        ]
        out += [edge(s, raw.address, EdgeKind.CONTAINS) for s in dict.fromkeys(_db_subnets(index, raw))]
        return out

    return normalise


def _redshift_tls_required(raw: RawResource, index: PlanIndex) -> Any:
    """require_ssl of the cluster's parameter group (posture.providers.aws.facts.transport decides)."""
    value = _group_parameter(index, raw, "cluster_parameter_group_name", ("aws_redshift_parameter_group",),
                             "require_ssl")
    return aws_transport.redshift_tls_required(value)


def _redshift(raw: RawResource, index: PlanIndex) -> Out:
    # encrypted and publicly_accessible: the provider's defaults for these differ between provider versions
    # (posture does not know which one a .tf targets), so unset values are left unknown rather than guessed.
    flag = raw.get("encrypted")
    flag = tri(flag) if isinstance(flag, str) else flag
    key = None
    if flag is True:
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    elif flag is False:
        enc = encryption(False, basis="explicit")
    else:
        enc = unknown_encryption()
    public = raw.get("publicly_accessible")
    sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_security_group_ids")
    attrs = {
        "store_type": "db_cluster",
        "encryption": enc,
        "public": UNKNOWN if public is None else tri(public),
        "backup": _backup(_backup_retention(raw, "automated_snapshot_retention_period")),
        "multi_az": tri(_unset_default(raw, "multi_az", False), False),
        "engine": "redshift",
        "transport": {"tls_required": _redshift_tls_required(raw, index), "min_tls_version": None},
        "firewalls": sgs,
    }
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("cluster_identifier"), raw.name)),
            *_enc_edge(raw.address, key), *sg_edges]


def _search_domain(raw: RawResource, index: PlanIndex) -> Out:
    at_rest = block(raw, "encrypt_at_rest")
    key = None
    if at_rest is UNKNOWN and raw.is_configured("encrypt_at_rest") is not False:
        enc = unknown_encryption()
    elif isinstance(at_rest, dict) and tri(at_rest.get("enabled")) is True:
        enc, key = _kms_encryption(index, raw, "encrypt_at_rest.0.kms_key_id")
    elif isinstance(at_rest, dict) and at_rest.get("enabled") is UNKNOWN:
        enc = unknown_encryption()
    else:
        enc = provider_default(raw.type)  # EncryptionAtRestOptions.Enabled defaults to false
    endpoint = block(raw, "domain_endpoint_options")
    if endpoint is UNKNOWN and raw.is_configured("domain_endpoint_options") is False:
        endpoint = {}
    if endpoint is UNKNOWN:
        https, min_tls = UNKNOWN, UNKNOWN
    else:
        # no block: the API default EnforceHTTPS=false; inside the block the provider defaults it to true
        https = tri(endpoint.get("enforce_https"), bool(endpoint))
        policy = endpoint.get("tls_security_policy")
        # an unset policy depends on the provider version (TLS 1.0 before, TLS 1.2 in newer ones): not judged
        min_tls = None if policy in (None, "") else aws_transport.search_min_tls(policy)
    n2n = block(raw, "node_to_node_encryption")
    if n2n is UNKNOWN and raw.is_configured("node_to_node_encryption") is False:
        n2n = {}
    # NodeToNodeEncryptionOptions.Enabled defaults to false in the API (the console turns it on)
    in_cluster = UNKNOWN if n2n is UNKNOWN else tri(n2n.get("enabled"), False)
    vpc = block(raw, "vpc_options")
    subnets = vpc.get("subnet_ids") if isinstance(vpc, dict) else UNKNOWN
    # Outside a VPC the domain has a public endpoint guarded by its access policy alone (as the live source reads it)
    public: Any = UNKNOWN if vpc is UNKNOWN else not (subnets is UNKNOWN or (isinstance(subnets, list) and subnets))
    sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_options.0.security_group_ids")
    attrs = {
        "store_type": "search",
        "encryption": enc,
        "public": public,
        "transport": {"tls_required": https, "min_tls_version": min_tls, "in_cluster_tls": in_cluster},
        "engine": raw.get("engine_version") if raw.type == "aws_opensearch_domain" else "elasticsearch",
        "firewalls": sgs,
    }
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("domain_name"), raw.name)),
            *_enc_edge(raw.address, key), *sg_edges]


def _dynamodb(raw: RawResource, index: PlanIndex) -> Out:
    sse = block(raw, "server_side_encryption")
    if sse is UNKNOWN and raw.is_configured("server_side_encryption") is False:
        sse = {}
    key = None
    if sse is UNKNOWN:
        enc = unknown_encryption()
    elif sse and sse.get("enabled") is True:
        enc, key = _kms_encryption(index, raw, "server_side_encryption.0.kms_key_arn")
    else:
        enc = provider_default("aws_dynamodb_table")
    pitr = block(raw, "point_in_time_recovery")
    if pitr is UNKNOWN and raw.is_configured("point_in_time_recovery") is False:
        pitr = {}
    enabled = UNKNOWN if pitr is UNKNOWN else tri(pitr.get("enabled"), False) if pitr else False
    attrs = {
        "store_type": "table",
        "encryption": enc,
        "public": False,
        "backup": {"enabled": enabled, "retention_days": None},
    }
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _sqs(raw: RawResource, index: PlanIndex) -> Out:
    key_id = raw.get("kms_master_key_id")
    managed = raw.get("sqs_managed_sse_enabled")
    key = None
    if key_id not in (None, ""):
        enc, key = _kms_encryption(index, raw, "kms_master_key_id")
    elif managed is True:
        enc = provider_key()
    elif managed is False:
        enc = encryption(False, basis="explicit")
    else:
        enc = provider_default("aws_sqs_queue")
    # SQS and SNS answer on plain-HTTP endpoints too; only a policy denying aws:SecureTransport = false
    # makes them refuse it (AWS security best practices for both services).
    policies = _resource_policies(raw, index.referrers(raw.address, ("aws_sqs_queue_policy",), "queue_url",
                                                       ("id", "url")))
    attrs = {"store_type": "queue", "encryption": enc, "public": UNKNOWN,
             "transport": {"tls_required": policies_deny_http(p for _, p in policies), "min_tls_version": None}}
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _sns(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    if raw.get("kms_master_key_id") not in (None, ""):
        enc, key = _kms_encryption(index, raw, "kms_master_key_id")
    else:
        enc = provider_default("aws_sns_topic")
    policies = _resource_policies(raw, index.referrers(raw.address, ("aws_sns_topic_policy",), "arn", ("arn",)))
    attrs = {"store_type": "topic", "encryption": enc, "public": UNKNOWN,
             "transport": {"tls_required": policies_deny_http(p for _, p in policies), "min_tls_version": None}}
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _efs(raw: RawResource, index: PlanIndex) -> Out:
    value = raw.get("encrypted")
    key = None
    if value is True:
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    elif value is False and raw.is_configured("encrypted"):
        enc = encryption(False, basis="explicit")
    elif value in (False, None) or (value is UNKNOWN and raw.is_configured("encrypted") is False):
        enc = provider_default("aws_efs_file_system")  # the API defaults Encrypted to false
    else:
        enc = unknown_encryption()
    # Automatic backups are on only through a backup policy (the console sets one; API/Terraform do not).
    policies = [block(p, "backup_policy") for p in
                index.referrers(raw.address, ("aws_efs_backup_policy",), "file_system_id", ("id",))]
    statuses = [p.get("status") if isinstance(p, dict) else UNKNOWN for p in policies]
    backups: Any = UNKNOWN if UNKNOWN in statuses else "ENABLED" in statuses
    attrs = {
        "store_type": "file_system",
        "encryption": enc,
        "public": False,
        "backup": {"enabled": backups, "retention_days": None},
    }
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _kinesis(raw: RawResource, index: PlanIndex) -> Out:
    kind = _unset_default(raw, "encryption_type", "NONE")
    key = None
    if kind is UNKNOWN:
        enc = unknown_encryption()
    elif str(kind or "NONE").upper() == "KMS":
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    else:
        enc = provider_default("aws_kinesis_stream")
    attrs = {"store_type": "stream", "encryption": enc, "public": False}
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _msk(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    if raw.get("encryption_info.0.encryption_at_rest_kms_key_arn") not in (None, ""):
        enc, key = _kms_encryption(index, raw, "encryption_info.0.encryption_at_rest_kms_key_arn")
    else:
        enc = provider_default("aws_msk_cluster")  # always encrypted at rest
    client = raw.get("encryption_info.0.encryption_in_transit.0.client_broker")
    if client is UNKNOWN and raw.is_configured("encryption_info.0.encryption_in_transit.0.client_broker") is False:
        client = None
    tls_required = aws_transport.msk_client_tls(client)
    in_cluster = tri(_unset_default(raw, "encryption_info.0.encryption_in_transit.0.in_cluster", True), True)
    attrs = {
        "store_type": "stream",
        "encryption": enc,
        "public": False,
        "transport": {"tls_required": tls_required, "min_tls_version": None, "in_cluster_tls": in_cluster},
        "engine": "kafka",
    }
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("cluster_name"), raw.name)),
            *_enc_edge(raw.address, key)]


def _elasticache(raw: RawResource, index: PlanIndex) -> Out:
    """A replication group, or a stand-alone cache cluster (which has no at-rest encryption option)."""
    if raw.type == "aws_elasticache_cluster" and _unset_default(raw, "replication_group_id", None) not in (None, ""):
        return []  # a member of a replication group, judged with the group
    enc, key = _storage_encrypted(raw, index, "at_rest_encryption_enabled", "kms_key_id")
    transit = _unset_default(raw, "transit_encryption_enabled", False)  # the API default is off
    if tri(transit) is True and raw.get("transit_encryption_mode") == "preferred":
        transit = False  # "preferred" (a migration mode) still accepts unencrypted connections
    retention = as_int(raw.get("snapshot_retention_limit"))
    if raw.type == "aws_elasticache_replication_group":
        multi_az = tri(raw.get("multi_az_enabled"), False)
    else:
        az_mode = raw.get("az_mode")
        multi_az = UNKNOWN if az_mode is UNKNOWN else az_mode == "cross-az"
    sgs, sg_edges = _protected_by(index, raw, raw.address, "security_group_ids")
    attrs = {
        "store_type": "cache",
        "encryption": enc,
        "public": False,
        "transport": {"tls_required": tri(transit, False), "min_tls_version": None},
        "backup": _backup(retention),
        "multi_az": multi_az,
        "engine": raw.get("engine"),
        "firewalls": sgs,
    }
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key), *sg_edges]


def _dax(raw: RawResource, index: PlanIndex) -> Out:
    sse = block(raw, "server_side_encryption")
    if sse is UNKNOWN and raw.is_configured("server_side_encryption") is not False:
        enc = unknown_encryption()
    elif isinstance(sse, dict) and tri(sse.get("enabled")) is True:
        enc = provider_key()  # DAX encrypts with an AWS owned key (AES-256); no customer key option
    else:
        enc = provider_default("aws_dax_cluster")
    endpoint = _unset_default(raw, "cluster_endpoint_encryption_type", "NONE")
    attrs = {
        "store_type": "cache",
        "encryption": enc,
        "public": False,
        "transport": {"tls_required": UNKNOWN if endpoint is UNKNOWN else endpoint == "TLS", "min_tls_version": None},
        "engine": "dax",
    }
    sgs, sg_edges = _protected_by(index, raw, raw.address, "security_group_ids")
    attrs["firewalls"] = sgs
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("cluster_name"), raw.name)), *sg_edges]


# -- load balancing and TLS ----------------------------------------------------------------------------------
# ``access_logs.enabled`` when the block is present but does not set it (provider docs: aws_lb "defaults to
# false, even when bucket is specified"; aws_elb defaults to true).
_ACCESS_LOGS_ENABLED_DEFAULT = {"aws_lb": False, "aws_alb": False, "aws_elb": True}


def _lb_access_logs(raw: RawResource) -> Any:
    logs = block(raw, "access_logs")
    if logs is UNKNOWN:
        return False if raw.is_configured("access_logs") is False else UNKNOWN
    if not logs:
        return False
    default = _ACCESS_LOGS_ENABLED_DEFAULT[raw.type]
    enabled = logs.get("enabled")
    if enabled is UNKNOWN and raw.is_configured("access_logs.0.enabled") is False:
        enabled = default
    return tri(enabled, default)


def _lb(raw: RawResource, index: PlanIndex) -> Out:
    internal = _unset_default(raw, "internal", False)
    lb_type = "classic" if raw.type == "aws_elb" else _first_str(raw.get("load_balancer_type"), "application")
    attrs = {
        "scheme": UNKNOWN if internal is UNKNOWN else ("internal" if internal else "internet-facing"),
        "lb_type": lb_type,
        "public_ips": [],
    }
    if lb_type != "gateway":  # gateway load balancers forward packets and have no access logs
        attrs["access_logs"] = _lb_access_logs(raw)
    sgs, sg_edges = _protected_by(index, raw, raw.address, "security_groups")
    attrs["firewalls"] = sgs
    out: Out = [_res(raw, index, Kind.LOAD_BALANCER, attrs), *sg_edges]
    out += [edge(s, raw.address, EdgeKind.CONTAINS) for s in index.targets(raw, "subnets", SUBNET_TYPES)]
    if raw.type == "aws_elb":
        out += _classic_listeners(raw, index)
    return out


def _classic_listeners(raw: RawResource, index: PlanIndex) -> Out:
    out: Out = []
    listeners = blocks(raw.values, "listener")
    if listeners is UNKNOWN:
        return out
    for i, lst in enumerate(listeners):
        proto = _first_str(lst.get("lb_protocol"), UNKNOWN)
        proto = proto.lower() if isinstance(proto, str) else proto
        port = as_int(lst.get("lb_port"))
        rid = f"{raw.address}/listener/{port}"
        tls = None
        certs: list[Any] = []
        if proto in ("https", "ssl"):
            policies = [
                p
                for p in index.referrers(raw.address, ("aws_lb_ssl_negotiation_policy",), "load_balancer")
                if as_int(p.get("lb_port")) == port
            ]
            tls = tls_policy("aws", policies[0].get("name"), "elb") if policies else default_tls_policy("aws", "elb")
            cert = index.target(raw, f"listener.{i}.ssl_certificate_id", CERT_TYPES, ("arn",))
            certs = [cert or lst.get("ssl_certificate_id")]
        attrs = {
            "protocol": proto,
            "port": port,
            "tls": tls,
            "redirects_to_https": False,
            "load_balancer": raw.address,
            "certificates": certs,
        }
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                attrs,
                rid=rid,
                name=f"{raw.name}:{port}",
                tags={},
                native_type="aws_elb.listener",
            )
        )
        out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
        out += [edge(rid, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    return out


def _redirects_to_https(actions: Any) -> Any:
    if actions is UNKNOWN:
        return UNKNOWN
    for a in actions or []:
        if a.get("type") == "redirect":
            redirect = block(a, "redirect")
            if redirect is UNKNOWN:
                return UNKNOWN
            return str(redirect.get("protocol", "")).upper() == "HTTPS"
    return False


def _lb_listener(raw: RawResource, index: PlanIndex) -> Out:
    protocol = raw.get("protocol")
    proto = UNKNOWN if protocol is UNKNOWN else str(protocol or "").lower() or UNKNOWN
    lb = index.target(raw, "load_balancer_arn", LB_TYPES, ("arn", "id"))
    policy = raw.get("ssl_policy")
    if proto in ("https", "tls"):
        if (policy is UNKNOWN and raw.is_configured("ssl_policy") is False) or policy in (None, ""):
            tls = default_tls_policy("aws", "elbv2")
        else:
            tls = tls_policy("aws", policy, "elbv2")
    elif proto is UNKNOWN:
        tls = UNKNOWN
    else:
        tls = None  # plain protocol: an ssl_policy name on an HTTP listener means nothing
    cert = index.target(raw, "certificate_arn", CERT_TYPES, ("arn",))
    cert_value = cert or raw.get("certificate_arn")
    certs = [cert_value] if cert_value not in (None, "") else []
    certs += [
        index.target(c, "certificate_arn", CERT_TYPES, ("arn",)) or c.get("certificate_arn")
        for c in index.referrers(raw.address, ("aws_lb_listener_certificate",), "listener_arn", ("arn",))
    ]
    attrs = {
        "protocol": proto,
        "port": as_int(raw.get("port")),
        "tls": tls,
        "redirects_to_https": _redirects_to_https(raw.get("default_action")) if proto == "http" else False,
        "load_balancer": lb or raw.get("load_balancer_arn"),
        "certificates": certs,
    }
    out: Out = [_res(raw, index, Kind.LISTENER, attrs, name=f"{raw.name}:{attrs['port']}")]
    if lb:
        out.append(edge(raw.address, lb, EdgeKind.ATTACHED_TO))
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    return out


def _cloudfront_origin_tls(raw: RawResource, http_redirect: Any) -> Any:
    """``origin_tls`` from the custom origins' protocol policies (posture.providers.aws.facts.transport)."""
    origins = blocks(raw.values, "origin")
    if origins is UNKNOWN:
        return UNKNOWN
    customs = [block(o, "custom_origin_config") for o in origins]
    policies = [UNKNOWN if c is UNKNOWN else c.get("origin_protocol_policy") for c in customs if c != {}]
    return aws_transport.origin_tls(policies, http_redirect)


def _cloudfront_access_logs(raw: RawResource, index: PlanIndex) -> Any:
    """Standard logging (legacy ``logging_config``, its bucket is required) or standard logging v2: a CloudWatch
    log delivery source of type ACCESS_LOGS for the distribution that a ``aws_cloudwatch_log_delivery`` uses."""
    legacy = block(raw, "logging_config")
    if legacy is not UNKNOWN and legacy:
        return True
    sources = [
        s
        for s in index.referrers(raw.address, ("aws_cloudwatch_log_delivery_source",), "resource_arn", ("arn",))
        if s.get("log_type") in ("ACCESS_LOGS", UNKNOWN)
    ]
    delivered = any(
        index.referrers(s.address, ("aws_cloudwatch_log_delivery",), "delivery_source_name", ("name",))
        for s in sources
    )
    return True if delivered else (UNKNOWN if legacy is UNKNOWN else False)


def _cloudfront(raw: RawResource, index: PlanIndex) -> Out:
    vc = block(raw, "viewer_certificate")
    out: Out = []
    certs: list[Any] = []
    if vc is UNKNOWN:
        tls = tls_policy("aws", UNKNOWN, "cloudfront")
    elif vc.get("cloudfront_default_certificate") is True:
        tls = tls_policy("aws", "TLSv1", "cloudfront")  # forced with the *.cloudfront.net certificate
    else:
        policy = vc.get("minimum_protocol_version")
        policy = "TLSv1" if policy in (None, "") else policy
        tls = tls_policy("aws", policy, "cloudfront")
        cert = index.target(raw, "viewer_certificate.acm_certificate_arn", CERT_TYPES, ("arn",))
        value = cert or _first_str(vc.get("acm_certificate_arn"), vc.get("iam_certificate_id"))
        if value not in (None, ""):
            certs.append(value)
    behaviours = blocks(raw.values, "default_cache_behavior")
    ordered = blocks(raw.values, "ordered_cache_behavior")
    policies = [b.get("viewer_protocol_policy") for b in (behaviours if isinstance(behaviours, list) else [])]
    policies += [b.get("viewer_protocol_policy") for b in (ordered if isinstance(ordered, list) else [])]
    http_redirect = aws_transport.viewer_http_redirect(policies)
    common = {"load_balancer": None, "certificates": certs}
    attrs = {"protocol": "https", "port": 443, "tls": tls, "redirects_to_https": False, **common}
    origin_tls = _cloudfront_origin_tls(raw, http_redirect)
    if origin_tls is not None:
        attrs["origin_tls"] = origin_tls
    attrs["access_logs"] = _cloudfront_access_logs(raw, index)
    out.append(_res(raw, index, Kind.LISTENER, attrs))
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    if http_redirect is not None:
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                {"protocol": "http", "port": 80, "tls": None, "redirects_to_https": http_redirect, **common},
                rid=f"{raw.address}/http",
                name=f"{raw.name}:80",
                native_type="aws_cloudfront_distribution.http",
            )
        )
    return out


def _api_domain(raw: RawResource, index: PlanIndex) -> Out:
    """An API Gateway custom domain name: an HTTPS listener with the domain's security policy."""
    path = "security_policy" if raw.type == "aws_api_gateway_domain_name" else (
        "domain_name_configuration.0.security_policy")
    policy = raw.get(path)
    if raw.type == "aws_apigatewayv2_domain_name":
        tls = tls_policy("aws", "TLS_1_2", "apigateway")  # HTTP/WebSocket APIs accept only TLS_1_2
    elif policy in (None, "") or (policy is UNKNOWN and raw.is_configured(path) is False):
        tls = default_tls_policy("aws", "apigateway")
    else:
        tls = tls_policy("aws", policy, "apigateway")
    cert_paths = ("certificate_arn", "regional_certificate_arn", "domain_name_configuration.0.certificate_arn")
    certs = [index.target(raw, p, CERT_TYPES, ("arn",)) or raw.get(p) for p in cert_paths]
    certs = [c for c in certs if c not in (None, "")]
    attrs = {"protocol": "https", "port": 443, "tls": tls, "redirects_to_https": False, "load_balancer": None,
             "certificates": certs}
    out: Out = [_res(raw, index, Kind.LISTENER, attrs, name=_first_str(raw.get("domain_name"), raw.name))]
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    return out


def _acm(raw: RawResource, index: PlanIndex) -> Out:
    algo = raw.get("key_algorithm")
    if algo is UNKNOWN and raw.is_configured("key_algorithm") is False:
        algo = "RSA_2048"  # ACM's documented default for requested certificates
    spec = key_spec("aws", algo)
    if spec["algorithm"] is UNKNOWN and isinstance(algo, str):
        spec = _acm_spec(algo)
    domains = [raw.get("domain_name")]
    sans = raw.get("subject_alternative_names")
    domains += list(sans) if isinstance(sans, list) else []
    attrs = {
        "key_algorithm": spec["algorithm"],
        "key_bits": spec["bits"],
        "domains": [d for d in dict.fromkeys(domains) if isinstance(d, str) and d],
        "managed": not raw.is_configured("certificate_body") and raw.get("certificate_body") in (None, UNKNOWN),
        "not_after": raw.get("not_after") if isinstance(raw.get("not_after"), str) else UNKNOWN,
    }
    return [_res(raw, index, Kind.CERTIFICATE, attrs, name=raw.get("domain_name"))]


def _acm_spec(algo: str) -> dict[str, Any]:
    """ACM key_algorithm names: RSA_2048, EC_prime256v1, EC_secp384r1 ..."""
    if algo.startswith("RSA_") and algo[4:].isdigit():
        return {"algorithm": "RSA", "bits": int(algo[4:])}
    curves = {"EC_prime256v1": 256, "EC_secp384r1": 384, "EC_secp521r1": 521}
    if algo in curves:
        return {"algorithm": "EC", "bits": curves[algo]}
    return {"algorithm": UNKNOWN, "bits": UNKNOWN}


_KEY_USAGE = {
    "ENCRYPT_DECRYPT": "encrypt",
    "SIGN_VERIFY": "sign",
    "GENERATE_VERIFY_MAC": "mac",
    "KEY_AGREEMENT": "key_agreement",
}
def _kms_key(raw: RawResource, index: PlanIndex) -> Out:
    spec_name = raw.get("customer_master_key_spec")
    if spec_name in (None, ""):
        spec_name = raw.get("key_spec")
    if spec_name in (None, "") or (spec_name is UNKNOWN and raw.is_configured("customer_master_key_spec") is False):
        spec_name = "SYMMETRIC_DEFAULT"
    spec = key_spec("aws", spec_name)  # the knowledge table (posture/knowledge/key_specs.yaml)
    rotation = raw.get("enable_key_rotation")
    enabled = tri(rotation, False)
    period = as_int(raw.get("rotation_period_in_days"))
    if enabled is True and period is UNKNOWN and raw.is_configured("rotation_period_in_days") is False:
        period = 365  # AWS KMS default rotation period
    usage = raw.get("key_usage")
    attrs = {
        "manager": "customer",
        "algorithm": spec["algorithm"],
        "bits": spec["bits"],
        "usage": UNKNOWN if usage is UNKNOWN else _KEY_USAGE.get(usage or "ENCRYPT_DECRYPT", str(usage).lower()),
        # KMS rotates only symmetric encryption keys automatically
        # (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
        "rotation": {"enabled": enabled, "period_days": period if enabled is not False else None,
                     "supported": spec_name == "SYMMETRIC_DEFAULT" if isinstance(spec_name, str) else UNKNOWN},
        "enabled": tri(raw.get("is_enabled"), True),
        "expires": None,
        "protection": "hsm" if raw.get("custom_key_store_id") not in (None, "", UNKNOWN) else None,
    }
    return [_res(raw, index, Kind.KEY, attrs, name=_first_str(raw.get("description"), raw.name))]


# -- logging and identity ------------------------------------------------------------------------------------
def _cloudtrail(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    if raw.get("kms_key_id") not in (None, ""):
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    else:
        enc = provider_default("aws_cloudtrail")
    org = raw.get("is_organization_trail")
    attrs = {
        "multi_region": tri(raw.get("is_multi_region_trail"), False),
        "enabled": tri(raw.get("enable_logging"), True),
        "log_validation": tri(raw.get("enable_log_file_validation"), False),
        "encryption": enc,
        "covers": UNKNOWN if org is UNKNOWN else ("organization" if org else "account"),
        "retention_days": None,
    }
    return [_res(raw, index, Kind.LOG_SINK, attrs), *_enc_edge(raw.address, key)]


def _iam_user(raw: RawResource, index: PlanIndex) -> Out:
    attachments = index.referrers(raw.address, ("aws_iam_user_policy_attachment",), "user", ("name",))
    inline = index.referrers(raw.address, ("aws_iam_user_policy",), "user", ("name",))
    arns = [a.get("policy_arn") for a in attachments]
    if any(isinstance(a, str) and a.endswith(":policy/AdministratorAccess") for a in arns):
        privileged: Any = True
    elif attachments or inline:
        privileged = UNKNOWN  # policy contents are not evaluated here
    else:
        privileged = False
    keys = [
        {"id_suffix": UNKNOWN, "created": UNKNOWN, "active": k.get("status", "Active") != "Inactive"}
        for k in index.referrers(raw.address, ("aws_iam_access_key",), "user", ("name",))
    ]
    attrs = {"user_type": "user", "mfa": UNKNOWN, "privileged": privileged, "access_keys": keys}
    return [_res(raw, index, Kind.IDENTITY, attrs)]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_vpc": _vpc,
    "aws_default_vpc": _vpc,
    "aws_subnet": _subnet,
    "aws_default_subnet": _subnet,
    "aws_route_table": _route_table,
    "aws_default_route_table": _route_table,
    "aws_internet_gateway": _gateway("internet"),
    "aws_nat_gateway": _gateway("nat"),
    "aws_vpn_gateway": _gateway("vpn"),
    "aws_ec2_transit_gateway": _gateway("transit"),
    "aws_security_group": _security_group,
    "aws_default_security_group": _security_group,
    **dict.fromkeys(_SG_RULE_TYPES, _orphan_sg_rule),
    "aws_network_acl": _network_acl,
    "aws_default_network_acl": _network_acl,
    "aws_instance": _instance,
    "aws_ebs_volume": _ebs_volume,
    "aws_ebs_encryption_by_default": _ebs_default,
    "aws_s3_account_public_access_block": _s3_account_pab,
    "aws_s3_bucket": _s3_bucket,
    "aws_db_instance": _rds("database"),
    "aws_rds_cluster": _rds("db_cluster"),
    "aws_docdb_cluster": _rds("db_cluster"),
    "aws_neptune_cluster": _rds("db_cluster"),
    "aws_redshift_cluster": _redshift,
    "aws_elasticsearch_domain": _search_domain,
    "aws_opensearch_domain": _search_domain,
    "aws_kinesis_stream": _kinesis,
    "aws_msk_cluster": _msk,
    "aws_launch_configuration": _launch_volumes,
    "aws_launch_template": _launch_volumes,
    "aws_api_gateway_domain_name": _api_domain,
    "aws_apigatewayv2_domain_name": _api_domain,
    "aws_dynamodb_table": _dynamodb,
    "aws_sqs_queue": _sqs,
    "aws_sns_topic": _sns,
    "aws_efs_file_system": _efs,
    "aws_elasticache_replication_group": _elasticache,
    "aws_elasticache_cluster": _elasticache,
    "aws_dax_cluster": _dax,
    "aws_lb": _lb,
    "aws_alb": _lb,
    "aws_elb": _lb,
    "aws_lb_listener": _lb_listener,
    "aws_alb_listener": _lb_listener,
    "aws_cloudfront_distribution": _cloudfront,
    "aws_acm_certificate": _acm,
    "aws_kms_key": _kms_key,
    "aws_cloudtrail": _cloudtrail,
    "aws_iam_user": _iam_user,
}
"""Native AWS type -> normaliser."""

JOINED: frozenset[str] = frozenset(
    {
        "aws_flow_log",
        "aws_route",
        "aws_route_table_association",
        "aws_network_acl_rule",
        "aws_network_acl_association",
        "aws_eip",
        "aws_eip_association",
        "aws_volume_attachment",
        "aws_ebs_default_kms_key",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_policy",
        "aws_sqs_queue_policy",
        "aws_sns_topic_policy",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_ownership_controls",
        "aws_db_subnet_group",
        "aws_db_parameter_group",
        "aws_rds_cluster_parameter_group",
        "aws_docdb_cluster_parameter_group",
        "aws_redshift_parameter_group",
        "aws_rds_cluster_instance",
        "aws_docdb_cluster_instance",
        "aws_neptune_cluster_instance",
        "aws_efs_backup_policy",
        "aws_lb_listener_certificate",
        "aws_lb_ssl_negotiation_policy",
        "aws_kms_alias",  # names only; carries no posture
        "aws_iam_user_policy_attachment",
        "aws_iam_user_policy",
        "aws_iam_access_key",
    }
)
"""Types folded into another resource (or deliberately ignored) rather than normalised on their own."""
