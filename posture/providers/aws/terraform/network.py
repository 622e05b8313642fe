"""AWS network resources of a Terraform plan: VPCs, subnets, routes, gateways, security groups, network ACLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.knowledge.network import protocol_name
from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts.nacl import nacl_final_rules
from posture.providers.aws.terraform.common import (
    SG_TYPES,
    SUBNET_TYPES,
    VPC_TYPES,
    Out,
    _first_str,
    _in_plan,
    _ref,
    _region,
    _res,
)
from posture.providers.kit.builders import edge, rule, str_list
from posture.providers.kit.ports import ALL_PORTS, port_range
from posture.providers.kit.values import as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource, address_type, split_address


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
    return protocol_name(str(value).lower())


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
    extra: dict[str, Any] = {"source": source} if source else {}
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
    rules += nacl_final_rules()
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
