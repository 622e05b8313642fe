"""Politeness as documented: simultaneous connections per host address, per target and overall, counted on
loopback by proxies in front of real openssl servers (tests/helpers/tls_servers.py CountingProxy)."""

from __future__ import annotations

import pytest

from posture.api import probe_tls
from posture.tls import ProbeOptions
from tests.helpers.tls_servers import CertFactory, ConnectionCounter, CountingProxy, OpenSSLServer, require_binary


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    require_binary("openssl")
    leaf = CertFactory(tmp_path_factory.mktemp("certs")).leaf("budget")
    servers = [OpenSSLServer(leaf, "-tls1_2").start() for _ in range(4)]
    yield servers
    for s in servers:
        s.stop()


def peak(backends, **limits) -> int:
    counter = ConnectionCounter()
    backends = backends[:limits.pop("targets", len(backends))]
    proxy = CountingProxy([("127.0.0.1", b.port) for b in backends], counter).start()
    try:
        # sslyze's own suite-by-suite enumeration (no pre-check): hundreds of connections, in parallel where allowed.
        result = probe_tls(proxy.targets, options=ProbeOptions(checks=frozenset({"versions"}), connect_timeout=2,
                                                               version_precheck=False, **limits))
    finally:
        proxy.stop()
    assert len(result.graph.by_kind("endpoint")) == len(backends) and counter.total > 100
    return counter.peak


@pytest.mark.parametrize("limits, most", [
    ({"per_server": 1, "per_target": 5, "concurrency": 10}, 1),  # all four ports of 127.0.0.1 share one connection
    ({"per_server": 3, "per_target": 2, "concurrency": 10}, 3),  # the address budget, whatever the per-target limit
    ({"per_server": 10, "per_target": 2, "targets": 1}, 2),  # one target: its own limit
])
def test_simultaneous_connections_stay_within_the_limits(backends, limits, most):
    # +1: the proxy sees a close only when it next reads the socket, so on a loaded machine a released connection
    # and its successor can overlap there for an instant. Without the limits the peak is in the tens.
    assert 1 <= peak(backends, **limits) <= most + 1


def test_the_budget_is_used_when_allowed(backends):
    assert peak(backends, per_server=8, per_target=2, concurrency=10) > 2
