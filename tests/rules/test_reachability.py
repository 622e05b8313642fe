"""Internet reachability over the graph: every layer must let the packet through."""

from __future__ import annotations

from posture.graph import INTERNET
from posture.model import Edge, Resource
from tests.conftest import ingress, make_graph


def R(rid, kind, provider="aws", **attrs):
    return Resource(rid, kind, f"t_{kind}", provider, name=rid, attrs=attrs)


def aws_estate(sg_rules, *, nacl_rules=None, igw=True, public_ips=("3.3.3.3",), extra=()):
    res = [R("vpc", "network", cidrs=["10.0.0.0/16"]), R("sn", "subnet"), R("rt", "route_table"),
           R("igw", "gateway", gateway_type="internet"), R("sg", "firewall", layer="instance", rules=sg_rules),
           R("vm", "compute", public_ips=list(public_ips)), *extra]
    edges = [Edge("vpc", "sn", "contains"), Edge("sn", "vm", "contains"), Edge("sn", "rt", "routes_to"),
             Edge("vm", "sg", "protected_by")]
    if igw:
        edges.append(Edge("rt", "igw", "routes_to"))
    if nacl_rules is not None:
        res.append(R("nacl", "firewall", layer="subnet", stateful=False, rules=nacl_rules))
        edges.append(Edge("sn", "nacl", "protected_by"))
    return make_graph(res, edges)


def exposure(graph, rid):
    edges = [e for e in graph.out_edges(INTERNET, "reachable_from_internet") if e.dst == rid]
    return edges[0].attrs if edges else None


def test_public_instance_behind_open_sg_is_reachable_with_path():
    g = aws_estate([ingress([[22, 22]]), ingress([[443, 443]], peers=["10.0.0.0/8"])])
    e = exposure(g, "vm")
    assert e["ports"] == ((22, 22),)
    assert list(e["path"]) == [INTERNET, "igw", "rt", "sn", "sg", "vm"]


def test_no_internet_gateway_route_means_not_reachable():
    assert exposure(aws_estate([ingress([[22, 22]])], igw=False), "vm") is None


def test_private_instance_is_not_reachable():
    assert exposure(aws_estate([ingress([[22, 22]])], public_ips=()), "vm") is None


def test_nacl_deny_narrows_the_open_ports():
    nacl = [ingress([[22, 22]], action="deny", priority=100),
            ingress([[0, 65535]], protocol="all", priority=200),
            ingress([[0, 65535]], protocol="all", action="deny", priority=32767, implied=True)]
    g = aws_estate([ingress([[0, 65535]], protocol="all")], nacl_rules=nacl)
    e = exposure(g, "vm")
    assert e["ports"] == ((0, 21), (23, 65535)) and "nacl" in e["path"]


def test_unknown_public_ip_is_not_claimed_reachable():
    from posture.model import UNKNOWN

    g = make_graph([R("vm", "compute", public_ips=UNKNOWN)])
    assert exposure(g, "vm") is None


def test_azure_nsg_on_subnet_and_nic_both_apply():
    nic_nsg = R("nsg-nic", "firewall", "azure", layer="instance",
                rules=[ingress([[3389, 3389]], peers=["*"], priority=100)])
    subnet_nsg = R("nsg-sn", "firewall", "azure", layer="subnet",
                   rules=[ingress([[3389, 3389]], action="deny", peers=["Internet"], priority=100),
                          ingress([[0, 65535]], protocol="all", action="deny", priority=65500, implied=True)])
    vm = R("vm", "compute", "azure", public_ips=["20.0.0.1"])
    nic = R("nic", "interface", "azure")
    base = [R("vnet", "network", "azure"), R("sn", "subnet", "azure"), vm, nic, nic_nsg]
    edges = [Edge("vnet", "sn", "contains"), Edge("sn", "nic", "contains"), Edge("nic", "vm", "attached_to"),
             Edge("nic", "nsg-nic", "protected_by")]
    assert exposure(make_graph(base, edges), "vm")["ports"] == ((3389, 3389),)
    denied = make_graph([*base, subnet_nsg], [*edges, Edge("sn", "nsg-sn", "protected_by")])
    assert exposure(denied, "vm") is None


def test_azure_vm_with_public_ip_and_no_nsg_is_open_on_all_ports():
    g = make_graph([R("vm", "compute", "azure", public_ips=["20.0.0.1"])])
    assert exposure(g, "vm")["ports"] == ((0, 65535),)


def test_gcp_rules_apply_by_network_and_target_tags_with_priority():
    allow = R("fw-allow", "firewall", "gcp", network="net", targets={"all": False, "tags": ["ssh"]},
              rules=[ingress([[22, 22]], priority=1000)])
    deny = R("fw-deny", "firewall", "gcp", network="net", targets={"all": True},
             rules=[ingress([[22, 22]], action="deny", priority=900)])
    other_net = R("fw-other", "firewall", "gcp", network="net2", targets={"all": True},
                  rules=[ingress([[80, 80]], priority=1000)])
    vm = R("vm", "compute", "gcp", public_ips=["34.1.1.1"], network_tags=["ssh"])
    untagged = R("vm2", "compute", "gcp", public_ips=["34.1.1.2"], network_tags=[])
    base = [R("net", "network", "gcp"), R("sn", "subnet", "gcp"), vm, untagged, allow, other_net]
    edges = [Edge("net", "sn", "contains"), Edge("sn", "vm", "contains"), Edge("sn", "vm2", "contains")]
    g = make_graph(base, edges)
    assert exposure(g, "vm")["ports"] == ((22, 22),)
    assert exposure(g, "vm2") is None  # implied deny; the port-80 rule is on another network
    assert exposure(make_graph([*base, deny], edges), "vm") is None


def test_public_database_and_internet_facing_lb():
    db = R("db", "datastore", public=True, store_type="database")
    lb = R("lb", "load_balancer", scheme="internet-facing")
    sg = R("sg", "firewall", layer="instance", rules=[ingress([[5432, 5432]]), ingress([[443, 443]])])
    g = make_graph([db, lb, sg], [Edge("db", "sg", "protected_by"), Edge("lb", "sg", "protected_by")])
    assert exposure(g, "db")["ports"] == ((443, 443), (5432, 5432))
    assert exposure(g, "lb") is not None
