"""Units behind the AWS HCL corpus fixes that the corpus (HCL only) does not pin: plan-mode defaults,
rules of groups outside the plan, statically computed policy documents and partly-unknown JSON."""

from __future__ import annotations

import json

import pytest

from posture.model import UNKNOWN
from posture.providers.aws.facts.transport import policy_denies_http as _bucket_policy_denies_http
from posture.providers.terraform.hcl_data import iam_policy_document
from posture.providers.terraform.hcl_values import JsonDocument, json_text
from posture.providers.terraform.plan import parse_plan


def _plan(*resources: tuple[str, dict, dict, dict]) -> dict:
    """A minimal plan: (address, after, after_unknown, configuration expressions) per resource."""
    changes, config = [], []
    for address, after, unknown, expressions in resources:
        rtype, name = address.split(".")
        head = {"address": address, "mode": "managed", "type": rtype, "name": name}
        changes.append({**head, "provider_name": "registry.terraform.io/hashicorp/aws",
                        "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}})
        config.append({**head, "provider_config_key": "aws", "expressions": expressions})
    return {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": changes,
            "configuration": {"root_module": {"resources": config}}}


def _by_id(doc: dict) -> dict:
    return {r.id: r for r in parse_plan(doc, "plan.json").resources}


# -- plan-mode API defaults ----------------------------------------------------------------------------------
def test_unset_retention_is_the_api_default_but_a_computed_configured_one_stays_unknown():
    doc = _plan(
        ("aws_db_instance.unset", {"engine": "mysql"}, {"backup_retention_period": True}, {}),
        ("aws_db_instance.from_var", {"engine": "mysql"}, {"backup_retention_period": True},
         {"backup_retention_period": {"references": ["var.days"]}}),
        ("aws_db_instance.replica", {"replicate_source_db": "main"}, {"backup_retention_period": True},
         {"replicate_source_db": {"constant_value": "main"}}),
        ("aws_redshift_cluster.rs", {"cluster_identifier": "rs"},
         {"automated_snapshot_retention_period": True, "encrypted": True, "publicly_accessible": True}, {}),
    )
    ids = _by_id(doc)
    assert ids["aws_db_instance.unset"].attrs["backup"] == {"retention_days": 1, "enabled": True}
    assert ids["aws_db_instance.from_var"].attrs["backup"]["enabled"] is UNKNOWN
    assert ids["aws_db_instance.replica"].attrs["backup"]["retention_days"] is UNKNOWN
    rs = ids["aws_redshift_cluster.rs"].attrs
    assert rs["backup"]["retention_days"] == 1
    # defaults that changed between provider versions are not guessed
    assert rs["encryption"]["at_rest"] is UNKNOWN and rs["public"] is UNKNOWN


def test_cluster_members_decide_public_and_multi_az():
    doc = _plan(
        ("aws_docdb_cluster.main", {"cluster_identifier": "main"}, {"storage_encrypted": True}, {}),
        ("aws_docdb_cluster_instance.one", {"publicly_accessible": None}, {},
         {"cluster_identifier": {"references": ["aws_docdb_cluster.main.id", "aws_docdb_cluster.main"]}}),
    )
    attrs = _by_id(doc)["aws_docdb_cluster.main"].attrs
    assert attrs["multi_az"] is False and attrs["public"] is False
    assert attrs["encryption"]["at_rest"] is False and attrs["encryption"]["default_source"] == "aws.docdb.none"


def test_rule_of_a_group_outside_the_plan_is_its_own_firewall_and_folded_otherwise():
    rule = {"type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}
    doc = _plan(
        ("aws_security_group.web", {"name": "web"}, {"ingress": True, "egress": True}, {}),
        ("aws_security_group_rule.folded", rule, {"security_group_id": True},
         {"security_group_id": {"references": ["aws_security_group.web.id", "aws_security_group.web"]}}),
        ("aws_security_group_rule.orphan", {**rule, "security_group_id": "sg-0abc"}, {}, {}),
    )
    ids = _by_id(doc)
    assert "aws_security_group_rule.folded" not in ids
    assert [r["source"] for r in ids["aws_security_group.web"].attrs["rules"]] == ["aws_security_group_rule.folded"]
    orphan = ids["aws_security_group_rule.orphan"]
    assert orphan.kind == "firewall" and orphan.attrs["security_group"] == "sg-0abc"
    assert orphan.attrs["rules"][0]["peers"] == ("0.0.0.0/0",) and orphan.attrs["rules"][0]["ports"] == ((22, 22),)


# -- aws_iam_policy_document ---------------------------------------------------------------------------------
def test_policy_document_renders_like_terraform():
    doc = iam_policy_document({
        "statement": [{
            "sid": "DenyHttp", "effect": "Deny", "actions": ["s3:*"], "resources": ["arn:aws:s3:::b/*"],
            "principals": [{"type": "*", "identifiers": ["*"]}],
            "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}],
        }, {"actions": ["s3:GetObject"], "principals": [{"type": "AWS", "identifiers": ["arn:aws:iam::1:root"]}]}],
    })
    assert doc["Version"] == "2012-10-17"
    deny, allow = doc["Statement"]
    assert deny == {"Sid": "DenyHttp", "Effect": "Deny", "Action": ["s3:*"], "Resource": ["arn:aws:s3:::b/*"],
                    "Principal": "*", "Condition": {"Bool": {"aws:SecureTransport": ["false"]}}}
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": ["arn:aws:iam::1:root"]}


@pytest.mark.parametrize("args", [
    {"source_policy_documents": ["{}"], "statement": []},  # merging is not modelled
    {"statement": UNKNOWN},
    {"statement": [{"condition": [{"test": UNKNOWN, "variable": "aws:SecureTransport", "values": ["false"]}]}]},
])
def test_policy_document_that_cannot_be_rendered_is_unknown(args):
    assert iam_policy_document(args) is UNKNOWN


# -- partly unknown JSON ---------------------------------------------------------------------------------------
def test_json_text_keeps_known_parts_of_objects_only():
    assert json.loads(json_text({"a": [1, "x"]})) == {"a": [1, "x"]}
    partial = json_text({"Effect": "Deny", "Resource": UNKNOWN})
    assert isinstance(partial, JsonDocument) and partial["Effect"] == "Deny"
    assert json_text([UNKNOWN]) is UNKNOWN and json_text(UNKNOWN) is UNKNOWN


def _deny_http(effect=("Deny"), value=("false")) -> JsonDocument:
    return JsonDocument({"Statement": [{"Effect": effect, "Resource": UNKNOWN,
                                        "Condition": {"Bool": {"aws:SecureTransport": value}}}]})


def test_bucket_policy_verdict_from_a_partly_unknown_document():
    assert _bucket_policy_denies_http(_deny_http()) is True
    assert _bucket_policy_denies_http(_deny_http(effect="Allow")) is False
    assert _bucket_policy_denies_http(_deny_http(effect=UNKNOWN)) is UNKNOWN
    assert _bucket_policy_denies_http(_deny_http(value=UNKNOWN)) is UNKNOWN
    assert _bucket_policy_denies_http(json.dumps({"Statement": {"Effect": "Deny", "Condition": {
        "Bool": {"aws:SecureTransport": "false"}}}})) is True


def test_partly_unknown_json_is_unknown_to_templates_and_functions(tmp_path):
    from posture.providers.terraform.hcl import load_hcl_sources

    (tmp_path / "main.tf").write_text('''
resource "aws_s3_bucket" "b" { bucket = "b" }
locals { doc = jsonencode({ Effect = "Deny", Resource = aws_s3_bucket.b.arn }) }
resource "aws_sqs_queue" "q" {
  policy      = local.doc
  name        = "q-${local.doc}"
  tags        = { len = length(local.doc), back = jsondecode(local.doc).Effect }
}
''')
    q = {r.address: r for r in load_hcl_sources(tmp_path).raws}["aws_sqs_queue.q"]
    assert isinstance(q.values["policy"], JsonDocument)
    assert q.values["name"] is UNKNOWN
    assert q.values["tags"] == {"len": UNKNOWN, "back": "Deny"}


def test_rds_tls_from_a_parameter_group_in_the_plan_and_engine_defaults():
    group_ref = {"parameter_group_name": {"references": ["aws_db_parameter_group.tls.name",
                                                         "aws_db_parameter_group.tls"]}}
    doc = _plan(
        ("aws_db_parameter_group.tls", {"name": "tls", "parameter": [{"name": "require_secure_transport",
                                                                      "value": "1", "apply_method": "immediate"}]},
         {}, {}),
        ("aws_db_instance.grouped", {"engine": "mysql"}, {"parameter_group_name": True}, group_ref),
        ("aws_db_instance.mysql", {"engine": "mysql"}, {"parameter_group_name": True}, {}),
        ("aws_db_instance.pg", {"engine": "postgres"}, {"parameter_group_name": True, "engine_version": True}, {}),
        ("aws_db_instance.oracle", {"engine": "oracle-ee"}, {}, {}),
        ("aws_elasticache_cluster.alone", {"engine": "redis"}, {"replication_group_id": True}, {}),
    )
    ids = _by_id(doc)
    assert ids["aws_db_instance.grouped"].attrs["transport"]["tls_required"] is True
    assert ids["aws_db_instance.mysql"].attrs["transport"]["tls_required"] is False
    assert ids["aws_db_instance.pg"].attrs["transport"]["tls_required"] is UNKNOWN  # version decides
    assert "transport" not in ids["aws_db_instance.oracle"].attrs  # TLS through an option group: not judged
    alone = ids["aws_elasticache_cluster.alone"].attrs
    assert alone["encryption"]["at_rest"] is False and alone["transport"]["tls_required"] is False


def test_a_builtin_given_the_wrong_type_is_unknown_not_a_crash(tmp_path):
    from posture.providers.terraform.hcl import load_hcl_sources

    (tmp_path / "main.tf").write_text('''
resource "aws_sqs_queue" "q" {
  name = split(",", ["a", "b"])
  tags = { first = try(split(",", ["a"])[0], "fallback") }
}
''')
    q = {r.address: r for r in load_hcl_sources(tmp_path).raws}["aws_sqs_queue.q"]
    assert q.values["name"] is UNKNOWN and q.values["tags"] == {"first": "fallback"}


def test_plan_data_volume_without_encryption_is_unencrypted_unless_made_from_a_snapshot():
    device = {"device_name": "/dev/sdf", "volume_size": 10}
    unknown = {"ebs_block_device": [{"encrypted": True, "snapshot_id": True, "kms_key_id": True}],
               "root_block_device": True}
    doc = _plan(
        ("aws_instance.fresh", {"ebs_block_device": [device]}, unknown, {}),
        ("aws_instance.snap", {"ebs_block_device": [device]}, unknown,
         {"ebs_block_device": [{"snapshot_id": {"constant_value": "snap-1"}}]}),
    )
    ids = _by_id(doc)
    assert ids["aws_instance.fresh/ebs_block_device//dev/sdf"].attrs["encryption"]["at_rest"] is False
    assert ids["aws_instance.snap/ebs_block_device//dev/sdf"].attrs["encryption"]["at_rest"] is UNKNOWN
