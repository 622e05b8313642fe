from posture.model import UNKNOWN
from posture.rules.netlogic import internet_ingress
from tests.conftest import ingress


def test_security_group_union_of_allows():
    rules = [ingress([[22, 22]], peers=["10.0.0.0/8"]), ingress([[20, 25]])]
    assert internet_ingress(rules, [22, 3389])[0] == [22]


def test_protocol_all_and_ipv6():
    assert internet_ingress([ingress([[0, 65535]], protocol="all", peers=["::/0"])], [22, 3389])[0] == [22, 3389]
    assert internet_ingress([ingress([], protocol="icmp")], [22])[0] == []
    assert internet_ingress([ingress([[53, 53]], protocol="udp")], [53])[0] == []


def test_priority_deny_cancels_lower_priority_allow():
    rules = [
        ingress([[0, 65535]], protocol="all", priority=4096, peers=["*"]),
        ingress([[22, 22]], action="deny", priority=100, peers=["Internet"]),
    ]
    assert internet_ingress(rules, [22, 3389])[0] == [3389]


def test_allow_before_deny_in_priority_order_still_opens():
    rules = [ingress([[22, 22]], priority=100), ingress([[22, 22]], action="deny", priority=200)]
    assert internet_ingress(rules, [22])[0] == [22]


def test_narrow_deny_does_not_close_internet_path():
    rules = [ingress([[22, 22]], action="deny", priority=100, peers=["1.2.3.4/32"]), ingress([[22, 22]], priority=200)]
    assert internet_ingress(rules, [22])[0] == [22]


def test_egress_and_disabled_rules_ignored():
    egress = dict(ingress([[22, 22]]), direction="egress")
    disabled = dict(ingress([[22, 22]]), disabled=True)
    assert internet_ingress([egress, disabled], [22])[0] == []


def test_unknown_peers_make_the_port_undecidable():
    rules = [{"direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[22, 22]], "peers": UNKNOWN}]
    open_, unknown, _ = internet_ingress(rules, [22])
    assert open_ == [] and unknown == [22]
    assert internet_ingress(UNKNOWN, [22])[1] == [22]


# -- per-family decisions, ranges, unknown rules (rule packs) ------------------------------------------------
from posture.rules.netlogic import broad_public_peers, internet_open_ranges, port_count  # noqa: E402


def test_ipv4_deny_does_not_close_ipv6_allow():
    rules = [ingress([[22, 22]], action="deny", priority=100, peers=["0.0.0.0/0"]),
             ingress([[22, 22]], priority=200, peers=["::/0"])]
    assert internet_ingress(rules, [22])[0] == [22]
    rules[0] = ingress([[22, 22]], action="deny", priority=100, peers=["*"])
    assert internet_ingress(rules, [22])[0] == []


def test_unknown_rule_or_unknown_peer_element_is_not_a_pass():
    assert internet_ingress([UNKNOWN], [22])[1] == [22]
    assert internet_ingress([ingress([[22, 22]], peers=[UNKNOWN])], [22])[1] == [22]
    # a known internet peer next to an unknown one is still open
    assert internet_ingress([ingress([[22, 22]], peers=[UNKNOWN, "0.0.0.0/0"])], [22])[0] == [22]
    # an unknown rule ahead of an allow in priority order leaves the answer open
    assert internet_ingress([UNKNOWN, ingress([[22, 22]], priority=100)], [22])[1] == [22]


def test_open_ranges_are_merged_and_cut_by_denies():
    rules = [ingress([[0, 65535]], protocol="all", priority=200),
             ingress([[1000, 2000]], action="deny", priority=100, peers=["*"])]
    open_r, unknown_r, proof = internet_open_ranges(rules, "tcp")
    assert open_r == [(0, 999), (2001, 65535)] and unknown_r == [] and proof
    assert port_count(open_r) == 65535 - 1001 + 1


def test_egress_direction_uses_the_same_semantics():
    egress = dict(ingress([[0, 65535]], protocol="all"), direction="egress")
    assert port_count(internet_open_ranges([egress], "tcp", "egress")[0]) == 65536
    assert internet_open_ranges([egress], "tcp")[0] == []


def test_broad_public_ranges_exclude_private_and_internet():
    peers = ["0.0.0.0/0", "0.0.0.0/1", "10.0.0.0/8", "11.0.0.0/8", "12.0.0.0/9", "2000::/3", "fc00::/7"]
    assert broad_public_peers(peers, 8, 32) == ["0.0.0.0/1", "11.0.0.0/8", "2000::/3"]


def test_gcp_firewall_with_unknown_network_is_still_judged_not_crashed():
    from posture.api import scan_inventory
    from posture.model import Inventory, Resource

    fw = Resource("fw", "firewall", "google_compute_firewall", "gcp",
                  attrs={"network": UNKNOWN, "targets": {"all": True}, "rules": [ingress([[22, 22]], priority=1000)]})
    result = scan_inventory(Inventory((fw,)))
    assert not [g for g in result.gaps if g.code == "rule_error"]
    assert "POSTURE-NET-001" in {f.rule_id for f in result.findings}
