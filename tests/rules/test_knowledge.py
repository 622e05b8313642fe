"""Tests for posture.knowledge: the provider knowledge tables and their accessors."""

from __future__ import annotations

import re
from importlib import resources

import pytest
import yaml

from posture import knowledge as k

# --------------------------------------------------------------------------- loading / integrity


@pytest.mark.parametrize("table", k.TABLES)
def test_tables_load_via_importlib_resources(table: str) -> None:
    text = resources.files("posture.knowledge").joinpath(f"{table}.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    assert data["schema"] == 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", data["reviewed"])
    assert k.load_table(table) == data


def test_unknown_table_is_an_error() -> None:
    with pytest.raises(k.KnowledgeError):
        k.load_table("nope")


def test_tables_validate_clean() -> None:
    assert k.validate() == []


def _all_policies() -> list[dict]:
    out = []
    for family in k.tls_families():
        fam = k.load_table("tls_policies")["families"][family]
        if fam.get("kind") == "min_setting":
            names = list(fam["settings"])
        elif fam.get("kind") == "gcp":
            names = [f"{p}:{m}" for p in fam["profiles"] for m in fam["min_tls_versions"]]
        else:
            names = list(fam["policies"])
        for name in names:
            policy = k.tls_policy(fam["provider"], name, family)
            assert policy is not None, (family, name)
            out.append(policy)
    return out


def test_every_policy_has_source_and_sorted_nonempty_versions() -> None:
    policies = _all_policies()
    assert len(policies) > 80
    for policy in policies:
        assert policy["source"].startswith("https://"), policy["name"]
        versions = policy["versions"]
        assert versions, policy["name"]
        assert all(v in k.TLS_VERSIONS for v in versions), policy["name"]
        assert versions == sorted(versions, key=k.tls_version_key), policy["name"]
        assert policy["min_version"] == versions[0]
        assert policy["ciphers"] is None or policy["ciphers"], policy["name"]


def test_every_family_has_a_resolvable_default() -> None:
    for family in k.tls_families():
        provider = k.load_table("tls_policies")["families"][family]["provider"]
        default = k.default_tls_policy(provider, family)
        assert default is not None, family
        assert default["is_default"] is True
        assert default["note"], family


def test_requested_families_are_present() -> None:
    assert set(k.tls_families("aws")) == {"elbv2", "elb", "cloudfront", "apigateway", "opensearch", "cloudsearch"}
    assert set(k.tls_families("azure")) == {"app_gateway", "storage_min_tls", "sql_min_tls", "app_service_min_tls"}
    assert k.tls_families("gcp") == ["gcp_ssl_policy"]


# --------------------------------------------------------------------------- AWS ELBv2 / Classic


def test_elb_2016_08_accepts_tls10_and_tls11() -> None:
    policy = k.tls_policy("aws", "ELBSecurityPolicy-2016-08", "elbv2")
    assert policy is not None
    assert "1.0" in policy["versions"] and "1.1" in policy["versions"]
    assert policy["min_version"] == "1.0"
    assert "1.3" not in policy["versions"]


def test_elb_tls13_1_2_min_12_includes_13() -> None:
    policy = k.tls_policy("aws", "ELBSecurityPolicy-TLS13-1-2-2021-06")
    assert policy is not None
    assert policy["family"] == "elbv2"
    assert policy["min_version"] == "1.2"
    assert "1.3" in policy["versions"]
    assert "TLS_AES_128_GCM_SHA256" in policy["ciphers"]


@pytest.mark.parametrize(
    ("name", "versions"),
    [
        ("ELBSecurityPolicy-TLS-1-1-2017-01", ["1.1", "1.2"]),
        ("ELBSecurityPolicy-TLS-1-2-2017-01", ["1.2"]),
        ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", ["1.2"]),
        ("ELBSecurityPolicy-FS-2018-06", ["1.0", "1.1", "1.2"]),
        ("ELBSecurityPolicy-FS-1-1-2019-08", ["1.1", "1.2"]),
        ("ELBSecurityPolicy-FS-1-2-Res-2020-10", ["1.2"]),
        ("ELBSecurityPolicy-TLS13-1-0-2021-06", ["1.0", "1.1", "1.2", "1.3"]),
        ("ELBSecurityPolicy-TLS13-1-1-2021-06", ["1.1", "1.2", "1.3"]),
        ("ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06", ["1.2", "1.3"]),
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", ["1.3"]),
        ("ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", ["1.2", "1.3"]),
        ("ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04", ["1.0", "1.1", "1.2", "1.3"]),
        ("ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09", ["1.3"]),
    ],
)
def test_elbv2_policy_versions(name: str, versions: list[str]) -> None:
    policy = k.tls_policy("aws", name, "elbv2")
    assert policy is not None
    assert policy["versions"] == versions


