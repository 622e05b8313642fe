"""posture.scan_aws against moto in-process: planted faults and clean twins, edges, moto caveats."""

from __future__ import annotations

import json
import pickle
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

import posture
from posture.model import UNKNOWN
from posture.providers.aws import AwsOptions, collect_aws
from tests.helpers.aws_estate import REGION, build_estate


@pytest.fixture(scope="module")
def scanned():
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        ids = build_estate(session)
        with ThreadPoolExecutor(max_workers=4) as pool:
            result = posture.scan_aws(session, regions=[REGION], executor=pool)
    return ids, result


def _by_id(result):
    return {r.id: r for r in result.inventory.resources}


def test_aws_every_planted_fault_found_and_no_twin_flagged(scanned):
    ids, result = scanned
    found = {(f.rule_id, f.resource.id) for f in result.findings if not f.unverified}
    for rule_id, resources in ids["faults"].items():
        for rid in resources:
            assert (rule_id, rid) in found, f"{rule_id} missed {rid}"
    # a clean twin is clean for the rule of the fault it twins; the wider packs may still report other
    # true facts about it (an S3 bucket without a TLS-only policy, a single-AZ database)
    flagged = {f.resource.id for f in result.findings if f.rule_id in ids["faults"]}
    assert not flagged & set(ids["twins"]), flagged & set(ids["twins"])


def test_aws_scan_has_no_gaps_on_a_fully_readable_account(scanned):
    _, result = scanned
    aws_gaps = [g for g in result.gaps if g.source == "aws"]
    # moto does not implement a few calls; nothing else may be missing
    assert {g.code for g in aws_gaps} <= {"not_implemented"}, aws_gaps
    assert result.source["api_calls"] > 20


def test_aws_reachability_edges(scanned):
    ids, result = scanned
    edges = {(e.src, e.dst, e.kind) for e in result.inventory.edges}
    sub_a, sub_b = ids["subnets"]
    assert (ids["vpc"], sub_a, "contains") in edges
    assert (sub_a, ids["route_table"], "routes_to") in edges
    assert (ids["route_table"], ids["igw"], "routes_to") in edges
    assert (sub_b, ids["nacl"], "protected_by") in edges
    assert (sub_a, ids["instance"], "contains") in edges
    assert (ids["instance"], ids["closed_sg"], "protected_by") in edges
    assert (ids["vol_enc"], ids["key_rot"], "encrypted_by") in edges
    assert (ids["vol_enc"], ids["instance"], "attached_to") in edges
    assert (ids["db_enc"], ids["key_rot"], "encrypted_by") in edges
    assert (sub_a, ids["db_enc"], "contains") in edges
    assert (ids["listeners"]["old"], ids["lb"], "attached_to") in edges
    assert (ids["listeners"]["old"], ids["cert"], "serves_tls") in edges
    ifaces = [e for e in edges if e[2] == "attached_to" and e[1] == ids["instance"] and ":network-interface/" in e[0]]
    assert ifaces
    assert any((e[0], ids["closed_sg"], "protected_by") in edges for e in ifaces)
    # the graph resolved them (no dangling references among these)
    assert result.graph.neighbours(ids["route_table"], "routes_to")[0].id == ids["igw"]


