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
