"""Publicly readable object storage (POSTURE-SEG-006): the shared S3 policy reader, account-level blocks,
the live AWS source against moto, and the knowledge table of provider defaults. Per-mechanism HCL cases are in
the labelled corpus (tests/fixtures/corpus/*/storage_public.tf)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from posture import knowledge
from posture.api import scan_terraform
from posture.model import UNKNOWN
from posture.providers.aws.facts.s3_public import acl_grant_public, policy_public


def _doc(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(**extra):
    return {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*", **extra}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (_allow(), True),
        (_allow(Action="s3:Get*"), True),
        (_allow(Action=["s3:PutObject", "s3:List*"]), True),  # listing object names exposes data too
        (_allow(Action="*"), True),
        (_allow(Action="s3:PutObject"), False),
        (_allow(Principal={"AWS": ["arn:aws:iam::111122223333:root", "*"]}), True),
        (_allow(Principal={"AWS": "arn:aws:iam::111122223333:role/r"}), False),
        (_allow(Principal={"Service": "cloudfront.amazonaws.com"}), False),
        ({**_allow(), "Principal": None, "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}}, True),
        ({**_allow(), "Action": None, "NotAction": "s3:PutObject"}, True),
        ({**_allow(), "Action": None, "NotAction": ["s3:Get*", "s3:List*"]}, False),
        (_allow(Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}}), False),
        (_allow(Condition={"ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": ["o-1/r-1/ou-1/"]}}), False),
        (_allow(Condition={"StringLike": {"aws:SourceVpce": "vpce-*"}}), True),  # a wildcard pins nobody
        (_allow(Condition={"StringEquals": {"aws:SourceVpce": "${aws:username}"}}), True),
        (_allow(Condition={"StringNotEquals": {"aws:SourceVpc": "vpc-1"}}), True),  # negated: everyone else
        (_allow(Condition={"StringEquals": {"s3:prefix": "public/"}}), True),  # narrows objects, not callers
        (_allow(Condition={"StringEquals": {"aws:SourceVpce": UNKNOWN}}), False),  # some fixed id at apply
        (_allow(Principal=UNKNOWN), UNKNOWN),
        (_allow(Action=[UNKNOWN]), UNKNOWN),
        (_allow(Condition=UNKNOWN), UNKNOWN),
        ({"Effect": UNKNOWN, "Principal": "*", "Action": "s3:GetObject"}, UNKNOWN),
        ({"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject"}, False),
    ],
)
def test_policy_public_statement(statement, expected):
    assert policy_public(_doc(statement)) is expected


def test_policy_public_documents():
    assert policy_public(None) is False and policy_public({}) is False
    assert policy_public(UNKNOWN) is UNKNOWN and policy_public({"Statement": UNKNOWN}) is UNKNOWN
    assert policy_public({"Statement": _allow()}) is True  # a single statement object
    fence = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Condition": {"StringNotEquals": {"aws:SourceVpce": "vpce-1"}}}
    assert policy_public(_doc(_allow(), fence)) is False
    assert policy_public(_doc(_allow(), {**fence, "Condition": UNKNOWN})) is UNKNOWN
    # a Deny on TLS alone fences nobody
    tls = {"Effect": "Deny", "Principal": "*", "Action": "s3:*",
           "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    assert policy_public(_doc(_allow(), tls)) is True


def test_acl_grant_public():
    all_users = "http://acs.amazonaws.com/groups/global/AllUsers"
    assert acl_grant_public(all_users, "READ") is True and acl_grant_public(all_users, "FULL_CONTROL") is True
    assert acl_grant_public(all_users, "READ_ACP") is False
    assert acl_grant_public("http://acs.amazonaws.com/groups/s3/LogDelivery", "READ") is False
    assert acl_grant_public(UNKNOWN, "READ") is UNKNOWN and acl_grant_public(all_users, UNKNOWN) is UNKNOWN


_PUBLIC_POLICY_TF = """
resource "aws_s3_bucket" "site" {
  bucket = "site"
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = "*", Action = "s3:GetObject", Resource = "arn:aws:s3:::site/*" }]
  })
}
"""


@pytest.mark.parametrize(
    ("account_block", "public"),
    [
        ("", True),
        ("block_public_policy = true", False),
        ("restrict_public_buckets = true", False),
        ("block_public_acls = true\n  ignore_public_acls = true", True),  # covers ACLs, not policies
        ("restrict_public_buckets = var.restrict", UNKNOWN),
    ],
)
def test_account_public_access_block_wins(tmp_path, account_block, public):
    account = f'variable "restrict" {{}}\nresource "aws_s3_account_public_access_block" "this" {{\n{account_block}\n}}'
    (tmp_path / "main.tf").write_text(_PUBLIC_POLICY_TF + (account if account_block else ""))
    result = scan_terraform(tmp_path)
    bucket = next(r for r in result.graph.resources() if r.id == "aws_s3_bucket.site")
    assert bucket.attrs["public"] is public
    flagged = [f for f in result.findings if f.rule_id == "POSTURE-SEG-006"]
    expected = [("aws_s3_bucket.site", False)] if public is True else []  # undecided: skipped, no info finding
    assert [(f.resource.id, f.unverified) for f in flagged] == expected


def test_live_s3_public_from_policy_and_blocks():
    """The live source reads bucket policies, ACLs and public access blocks (an owner-only ACL and no policy:
    not public; ACL grants and object ownership are covered in tests/providers/aws/test_aws_scan.py)."""
    import posture

    anyone = json.dumps(_doc(_allow(Resource="arn:aws:s3:::{b}/*")))
    acl_block = {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                 "BlockPublicPolicy": False, "RestrictPublicBuckets": False}
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        s3 = session.client("s3")
        for name in ("open-policy", "vpce-policy", "all-blocked", "no-block"):
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        s3.put_public_access_block(Bucket="open-policy", PublicAccessBlockConfiguration=acl_block)
        s3.put_bucket_policy(Bucket="open-policy", Policy=anyone.replace("{b}", "open-policy"))
        s3.put_public_access_block(Bucket="vpce-policy", PublicAccessBlockConfiguration=acl_block)
        vpce = _doc(_allow(Resource="arn:aws:s3:::vpce-policy/*",
                           Condition={"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}))
        s3.put_bucket_policy(Bucket="vpce-policy", Policy=json.dumps(vpce))
        s3.put_public_access_block(Bucket="all-blocked", PublicAccessBlockConfiguration={k: True for k in acl_block})
        s3.put_bucket_policy(Bucket="all-blocked", Policy=anyone.replace("{b}", "all-blocked"))
        result = posture.scan_aws(session, regions=["eu-west-1"], services=["s3"])
    public = {r.name: r.attrs["public"] for r in result.inventory.resources if r.native_type == "s3.bucket"}
    assert public == {"open-policy": True, "vpce-policy": False, "all-blocked": False, "no-block": False}
    flagged = {f.resource.name for f in result.findings if f.rule_id == "POSTURE-SEG-006" and not f.unverified}
    assert flagged == {"open-policy"}


def test_public_access_defaults_are_recorded_with_dates_and_sources():
    s3 = knowledge.public_access_default("aws_s3_bucket")
    assert s3["id"] == "aws.s3.block_public_access_new_buckets" and s3["public"] is False
    assert s3["since"] == "2023-04" and s3["source"].startswith("https://docs.aws.amazon.com/")
    azure = knowledge.public_access_default("Microsoft.Storage/storageAccounts")
    assert azure["public"] is False and azure["since"].startswith("2023")
    # azurerm does not leave the platform default: anonymous containers stay allowed unless the code says no
    assert azure["terraform_defaults"]["azurerm_storage_account"]["allow_nested_items_to_be_public"] is True
    assert knowledge.public_access_default("storage.v1.bucket")["id"] == "gcp.storage.no_public_grant_by_default"
    assert knowledge.public_access_default("azurerm_storage_account") is None  # azurerm overrides the default
    assert knowledge.public_access_default("nope") is None
