"""The indexes and caches that keep evaluation linear give the same answers as the plain definitions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from posture.graph import INTERNET
from posture.model import UNKNOWN, Edge, Resource
from posture.rules.netlogic import internet_ingress, internet_open_ranges
from tests.conftest import make_graph

_port = st.integers(min_value=0, max_value=70)
_rule = st.fixed_dictionaries({
    "direction": st.sampled_from(["ingress", "egress"]),
    "action": st.sampled_from(["allow", "deny"]),
    "protocol": st.sampled_from(["tcp", "udp", "all"]),
    "ports": st.one_of(st.just([]), st.lists(st.tuples(_port, _port).map(sorted), min_size=1, max_size=3),
                       st.just(UNKNOWN)),
    "peers": st.one_of(st.lists(st.sampled_from(["0.0.0.0/0", "::/0", "10.0.0.0/8", "*"]), max_size=2),
                       st.just(UNKNOWN)),
    "priority": st.one_of(st.none(), st.integers(min_value=1, max_value=5)),
})


@settings(max_examples=300, deadline=None)
@given(st.lists(_rule, max_size=6), st.lists(st.integers(min_value=0, max_value=75), max_size=12))
def test_batched_ports_match_one_port_at_a_time_and_open_ranges(rules, ports):
    # prioritised and unprioritised lists must not mix (as in real firewalls)
    if any(r["priority"] is None for r in rules):
        rules = [{**r, "priority": None} for r in rules]
    opened, unknown, _ = internet_ingress(rules, ports)
    single = {p: internet_ingress(rules, [p]) for p in set(ports)}
    assert opened == sorted(p for p, (o, _, _) in single.items() if o)
    assert unknown == sorted(p for p, (_, u, _) in single.items() if u)
    ranges, unknown_ranges, _ = internet_open_ranges(rules)
    assert opened == sorted(p for p in set(ports) if any(lo <= p <= hi for lo, hi in ranges))
    assert unknown == sorted(p for p in set(ports) if any(lo <= p <= hi for lo, hi in unknown_ranges))


def _r(rid, kind, provider="gcp", **attrs):
    return Resource(rid, kind, f"t_{kind}", provider, name=rid, attrs=attrs)


def test_gcp_rules_apply_by_network_index_and_keep_their_order():
    fw = lambda rid, net, tags, ports: _r(rid, "firewall", layer="instance", network=net,  # noqa: E731
                                          targets={"all": not tags, "tags": tags, "service_accounts": []},
                                          rules=[{"direction": "ingress", "action": "allow", "protocol": "tcp",
                                                  "ports": ports, "peers": ["0.0.0.0/0"], "priority": 1000}])
    res = [_r("net-a", "network"), _r("net-b", "network"), _r("sn-a", "subnet"),
           fw("ssh-b", "net-b", [], [[22, 22]]),  # other network: never applies
           fw("web-a", "net-a", ["web"], [[443, 443]]), fw("all-a", "net-a", [], [[8080, 8080]]),
           fw("db-a", "net-a", ["db"], [[5432, 5432]]),
           _r("vm", "compute", public_ips=["34.1.1.1"], network_tags=["web"], network="net-a")]
    g = make_graph(res, [Edge("net-a", "sn-a", "contains"), Edge("sn-a", "vm", "contains")])
    (edge,) = [e for e in g.out_edges(INTERNET) if e.dst == "vm"]
    assert edge.attrs["ports"] == ((443, 443), (8080, 8080))
    assert list(edge.attrs["path"]) == [INTERNET, "sn-a", "web-a", "all-a", "vm"]


def test_graph_step_follows_only_the_named_edge_kinds_in_edge_order():
    g = make_graph([_r(x, "subnet") for x in "abcd"],
                   [Edge("a", "b", "contains"), Edge("a", "c", "routes_to"), Edge("d", "a", "contains"),
                    Edge("a", "d", "contains")])
    assert g.step("a", {"contains"}) == ["b", "d"]
    assert g.step("a", {"contains", "routes_to"}, "both") == ["b", "d", "c", "d"]
    assert g.step("a", {"peers_with"}, "both") == []


def test_networkx_view_is_built_on_demand_and_matches_the_edge_store():
    g = make_graph([_r("a", "subnet"), _r("b", "subnet")], [Edge("a", "b", "contains"), Edge("a", "b", "contains")])
    view = g.nx
    assert set(view.nodes) == {"a", "b"} and list(view.edges(keys=True)) == [("a", "b", "contains")]
    assert [e.kind for e in g.edges()] == ["contains"] and g.nx is view
