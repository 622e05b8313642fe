"""Scope is law: validation at the boundary, and proof that out-of-scope targets are never contacted."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest

from posture.api import probe_tls
from posture.cli import main
from posture.discovery.scope import load_scope, scope_from_dict
from posture.errors import InputError
from posture.model import Edge, Inventory, Resource
from posture.tls import ProbeOptions
from posture.tls.targets import Target, parse_target, plan
from tests.helpers.tls_servers import RecordingServer

QUICK = ProbeOptions(checks=frozenset({"versions"}), connect_timeout=1, retries=0, target_timeout=5)


def write(tmp_path, text, name="scope.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("text, where, message", [
    ("allow: {cidrs: [10.0.0.0/33]}\n", "allow.cidrs", "does not appear to be an IPv4 or IPv6 network"),
    ("allow: {cidrs: []}\n", "(top level)", "at least one CIDR or hostname"),
    ("allow: {cidrs: [10.0.0.0/8]}\nlimits: {concurrency: 0}\n", "limits.concurrency", "greater than or equal"),
    ("allow: {cidrs: [10.0.0.0/8]}\nports: {include: [70000]}\n", "ports.include", "1-65535"),
    ("allow: {cidrs: [10.0.0.0/8]}\nwindow: {daily: '25:00-06:00'}\n", "window.daily", "22:00-06:00"),
    ("allow: {cidrs: [10.0.0.0/8]}\nalow: {}\n", "alow", "unknown field; did you mean 'allow'?"),
    ("exclude: {cidrs: [10.0.0.0/8]}\n", "allow", "Field required"),
])
def test_scope_errors_name_file_and_field(tmp_path, text, where, message):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_scope(path)
    assert re.match(rf"{re.escape(str(path))}:\d+: {re.escape(where)}:", str(e.value))
    assert message in str(e.value)


def test_scope_decisions():
    scope = scope_from_dict({"allow": {"cidrs": ["10.0.0.0/24"], "hostnames": ["*.example.com"]},
                             "exclude": {"cidrs": ["10.0.0.5/32"], "hostnames": ["old.example.com"], "ports": [22]}})
    assert scope.decide("10.0.0.1", "10.0.0.1", 443).allowed
    assert not scope.decide("10.0.0.5", "10.0.0.5", 443).allowed
    assert not scope.decide("10.0.0.1", "10.0.0.1", 22).allowed
    assert not scope.decide("10.0.1.1", "10.0.1.1").allowed
    assert scope.decide("www.example.com", "10.0.0.9").allowed
    assert "outside" in scope.decide("www.example.com", "192.0.2.1").reason  # name resolves out of scope
    assert "excluded" in scope.decide("old.example.com", "10.0.0.9").reason
    assert not scope.decide("www.example.org", "10.0.0.9").allowed


def test_window_is_enforced():
    scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.1/32"]},
                             "window": {"start": "2026-01-01T00:00:00Z", "end": "2026-01-31T00:00:00Z",
                                        "daily": "22:00-06:00"}}, "q1.yaml")
    scope.check_window(datetime(2026, 1, 10, 23, 0, tzinfo=timezone.utc))
    with pytest.raises(InputError, match=r"q1\.yaml: window: outside the scan window"):
        scope.check_window(datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc))
    with pytest.raises(InputError, match="outside the scan window"):
        scope.check_window(datetime(2026, 2, 10, 23, 0, tzinfo=timezone.utc))


def test_target_parsing():
    assert parse_target("https://Example.COM/x") == Target("example.com", 443)
    assert parse_target("ldaps://ldap.example.com") == Target("ldap.example.com", 636)
    assert parse_target("[::1]:8443") == Target("::1", 8443)
    assert parse_target("::1") == Target("::1", 443)
    assert parse_target("10.0.0.1:993") == Target("10.0.0.1", 993)
    with pytest.raises(InputError, match="target 'ftp://x': unknown scheme"):
        parse_target("ftp://x")


def test_out_of_scope_targets_are_refused_listed_and_never_contacted(tmp_path):
    # Three listeners that record every connection; the scope allows none of them.
    other_address = RecordingServer(host="127.0.0.2").start()
    excluded_port = RecordingServer().start()
    by_name = RecordingServer().start()  # reached as "localhost", which resolves to 127.0.0.1
    try:
        scope = write(tmp_path, f"""
