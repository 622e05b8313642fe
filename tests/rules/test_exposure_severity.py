"""Severity follows exposure: a subnet filter nothing behind reaches is defence in depth, an open SG is not.

boto3 against moto in-process; the reachability the enricher derives decides which network findings keep
their critical/high severity.
"""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

import posture
from posture.graph import INTERNET
from posture.model import EdgeKind, Severity

REGION = "us-east-1"
_HIGH = (Severity.CRITICAL, Severity.HIGH)


def _web_vpc(ec2) -> dict[str, str]:
    """A VPC routed to an internet gateway, its default NACL (allow all), a deny-all SG and an instance
    with a public address behind both."""
    vpc = ec2.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.10.1.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg], "AssociatePublicIpAddress": True}])
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                             {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    return {"vpc": vpc, "sg": sg, "acl": acl["NetworkAclId"]}


def _net(result, needle: str) -> list:
    return [f for f in result.findings if f.category.value == "network.exposure" and needle in f.resource.id]


@pytest.fixture(scope="module")
def scans():
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        fresh = posture.scan_aws(session, regions=[REGION])
        ec2 = session.client("ec2", region_name=REGION)
        ids = _web_vpc(ec2)
        closed = posture.scan_aws(session, regions=[REGION])
        ec2.authorize_security_group_ingress(GroupId=ids["sg"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        open_ssh = posture.scan_aws(session, regions=[REGION])
    return fresh, closed, open_ssh, ids


def test_fresh_account_default_nacl_is_one_low_defence_in_depth_finding(scans):
    fresh = scans[0]
    acls = [f for f in fresh.findings if f.resource.native_type == "ec2.network_acl"]
    assert [(f.rule_id, f.severity) for f in acls] == [("POSTURE-NET-003", Severity.LOW)]
    assert "defence in depth" in acls[0].evidence.details["exposure"]
    assert not [f for f in fresh.findings if f.category.value == "network.exposure" and f.severity in _HIGH]


def test_deny_all_security_group_behind_the_default_nacl_gives_no_critical_or_high(scans):
    _, closed, _, ids = scans
    assert not list(closed.graph.in_edges(_instance(closed), EdgeKind.REACHABLE_FROM_INTERNET))
    assert [(f.rule_id, f.severity) for f in _net(closed, ids["acl"])] == [("POSTURE-NET-003", Severity.LOW)]
    assert not [f for f in closed.findings if f.category.value == "network.exposure" and f.severity in _HIGH]


def test_ssh_open_to_the_world_on_a_public_instance_stays_high(scans):
    _, _, open_ssh, ids = scans
    (edge,) = open_ssh.graph.in_edges(_instance(open_ssh), EdgeKind.REACHABLE_FROM_INTERNET)
    assert [list(p) for p in edge.attrs["ports"]] == [[22, 22]] and any(ids["acl"] in hop for hop in edge.attrs["path"])
    sg = [(f.rule_id, f.severity) for f in _net(open_ssh, ids["sg"])]
    assert ("POSTURE-NET-001", Severity.HIGH) in sg
    acl = {f.rule_id: f for f in _net(open_ssh, ids["acl"])}
    # the NACL is on the proving path for port 22 (kept high, with the path), not for every port (low)
    assert acl["POSTURE-NET-001"].severity is Severity.HIGH
    assert acl["POSTURE-NET-001"].evidence.details["reachable_through"]
    path = acl["POSTURE-NET-001"].evidence.path
    assert path[0] == INTERNET and any(ids["acl"] in hop for hop in path)
    assert acl["POSTURE-NET-003"].severity is Severity.LOW
    assert "POSTURE-NET-002" not in acl


def test_live_unknowns_are_worded_by_their_source(scans):
    unverified = [f for f in scans[0].findings if f.unverified]
    assert unverified and all("until apply" not in f.message for f in unverified)
    assert all("not returned by the API" in f.message for f in unverified)
    assert "cannot verify: root_access_keys not returned by the API" in {f.message for f in unverified}


def _instance(result) -> str:
    return next(r.id for r in result.graph.by_kind("compute") if r.get("public_ips"))


def test_plan_unknowns_say_known_only_after_apply(tmp_path):
    (tmp_path / "main.tf").write_text('variable "cidr" {}\nresource "aws_security_group" "maybe" {\n  ingress {\n'
                                      '    from_port = 22\n    to_port = 22\n    protocol = "tcp"\n'
                                      '    cidr_blocks = [var.cidr]\n  }\n}\n')
    result = posture.scan_terraform(tmp_path, categories=["network.exposure"])
    unverified = [f for f in result.findings if f.unverified]
    assert unverified and all(f.message.endswith("known only after apply") for f in unverified)