def test_aws_normalised_vocabulary(scanned):
    ids, result = scanned
    res = _by_id(result)
    sg = res[ids["open_sg"]]
    assert sg.kind == "firewall" and sg.attrs["layer"] == "instance" and sg.attrs["stateful"] is True
    ssh = [r for r in sg.attrs["rules"] if r["direction"] == "ingress"]
    assert ssh == [{"direction": "ingress", "action": "allow", "protocol": "tcp", "ports": ((22, 22),),
                    "peers": ("0.0.0.0/0",), "priority": None, "description": None, "implied": False}]
    bucket = res["arn:aws:s3:::posture-default-sse"].attrs["encryption"]
    assert dict(bucket) == {"at_rest": True, "algorithm": "AES-256", "key_id": None, "key_manager": "provider",
                            "basis": "provider_default", "default_source": "aws.s3.sse_s3"}
    kms_bucket = res["arn:aws:s3:::posture-kms"].attrs["encryption"]
    assert kms_bucket["key_id"] == ids["key_rot"] and kms_bucket["key_manager"] == "customer"
    topic = res[ids["faults"]["POSTURE-ENC-001"][2]].attrs["encryption"]
    assert topic["at_rest"] is False and topic["default_source"] == "aws.sns.none"
    old = res[ids["listeners"]["old"]].attrs["tls"]
    assert old["policy"] == "ELBSecurityPolicy-2016-08" and "1.0" in old["versions"] and old["ciphers"]
    assert res[ids["listeners"]["http"]].attrs["tls"] is None  # Protocol checked before SslPolicy
    key = res[ids["key_plain"]].attrs
    assert key["manager"] == "customer" and key["algorithm"] == "AES-256" and key["rotation"]["enabled"] is False
    assert res[ids["key_rot"]].attrs["rotation"]["period_days"] == 365
    cert = res[ids["cert"]].attrs
    assert cert["key_algorithm"] == "RSA" and cert["key_bits"] == 2048 and cert["not_after"]
    # moto omits PubliclyAccessible when unset: the VPC has an internet gateway, so the API default is public
    assert res[ids["db_plain"]].attrs["public"] is True
    assert res[ids["db_enc"]].attrs["public"] is False


def test_aws_inventory_is_plain_data(scanned):
    _, result = scanned
    from posture.providers.snapshot import save_snapshot  # noqa: F401  (round trip below)

    for r in result.inventory.resources:
        json.dumps(r.to_dict())
    blob = json.dumps([r.to_dict() for r in result.inventory.resources])
    assert "testing" not in blob.replace("posture-", "")  # the fake secret key never leaks


def test_aws_rds_public_default_without_internet_gateway():
    with mock_aws():
        s = boto3.Session(region_name=REGION)
        ec2, rds = s.client("ec2"), s.client("rds")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subs = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]
                ["SubnetId"] for i, z in ((1, "a"), (2, "b"))]
        rds.create_db_subnet_group(DBSubnetGroupName="p", DBSubnetGroupDescription="p", SubnetIds=subs)
        rds.create_db_instance(DBInstanceIdentifier="private", DBInstanceClass="db.t3.micro", Engine="postgres",
                               AllocatedStorage=20, DBSubnetGroupName="p", MasterUsername="u",
                               MasterUserPassword="not-a-real-pass")
        only_rds = collect_aws(AwsOptions(session=s, regions=[REGION], services=["rds"]))
        with_ec2 = collect_aws(AwsOptions(session=s, regions=[REGION], services=["rds", "ec2"]))
    db = next(r for r in only_rds.resources if r.name == "private")
    assert db.attrs["public"] is UNKNOWN  # gateways not read: never guessed
    db = next(r for r in with_ec2.resources if r.name == "private")
    assert db.attrs["public"] is False


def test_aws_tasks_are_picklable_with_a_session_recipe():
    from posture.providers.aws.session import SessionSpec
    from posture.providers.aws.tasks import TASKS, run_task

    spec = SessionSpec(profile=None, region=REGION).assume("arn:aws:iam::123456789012:role/r")
    payload = pickle.loads(pickle.dumps((run_task, "ec2_network", spec, "123456789012", REGION, None)))
    assert payload[2] == spec and payload[2].scan_id == spec.scan_id
    assert all(t.fn.__module__.startswith("posture.providers.aws.tasks_") for t in TASKS.values())


def test_aws_s3_acl_and_ownership_decide_public(scanned):
    ids, result = scanned
    res = _by_id(result)
    public = res["arn:aws:s3:::posture-acl-public"].attrs
    assert public["public"] is True and public["public_via"] == ("bucket ACL grants READ to AllUsers",)
    # the same public-read ACL, voided by BucketOwnerEnforced object ownership
    assert res["arn:aws:s3:::posture-acl-enforced"].attrs["public"] is False
    # owner-only ACL and no public policy: decided now that the ACL is read
    assert res["arn:aws:s3:::posture-default-sse"].attrs["public"] is False