def test_elbv2_names_encode_min_version() -> None:
    """ELBSecurityPolicy-TLS13-1-N-* policies accept TLS 1.N up to 1.3, nothing older."""
    fam = k.load_table("tls_policies")["families"]["elbv2"]
    for name in fam["policies"]:
        match = re.match(r"ELBSecurityPolicy-(?:TLS13|TLS|FS)-1-(\d)-", name)
        if match:
            policy = k.tls_policy("aws", name, "elbv2")
            assert policy is not None
            assert policy["min_version"] == f"1.{match.group(1)}", name
            assert ("1.3" in policy["versions"]) == name.startswith("ELBSecurityPolicy-TLS13-"), name


def test_only_tls_1_0_2015_04_carries_3des_on_elbv2() -> None:
    fam = k.load_table("tls_policies")["families"]["elbv2"]
    with_3des = [n for n, p in fam["policies"].items() if p.get("ciphers") and "DES-CBC3-SHA" in p["ciphers"]]
    assert with_3des == ["ELBSecurityPolicy-TLS-1-0-2015-04"]


def test_restricted_elb_policies_have_only_strong_ciphers() -> None:
    for name in ("ELBSecurityPolicy-TLS13-1-2-Res-2021-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10"):
        policy = k.tls_policy("aws", name, "elbv2")
        assert policy is not None
        assert {k.cipher_strength(c) for c in policy["ciphers"]} == {"strong"}, name


def test_elbv2_default_is_2016_08() -> None:
    default = k.default_tls_policy("aws", "elbv2")
    assert default is not None
    assert default["name"] == "ELBSecurityPolicy-2016-08"
    assert default["min_version"] == "1.0"


def test_classic_and_v2_2015_05_differ_and_family_disambiguates() -> None:
    v2 = k.tls_policy("aws", "ELBSecurityPolicy-2015-05", "elbv2")
    classic = k.tls_policy("aws", "ELBSecurityPolicy-2015-05", "elb")
    assert v2 is not None and classic is not None
    assert "DES-CBC3-SHA" not in v2["ciphers"]
    assert "DES-CBC3-SHA" in classic["ciphers"]
    assert k.tls_policy("aws", "ELBSecurityPolicy-2014-01", "elbv2") is None


def test_classic_elb_old_policies_enable_sslv3_and_are_flagged_unverified() -> None:
    for name in ("ELBSecurityPolicy-2014-01", "ELBSecurityPolicy-2011-08", "ELBSample-OpenSSLDefaultNegotiationPolicy"):
        policy = k.tls_policy("aws", name, "elb")
        assert policy is not None
        assert policy["min_version"] == "ssl3", name
        assert policy["verified"] is False
    policy = k.tls_policy("aws", "ELBSecurityPolicy-2014-10", "elb")
    assert policy is not None and "ssl3" not in policy["versions"]


# --------------------------------------------------------------------------- CloudFront


def test_cloudfront_tls12_2021_min_12() -> None:
    policy = k.tls_policy("aws", "TLSv1.2_2021", "cloudfront")
    assert policy is not None
    assert policy["min_version"] == "1.2"
    assert policy["versions"] == ["1.2", "1.3"]
    assert all(k.cipher_strength(c) == "strong" for c in policy["ciphers"])


@pytest.mark.parametrize(
    ("name", "minimum"),
    [
        ("SSLv3", "ssl3"),
        ("TLSv1", "1.0"),
        ("TLSv1_2016", "1.0"),
        ("TLSv1.1_2016", "1.1"),
        ("TLSv1.2_2018", "1.2"),
        ("TLSv1.2_2019", "1.2"),
        ("TLSv1.2_2025", "1.2"),
        ("TLSv1.3_2025", "1.3"),
    ],
)
def test_cloudfront_minimums(name: str, minimum: str) -> None:
    policy = k.tls_policy("aws", name)
    assert policy is not None and policy["family"] == "cloudfront"
    assert policy["min_version"] == minimum
    assert policy["versions"][-1] == "1.3"


