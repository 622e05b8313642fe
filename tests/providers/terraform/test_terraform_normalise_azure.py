"""Azure plan normalisers (hand-written azurerm plan: no azurerm provider is available offline)."""

from __future__ import annotations

from functools import cache

import pytest

from posture.model import UNKNOWN
from posture.providers.kit.values import iso_duration_days
from posture.providers.terraform import load_plan
from tests.helpers.paths import FIXTURES

PLAN = FIXTURES / "plans" / "azure" / "plan.json"


@cache
def _inv():
    inv = load_plan(PLAN)
    return {r.id: r for r in inv.resources}, {(e.src, e.kind, e.dst) for e in inv.edges}


def res(rid):
    return _inv()[0][rid]


def test_nsg_merges_inline_and_separate_rules_and_adds_azure_defaults():
    nsg = res("azurerm_network_security_group.app").attrs
    rules = {r["name"]: r for r in nsg["rules"]}
    ssh = rules["ssh-from-internet"]
    assert (ssh["direction"], ssh["protocol"], ssh["ports"], ssh["peers"], ssh["priority"]) == (
        "ingress", "tcp", ((22, 22),), ("0.0.0.0/0",), 100)  # "Internet" -> 0.0.0.0/0
    https = rules["https-ranges"]
    assert https["ports"] == ((443, 443), (8000, 8100)) and https["protocol"] == "all"
    deny = rules["deny-star"]
    assert deny["peers"] == ("0.0.0.0/0",) and deny["ports"] == ((0, 65535),)  # "*" source and ports
    defaults = {n: rules[n] for n in ("AllowVnetInBound", "AllowAzureLoadBalancerInBound", "DenyAllInBound",
                                      "AllowVnetOutBound", "AllowInternetOutBound", "DenyAllOutBound")}
    assert all(r["implied"] for r in defaults.values())
    assert [defaults[n]["priority"] for n in ("AllowVnetInBound", "AllowAzureLoadBalancerInBound",
                                              "DenyAllInBound")] == [65000, 65001, 65500]
    assert defaults["AllowVnetInBound"]["peers"] == ("tag:VirtualNetwork",)
    assert nsg["layer"] == "subnet"


def test_associations_become_edges():
    edges = _inv()[1]
    assert ("azurerm_subnet.app", "protected_by", "azurerm_network_security_group.app") in edges
    assert ("azurerm_network_interface.vm", "protected_by", "azurerm_network_security_group.app") in edges
    assert ("azurerm_virtual_network.main", "contains", "azurerm_subnet.app") in edges  # joined by name
    assert ("azurerm_subnet.app", "contains", "azurerm_network_interface.vm") in edges
    assert ("azurerm_network_interface.vm", "attached_to", "azurerm_linux_virtual_machine.vm") in edges
    assert not [e for e in edges if e[0] == "azurerm_subnet.open" and e[1] == "protected_by"]


def test_vm_public_ip_from_nic_and_os_disk_default_encryption():
    vm = res("azurerm_linux_virtual_machine.vm")
    assert vm.attrs["public_ips"] == (UNKNOWN,) and vm.attrs["subnet"] == "azurerm_subnet.app"
    assert vm.region == "westeurope"
    disk = res("azurerm_linux_virtual_machine.vm/os_disk").attrs["encryption"]
    assert disk["basis"] == "provider_default" and disk["default_source"] == "azure.managed_disk.sse_pmk"


def test_storage_account_tls_https_and_encryption():
    weak = res("azurerm_storage_account.weak").attrs
    assert weak["encryption"]["at_rest"] is True and weak["encryption"]["basis"] == "provider_default"
    assert weak["transport"] == {"tls_required": False, "min_tls_version": "1.0"}
    assert res("azurerm_storage_account.weak/https").attrs["tls"]["versions"][0] == "1.0"
    assert res("azurerm_storage_account.weak/http").attrs["redirects_to_https"] is False
    strong = res("azurerm_storage_account.strong").attrs
    assert strong["transport"]["min_tls_version"] == "1.2"  # azurerm default TLS1_2
    assert strong["encryption"]["key_manager"] == "customer"  # separate customer_managed_key resource
    assert strong["encryption"]["infrastructure_encryption"] is True and strong["network_public"] is False
    assert strong["public"] is False  # no public container
    assert ("azurerm_storage_account.strong", "encrypted_by", "azurerm_key_vault_key.cmk") in _inv()[1]
    assert "azurerm_storage_account.strong/http" not in _inv()[0]  # https only


def test_managed_disk_with_disk_encryption_set_resolves_to_key():
    enc = res("azurerm_managed_disk.cmk").attrs["encryption"]
    assert enc["key_manager"] == "customer" and enc["key_id"] == "azurerm_key_vault_key.cmk"
    assert res("azurerm_managed_disk.pmk").attrs["encryption"]["basis"] == "provider_default"


def test_mssql_server_tls_and_tde():
    sql = res("azurerm_mssql_server.sql").attrs
    assert sql["transport"]["min_tls_version"] == "1.0" and sql["encryption"]["key_manager"] == "customer"
    assert res("azurerm_mssql_server.sql/tds").attrs["tls"]["versions"][0] == "1.0"


def test_key_vault_key_rotation_and_strength():
    cmk = res("azurerm_key_vault_key.cmk").attrs
    assert cmk["rotation"] == {"enabled": True, "period_days": 90}  # expire P1Y - before expiry P275D
    assert (cmk["algorithm"], cmk["bits"], cmk["protection"]) == ("RSA", 3072, "hsm")
    ec = res("azurerm_key_vault_key.norotate").attrs
    assert ec["rotation"]["enabled"] is False and (ec["algorithm"], ec["bits"]) == ("EC", 256)


@pytest.mark.parametrize(("value", "days"), [("P90D", 90), ("P1Y", 365), ("P2M", 60), ("P1W", 7), ("bad", None)])
def test_iso_durations(value, days):
    assert iso_duration_days(value) == days


def test_application_gateway_listeners_policy_and_redirect():
    https = res("azurerm_application_gateway.agw/listener/https").attrs
    assert https["tls"]["policy"] == "AppGwSslPolicy20150501" and https["tls"]["min_version"] == "1.0"
    assert https["port"] == 443 and https["load_balancer"] == "azurerm_application_gateway.agw"
    http = res("azurerm_application_gateway.agw/listener/http").attrs
    assert http["tls"] is None and http["redirects_to_https"] is True
    assert res("azurerm_application_gateway.agw").attrs["scheme"] == "internet-facing"


def test_web_apps_min_tls_and_https_only():
    old = res("azurerm_linux_web_app.old/https").attrs["tls"]
    assert old["min_version"] == "1.0"
    assert res("azurerm_linux_web_app.old/http").attrs["redirects_to_https"] is False
    assert res("azurerm_linux_web_app.new/https").attrs["tls"]["min_version"] == "1.2"  # default 1.2
    assert res("azurerm_linux_web_app.new/http").attrs["redirects_to_https"] is True