def test_aws_sqs_sns_tls_only_policies(scanned):
    ids, result = scanned
    res = _by_id(result)
    topic_plain, queue_plain = ids["faults"]["POSTURE-TLS-004"][:2]
    assert res[topic_plain].attrs["transport"]["tls_required"] is False  # SNS's default policy allows HTTP
    assert res[queue_plain].attrs["transport"]["tls_required"] is False  # no Policy attribute at all
    assert res[queue_plain.replace(":plain", ":tls-only")].attrs["transport"]["tls_required"] is True
    twin_topic = next(t for t in ids["twins"] if t.endswith(":enc"))
    assert res[twin_topic].attrs["transport"]["tls_required"] is True
    assert res["arn:aws:s3:::posture-kms"].attrs["transport"]["tls_required"] is True


def test_aws_cloudfront_origin_tls(scanned):
    ids, result = scanned
    res = _by_id(result)
    (http_only,) = ids["faults"]["POSTURE-TLS-006"]
    assert res[http_only].attrs["origin_tls"] is False
    https_only = next(t for t in ids["twins"] if ":cloudfront:" in t)
    assert res[https_only].attrs["origin_tls"] is True
    # the named ACM certificate wins over moto's always-true CloudFrontDefaultCertificate
    assert res[https_only].attrs["tls"]["policy"] == "TLSv1.2_2021"
    assert (https_only, ids["cert"], "serves_tls") in {(e.src, e.dst, e.kind) for e in result.inventory.edges}


def test_aws_rds_tls_from_the_parameter_group(scanned):
    ids, result = scanned
    res = _by_id(result)
    # PostgreSQL 14 on its default group (moto has no default.* groups: the engine default applies)
    assert res[ids["db_plain"]].attrs["transport"]["tls_required"] is False
    assert res[ids["db_enc"]].attrs["transport"]["tls_required"] is True  # rds.force_ssl = 1


@set_initial_no_auth_action_count(5)  # the five setup calls below
@mock_aws
def test_aws_rds_parameter_group_denied_is_a_gap_and_undecided():
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_parameter_group(DBParameterGroupName="custom", DBParameterGroupFamily="mysql8.0", Description="c")
    rds.create_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.micro", Engine="mysql",
                           AllocatedStorage=20, MasterUsername="u", MasterUserPassword="not-a-real-pass",
                           DBParameterGroupName="custom")
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="auditor")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "sts:GetCallerIdentity", "rds:DescribeDBInstances", "rds:DescribeDBClusters"]}]}
    iam.put_user_policy(UserName="auditor", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name=REGION)
    result = posture.scan_aws(session, regions=[REGION], services=["rds"])
    assert [(g.reason.split(":")[0], g.code, g.target) for g in result.gaps if g.source == "aws"] == [
        ("describe_db_parameters", "AccessDenied", "custom")]
    db = next(r for r in result.inventory.resources if r.name == "db")
    assert db.attrs["transport"]["tls_required"] is UNKNOWN
    assert [f.unverified for f in result.findings if f.rule_id == "POSTURE-TLS-004"] == [True]


def test_aws_search_and_stream_stores(scanned):
    ids, result = scanned
    res, stores = _by_id(result), ids["stores"]
    edges = {(e.src, e.dst, e.kind) for e in result.inventory.edges}
    weak, tight = res[stores["search_open"]].attrs, res[stores["search_tight"]].attrs
    assert dict(weak["transport"]) == {"tls_required": False, "min_tls_version": "1.0", "in_cluster_tls": False}
    assert weak["public"] is True and weak["encryption"]["default_source"] == "aws.opensearch.none"
    # Policy-Min-TLS-1-2-PFS-2023-10 resolved through the knowledge table shared with the Terraform source
    assert dict(tight["transport"]) == {"tls_required": True, "min_tls_version": "1.2", "in_cluster_tls": True}
    assert tight["public"] is False and tight["encryption"]["key_id"] == ids["key_rot"]
    assert (stores["search_tight"], ids["closed_sg"], "protected_by") in edges
    assert (ids["subnets"][0], stores["search_tight"], "contains") in edges
    mixed, tls = res[stores["stream_mixed"]].attrs, res[stores["stream_tls"]].attrs
    assert (mixed["transport"]["tls_required"], mixed["transport"]["in_cluster_tls"]) == (False, False)
    assert (tls["transport"]["tls_required"], tls["transport"]["in_cluster_tls"]) == (True, True)
    # always encrypted at rest: the AWS managed key unless a customer key is named
    assert mixed["encryption"]["at_rest"] is True and mixed["encryption"]["default_source"] == "aws.msk.always"
    assert (stores["stream_tls"], ids["key_rot"], "encrypted_by") in edges
    serverless = res[stores["stream_serverless"]].attrs  # TLS-only with IAM auth, always encrypted
    assert (serverless["transport"]["tls_required"], serverless["encryption"]["at_rest"]) == (True, True)
    assert (stores["stream_serverless"], ids["closed_sg"], "protected_by") in edges


