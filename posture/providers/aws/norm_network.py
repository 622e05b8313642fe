"""EC2/VPC records -> network, subnet, route_table, gateway, firewall, interface, compute, volumes."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts.nacl import FINAL_RULE_NUMBER, nacl_final_rules
from posture.providers.aws.norm_common import (
    Index,
    Out,
    arn,
    ec2_arn,
    ec2_ref,
    kms_encryption,
    name_tag,
    not_encrypted,
    ports,
    protocol,
    tags_of,
)
from posture.providers.kit.builders import rule

_ROUTE_TARGETS = (  # (field, id prefix or "", ARN resource kind or None, target_kind)
    ("GatewayId", "igw-", "internet-gateway", "internet_gateway"),
    ("NatGatewayId", "", "natgateway", "nat_gateway"),
    ("TransitGatewayId", "", "transit-gateway", "transit_gateway"),
    ("VpcPeeringConnectionId", "", "vpc-peering-connection", "peering"),
)


def _flow_logged(idx: Index, rec: dict[str, Any], ident: str, absent: Any) -> Any:
    if not idx.was_read("ec2.flow_log", rec):
        return UNKNOWN
    logged = {(f["_account"], f["_region"], f.get("ResourceId")) for f in idx.records("ec2.flow_log")}
    return True if (rec["_account"], rec["_region"], ident) in logged else absent


def networks(idx: Index, out: Out) -> None:
    """VPCs, subnets, flow logs, and peering (both directions)."""
    for vpc in idx.records("ec2.vpc"):
        cidrs = [a["CidrBlock"] for a in vpc.get("CidrBlockAssociationSet", []) if a.get("CidrBlock")] \
            or [vpc["CidrBlock"]]
        cidrs += [a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", []) if a.get("Ipv6CidrBlock")]
        attrs = {"cidrs": cidrs, "is_default": bool(vpc.get("IsDefault")),
                 "flow_logs": _flow_logged(idx, vpc, vpc["VpcId"], False)}
        out.add(vpc, ec2_arn(vpc, "vpc", vpc["VpcId"]), Kind.NETWORK, "ec2.vpc", attrs,
                name=name_tag(vpc, vpc["VpcId"]), tags=tags_of(vpc))
    for sn in idx.records("ec2.subnet"):
        cidrs = [sn["CidrBlock"]] + [a["Ipv6CidrBlock"] for a in sn.get("Ipv6CidrBlockAssociationSet", [])]
        vpc_id = ec2_arn(sn, "vpc", sn["VpcId"])
        rid = sn.get("SubnetArn") or ec2_arn(sn, "subnet", sn["SubnetId"])
        attrs = {"cidrs": cidrs, "network": vpc_id, "map_public_ip": bool(sn.get("MapPublicIpOnLaunch")),
                 "zone": sn.get("AvailabilityZone"), "flow_logs": _flow_logged(idx, sn, sn["SubnetId"], None)}
        out.add(sn, rid, Kind.SUBNET, "ec2.subnet", attrs, name=name_tag(sn, sn["SubnetId"]), tags=tags_of(sn))
        out.edge(vpc_id, rid, EdgeKind.CONTAINS)
    for pcx in idx.records("ec2.vpc_peering"):
        if (pcx.get("Status") or {}).get("Code") != "active":
            continue
        a, b = pcx.get("RequesterVpcInfo", {}), pcx.get("AccepterVpcInfo", {})
        ends = [arn("ec2", v.get("Region") or pcx["_region"], v.get("OwnerId") or pcx["_account"],
                    f"vpc/{v['VpcId']}") for v in (a, b) if v.get("VpcId")]
        if len(ends) == 2:
            out.edge(ends[0], ends[1], EdgeKind.PEERS_WITH, connection=pcx["VpcPeeringConnectionId"])
            out.edge(ends[1], ends[0], EdgeKind.PEERS_WITH, connection=pcx["VpcPeeringConnectionId"])


def _route(rec: dict[str, Any], route: dict[str, Any]) -> dict[str, Any]:
    dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock") \
        or route.get("DestinationPrefixListId")
    if route.get("GatewayId") == "local":
        return {"destination": dest, "target": "local", "target_kind": "local"}
    for field, prefix, kind, target_kind in _ROUTE_TARGETS:
        value = route.get(field)
        if value and value.startswith(prefix):
            return {"destination": dest, "target": ec2_ref(rec, kind, value), "target_kind": target_kind}
    other = next((route[k] for k in ("GatewayId", "NetworkInterfaceId", "InstanceId", "EgressOnlyInternetGatewayId",
                                     "LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn") if route.get(k)), None)
    return {"destination": dest, "target": other, "target_kind": "other"}


def routing(idx: Index, out: Out) -> None:
    """Route tables (subnet -> route table -> gateway), internet and NAT gateways."""
    explicit: set[tuple[str, str, str]] = set()
    main: dict[tuple[str, str, Any], str] = {}
    for rt in idx.records("ec2.route_table"):
        rid = ec2_arn(rt, "route-table", rt["RouteTableId"])
        routes = [_route(rt, r) for r in rt.get("Routes", []) if r.get("State", "active") == "active"]
        out.add(rt, rid, Kind.ROUTE_TABLE, "ec2.route_table",
                {"routes": routes, "network": ec2_ref(rt, "vpc", rt.get("VpcId"))},
                name=name_tag(rt, rt["RouteTableId"]), tags=tags_of(rt))
        for r in routes:
            if r["target_kind"] in ("internet_gateway", "nat_gateway", "transit_gateway"):
                out.edge(rid, r["target"], EdgeKind.ROUTES_TO, destination=r["destination"])
        for assoc in rt.get("Associations", []):
            if assoc.get("SubnetId"):
                explicit.add((rt["_account"], rt["_region"], assoc["SubnetId"]))
                out.edge(ec2_arn(rt, "subnet", assoc["SubnetId"]), rid, EdgeKind.ROUTES_TO)
            elif assoc.get("Main"):
                main[(rt["_account"], rt["_region"], rt.get("VpcId"))] = rid
    for sn in idx.records("ec2.subnet"):  # subnets without an explicit association use the main table
        key = (sn["_account"], sn["_region"], sn["SubnetId"])
        table = main.get((sn["_account"], sn["_region"], sn["VpcId"]))
        if key not in explicit and table:
            out.edge(sn.get("SubnetArn") or ec2_arn(sn, "subnet", sn["SubnetId"]), table, EdgeKind.ROUTES_TO)
    for igw in idx.records("ec2.internet_gateway"):
        vpcs = [a["VpcId"] for a in igw.get("Attachments", []) if a.get("State") in ("available", "attached")]
        out.add(igw, ec2_arn(igw, "internet-gateway", igw["InternetGatewayId"]), Kind.GATEWAY,
                "ec2.internet_gateway", {"gateway_type": "internet", "network": ec2_ref(igw, "vpc", next(iter(vpcs),
                                                                                                      None))},
                name=name_tag(igw, igw["InternetGatewayId"]), tags=tags_of(igw))
    for nat in idx.records("ec2.nat_gateway"):
        if nat.get("State") in ("deleted", "deleting", "failed"):
            continue
        attrs = {"gateway_type": "nat", "network": ec2_ref(nat, "vpc", nat.get("VpcId")),
                 "subnet": ec2_ref(nat, "subnet", nat.get("SubnetId")),
                 "public": nat.get("ConnectivityType", "public") == "public"}
        out.add(nat, ec2_arn(nat, "natgateway", nat["NatGatewayId"]), Kind.GATEWAY, "ec2.nat_gateway", attrs,
                name=name_tag(nat, nat["NatGatewayId"]), tags=tags_of(nat))


def _sg_peer(rec: dict[str, Any], group_id: str | None, owner: str | None = None) -> str:
    return f"sg:{arn('ec2', rec['_region'], owner or rec['_account'], f'security-group/{group_id}')}"


def _rule_from_api(rec: dict[str, Any], r: dict[str, Any]) -> dict[str, Any]:
    """One describe_security_group_rules entry."""
    proto = protocol(r.get("IpProtocol", "-1"))
    ref = r.get("ReferencedGroupInfo") or {}
    peers = [p for p in (r.get("CidrIpv4"), r.get("CidrIpv6"), r.get("PrefixListId")) if p]
    if ref.get("GroupId"):
        peers.append(_sg_peer(rec, ref["GroupId"], ref.get("UserId")))
    return rule("egress" if r.get("IsEgress") else "ingress", "allow", proto,
                   ports(proto, r.get("FromPort"), r.get("ToPort")), peers, description=r.get("Description"))


def _rules_from_permissions(rec: dict[str, Any], perms: list[dict[str, Any]], direction: str) -> list[dict]:
    """The IpPermissions form (used when describe_security_group_rules could not be read)."""
    rules = []
    for p in perms:
        proto = protocol(p.get("IpProtocol", "-1"))
        peers = [x["CidrIp"] for x in p.get("IpRanges", [])] + [x["CidrIpv6"] for x in p.get("Ipv6Ranges", [])]
        peers += [x["PrefixListId"] for x in p.get("PrefixListIds", [])]
        peers += [_sg_peer(rec, g["GroupId"], g.get("UserId")) for g in p.get("UserIdGroupPairs", [])]
        rules.append(rule(direction, "allow", proto, ports(proto, p.get("FromPort"), p.get("ToPort")), peers))
    return rules


def firewalls(idx: Index, out: Out) -> None:
    """Security groups (instance layer, stateful, union of allows) and network ACLs (subnet layer)."""
    by_group: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in idx.records("ec2.security_group_rule"):
        by_group.setdefault((r["_account"], r["_region"], r["GroupId"]), []).append(r)
    for sg in idx.records("ec2.security_group"):
        if idx.was_read("ec2.security_group_rule", sg):
            rules = [_rule_from_api(sg, r) for r in by_group.get((sg["_account"], sg["_region"], sg["GroupId"]), [])]
        else:
            rules = _rules_from_permissions(sg, sg.get("IpPermissions", []), "ingress") + \
                _rules_from_permissions(sg, sg.get("IpPermissionsEgress", []), "egress")
        attrs = {"layer": "instance", "stateful": True, "is_default": sg.get("GroupName") == "default",
                 "network": ec2_ref(sg, "vpc", sg.get("VpcId")), "rules": rules}
        out.add(sg, ec2_arn(sg, "security-group", sg["GroupId"]), Kind.FIREWALL, "ec2.security_group", attrs,
                name=sg.get("GroupName") or sg["GroupId"], tags=tags_of(sg))
    for acl in idx.records("ec2.network_acl"):
        rid = ec2_arn(acl, "network-acl", acl["NetworkAclId"])
        rules = []
        for e in acl.get("Entries", []):
            proto = protocol(e.get("Protocol", "-1"))
            port_range = e.get("PortRange") or {}
            rules.append(rule("egress" if e.get("Egress") else "ingress", e.get("RuleAction", "deny"), proto,
                                 ports(proto, port_range.get("From"), port_range.get("To")),
                                 [p for p in (e.get("CidrBlock"), e.get("Ipv6CidrBlock")) if p],
                                 priority=e.get("RuleNumber"), implied=e.get("RuleNumber") == FINAL_RULE_NUMBER))
        for final in nacl_final_rules():  # the final "*" deny, when the API did not list it
            if not any(r["implied"] and r["direction"] == final["direction"] for r in rules):
                rules.append(final)
        attrs = {"layer": "subnet", "stateful": False, "is_default": bool(acl.get("IsDefault")),
                 "network": ec2_ref(acl, "vpc", acl.get("VpcId")), "rules": rules}
        out.add(acl, rid, Kind.FIREWALL, "ec2.network_acl", attrs, name=name_tag(acl, acl["NetworkAclId"]),
                tags=tags_of(acl))
        for assoc in acl.get("Associations", []):
            out.edge(ec2_ref(acl, "subnet", assoc.get("SubnetId")), rid, EdgeKind.PROTECTED_BY)


def _role(tags: dict[str, str]) -> str | None:
    for key in ("role", "Role", "posture:role"):
        if tags.get(key, "").lower() in ("internal", "public"):
            return tags[key].lower()
    return None


def _elb_from_description(rec: dict[str, Any], description: str) -> str | None:
    """The load balancer an ELB-managed interface belongs to ("ELB app/name/id", "ELB name")."""
    if not description.startswith("ELB "):
        return None
    ref = description[4:]
    return arn("elasticloadbalancing", rec["_region"], rec["_account"], f"loadbalancer/{ref}")


def compute(idx: Index, out: Out) -> None:
    """Instances, network interfaces and EBS volumes, with their subnet/firewall/key edges."""
    existing = {r.id for r in out.resources}
    for inst in idx.records("ec2.instance"):
        if (inst.get("State") or {}).get("Name") in ("terminated", "shutting-down"):
            continue
        rid = ec2_arn(inst, "instance", inst["InstanceId"])
        sgs = [ec2_arn(inst, "security-group", g["GroupId"]) for g in inst.get("SecurityGroups", [])]
        enis = inst.get("NetworkInterfaces", [])
        public = [inst["PublicIpAddress"]] if inst.get("PublicIpAddress") else []
        public += [e["Association"]["PublicIp"] for e in enis if (e.get("Association") or {}).get("PublicIp")]
        tokens = (inst.get("MetadataOptions") or {}).get("HttpTokens")
        tags = tags_of(inst)
        subnet = ec2_ref(inst, "subnet", inst.get("SubnetId"))
        attrs = {"public_ips": list(dict.fromkeys(public)),
                 "private_ips": [inst["PrivateIpAddress"]] if inst.get("PrivateIpAddress") else [],
                 "network_tags": [], "service_accounts": [], "subnet": subnet, "image": inst.get("ImageId"),
                 "imds_v2_required": UNKNOWN if tokens is None else tokens == "required", "role": _role(tags),
                 "firewalls": sgs}
        out.add(inst, rid, Kind.COMPUTE, "ec2.instance", attrs, name=tags.get("Name") or inst["InstanceId"],
                tags=tags)
        out.edge(subnet, rid, EdgeKind.CONTAINS)
        for sg in sgs:
            out.edge(rid, sg, EdgeKind.PROTECTED_BY)
        existing.add(rid)
    for eni in idx.records("ec2.network_interface"):
        rid = ec2_arn(eni, "network-interface", eni["NetworkInterfaceId"])
        sgs = [ec2_arn(eni, "security-group", g["GroupId"]) for g in eni.get("Groups", [])]
        subnet = ec2_ref(eni, "subnet", eni.get("SubnetId"))
        public = [a["Association"]["PublicIp"] for a in eni.get("PrivateIpAddresses", [])
                  if (a.get("Association") or {}).get("PublicIp")]
        attrs = {"subnet": subnet, "private_ips": [a["PrivateIpAddress"] for a in eni.get("PrivateIpAddresses", [])],
                 "public_ips": public, "firewalls": sgs, "description": eni.get("Description") or None}
        out.add(eni, rid, Kind.INTERFACE, "ec2.network_interface", attrs, name=eni["NetworkInterfaceId"],
                tags=tags_of(eni, "TagSet"))
        out.edge(subnet, rid, EdgeKind.CONTAINS)
        for sg in sgs:
            out.edge(rid, sg, EdgeKind.PROTECTED_BY)
        owner = ec2_ref(eni, "instance", (eni.get("Attachment") or {}).get("InstanceId"))
        owner = owner or _elb_from_description(eni, eni.get("Description") or "")
        if owner in existing or (owner and ":elasticloadbalancing:" in owner):
            out.edge(rid, owner, EdgeKind.ATTACHED_TO)
    for vol in idx.records("ec2.volume"):
        rid = ec2_arn(vol, "volume", vol["VolumeId"])
        enc = kms_encryption(idx, out, rid, vol.get("KmsKeyId"), vol["_account"], vol["_region"]) \
            if vol.get("Encrypted") else not_encrypted()
        attachments = [ec2_arn(vol, "instance", a["InstanceId"]) for a in vol.get("Attachments", [])]
        attrs = {"store_type": "block_volume", "encryption": enc, "public": False, "zone": vol.get("AvailabilityZone"),
                 "attached_to": attachments}
        out.add(vol, rid, Kind.DATASTORE, "ec2.volume", attrs, name=name_tag(vol, vol["VolumeId"]),
                tags=tags_of(vol))
        for attached in attachments:
            if attached in existing:
                out.edge(rid, attached, EdgeKind.ATTACHED_TO)
    for setting in idx.records("ec2.ebs_default"):
        key = setting.get("key_id")
        attrs = {"ebs_default_encryption": setting["enabled"],
                 "ebs_default_key": idx.resolve_key(key, setting["_account"], setting["_region"]) if key else None}
        out.add(setting, account_id(setting["_account"], setting["_region"]), Kind.ACCOUNT, "ec2.account_settings",
                attrs, name=f"{setting['_account']} {setting['_region']}")


def account_id(account: str, region: str = "") -> str:
    """Id of the account resource (regional settings when ``region`` is given)."""
    return f"aws:account:{account}" + (f":{region}" if region else "")
