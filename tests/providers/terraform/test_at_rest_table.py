"""The table-driven encryption-at-rest normalisers (posture/providers/*/terraform/at_rest.py) on plan JSON, where
values are unknown until apply and unset attributes are computed: what the HCL corpus cannot pin."""

from __future__ import annotations

from posture import knowledge
from posture.model import UNKNOWN
from posture.providers.aws.terraform.at_rest import STORES as AWS_STORES
from posture.providers.azure.terraform.at_rest import STORES as AZURE_STORES
from posture.providers.gcp.terraform.at_rest import STORES as GCP_STORES
from posture.providers.terraform.plan import parse_plan


def _plan(*resources: tuple[str, dict, dict, dict]) -> dict:
    """A minimal plan: (address, after, after_unknown, configuration expressions) per resource."""
    changes, config = [], []
    for address, after, unknown, expressions in resources:
        rtype, name = address.split(".")
        provider = {"aws": "aws", "azurerm": "azurerm", "google": "google"}[rtype.split("_")[0]]
        head = {"address": address, "mode": "managed", "type": rtype, "name": name}
        changes.append({**head, "provider_name": f"registry.terraform.io/hashicorp/{provider}",
                        "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown}})
        config.append({**head, "provider_config_key": provider, "expressions": expressions})
    return {"format_version": "1.2", "terraform_version": "1.9.0", "resource_changes": changes,
            "configuration": {"root_module": {"resources": config}}}


def _enc(doc: dict) -> dict:
    return {r.id: r.attrs["encryption"] for r in parse_plan(doc, "plan.json").resources if "encryption" in r.attrs}


def test_a_computed_key_is_a_customer_key_only_when_the_configuration_names_one():
    enc = _enc(_plan(
        ("aws_cloudwatch_log_group.unset", {"name": "a"}, {"kms_key_id": True}, {}),
        ("aws_cloudwatch_log_group.from_key", {"name": "b"}, {"kms_key_id": True},
         {"kms_key_id": {"references": ["aws_kms_key.logs.arn", "aws_kms_key.logs"]}}),
        ("aws_kms_key.logs", {"enable_key_rotation": True}, {"arn": True}, {}),
    ))
    assert enc["aws_cloudwatch_log_group.unset"]["key_manager"] == "provider"
    assert enc["aws_cloudwatch_log_group.unset"]["default_source"] == "aws.logs.always"
    assert enc["aws_cloudwatch_log_group.from_key"]["key_manager"] == "customer"
    assert enc["aws_cloudwatch_log_group.from_key"]["key_id"] == "aws_kms_key.logs"


def test_an_unknown_switch_is_undecided_and_an_unset_one_is_the_provider_default():
    enc = _enc(_plan(
        ("aws_appsync_api_cache.from_var", {"api_id": "a"}, {"at_rest_encryption_enabled": True},
         {"at_rest_encryption_enabled": {"references": ["var.encrypt"]}}),
        ("aws_appsync_api_cache.unset", {"api_id": "b", "at_rest_encryption_enabled": None}, {}, {}),
    ))
    assert enc["aws_appsync_api_cache.from_var"]["at_rest"] is UNKNOWN
    assert enc["aws_appsync_api_cache.unset"] == {
        "at_rest": False, "algorithm": None, "key_id": None, "key_manager": None,
        "basis": "provider_default", "default_source": "aws.appsync.cache_none"}


def test_a_snapshot_takes_its_source_state_and_is_undecided_when_the_source_is_elsewhere():
    enc = _enc(_plan(
        ("aws_db_instance.db", {"identifier": "db", "engine": "mysql", "storage_encrypted": True,
                                "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/k"}, {}, {}),
        ("aws_db_snapshot.ours", {"db_snapshot_identifier": "s1"}, {"db_instance_identifier": True},
         {"db_instance_identifier": {"references": ["aws_db_instance.db.identifier", "aws_db_instance.db"]}}),
        ("aws_db_snapshot.theirs", {"db_snapshot_identifier": "s2", "db_instance_identifier": "legacy-db"}, {},
         {"db_instance_identifier": {"constant_value": "legacy-db"}}),
    ))
    assert enc["aws_db_snapshot.ours"]["at_rest"] is True
    assert enc["aws_db_snapshot.ours"]["key_manager"] == "customer"
    assert enc["aws_db_snapshot.theirs"]["at_rest"] is UNKNOWN


def test_a_store_that_only_exists_when_used_is_not_normalised_otherwise():
    doc = _plan(
        ("aws_ssm_parameter.plain", {"name": "p", "type": "String", "value": "x"}, {}, {}),
        ("aws_ssm_parameter.secure", {"name": "s", "type": "SecureString"}, {}, {}),
        ("aws_lambda_function.noenv", {"function_name": "f"}, {}, {}),
    )
    ids = {r.id for r in parse_plan(doc, "plan.json").resources}
    assert ids == {"aws_ssm_parameter.secure"}


def test_azure_and_gcp_keys_and_switches():
    enc = _enc(_plan(
        ("azurerm_synapse_sql_pool.p", {"name": "p", "data_encrypted": True}, {}, {}),
        ("azurerm_cosmosdb_account.c", {"name": "c"}, {"key_vault_key_id": True},
         {"key_vault_key_id": {"references": ["azurerm_key_vault_key.k.versionless_id", "azurerm_key_vault_key.k"]}}),
        ("azurerm_key_vault_key.k", {"name": "k", "key_type": "RSA", "key_size": 3072}, {"id": True}, {}),
        ("google_pubsub_topic.t", {"name": "t", "kms_key_name": None}, {}, {}),
    ))
    assert enc["azurerm_synapse_sql_pool.p"]["at_rest"] is True
    assert enc["azurerm_cosmosdb_account.c"]["key_manager"] == "customer"
    assert enc["google_pubsub_topic.t"]["default_source"] == "gcp.services.google_default"


def test_every_row_without_a_switch_or_source_has_a_dated_provider_default():
    """An unset key must resolve to a recorded default, never to a guess (UNKNOWN would hide the store)."""
    for table in (AWS_STORES, AZURE_STORES, GCP_STORES):
        for native, spec in table.items():
            if spec.source:
                continue
            entry = knowledge.encryption_default(spec.default or native)
            assert entry and entry.get("since"), native