def test_aws_redshift_clusters(scanned):
    ids, result = scanned
    res, stores = _by_id(result), ids["stores"]
    enc = stores["warehouse_enc"]
    attrs = res[enc].attrs
    assert attrs["public"] is False and dict(attrs["backup"]) == {"retention_days": 7, "enabled": True}
    assert (enc, ids["key_rot"], "encrypted_by") in {(e.src, e.dst, e.kind) for e in result.inventory.edges}
    assert res[stores["warehouse_open"]].attrs["encryption"]["at_rest"] is False
    by_rule = {(f.rule_id, f.resource.id): f for f in result.findings}
    assert not {("POSTURE-ENC-001", enc), ("POSTURE-SEG-003", enc), ("POSTURE-BAK-002", enc)} & set(by_rule)
    # neither the default group nor a custom group that does not set require_ssl decides TLS (moto cannot
    # set a parameter: ModifyClusterParameterGroup is not implemented), so TLS-004 stays unverified
    for rid in (enc, stores["warehouse_open"]):
        assert attrs["transport"]["tls_required"] is UNKNOWN and by_rule[("POSTURE-TLS-004", rid)].unverified


def test_aws_redshift_require_ssl_from_the_user_set_parameter():
    from posture.providers.aws.normalise import normalise

    def batch(rtype, rec):
        return {"task": "t", "service": "redshift", "account": "1", "region": REGION, "calls": 1, "gaps": [],
                "follow": [], "records": {rtype: [{**rec, "_account": "1", "_region": REGION}]}}

    def tls(value):
        params = [{"ParameterName": "require_ssl", "ParameterValue": value, "Source": "user"}]
        cluster = {"ClusterIdentifier": "w", "ClusterParameterGroups": [{"ParameterGroupName": "g"}]}
        inv = normalise([batch("redshift.cluster", cluster),
                         batch("redshift.parameter_group", {"Name": "g", "_unread": [], "Parameters": params})])
        return inv.resources[0].attrs["transport"]["tls_required"]

    assert (tls("true"), tls("false")) == (True, False)


@set_initial_no_auth_action_count(5)  # the five setup calls below
@mock_aws
def test_aws_redshift_parameter_group_denied_is_a_gap_and_undecided():
    redshift = boto3.client("redshift", region_name=REGION)
    redshift.create_cluster_parameter_group(ParameterGroupName="custom", ParameterGroupFamily="redshift-1.0",
                                            Description="c")
    redshift.create_cluster(ClusterIdentifier="w", NodeType="ra3.xlplus", ClusterType="single-node",
                            MasterUsername="u", MasterUserPassword="Not-a-real-pass1",
                            ClusterParameterGroupName="custom")
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="auditor")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "sts:GetCallerIdentity", "redshift:DescribeClusters"]}]}
    iam.put_user_policy(UserName="auditor", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name=REGION)
    result = posture.scan_aws(session, regions=[REGION], services=["redshift"])
    assert [(g.service, g.reason.split(":")[0], g.code, g.target) for g in result.gaps if g.source == "aws"] == [
        ("redshift", "describe_cluster_parameters", "AccessDenied", "custom")]
    (cluster,) = result.inventory.resources
    assert cluster.attrs["transport"]["tls_required"] is UNKNOWN and cluster.attrs["public"] is False
