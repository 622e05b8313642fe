"""Facts a plan scan and a live scan of one cloud must agree on live once, in the cloud's ``facts/`` module:
both sources read that copy, and the same key read from a plan and from the provider API gives the same
answer (two copies of these maps had drifted: GCP KEY_ENCAPSULATION and EXTERNAL_VPC, Azure key operations)."""

from __future__ import annotations

import pytest

from posture.providers.aws import norm_data as aws_live
from posture.providers.aws.facts import kms as aws_kms
from posture.providers.aws.terraform import edge as aws_plan
from posture.providers.azure import stores as azure_live
from posture.providers.azure.facts import keys as azure_keys
from posture.providers.azure.normalise import normalise as azure_normalise
from posture.providers.azure.terraform import stores as azure_plan
from posture.providers.gcp import normalise as gcp_live
from posture.providers.gcp.facts import kms as gcp_kms
from posture.providers.gcp.facts import sql as gcp_sql
from posture.providers.gcp.terraform import keys as gcp_plan_keys
from posture.providers.gcp.terraform import stores as gcp_plan_stores
from posture.providers.terraform.plan import parse_plan
from tests.fixtures.plans.handwritten import AZ_PROVIDER, GCP_PROVIDER, change, plan


def _plan_attrs(rc, provider):
    inv = parse_plan(plan([rc], [], provider), "facts.json")
    return next(r for r in inv.resources if r.id.endswith(rc["address"]) or r.name == rc["name"])


def test_every_pair_reads_the_cloud_facts_module():
    assert aws_plan.key_usage is aws_live.key_usage is aws_kms.key_usage
    assert gcp_plan_keys.gcp_kms is gcp_live.gcp_kms is gcp_kms
    assert gcp_plan_stores.SSL_MODE_REQUIRES_TLS is gcp_live.SSL_MODE_REQUIRES_TLS is gcp_sql.SSL_MODE_REQUIRES_TLS
    assert azure_plan.key_usage is azure_live.key_usage is azure_keys.key_usage
    for module in (aws_plan, aws_live, gcp_plan_keys, gcp_live, gcp_plan_stores, azure_plan, azure_live):
        assert not {"_KEY_USAGE", "_USAGE", "_PURPOSE", "KMS_USAGE", "_SSL_REQUIRED", "SQL_SSL_MODE_REQUIRES_TLS",
                    "_KEY_OPS", "_ENCRYPT_OPS"} & set(vars(module)), module.__name__


@pytest.mark.parametrize(("value", "usage"), [("ENCRYPT_DECRYPT", "encrypt"), ("SIGN_VERIFY", "sign"),
                                              ("GENERATE_VERIFY_MAC", "mac"), ("KEY_AGREEMENT", "key_agreement"),
                                              (None, "encrypt"), ("NEW_USAGE", "new_usage")])
def test_aws_kms_key_usage(value, usage):
    assert aws_kms.key_usage(value) == usage


@pytest.mark.parametrize(("purpose", "level", "usage", "protection"), [
    ("KEY_ENCAPSULATION", "HSM", "key_encapsulation", "hsm"),  # the plan table lacked KEY_ENCAPSULATION
    ("ASYMMETRIC_SIGN", "EXTERNAL_VPC", "sign", "external"),  # the plan read "external_vpc", off the contract
    ("RAW_ENCRYPT_DECRYPT", "SOFTWARE", "encrypt", "software"),
])
def test_gcp_crypto_key_reads_alike_from_a_plan_and_from_the_api(purpose, level, usage, protection):
    ring = "projects/p/locations/europe-west1/keyRings/r"
    live, _, _ = gcp_live.normalise([{"type": "kms.cryptoKey", "project": "p", "data": {
        "name": f"{ring}/cryptoKeys/k", "purpose": purpose, "versionTemplate": {"protectionLevel": level}}}])
    planned = _plan_attrs(change("google_kms_crypto_key.k", {
        "name": "k", "key_ring": ring, "purpose": purpose, "rotation_period": None,
        "version_template": [{"algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION", "protection_level": level}]}), GCP_PROVIDER)
    assert (live[0].get("usage"), live[0].get("protection")) == (usage, protection)
    assert (planned.get("usage"), planned.get("protection")) == (usage, protection)
    assert planned.get("rotation.supported") is live[0].get("rotation.supported") is False


KV = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"


@pytest.mark.parametrize(("ops", "usage"), [
    (["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"], ("encrypt", "sign")),  # live read "encrypt"
    (["wrapKey", "unwrapKey"], "encrypt"),
    (["sign", "verify"], "sign"),
])
def test_azure_key_operations_read_alike_from_a_plan_and_from_arm(ops, usage):
    inv = azure_normalise([
        {"type": "Microsoft.KeyVault/vaults", "subscription": "s",
         "data": {"id": KV, "name": "kv", "location": "westeurope", "properties": {}}},
        {"type": "Microsoft.KeyVault/vaults/keys", "subscription": "s",
         "data": {"id": f"{KV}/keys/k", "name": "k", "properties": {"kty": "RSA", "keySize": 2048, "keyOps": ops}}},
    ])
    live = next(r for r in inv.resources if r.name == "k")
    planned = _plan_attrs(change("azurerm_key_vault_key.k", {
        "name": "k", "key_vault_id": KV, "key_type": "RSA", "key_size": 2048, "key_opts": ops}), AZ_PROVIDER)
    assert live.get("usage") == planned.get("usage") == usage


def test_azure_key_usage_ignores_case_and_falls_back_to_the_key_type():
    assert azure_keys.key_usage(["WRAPKEY"]) == "encrypt"
    assert azure_keys.key_usage(["import"], "sign") == "sign"
    assert azure_keys.key_usage([]) is None


def test_azure_nsg_prefixes_read_alike_from_a_plan_and_from_arm():
    """A bare 0.0.0.0 read as any address from a plan but as an address live (the copies had drifted)."""
    from posture.providers.azure import network as azure_live_network
    from posture.providers.azure.facts import peers
    from posture.providers.azure.terraform import network as azure_plan_network

    assert azure_live_network.peer is azure_plan_network.peer is peers.peer
    assert [peers.peer(p) for p in ("*", "Internet", "0.0.0.0", " 0.0.0.0/0", "10.0.0.0/8", "VirtualNetwork")] == [
        "0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0", "0.0.0.0/0", "10.0.0.0/8", "tag:VirtualNetwork"]
