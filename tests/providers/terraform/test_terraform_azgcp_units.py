"""Unit tests for the Azure/GCP Terraform helpers the labelled corpus relies on (tests/fixtures/corpus)."""

from __future__ import annotations

import pytest

from posture.model import UNKNOWN
from posture.providers.azure.terraform.data import _min_tls, ip_range_peers
from posture.providers.kit.ports import parse_port_spec
from posture.rules.netlogic import _peer_families


@pytest.mark.parametrize(("start", "end", "peers"), [
    ("0.0.0.0", "255.255.255.255", ["0.0.0.0/0"]),
    ("0.0.0.0", "0.0.0.0", ["tag:AzureServices"]),
    ("128.0.0.0", "255.255.255.255", ["128.0.0.0/1"]),
    ("203.0.113.0", "203.0.113.255", ["203.0.113.0/24"]),
    ("10.0.0.1", "10.0.0.2", ["10.0.0.1/32", "10.0.0.2/32"]),
    (UNKNOWN, "1.2.3.4", [UNKNOWN]),
    ("not-an-ip", "1.2.3.4", [UNKNOWN]),
])
def test_azure_ip_firewall_ranges_become_cidrs(start, end, peers):
    assert ip_range_peers(start, end) == peers


@pytest.mark.parametrize(("spec", "ports"), [
    ("80, 3389 ,8080", [[80, 80], [3389, 3389], [8080, 8080]]),
    ("3388-3390, 23000", [[3388, 3390], [23000, 23000]]),
    ("22", [[22, 22]]),
    ("*", [[0, 65535]]),
    ("22,abc", UNKNOWN),
])
def test_port_specs_accept_comma_separated_lists(spec, ports):
    assert parse_port_spec(spec) == ports


@pytest.mark.parametrize(("setting", "version"), [
    ("TLS1_2", "1.2"), ("TLSv1.1,TLSv1.2", "1.1"), ("TLSEnforcementDisabled", "1.0"), ("1.0", "1.0"),
    (None, None), (UNKNOWN, UNKNOWN), ("bogus", UNKNOWN),
])
def test_minimum_tls_settings(setting, version):
    assert _min_tls(setting) == version


@pytest.mark.parametrize(("peer", "families"), [
    ("0.0.0.0/0", ("v4",)), ("34.15.11.3/0", ("v4",)), ("2001:db8::1/0", ("v6",)), ("10.0.0.0/8", ()),
    ("bogus/0", ()),
])
def test_any_slash_zero_is_the_internet(peer, families):
    assert _peer_families(peer) == families