def test_cloudfront_default_certificate_forces_tlsv1() -> None:
    default = k.default_tls_policy("aws", "cloudfront")
    assert default is not None
    assert default["name"] == "TLSv1"
    assert default["min_version"] == "1.0"
    assert "default" in default["note"].lower()


def test_cloudfront_only_sslv3_policy_has_rc4() -> None:
    rc4 = [p["name"] for p in _all_policies() if p["family"] == "cloudfront" and "RC4-MD5" in (p["ciphers"] or [])]
    assert rc4 == ["SSLv3"]


# --------------------------------------------------------------------------- Azure


def test_app_gateway_20150501_accepts_tls10() -> None:
    policy = k.tls_policy("azure", "AppGwSslPolicy20150501")
    assert policy is not None
    assert policy["family"] == "app_gateway"
    assert "1.0" in policy["versions"]
    assert "TLS_RSA_WITH_3DES_EDE_CBC_SHA" in policy["ciphers"]


@pytest.mark.parametrize(
    ("name", "versions"),
    [
        ("AppGwSslPolicy20170401", ["1.1", "1.2"]),
        ("AppGwSslPolicy20170401S", ["1.2"]),
        ("AppGwSslPolicy20220101", ["1.2", "1.3"]),
        ("AppGwSslPolicy20220101S", ["1.2", "1.3"]),
    ],
)
def test_app_gateway_versions(name: str, versions: list[str]) -> None:
    policy = k.tls_policy("azure", name, "app_gateway")
    assert policy is not None and policy["versions"] == versions


def test_app_gateway_default_depends_on_api_version() -> None:
    old = k.default_tls_policy("azure", "app_gateway", api_version="2022-09-01")
    new = k.default_tls_policy("azure", "app_gateway", api_version="2023-02-01")
    unknown = k.default_tls_policy("azure", "app_gateway")
    assert old is not None and new is not None and unknown is not None
    assert old["name"] == "AppGwSslPolicy20150501"
    assert new["name"] == "AppGwSslPolicy20220101"
    assert unknown["name"] == "AppGwSslPolicy20150501"  # the weaker one when we cannot tell
    assert unknown["platform_floor"] == {"min_version": "1.2", "since": "2025-08-31"}


@pytest.mark.parametrize(
    ("family", "value", "minimum"),
    [
        ("storage_min_tls", "TLS1_0", "1.0"),
        ("storage_min_tls", "TLS1_1", "1.1"),
        ("storage_min_tls", "TLS1_2", "1.2"),
        ("storage_min_tls", "TLS1_3", "1.3"),
        ("sql_min_tls", "1.0", "1.0"),
        ("sql_min_tls", "1.2", "1.2"),
        ("sql_min_tls", "None", "1.0"),
        ("app_service_min_tls", "1.1", "1.1"),
        ("app_service_min_tls", "1.3", "1.3"),
        ("storage_min_tls", "TLSv1.2", "1.2"),  # any spelling with an explicit family
    ],
)
def test_azure_min_tls_settings(family: str, value: str, minimum: str) -> None:
    policy = k.tls_policy("azure", value, family)
    assert policy is not None
    assert policy["min_version"] == minimum
    assert policy["ciphers"] is None


def test_azure_min_tls_defaults_when_unset() -> None:
    storage = k.default_tls_policy("azure", "storage_min_tls")
    sql = k.default_tls_policy("azure", "sql_min_tls")
    web = k.default_tls_policy("azure", "app_service_min_tls")
    assert storage is not None and sql is not None and web is not None
    assert storage["min_version"] == "1.0"
    assert storage["platform_floor"]["since"] == "2026-02-03"
    assert sql["name"] == "None" and sql["min_version"] == "1.0"
    assert web["min_version"] == "1.2"


# --------------------------------------------------------------------------- GCP


def test_gcp_compatible_tls10_accepts_10() -> None:
    policy = k.gcp_ssl_policy("COMPATIBLE", "TLS_1_0")
    assert policy is not None
    assert policy["versions"] == ["1.0", "1.1", "1.2", "1.3"]
    assert "TLS_RSA_WITH_3DES_EDE_CBC_SHA" in policy["ciphers"]


