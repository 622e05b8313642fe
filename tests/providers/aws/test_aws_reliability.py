"""AWS collection reliability: AccessDenied -> gaps (moto IAM enforcement), throttling (botocore Stubber),
pagination past one page, not-implemented calls, AWS Organizations walk with assumed roles."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

import posture
from posture.model import UNKNOWN
from posture.providers.aws import AwsOptions, collect_aws, reader
from posture.providers.aws.collect import _regions, collect
from posture.providers.aws.session import SessionSpec
from posture.providers.aws.tasks import run_task

REGION = "us-east-1"
AUDITOR_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
    "sts:GetCallerIdentity", "s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy",
    "s3:GetBucketVersioning", "sns:List*", "sns:Get*"]}]}


@set_initial_no_auth_action_count(5)
@mock_aws
def test_aws_access_denied_becomes_gaps_and_unread_checks_are_unknown():
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="denied-enc")
    boto3.client("sns", region_name=REGION).create_topic(Name="readable")
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="p", PolicyDocument=json.dumps(AUDITOR_POLICY))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name=REGION)

    result = posture.scan_aws(session, regions=[REGION], services=["s3", "sns", "kms"])

    gaps = {(g.service, g.reason.split(":")[0], g.code) for g in result.gaps}
    assert ("kms", "list_keys", "AccessDenied") in gaps
    assert ("s3", "get_bucket_encryption", "AccessDenied") in gaps
    assert all(g.account == "123456789012" and g.region == REGION for g in result.gaps)
    assert ("s3", "get_bucket_acl", "AccessDenied") in gaps
    bucket = next(r for r in result.inventory.resources if r.id == "arn:aws:s3:::denied-enc")
    assert bucket.attrs["encryption"]["at_rest"] is UNKNOWN  # not read -> unknown, never "encrypted"
    assert bucket.attrs["public"] is UNKNOWN  # the ACL was not read: undecided, never "private"
    enc = [f for f in result.findings if f.resource.id == bucket.id and f.rule_id == "POSTURE-ENC-001"]
    assert enc and enc[0].unverified  # reported as "cannot verify", not passed
    # the rest of the scan went on: the SNS topic was read and judged
    assert any(f.resource.id.endswith(":readable") and not f.unverified for f in result.findings)
    assert key["SecretAccessKey"] not in json.dumps(result.to_dict())


@set_initial_no_auth_action_count(4)  # the four setup calls below
@mock_aws
def test_aws_denied_ownership_read_stays_undecided():
    """A public ACL whose object ownership cannot be read is a gap and UNKNOWN: not private, not public."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acl-public", ACL="public-read")
    iam = boto3.client("iam", region_name=REGION)
    iam.create_user(UserName="auditor")
    # moto authorises GetBucketOwnershipControls as s3:ListBucket, so that one is left out as well
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", "Action": [
        "sts:GetCallerIdentity", "s3:ListAllMyBuckets", "s3:GetBucketAcl", "s3:GetBucketPolicy",
        "s3:GetBucketLocation", "s3:GetBucketPublicAccessBlock", "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration", "s3:GetAccountPublicAccessBlock"]}]}
    iam.put_user_policy(UserName="auditor", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    session = boto3.Session(aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"],
                            region_name=REGION)

    result = posture.scan_aws(session, regions=[REGION], services=["s3"])

    denied = {(g.reason.split(":")[0], g.target) for g in result.gaps if g.code == "AccessDenied"}
    assert ("get_bucket_ownership_controls", "acl-public") in denied, result.gaps
    bucket = next(r for r in result.inventory.resources if r.id == "arn:aws:s3:::acl-public")
    assert bucket.attrs["public"] is UNKNOWN
    assert not [f for f in result.findings if f.rule_id == "POSTURE-SEG-006" and not f.unverified]


def _summary(arn: str, **extra):
    """A DistributionSummary with every member the real API model requires (botocore validates it)."""
    behaviour = {"TargetOriginId": "o", "ViewerProtocolPolicy": "redirect-to-https"}
    return {"Id": "D1", "ARN": arn, "Status": "Deployed", "LastModifiedTime": "2026-01-01T00:00:00Z",
            "DomainName": "d1.cloudfront.net", "Aliases": {"Quantity": 0}, "DefaultCacheBehavior": behaviour,
            "CacheBehaviors": {"Quantity": 0}, "CustomErrorResponses": {"Quantity": 0}, "Comment": "",
            "PriceClass": "PriceClass_All", "Enabled": True, "WebACLId": "", "HttpVersion": "http2",
            "IsIPV6Enabled": True, "Staging": False, "Restrictions": {"GeoRestriction": {
                "RestrictionType": "none", "Quantity": 0}},
            "ViewerCertificate": {"CloudFrontDefaultCertificate": True}, **extra}


def test_aws_real_distribution_summary_needs_no_extra_call():
    """The real ListDistributions summary always carries Origins: one call for the whole list."""
    from posture.providers.aws.normalise import normalise

    stub, spec = _stubbed_session("cloudfront")
    arn = "arn:aws:cloudfront::1:distribution/D1"
    origin = {"Id": "o", "DomainName": "app.example.com", "CustomOriginConfig": {
        "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "match-viewer"}}
    stub.add_response("list_distributions", {"DistributionList": {
        "Marker": "", "MaxItems": 100, "IsTruncated": False, "Quantity": 1,
        "Items": [_summary(arn, Origins={"Quantity": 1, "Items": [origin]})]}})
    with stub:
        batch = run_task("cloudfront", spec, "1", REGION)
    assert batch["calls"] == 1 and batch["gaps"] == []
    listener = next(r for r in normalise([batch]).resources if r.id == arn)
    assert listener.attrs["origin_tls"] is True  # match-viewer, and viewers are redirected to HTTPS


def test_aws_unread_distribution_config_leaves_origin_tls_unknown():
    """When moto's summary (which lacks the configuration) is completed by a get_distribution that failed,
    the origin is undecided, never "TLS" (the call's failure itself is a Reader gap like any other)."""
    from posture.providers.aws.normalise import normalise

    arn = "arn:aws:cloudfront::1:distribution/D1"
    record = {"Id": "D1", "ARN": arn, "DomainName": "d1.cloudfront.net", "_unread": ["config"],
              "_account": "1", "_region": "global"}
    batch = {"task": "cloudfront", "service": "cloudfront", "account": "1", "region": "global", "calls": 2,
             "follow": [], "gaps": [], "records": {"cloudfront.distribution": [record]}}
    listener = next(r for r in normalise([batch]).resources if r.id == arn)
    assert listener.attrs["origin_tls"] is UNKNOWN


def _stubbed_session(service: str):
    client = boto3.client(service, region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b")

    class Session:  # hands out the one stubbed client, as boto3.Session.client would
        region_name = REGION

        def client(self, *_args, **_kwargs):
            return client

    return Stubber(client), SessionSpec(session=Session())


def test_aws_throttling_is_retried_then_succeeds(monkeypatch):
    monkeypatch.setattr(reader, "BACKOFF_SECONDS", 0.001)
    stub, spec = _stubbed_session("sns")
    stub.add_client_error("list_topics", "ThrottlingException", "Rate exceeded", 400)
    stub.add_response("list_topics", {"Topics": [{"TopicArn": f"arn:aws:sns:{REGION}:1:t"}]})
    with stub:
        batch = run_task("sns", spec, "1", REGION)
    assert batch["gaps"] == []
    assert batch["follow"] == [{"task": "sns_topics", "args": {"arns": [f"arn:aws:sns:{REGION}:1:t"]}}]
    assert batch["calls"] == 2


def test_aws_persistent_throttling_becomes_a_gap(monkeypatch):
    monkeypatch.setattr(reader, "BACKOFF_SECONDS", 0.001)
    stub, spec = _stubbed_session("sns")
    for _ in range(reader.EXTRA_ATTEMPTS + 1):
        stub.add_client_error("list_topics", "Throttling", "Rate exceeded", 400)
    with stub:
        batch = run_task("sns", spec, "1", REGION)
    assert [g["code"] for g in batch["gaps"]] == ["Throttling"]
    assert "sns.topic" not in batch["records"]


def test_aws_retry_config_is_adaptive():
    from posture.providers.aws.session import RETRY_CONFIG

    with mock_aws():
        client = SessionSpec(region=REGION).client("sns")
    assert RETRY_CONFIG["retries"]["mode"] == "adaptive"
    assert client.meta.config.retries["mode"] == "adaptive"


@mock_aws
def test_aws_lists_are_paged_to_the_end():
    sns = boto3.client("sns", region_name=REGION)
    for i in range(130):  # SNS pages list_topics by 100
        sns.create_topic(Name=f"topic-{i}")
    got = collect(SessionSpec(region=REGION), regions=[REGION], services=["sns"])
    listing = next(b for b in got.batches if b["task"] == "sns")
    assert listing["calls"] == 2
    topics = [r for b in got.batches for r in b["records"].get("sns.topic", [])]
    assert len(topics) == 130


@mock_aws
def test_aws_not_implemented_call_is_a_gap_and_the_rest_is_kept():
    ec2 = boto3.client("ec2", region_name=REGION)
    ec2.enable_ebs_encryption_by_default()  # moto lacks get_ebs_default_kms_key_id
    inv = collect_aws(AwsOptions(session=boto3.Session(region_name=REGION), regions=[REGION], services=["ec2"]))
    assert any(g.code == "not_implemented" and "get_ebs_default_kms_key_id" in g.reason for g in inv.gaps)
    acct = next(r for r in inv.resources if r.kind == "account")
    assert acct.attrs["ebs_default_encryption"] is True
    assert any(r.kind == "network" for r in inv.resources)


@mock_aws
def test_aws_regions_default_to_enabled_regions():
    spec = SessionSpec(region=REGION)
    from posture.providers.aws.collect import Collection

    regions = _regions(spec, "123456789012", None, Collection())
    assert REGION in regions and "eu-west-1" in regions and len(regions) > 10
    assert _regions(spec, "123456789012", ["eu-west-1", "eu-west-1"], Collection()) == ["eu-west-1"]


@mock_aws
def test_aws_organization_walk_assumes_a_role_per_member():
    org = boto3.client("organizations", region_name=REGION)
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(Email="m@example.com", AccountName="member")["CreateAccountStatus"]["AccountId"]
    creds = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/Audit", RoleSessionName="setup")["Credentials"]
    member_session = boto3.Session(aws_access_key_id=creds["AccessKeyId"],
                                   aws_secret_access_key=creds["SecretAccessKey"],
                                   aws_session_token=creds["SessionToken"], region_name=REGION)
    member_session.client("sns").create_topic(Name="member-topic")
    boto3.client("sns", region_name=REGION).create_topic(Name="mgmt-topic")

    inv = collect_aws(AwsOptions(session=boto3.Session(region_name=REGION), regions=[REGION], services=["sns"],
                                 organization=True, org_role_name="Audit"))

    assert set(inv.meta["aws"]["accounts"]) == {"123456789012", member}
    topics = {r.name: r.account for r in inv.resources if r.kind == "datastore"}
    assert topics == {"mgmt-topic": "123456789012", "member-topic": member}


def test_aws_missing_credentials_is_a_clear_input_error(monkeypatch):
    from posture.errors import InputError

    with mock_aws():
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "")
        with pytest.raises(InputError):
            collect_aws(AwsOptions(profile="no-such-profile-for-posture", regions=[REGION]))
