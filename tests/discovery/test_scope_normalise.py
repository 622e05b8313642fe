"""Scope decisions on canonical addresses: no IPv6 spelling of an IPv4 address walks around allow or exclude."""

from __future__ import annotations

import ipaddress
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.api import external_scan, probe_tls
from posture.discovery.addresses import normalise_address, normalise_network
from posture.discovery.external import plan_external
from posture.discovery.scope import scope_from_dict
from posture.tls import ProbeOptions
from tests.helpers.tls_servers import RecordingServer, require_binary

QUICK = ProbeOptions(checks=frozenset({"versions"}), connect_timeout=1, retries=0, target_timeout=5)
ipv4 = st.integers(min_value=2, max_value=2**32 - 1).map(ipaddress.IPv4Address)


def spellings(ip: ipaddress.IPv4Address) -> list[str]:
    """IPv6 and textual forms that reach (or name) the IPv4 address ``ip``."""
    v = int(ip)
    return [
        str(ip),
        f"::ffff:{ip}",                                   # IPv4-mapped, dotted
        str(ipaddress.IPv6Address(0xFFFF_0000_0000 | v)),  # IPv4-mapped, hex
        f"[::ffff:{ip}]",                                 # bracketed literal
        f"::{ip}",                                        # IPv4-compatible (deprecated)
        str(ipaddress.IPv6Address((0x64FF9B << 96) | v)),  # NAT64 well-known prefix
        f"64:ff9b::{ip}",
        f"::FFFF:{ip}".upper(),
    ]


@settings(max_examples=300, deadline=None)
@given(ipv4)
def test_every_spelling_of_an_ipv4_address_normalises_to_it(ip):
    for form in spellings(ip):
        assert normalise_address(form) == ip, form


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=2**128 - 1), st.sampled_from(["eth0", "1", "lo"]))
def test_zones_are_dropped_and_native_ipv6_stays_ipv6(value, zone):
    ip = ipaddress.IPv6Address(value)
    canonical = normalise_address(f"{ip}%{zone}")
    assert canonical == normalise_address(str(ip))
    if value >> 32 not in (0, 0xFFFF, 0x64FF9B << 64):
        assert canonical == ip  # an address that carries no IPv4 address is left alone


def test_ipv6_own_addresses_are_not_ipv4():
    assert normalise_address("::1") == ipaddress.IPv6Address("::1")
    assert normalise_address("::") == ipaddress.IPv6Address("::")
    assert normalise_network(ipaddress.ip_network("::/96")) == ipaddress.ip_network("::/96")
    assert normalise_network(ipaddress.ip_network("::ffff:10.0.0.0/104")) == ipaddress.ip_network("10.0.0.0/8")
    assert normalise_network(ipaddress.ip_network("64:ff9b::c000:200/120")) == ipaddress.ip_network("192.0.2.0/24")
    assert normalise_address("not-an-address") is None and normalise_address("127.1") is None


@settings(max_examples=200, deadline=None)
@given(ipv4, st.integers(min_value=8, max_value=32), st.data())
def test_an_excluded_ipv4_address_is_refused_in_every_spelling(ip, prefix, data):
    excluded = ipaddress.ip_network(f"{ip}/{prefix}", strict=False)
    written = data.draw(st.sampled_from([str(excluded), f"::ffff:{excluded.network_address}/{prefix + 96}"]))
    scope = scope_from_dict({"allow": {"cidrs": ["0.0.0.0/0", "::/0"]}, "exclude": {"cidrs": [written]}})
    for form in spellings(ip):
        d = scope.address_allowed(form)
        assert not d.allowed and "excluded" in d.reason, (form, written)
    tunnel = ipaddress.IPv6Address((0x2002 << 112) | (int(ip) << 80) | 1)  # 6to4 names the IPv4 end
    assert not scope.address_allowed(str(tunnel)).allowed


@settings(max_examples=200, deadline=None)
@given(ipv4, ipv4)
def test_allowing_all_of_ipv6_allows_no_ipv4_address(allowed, target):
    scope = scope_from_dict({"allow": {"cidrs": ["::/0", f"{allowed}/32"]}})
    for form in spellings(target):
        d = scope.address_allowed(form)
        assert d.allowed == (target == allowed), form
        if d.allowed:
            assert d.address == str(target)  # the caller connects to the address that was checked


LOOPBACK_SCOPE = {"allow": {"cidrs": ["::/0", "127.0.0.1/32"]}, "exclude": {"cidrs": ["127.0.0.2/32"]}}


def test_probe_never_reaches_an_excluded_address_through_an_ipv4_mapped_target():
    excluded = RecordingServer(host="127.0.0.2").start()
    allowed = RecordingServer(host="127.0.0.1").start()
    try:
        scope = scope_from_dict(LOOPBACK_SCOPE)
        targets = [f"[::ffff:127.0.0.2]:{excluded.port}", f"[::127.0.0.2]:{excluded.port}",
                   f"[64:ff9b::7f00:2]:{excluded.port}", f"[::ffff:127.0.0.1]:{allowed.port}"]
        result = probe_tls(targets, scope=scope, options=QUICK)
        refused = {g.target: g.reason for g in result.gaps if g.code == "out_of_scope"}
        assert {t.split(" ")[0] for t in refused} == set(targets[:3])  # "[::ffff:127.0.0.2]:N (127.0.0.2)"
        assert all("excluded by the scope" in r for r in refused.values())
        deadline = time.monotonic() + 2
        while allowed.connections == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert excluded.connections == 0
        assert allowed.connections >= 1  # the control: the same probe does connect where the scope allows
    finally:
        excluded.stop()
        allowed.stop()


def test_nmap_is_given_only_canonical_addresses_that_passed():
    require_binary("nmap")
    excluded = RecordingServer(host="127.0.0.2").start()
    try:
        targets = ["::ffff:127.0.0.2", "::ffff:127.0.0.1", "::ffff:8.8.8.8"]
        scope = scope_from_dict({**LOOPBACK_SCOPE, "targets": targets, "ports": {"top": 0, "include": [excluded.port]}})
        xplan = plan_external(scope)
        assert list(xplan.addresses) == ["127.0.0.1"]
        assert {r.target for r in xplan.refused} == {"::ffff:7f00:2", "::ffff:808:808"}
        external_scan(scope)
        assert excluded.connections == 0
    finally:
        excluded.stop()


@pytest.mark.parametrize("target", ["::ffff:127.0.0.2", "[::ffff:127.0.0.2]", "::127.0.0.2", "64:ff9b::7f00:2",
                                    "2002:7f00:2::1"])
def test_scope_decide_refuses_ipv6_forms_of_an_excluded_address(target):
    d = scope_from_dict(LOOPBACK_SCOPE).decide(target, target)
    assert not d.allowed and "excluded" in d.reason