def test_gcp_default_policy_is_compatible_tls10() -> None:
    default = k.default_tls_policy("gcp", "gcp_ssl_policy")
    assert default is not None
    assert default["profile"] == "COMPATIBLE"
    assert default["min_version"] == "1.0"


def test_gcp_restricted_is_effectively_tls12() -> None:
    policy = k.gcp_ssl_policy("RESTRICTED", "TLS_1_0")
    assert policy is not None
    assert policy["min_version"] == "1.2"
    assert "Effective minimum" in policy["note"]
    assert {k.cipher_strength(c) for c in policy["ciphers"]} == {"strong"}


def test_gcp_min_version_spellings_and_names() -> None:
    a = k.gcp_ssl_policy("modern", "1.2")
    b = k.tls_policy("gcp", "MODERN:TLS_1_2")
    c = k.tls_policy("gcp", "MODERN/TLS_1_2", "gcp_ssl_policy")
    assert a is not None and a == b == c
    assert a["name"] == "MODERN:TLS_1_2"
    assert a["versions"] == ["1.2", "1.3"]
    tls13 = k.gcp_ssl_policy("COMPATIBLE", "TLS_1_3")
    assert tls13 is not None and tls13["versions"] == ["1.3"]
    assert tls13["ciphers"] == ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"]


def test_gcp_custom_profile() -> None:
    unknown = k.gcp_ssl_policy("CUSTOM", "TLS_1_2")
    assert unknown is not None and unknown["ciphers"] is None
    custom = k.gcp_ssl_policy("CUSTOM", "TLS_1_1", ["TLS_RSA_WITH_AES_128_CBC_SHA"])
    assert custom is not None
    assert custom["versions"] == ["1.1", "1.2", "1.3"]
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in custom["ciphers"]


def test_gcp_unknown_profile_or_version() -> None:
    assert k.gcp_ssl_policy("ANCIENT", "TLS_1_0") is None
    assert k.gcp_ssl_policy("MODERN", "TLS_9_9") is None


# --------------------------------------------------------------------------- unknowns / copies


def test_unknown_names_return_none() -> None:
    assert k.tls_policy("aws", "ELBSecurityPolicy-Made-Up-2099") is None
    assert k.tls_policy("aws", "AppGwSslPolicy20150501") is None  # wrong provider
    assert k.tls_policy("azure", "AppGwSslPolicy20150501", "elbv2") is None
    assert k.tls_policy("aws", "TLSv1.2_2021", "no_such_family") is None
    assert k.tls_policy("aws", "") is None
    assert k.default_tls_policy("aws", "no_such_family") is None
    assert k.encryption_default("aws_made_up_thing") is None
    assert k.encryption_default("") is None
    assert k.key_spec("aws", "RSA_1536") is None
    assert k.key_spec("oracle", "RSA_2048") is None


def test_results_are_copies() -> None:
    policy = k.tls_policy("aws", "ELBSecurityPolicy-2016-08", "elbv2")
    assert policy is not None
    policy["versions"].append("1.3")
    policy["ciphers"].clear()
    again = k.tls_policy("aws", "ELBSecurityPolicy-2016-08", "elbv2")
    assert again is not None and again["versions"] == ["1.0", "1.1", "1.2"] and again["ciphers"]
    entry = k.encryption_default("aws_s3_bucket")
    assert entry is not None
    entry["at_rest"] = False
    assert k.encryption_default("aws_s3_bucket")["at_rest"] is True  # type: ignore[index]


# --------------------------------------------------------------------------- TLS versions


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("TLSv1.2", "1.2"),
        ("TLS1_2", "1.2"),
        ("TLS_1_2", "1.2"),
        ("tls1.2", "1.2"),
        ("1.2", "1.2"),
        ("TLSv1", "1.0"),
        ("TLSv1.0", "1.0"),
        ("TLS1_0", "1.0"),
        ("TLSv1_1", "1.1"),
        ("TLS 1.3", "1.3"),
        ("Tls12", "1.2"),
        ("Protocol-TLSv1.1", "1.1"),
        ("SSLv3", "ssl3"),
        ("sslv2", "ssl2"),
        ("SSL3.0", "ssl3"),
        ("TLSv1.2_2021", None),  # CloudFront policy name, not a version
        ("TLSv1.1_2016", None),
        ("TLSv1_2016", None),
        ("AppGwSslPolicy20220101", None),
        ("None", None),
        ("", None),
        ("1.4", None),
        ("SSLv4", None),
        ("1", None),
        ("garbage", None),
    ],
)
def test_normalise_tls_version(value: str, expected: str | None) -> None:
    assert k.normalise_tls_version(value) == expected