allow: {{cidrs: [127.0.0.1/32], hostnames: [allowed.invalid]}}
exclude: {{ports: [{excluded_port.port}]}}
""")
        result = probe_tls([other_address.target, excluded_port.target, f"localhost:{by_name.port}"],
                           scope=scope, options=QUICK)
        refused = {g.target: g.reason for g in result.gaps if g.code == "out_of_scope"}
        assert set(refused) == {other_address.target, excluded_port.target, f"localhost:{by_name.port}"}
        assert "outside the scope's allowed CIDRs" in refused[other_address.target]
        assert "excluded" in refused[excluded_port.target]
        assert "not in the scope's allowed hostnames" in refused[f"localhost:{by_name.port}"]
        assert result.inventory.meta["probe"]["touched"] == ()
        assert (other_address.connections, excluded_port.connections, by_name.connections) == (0, 0, 0)
    finally:
        for s in (other_address, excluded_port, by_name):
            s.stop()


def test_hostname_resolving_outside_the_scope_is_refused_per_address():
    target = RecordingServer().start()
    try:
        scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.2/32"], "hostnames": ["localhost"]}})
        planned, refused = plan([Target("localhost", target.port)], scope)
        assert planned == []
        assert [r.target for r in refused] == [f"localhost:{target.port} (127.0.0.1)"]
        result = probe_tls([f"localhost:{target.port}"], scope=scope, options=QUICK)
        assert [g.code for g in result.gaps] == ["out_of_scope"]
        assert target.connections == 0
    finally:
        target.stop()


def test_inventory_endpoints_outside_the_scope_are_refused(tmp_path):
    inside, outside = RecordingServer().start(), RecordingServer(host="127.0.0.2").start()
    try:
        inv = Inventory((
            Resource("lb.in", "load_balancer", "aws_lb", "aws", attrs={"public_ips": ["127.0.0.1"]}),
            Resource("lb.in:l", "listener", "aws_lb_listener", "aws",
                     attrs={"protocol": "https", "port": inside.port, "load_balancer": "lb.in"}),
            Resource("lb.out", "load_balancer", "aws_lb", "aws", attrs={"public_ips": ["127.0.0.2"]}),
            Resource("lb.out:l", "listener", "aws_lb_listener", "aws",
                     attrs={"protocol": "https", "port": outside.port, "load_balancer": "lb.out"}),
        ), (Edge("lb.in:l", "lb.in", "attached_to"), Edge("lb.out:l", "lb.out", "attached_to")))
        with pytest.raises(InputError, match="needs --scope"):
            probe_tls(inventory=inv, from_graph=True, options=QUICK)
        scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.1/32"]}})
        result = probe_tls(inventory=inv, from_graph=True, scope=scope, options=QUICK)
        assert result.inventory.meta["probe"]["touched"] == (f"127.0.0.1:{inside.port}",)
        assert [g.target for g in result.gaps if g.code == "out_of_scope"] == [f"127.0.0.2:{outside.port}"]
        assert inside.connections == 1  # the TLS sniff; a recorder is not TLS, so nothing more
        assert outside.connections == 0
    finally:
        inside.stop()
        outside.stop()


def test_external_needs_a_scope_file(capsys):
    with pytest.raises(SystemExit) as e:
        main(["external"])
    assert e.value.code == 2
    assert "--scope" in capsys.readouterr().err
    assert main(["external", "--scope", "/nonexistent/scope.yaml"]) == 2
    assert "/nonexistent/scope.yaml: cannot read scope file" in capsys.readouterr().err
