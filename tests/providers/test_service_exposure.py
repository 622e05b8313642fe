"""Service-level exposure (POSTURE-SEG-007 / SEG-010): the gates of the knowledge table, grants to anyone, and the
live AWS source on moto. Per-type HCL cases are in the labelled corpus (tests/fixtures/corpus/*/service_exposure.tf)."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from posture import knowledge
from posture.model import UNKNOWN
from posture.providers.aws.facts.s3_public import policy_grants_anyone
from posture.providers.kit.exposure import network_public, network_types, public_grant


def _reader(values: dict, configured: set | None = None):
    def read(path: str):
        cur = values
        for step in path.split("."):
            if cur is UNKNOWN:
                return UNKNOWN
            if isinstance(cur, list):
                cur = cur[int(step)] if step.isdigit() and int(step) < len(cur) else None
            elif isinstance(cur, dict):
                cur = cur.get(step)
            else:
                return None
            if cur is None:
                return None
        return cur

    return read, (lambda path: None if configured is None else path in configured)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, True),  # public network access unset (true) and no ACL (Allow)
        ({"public_network_access_enabled": False}, False),
        ({"network_acls": [{"default_action": "Deny", "ip_rules": ["203.0.113.0/24"]}]}, False),
        ({"network_acls": [{"default_action": "deny"}]}, False),  # case-insensitive
        ({"network_acls": [{"default_action": "Deny", "ip_rules": ["0.0.0.0/0"]}]}, True),  # reopened
        ({"network_acls": [{"default_action": "Allow"}]}, True),
        ({"public_network_access_enabled": UNKNOWN}, UNKNOWN),
        ({"network_acls": [{"default_action": "Deny", "ip_rules": UNKNOWN}]}, UNKNOWN),
        ({"network_acls": UNKNOWN}, UNKNOWN),
    ],
)
def test_key_vault_gates(values, expected):
    read, configured = _reader(values)
    assert network_public("azurerm_key_vault", read, configured)["network_public"] is expected


def test_unknown_value_the_code_does_not_set_takes_the_default():
    read, configured = _reader({"ingress_settings": UNKNOWN}, configured=set())
    got = network_public("google_cloudfunctions_function", read, configured)
    assert got["network_public"] is True and "provider default" in got["network_public_via"]
    read, configured = _reader({"ingress_settings": UNKNOWN}, configured={"ingress_settings"})
    assert network_public("google_cloudfunctions_function", read, configured)["network_public"] is UNKNOWN


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, True),
        ({"ip_range_filter": "203.0.113.1,198.51.100.0/24"}, False),  # azurerm 3.x comma-separated string
        ({"ip_range_filter": ["203.0.113.1"]}, False),
        ({"ip_range_filter": ["0.0.0.0/0"]}, True),
        ({"ip_range_filter": ["0.0.0.0"]}, False),  # "accept from Azure datacenters", not the internet
        ({"is_virtual_network_filter_enabled": True}, False),
    ],
)
def test_cosmos_allow_list(values, expected):
    read, configured = _reader(values)
    assert network_public("azurerm_cosmosdb_account", read, configured)["network_public"] is expected


def test_types_outside_the_table_get_nothing():
    read, configured = _reader({})
    assert network_public("azurerm_storage_account", read, configured) == {}
    assert "aws_mq_broker" in network_types("aws") and "azurerm_key_vault" in network_types("azure")


def test_table_is_valid_and_sourced():
    assert not knowledge.validate()
    table = knowledge.load_table("network_access_defaults")
    assert table["reviewed"] and all(e["source"].startswith("https://") for e in table["types"].values())


def test_public_grant_folds_grants():
    assert public_grant([]) == {"public_grant": False, "public_grant_via": []}
    got = public_grant([("a", False), ("b", UNKNOWN), ("c", True)])
    assert got == {"public_grant": True, "public_grant_via": ["c"]}
    assert public_grant([("a", False), ("b", UNKNOWN)]) == {"public_grant": UNKNOWN, "public_grant_via": ["b"]}


def _doc(**statement):
    return {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Resource": "*", **statement}]}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (_doc(Principal="*", Action="sqs:SendMessage"), True),  # any action counts, not only reads
        (_doc(Principal={"AWS": "*"}, Action="sns:Publish"), True),
        (_doc(Principal={"AWS": "arn:aws:iam::111122223333:root"}, Action="*"), False),
        (_doc(Principal="*", Action="sqs:SendMessage",
              Condition={"ArnEquals": {"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"}}), False),
        (_doc(Principal="*", Action="sqs:SendMessage", Condition={"ArnLike": {"aws:SourceArn": "*"}}), True),
        (_doc(Principal=UNKNOWN, Action="sqs:SendMessage"), UNKNOWN),
        (None, False),
    ],
)
def test_policy_grants_anyone(doc, expected):
    assert policy_grants_anyone(doc) is expected


def test_live_sqs_and_sns_policies_on_moto():
    """The live source reads queue and topic policies (GetQueueAttributes / GetTopicAttributes ``Policy``)."""
    import posture

    anyone = json.dumps(_doc(Principal="*", Action=["sqs:SendMessage", "sns:Publish"]))
    pinned = json.dumps(_doc(Principal="*", Action=["sqs:SendMessage", "sns:Publish"],
                             Condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}))
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        sqs, sns = session.client("sqs"), session.client("sns")
        sqs.create_queue(QueueName="open-queue", Attributes={"Policy": anyone})
        sqs.create_queue(QueueName="org-queue", Attributes={"Policy": pinned})
        sqs.create_queue(QueueName="no-policy")
        open_topic = sns.create_topic(Name="open-topic")["TopicArn"]
        sns.set_topic_attributes(TopicArn=open_topic, AttributeName="Policy", AttributeValue=anyone)
        org_topic = sns.create_topic(Name="org-topic")["TopicArn"]
        sns.set_topic_attributes(TopicArn=org_topic, AttributeName="Policy", AttributeValue=pinned)
        result = posture.scan_aws(session, regions=["eu-west-1"], services=["sqs", "sns"])
    grants = {r.name: r.attrs["public_grant"] for r in result.inventory.resources
              if r.native_type in ("sqs.queue", "sns.topic")}
    assert grants == {"open-queue": True, "org-queue": False, "no-policy": False,
                      "open-topic": True, "org-topic": False}
    flagged = {f.resource.name for f in result.findings if f.rule_id == "POSTURE-SEG-010" and not f.unverified}
    assert flagged == {"open-queue", "open-topic"}


def test_live_msk_public_access_on_moto():
    """The live source reads MSK public access (ListClustersV2 ``ConnectivityInfo.PublicAccess``)."""
    import posture

    def provisioned(public: str) -> dict:
        info = {"InstanceType": "kafka.m5.large", "ClientSubnets": ["subnet-1", "subnet-2"],
                "ConnectivityInfo": {"PublicAccess": {"Type": public}}}
        return {"BrokerNodeGroupInfo": info, "KafkaVersion": "3.6.0", "NumberOfBrokerNodes": 2}

    with mock_aws():
        session = boto3.Session(region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing")
        kafka = session.client("kafka")
        kafka.create_cluster_v2(ClusterName="public-brokers", Provisioned=provisioned("SERVICE_PROVIDED_EIPS"))
        kafka.create_cluster_v2(ClusterName="private-brokers", Provisioned=provisioned("DISABLED"))
        result = posture.scan_aws(session, regions=["eu-west-1"], services=["kafka"])
    public = {r.name: r.attrs["network_public"] for r in result.inventory.resources if r.native_type == "kafka.cluster"}
    assert public == {"public-brokers": True, "private-brokers": False}
    flagged = {f.resource.name for f in result.findings if f.rule_id == "POSTURE-SEG-007" and not f.unverified}
    assert flagged == {"public-brokers"}


def test_every_table_type_is_normalised_and_judged():
    """A row of the knowledge table whose type no normaliser builds would be knowledge nobody reads."""
    from posture.providers.terraform.dispatch import tables

    normalisers, _ = tables()
    table = knowledge.load_table("network_access_defaults")["types"]
    assert set(table) <= set(normalisers), sorted(set(table) - set(normalisers))


@pytest.mark.parametrize(
    ("issuer", "condition", "expected"),
    [
        ("https://token.actions.githubusercontent.com", None, True),
        ("https://token.actions.githubusercontent.com/", "", True),  # a trailing slash names the same issuer
        ("https://token.actions.githubusercontent.com", "assertion.repository_owner == 'acme'", False),
        ("https://login.example.com", None, False),  # one tenant: the owner's own provider
        (UNKNOWN, None, UNKNOWN),
        ("https://gitlab.com", UNKNOWN, UNKNOWN),
    ],
)
def test_federation_open(issuer, condition, expected):
    from posture.providers.kit.exposure import federation_open

    assert federation_open(issuer, condition)[0] is expected


def test_plan_source_reads_the_same_facts(tmp_path):
    """A plan (the provider's defaults written into ``after``, computed values in ``after_unknown``, joins through
    configuration references) gives the answers the HCL corpus gives."""
    from posture.api import scan_terraform
    from tests.fixtures.plans.handwritten import AZ_PROVIDER, GCP_PROVIDER, cfg, change, const, plan, ref

    changes = [
        change("azurerm_key_vault.open", {"name": "open", "location": "westeurope",
                                          "public_network_access_enabled": True, "network_acls": []}),
        change("azurerm_key_vault.deny", {"name": "deny", "location": "westeurope",
                                          "public_network_access_enabled": True,
                                          "network_acls": [{"default_action": "Deny", "bypass": "AzureServices",
                                                            "ip_rules": ["203.0.113.0/24"]}]}),
        change("google_cloudfunctions_function.computed", {"name": "computed"},
               unknown={"ingress_settings": True}),
        change("google_pubsub_topic.public", {"name": "public"}, unknown={"id": True}),
        change("google_pubsub_topic_iam_member.public", {"role": "roles/pubsub.publisher", "member": "allUsers"},
               unknown={"topic": True}),
    ]
    config = [
        cfg("azurerm_key_vault.open", {"name": const("open")}),
        cfg("azurerm_key_vault.deny", {"name": const("deny")}),
        cfg("google_cloudfunctions_function.computed", {"name": const("computed")}, provider="google"),
        cfg("google_pubsub_topic.public", {"name": const("public")}, provider="google"),
        cfg("google_pubsub_topic_iam_member.public", {"topic": ref("google_pubsub_topic.public"),
                                                      "member": const("allUsers")}, provider="google"),
    ]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan(changes, config, {**AZ_PROVIDER, **GCP_PROVIDER})))
    result = scan_terraform(path)
    found = {(f.rule_id, f.resource.id) for f in result.findings if not f.unverified
             and f.rule_id in ("POSTURE-SEG-007", "POSTURE-SEG-010")}
    assert found == {("POSTURE-SEG-007", "azurerm_key_vault.open"),
                     ("POSTURE-SEG-007", "google_cloudfunctions_function.computed"),  # unset: ALLOW_ALL
                     ("POSTURE-SEG-010", "google_pubsub_topic.public")}