def test_normalise_tls_version_non_string() -> None:
    assert k.normalise_tls_version(None) is None
    assert k.normalise_tls_version(1.2) is None


def test_tls_version_key_orders() -> None:
    shuffled = ["1.3", "ssl3", "1.0", "ssl2", "1.2", "1.1"]
    assert sorted(shuffled, key=k.tls_version_key) == list(k.TLS_VERSIONS)
    assert k.tls_version_key("TLSv1.2") == k.tls_version_key("1.2")
    assert k.tls_version_key("SSLv3") < k.tls_version_key("TLSv1")
    with pytest.raises(ValueError):
        k.tls_version_key("TLSv1.2_2021")


# --------------------------------------------------------------------------- encryption defaults


def test_every_encryption_default_has_since_and_source() -> None:
    entries = k.encryption_defaults()
    assert len(entries) >= 16
    for entry in entries:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", entry["since"]), entry["id"]
        assert entry["source"].startswith("https://"), entry["id"]
        assert isinstance(entry["at_rest"], bool)
        assert entry["applies_to"], entry["id"]
        if entry["at_rest"]:
            assert entry["key_manager"] == "provider"


def test_s3_default_is_provider_aes256_since_2023_01_05() -> None:
    entry = k.encryption_default("aws_s3_bucket")
    assert entry is not None
    assert entry["id"] == "aws.s3.sse_s3"
    assert entry["at_rest"] is True
    assert entry["algorithm"] == "AES-256"
    assert entry["key_manager"] == "provider"
    assert entry["since"] == "2023-01-05"
    assert k.encryption_default("AWS::S3::Bucket") == entry
    assert k.encryption_default("aws.s3.sse_s3") == entry


def test_sns_default_is_not_encrypted() -> None:
    entry = k.encryption_default("aws_sns_topic")
    assert entry is not None
    assert entry["at_rest"] is False
    assert entry["algorithm"] is None


@pytest.mark.parametrize(
    "native",
    [
        "aws_efs_file_system",
        "aws_ebs_volume",
        "aws_db_instance",
        "aws_elasticache_replication_group",
        "aws_opensearch_domain",
    ],
)
def test_not_encrypted_by_default(native: str) -> None:
    entry = k.encryption_default(native)
    assert entry is not None
    assert entry["at_rest"] is False, native


@pytest.mark.parametrize(
    ("native", "algorithm"),
    [
        ("aws_dynamodb_table", "AES-256"),
        ("aws_sqs_queue", "AES-256"),
        ("aws_cloudtrail", "AES-256"),
        ("Microsoft.Storage/storageAccounts", "AES-256"),
        ("microsoft.storage/storageaccounts", "AES-256"),  # ARM types are case-insensitive
        ("Microsoft.Compute/disks", "AES-256"),
        ("Microsoft.Sql/servers/databases", "AES-256"),
        ("google_compute_disk", "AES-256"),
        ("compute.v1.disk", "AES-256"),
        ("google_storage_bucket", "AES-256"),
        ("google_sql_database_instance", "AES-256"),
    ],
)
def test_encrypted_by_default(native: str, algorithm: str) -> None:
    entry = k.encryption_default(native)
    assert entry is not None
    assert entry["at_rest"] is True
    assert entry["algorithm"] == algorithm
    assert entry["key_manager"] == "provider"


def test_ebs_default_names_the_account_condition() -> None:
    entry = k.encryption_default("aws_ebs_volume")
    assert entry is not None
    assert "account.ebs_default_encryption" in entry["conditions"]


# --------------------------------------------------------------------------- key specs


