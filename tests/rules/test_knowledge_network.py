"""knowledge/network_defaults.yaml and audit_logs.yaml: one copy of each network fact, read alike by the plan
and live sources of a cloud."""

from __future__ import annotations

import pytest

from posture.knowledge import network
from posture.knowledge.audit import AZURE_ACTIVITY_LOG_CATEGORIES, required_log_types
from posture.providers.aws.facts.nacl import FINAL_RULE_NUMBER, nacl_final_rules
from posture.providers.azure.facts.nsg_defaults import DEFAULT_SECURITY_RULES
from posture.providers.azure.network import nsg_rule
from posture.providers.azure.terraform.network import _default_rules, _nsg_rule
from posture.providers.gcp.facts.firewall import implied_firewall_rules
from posture.rules import netlogic, operators


def _essence(rules):
    return sorted((r["direction"], r["action"], r["priority"], tuple(r["peers"])) for r in rules)


def test_azure_default_nsg_rules_read_alike_from_a_plan_and_from_arm():
    live = [nsg_rule(r, implied=True) for r in DEFAULT_SECURITY_RULES]
    plan = _default_rules()
    assert _essence(live) == _essence(plan)
    assert len(plan) == 6 and all(r["implied"] for r in plan + live)
    assert {r["name"] for r in live} == {r["name"] for r in plan}


def test_implied_rules_come_fresh_from_the_table():
    first = implied_firewall_rules()
    first[0]["peers"].append("10.0.0.0/8")
    assert implied_firewall_rules()[0]["peers"] == ["0.0.0.0/0", "::/0"]
    assert [r["direction"] for r in nacl_final_rules()] == ["ingress", "egress"]
    assert {r["priority"] for r in nacl_final_rules()} == {FINAL_RULE_NUMBER} == {32767}
    with pytest.raises(KeyError):
        network.rules("no_such_rules")


@pytest.mark.parametrize(("spelling", "name"), [("6", "tcp"), ("17", "udp"), ("58", "icmpv6"), ("132", "sctp"),
                                                ("-1", "all"), ("ipv6-icmp", "icmpv6"), ("tcp", "tcp"), ("47", "47"),
                                                ("*", "all"), ("any", "all")])
def test_protocol_numbers_and_aliases(spelling, name):
    assert network.protocol_name(spelling) == name


@pytest.mark.parametrize(("spelling", "name"), [("*", "all"), ("Any", "all"), ("Tcp", "tcp"), ("Icmp", "icmp"),
                                                ("Esp", "esp"), ("Ah", "ah")])
def test_azure_nsg_protocol_reads_alike_from_a_plan_and_from_arm(spelling, name):
    # the live reader used to keep "Any" as "any" while the plan reader made it "all" (drift, now one table)
    live = nsg_rule({"name": "r", "properties": {"direction": "Inbound", "access": "Allow", "protocol": spelling,
                                                 "sourceAddressPrefix": "*", "destinationPortRange": "22"}},
                    implied=False)
    plan = _nsg_rule({"name": "r", "direction": "Inbound", "access": "Allow", "protocol": spelling,
                      "source_address_prefix": "*", "destination_port_range": "22"})
    assert live["protocol"] == plan["protocol"] == name


def test_every_spelling_of_all_protocols_comes_from_the_table():
    assert {"all", "-1", "*", "any"} == network.ALL_PROTOCOLS
    assert netlogic.ALL_PROTOCOLS is network.ALL_PROTOCOLS


def test_provider_prefixes_internet_peers_and_reachability_defaults():
    assert network.terraform_provider("azurerm_subnet") == "azure"
    assert network.terraform_provider("google_compute_network") == "gcp"
    assert network.terraform_provider("kubernetes_pod") is None
    assert {"0.0.0.0/0", "::/0", "*", "internet", "any"} == network.INTERNET_PEERS
    assert network.reachability_default("azure", "no_instance_firewall", "deny") == "allow"
    assert network.reachability_default("aws", "route_without_table", "always") == "default_network_only"
    assert network.reachability_default("oci", "route_without_table", "always") == "always"


def test_internet_peers_split_into_default_routes_and_names():
    # S3 aws:SourceIp and GCP Cloud SQL authorized networks take only CIDRs; Azure also takes the names
    assert {"0.0.0.0/0", "::/0"} == network.DEFAULT_ROUTES
    assert {"*", "internet", "any"} == network.INTERNET_ALIASES
    assert network.DEFAULT_ROUTES | network.INTERNET_ALIASES == network.INTERNET_PEERS
    assert all(operators.cidr_contains([name.upper()], "203.0.113.7") for name in network.INTERNET_ALIASES)
    assert operators.cidr_contains(["tag:Any"], "203.0.113.7") is False


def test_audit_log_types():
    assert required_log_types()["gcp"] == ["ADMIN_READ", "DATA_READ", "DATA_WRITE"]
    assert set(required_log_types()["azure"]) <= set(AZURE_ACTIVITY_LOG_CATEGORIES)
