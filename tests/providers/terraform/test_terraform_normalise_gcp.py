"""GCP plan normalisers (hand-written google plan: no google provider is available offline)."""

from __future__ import annotations

from functools import cache

import pytest

from posture.model import UNKNOWN
from posture.providers.kit.values import duration_days
from posture.providers.terraform import load_plan
from tests.helpers.paths import FIXTURES

PLAN = FIXTURES / "plans" / "gcp" / "plan.json"


@cache
def _inv():
    inv = load_plan(PLAN)
    return {r.id: r for r in inv.resources}, {(e.src, e.kind, e.dst) for e in inv.edges}


def res(rid):
    return _inv()[0][rid]


def test_network_default_flag_and_implied_rules():
    assert res("google_compute_network.default").attrs["is_default"] is True
    assert res("google_compute_network.default").attrs["auto_create_subnetworks"] is True
    vpc = res("google_compute_network.vpc")
    assert vpc.attrs["is_default"] is False and vpc.account == "posture-demo"
    implied = res("google_compute_network.vpc/implied-firewall").attrs
    rules = {r["direction"]: r for r in implied["rules"]}
    assert rules["ingress"]["action"] == "deny" and rules["ingress"]["priority"] == 65535
    assert rules["egress"]["action"] == "allow" and all(r["implied"] for r in implied["rules"])


def test_subnetwork_flow_logs_and_private_access():
    app = res("google_compute_subnetwork.app").attrs
    assert app["flow_logs"] is True and app["private_access"] is True
    assert res("google_compute_subnetwork.nolog").attrs["flow_logs"] is False
    assert ("google_compute_network.vpc", "contains", "google_compute_subnetwork.app") in _inv()[1]


def test_firewall_default_priority_targets_and_ports():
    ssh = res("google_compute_firewall.ssh_world").attrs
    assert ssh["rules"][0]["priority"] == 1000  # GCP default
    assert ssh["rules"][0]["peers"] == ("0.0.0.0/0",) and ssh["rules"][0]["ports"] == ((22, 22),)
    assert ssh["targets"] == {"all": False, "tags": ("bastion",), "service_accounts": ()}
    internal = res("google_compute_firewall.internal").attrs
    assert [r["ports"] for r in internal["rules"]] == [((1000, 2000), (8080, 8080)), ()]
    assert internal["targets"]["all"] is True
    egress = res("google_compute_firewall.deny_egress").attrs["rules"][0]
    assert (egress["direction"], egress["action"], egress["protocol"]) == ("egress", "deny", "all")


def test_disabled_firewall_has_no_effective_rules():
    fw = res("google_compute_firewall.disabled").attrs
    assert fw["disabled"] is True and fw["rules"] == () and fw["disabled_rules"][0]["ports"] == ((3389, 3389),)


def test_firewall_targets_instances_by_tag():
    edges = _inv()[1]
    assert ("google_compute_instance.bastion", "protected_by", "google_compute_firewall.ssh_world") in edges
    assert ("google_compute_instance.bastion", "protected_by", "google_compute_firewall.deny_egress") not in edges


def test_instance_public_ip_tags_and_cmek_boot_disk():
    inst = res("google_compute_instance.bastion")
    assert inst.attrs["public_ips"] == (UNKNOWN,) and inst.attrs["network_tags"] == ("bastion",)
    assert inst.region == "europe-west1"  # from the zone
    boot = res("google_compute_instance.bastion/boot_disk").attrs["encryption"]
    assert boot["key_manager"] == "customer" and boot["key_id"] == "google_kms_crypto_key.rotated"


def test_disks_and_buckets_encryption():
    plain = res("google_compute_disk.plain").attrs["encryption"]
    assert plain["at_rest"] is True and plain["default_source"] == "gcp.compute_disk.google_default"
    assert res("google_compute_disk.cmk").attrs["encryption"]["key_manager"] == "customer"
    bucket = res("google_storage_bucket.cmk").attrs
    assert bucket["encryption"]["key_id"] == "google_kms_crypto_key.rotated" and bucket["uniform_access"] is True
    assert res("google_storage_bucket.default").attrs["encryption"]["basis"] == "provider_default"


def test_sql_instance_ssl_public_and_backup():
    db = res("google_sql_database_instance.db").attrs
    assert db["public"] is True and db["transport"]["tls_required"] is False
    assert db["backup"]["enabled"] is False
    secure = res("google_sql_database_instance.secure").attrs
    assert secure["public"] is False and secure["transport"]["tls_required"] is True
    assert secure["multi_az"] is True and secure["backup"]["retained_backups"] == 14
    # daily automated backups: N retained backups cover N days (as the live Cloud SQL normaliser reads them)
    assert secure["backup"]["retention_days"] == 14
    assert db["backup"]["retention_days"] is None  # backups off: no retention to judge


def test_crypto_key_rotation():
    assert res("google_kms_crypto_key.rotated").attrs["rotation"] == {"enabled": True, "period_days": 90,
                                                                      "supported": True}
    assert res("google_kms_crypto_key.static").attrs["rotation"] == {"enabled": False, "period_days": None,
                                                                     "supported": True}


@pytest.mark.parametrize(("value", "days"), [("7776000s", 90), ("86400.5s", 1), ("90d", None), (None, None)])
def test_duration_days(value, days):
    assert duration_days(value) == days


def test_target_proxies_policy_and_default():
    modern = res("google_compute_target_https_proxy.modern").attrs
    assert modern["tls"]["versions"] == ("1.2", "1.3")
    edges = _inv()[1]
    assert ("google_compute_target_https_proxy.modern", "uses_policy", "google_compute_ssl_policy.modern") in edges
    assert ("google_compute_target_https_proxy.modern", "serves_tls",
            "google_compute_managed_ssl_certificate.web") in edges
    legacy = res("google_compute_target_ssl_proxy.legacy").attrs
    assert legacy["tls"]["min_version"] == "1.0" and legacy["protocol"] == "tls" and legacy["port"] == 465
    policy = res("google_compute_ssl_policy.modern")
    assert policy.kind == "tls_policy" and policy.attrs["profile"] == "MODERN"