@pytest.mark.parametrize(
    ("provider", "spec", "algorithm", "bits"),
    [
        ("aws", "SYMMETRIC_DEFAULT", "AES-256", 256),
        ("aws", "RSA_2048", "RSA", 2048),
        ("aws", "RSA_4096", "RSA", 4096),
        ("aws", "ECC_NIST_P384", "EC", 384),
        ("aws", "HMAC_256", "HMAC", 256),
        ("aws", "EC_prime256v1", "EC", 256),
        ("aws", "RSA_1024", "RSA", 1024),
        ("gcp", "GOOGLE_SYMMETRIC_ENCRYPTION", "AES-256", 256),
        ("gcp", "RSA_SIGN_PSS_2048_SHA256", "RSA", 2048),
        ("gcp", "RSA_DECRYPT_OAEP_3072_SHA256", "RSA", 3072),
        ("gcp", "EC_SIGN_P256_SHA256", "EC", 256),
        ("azure", "RSA-HSM", "RSA", None),
        ("azure", "EC", "EC", None),
        ("azure", "oct-HSM", "AES", None),
        ("azure", "P-384", "EC", 384),
    ],
)
def test_key_specs(provider: str, spec: str, algorithm: str, bits: int | None) -> None:
    result = k.key_spec(provider, spec)
    assert result is not None
    assert result["algorithm"] == algorithm
    assert result["bits"] == bits
    assert result["usage"]
    assert result["source"].startswith("https://")


def test_key_spec_service_and_usage() -> None:
    acm = k.key_spec("aws", "RSA_2048", service="acm")
    kms = k.key_spec("aws", "RSA_2048")
    assert acm is not None and kms is not None
    assert acm["usage"] == ["tls"] and kms["service"] == "kms"
    assert k.key_spec("aws", "SYMMETRIC_DEFAULT", service="acm") is None
    assert k.key_spec("gcp", "EC_SIGN_P256_SHA256")["usage"] == ["sign"]  # type: ignore[index]
    assert k.key_spec("azure", "RSA-HSM")["protection"] == "hsm"  # type: ignore[index]


# --------------------------------------------------------------------------- ciphers


@pytest.mark.parametrize(
    ("name", "strength"),
    [
        ("RC4-MD5", "weak"),
        ("RC4-SHA", "weak"),
        ("DES-CBC3-SHA", "weak"),
        ("TLS_RSA_WITH_3DES_EDE_CBC_SHA", "weak"),
        ("TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA", "weak"),
        ("EXP-RC4-MD5", "weak"),
        ("TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", "weak"),
        ("NULL-SHA", "weak"),
        ("TLS_RSA_WITH_NULL_SHA256", "weak"),
        ("ADH-AES128-SHA", "weak"),
        ("TLS_DH_anon_WITH_AES_128_GCM_SHA256", "weak"),
        ("ECDHE-RSA-AES128-GCM-SHA256", "strong"),
        ("ECDHE-ECDSA-CHACHA20-POLY1305", "strong"),
        ("DHE-RSA-AES256-GCM-SHA384", "strong"),
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "strong"),
        ("TLS_AES_256_GCM_SHA384", "strong"),
        ("TLS_CHACHA20_POLY1305_SHA256", "strong"),
        ("ECDHE-RSA-AES128-SHA", "legacy"),
        ("ECDHE-ECDSA-AES256-SHA384", "legacy"),
        ("AES128-GCM-SHA256", "legacy"),
        ("AES256-SHA", "legacy"),
        ("TLS_RSA_WITH_AES_128_GCM_SHA256", "legacy"),
        ("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "legacy"),
        ("something-unknown", "legacy"),
        ("", "legacy"),
    ],
)
def test_cipher_strength(name: str, strength: str) -> None:
    assert k.cipher_strength(name) == strength


def test_classify_cipher_gives_reason_and_source() -> None:
    result = k.classify_cipher("rc4-md5")
    assert result["strength"] == "weak"
    assert "RC4" in result["reason"]
    assert result["source"].startswith("https://")


def test_every_cipher_in_the_policy_tables_is_classified_without_fallback() -> None:
    for policy in _all_policies():
        for cipher in policy["ciphers"] or []:
            assert k.classify_cipher(cipher)["reason"] != "not recognised by the classification table", cipher


def test_cloudsearch_policies_resolve_to_their_minimum() -> None:
    assert k.tls_policy("aws", "Policy-Min-TLS-1-0-2019-07", "cloudsearch")["versions"] == ["1.0", "1.1", "1.2"]
    assert k.tls_policy("aws", "Policy-Min-TLS-1-2-2019-07", "cloudsearch")["min_version"] == "1.2"
    assert k.default_tls_policy("aws", "cloudsearch")["name"] == "Policy-Min-TLS-1-0-2019-07"
