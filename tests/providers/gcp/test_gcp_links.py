"""GCP's graph step: firewall rules are linked to the instances they target, across merged inventories."""

from __future__ import annotations

import posture.api
from posture.engine import graph_from_inventory
from posture.graph import INTERNET
from posture.model import UNKNOWN, Edge, Inventory, Resource
from posture.providers.gcp.facts.targeting import applies
from tests.conftest import ingress


def R(rid, kind, provider="gcp", **attrs):
    return Resource(rid, kind, f"t_{kind}", provider, name=rid, attrs=attrs)


def _protected_by(graph, rid):
    return [e.dst for e in graph.out_edges(rid, "protected_by")]


def test_targets_match_by_every_instance_tag_or_service_account():
    assert applies({"all": True, "tags": [], "service_accounts": []}, [], [])
    assert applies({"all": False, "tags": ["web"], "service_accounts": []}, ["db", "web"], [])
    assert applies({"all": False, "tags": [], "service_accounts": ["a@p"]}, ["web"], ["a@p"])
    assert not applies({"all": False, "tags": ["web"], "service_accounts": []}, ["db"], ["web"])
    assert not applies(None, ["web"], [])  # a firewall without GCP targets is attached, never targeted
    # a plan value known only after apply matches nothing through it (and never raises)
    assert not applies({"all": UNKNOWN, "tags": UNKNOWN, "service_accounts": []}, ["web"], [])
    assert applies({"all": UNKNOWN, "tags": ["web"], "service_accounts": UNKNOWN}, ["web"], UNKNOWN)


def test_shared_vpc_rules_in_the_host_inventory_protect_service_project_instances():
    host = Inventory(
        (R("net", "network"), R("sn", "subnet"),
         R("fw-web", "firewall", network="net", targets={"all": False, "tags": ["web"], "service_accounts": []},
           rules=[ingress([[443, 443]], priority=1000)]),
         R("fw-all", "firewall", network="net", targets={"all": True, "tags": [], "service_accounts": []},
           rules=[ingress([[22, 22]], peers=["10.0.0.0/8"], priority=1000)]),
         R("fw-db", "firewall", network="net", targets={"all": False, "tags": ["db"], "service_accounts": []},
           rules=[ingress([[5432, 5432]], priority=1000)]),
         R("fw-elsewhere", "firewall", network="net2", targets={"all": True, "tags": [], "service_accounts": []},
           rules=[ingress([[80, 80]], priority=1000)])),
        (Edge("net", "sn", "contains"),))
    service = Inventory(
        (R("vm", "compute", public_ips=["34.1.1.1"], network_tags=["web"], service_accounts=[]),
         R("vm-aws", "compute", "aws", public_ips=["3.3.3.3"], network_tags=["web"])),
        (Edge("sn", "vm", "contains"), Edge("sn", "vm-aws", "contains"), Edge("vm", "fw-all", "protected_by")))
    merged = Inventory(host.resources + service.resources, host.edges + service.edges)
    graph, gaps = graph_from_inventory(merged)
    assert not gaps
    # the source's own edge first, then the targeting rules in the order of the firewall index
    assert _protected_by(graph, "vm") == ["fw-all", "fw-web"]
    assert _protected_by(graph, "vm-aws") == []  # only GCP instances are targeted
    reach = [e for e in graph.out_edges(INTERNET, "reachable_from_internet") if e.dst == "vm"]
    assert [list(p) for p in reach[0].attrs["ports"]] == [[443, 443]]
    assert list(reach[0].attrs["path"]) == [INTERNET, "sn", "fw-all", "fw-web", "vm"]


def test_unknown_targets_are_not_linked_and_do_not_stop_reachability():
    graph, gaps = graph_from_inventory(Inventory(
        (R("net", "network"), R("sn", "subnet"),
         R("fw-unknown", "firewall", network="net", targets={"all": UNKNOWN, "tags": UNKNOWN, "service_accounts": []},
           rules=[ingress([[22, 22]], priority=1000)]),
         R("fw-https", "firewall", network="net", targets={"all": True, "tags": [], "service_accounts": []},
           rules=[ingress([[443, 443]], priority=1000)]),
         R("vm", "compute", public_ips=["34.1.1.1"], network_tags=["web"], network=UNKNOWN)),
        (Edge("net", "sn", "contains"), Edge("sn", "vm", "contains"))))
    assert not gaps
    assert _protected_by(graph, "vm") == ["fw-https"]
    reach = [e for e in graph.out_edges(INTERNET, "reachable_from_internet") if e.dst == "vm"]
    assert [list(p) for p in reach[0].attrs["ports"]] == [[443, 443]]


def test_segmentation_policy_sees_the_rules_that_target_an_instance_but_not_disabled_ones(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("zones:\n  prod: {tags: {env: prod}}\n  dev: {cidrs: [10.1.0.0/16]}\n"
                      "flows:\n  - {from: dev, to: prod, allow: false}\n")
    dev_rule = ingress([[5432, 5432]], peers=["10.1.0.0/16"], priority=1000)
    host = (R("net", "network", cidrs=[]), R("sn", "subnet", cidrs=["10.0.0.0/24"]),
            R("sn-dev", "subnet", cidrs=["10.1.0.0/24"]),
            R("fw-db", "firewall", network="net", targets={"all": False, "tags": ["db"], "service_accounts": []},
              rules=[dev_rule]),
            R("fw-off", "firewall", network="net", targets={"all": False, "tags": ["web"], "service_accounts": []},
              disabled=True, rules=[{**dev_rule, "disabled": True}]))
    vms = (Resource("db", "compute", "t_compute", "gcp", name="db", tags={"env": "prod"},
                    attrs={"network_tags": ["db"], "public_ips": []}),
           Resource("web", "compute", "t_compute", "gcp", name="web", tags={"env": "prod"},
                    attrs={"network_tags": ["web"], "public_ips": []}))
    inv = Inventory(host + vms, (Edge("net", "sn", "contains"), Edge("net", "sn-dev", "contains"),
                                 Edge("sn", "db", "contains"),
                                 Edge("sn", "web", "contains")))
    hits = [f for f in posture.api.scan_inventory(inv, segmentation_policy=policy).findings
            if f.rule_id == "POSTURE-SEG-100"]
    assert [(f.resource.id, f.evidence.observed["firewall"]) for f in hits] == [("db", "fw-db")]
