"""Collection tasks for EC2 and VPC: networks, routing, firewalls, instances, interfaces, volumes."""

from __future__ import annotations

from typing import Any

from posture.providers.aws.reader import Reader
from posture.providers.aws.session import SessionSpec

Lists = tuple[tuple[str, str, str, dict[str, Any]], ...]

NETWORK_LISTS: Lists = (
    ("ec2.vpc", "describe_vpcs", "Vpcs", {}),
    ("ec2.subnet", "describe_subnets", "Subnets", {}),
    ("ec2.route_table", "describe_route_tables", "RouteTables", {}),
    ("ec2.internet_gateway", "describe_internet_gateways", "InternetGateways", {}),
    ("ec2.nat_gateway", "describe_nat_gateways", "NatGateways", {}),
    ("ec2.network_acl", "describe_network_acls", "NetworkAcls", {}),
    ("ec2.vpc_peering", "describe_vpc_peering_connections", "VpcPeeringConnections", {}),
    ("ec2.flow_log", "describe_flow_logs", "FlowLogs", {}),
)

COMPUTE_LISTS: Lists = (
    ("ec2.network_interface", "describe_network_interfaces", "NetworkInterfaces", {}),
    ("ec2.volume", "describe_volumes", "Volumes", {}),
)


def read_lists(r: Reader, lists: Lists) -> None:
    """Read each fully paged list of ``lists`` into records of its type."""
    for rtype, op, key, kwargs in lists:
        r.put(rtype, r.pages(op, key, **kwargs))


def ec2_network(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """VPCs, subnets, route tables, internet/NAT gateways, NACLs, peering connections, flow logs."""
    r = Reader(spec, account, region, "ec2", "ec2_network")
    read_lists(r, NETWORK_LISTS)
    return r.result()


def ec2_firewalls(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Security groups and every rule of every group (one paged describe_security_group_rules)."""
    r = Reader(spec, account, region, "ec2", "ec2_firewalls")
    r.put("ec2.security_group", r.pages("describe_security_groups", "SecurityGroups"))
    r.put("ec2.security_group_rule", r.pages("describe_security_group_rules", "SecurityGroupRules"))
    return r.result()


def ec2_compute(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Instances, network interfaces, EBS volumes and the region's EBS encryption-by-default setting."""
    r = Reader(spec, account, region, "ec2", "ec2_compute")
    reservations = r.pages("describe_instances", "Reservations")
    if reservations is not None:
        r.put("ec2.instance", [i for res in reservations for i in res.get("Instances", [])])
    read_lists(r, COMPUTE_LISTS)
    setting = r.call("get_ebs_encryption_by_default")
    if setting is not None:
        record: dict[str, Any] = {"enabled": bool(setting.get("EbsEncryptionByDefault"))}
        if record["enabled"]:  # the key only matters when the default is on
            key = r.call("get_ebs_default_kms_key_id")
            record["key_id"] = key.get("KmsKeyId") if isinstance(key, dict) else None
        r.put("ec2.ebs_default", [record])
    return r.result()
