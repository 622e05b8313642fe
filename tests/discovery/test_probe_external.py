"""``posture external`` with the real nmap binary on 127.0.0.1, and configuration drift."""

from __future__ import annotations

import json

import pytest

from posture.api import external_scan, probe_tls
from posture.cli import main
from posture.discovery.portscan import _tunnels, port_ranges, top_ports
from posture.discovery.scope import scope_from_dict
from posture.errors import InputError
from posture.model import Edge, Inventory, Resource
from posture.tls import ProbeOptions
from tests.helpers.paths import FIXTURES
from tests.helpers.tls_servers import BannerServer, CertFactory, OpenSSLServer, RecordingServer, require_binary

FIXTURES = FIXTURES / "probe"
LIMITS = {"rate": 1000, "concurrency": 4, "per_server": 2, "connect_timeout": 2, "target_timeout": 20}


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    require_binary("nmap")
    require_binary("openssl")
    certs = CertFactory(tmp_path_factory.mktemp("certs"))
    servers = {
        "tls": OpenSSLServer(certs.leaf("ext"), "-cipher", "DEFAULT@SECLEVEL=0").start(),
        "ssh": BannerServer(b"SSH-2.0-OpenSSH_5.3\r\n").start(),
        "other_address": RecordingServer(host="127.0.0.2").start(),
        "excluded_port": RecordingServer().start(),
    }
    yield certs, servers
    for s in servers.values():
        s.stop()


def inventory_for(tls_port: int) -> Inventory:
    """A VM at 127.0.0.1 whose firewall opens only the TLS port to the internet."""
    rules = [{"direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[tls_port, tls_port]],
              "peers": ["0.0.0.0/0"], "priority": None}]
    return Inventory(
        (Resource("vm", "compute", "aws_instance", "aws", name="vm", attrs={"public_ips": ["127.0.0.1"]}),
         Resource("sg", "firewall", "aws_security_group", "aws", name="sg", attrs={"rules": rules})),
        (Edge("vm", "sg", "protected_by"),),
    )


def scope_for(servers, **extra):
    return scope_from_dict({
        "name": "loopback quarter", "allow": {"cidrs": ["127.0.0.0/30"]},
        "exclude": {"cidrs": ["127.0.0.2/32"], "ports": [servers["excluded_port"].port]},
        "ports": {"top": 0, "include": sorted(s.port for s in servers.values())},
        "limits": LIMITS, **extra}, "scope.yaml")


def test_external_scan_finds_tls_and_unexpected_ports_inside_the_scope(estate):
    certs, servers = estate
    tls_port, ssh_port = servers["tls"].port, servers["ssh"].port
    result = external_scan(scope_for(servers), inventory=inventory_for(tls_port), ca_file=certs.ca_file,
                           checks=["versions", "certificate"])
    meta = result.inventory.meta["probe"]
    assert meta["addresses"] == ("127.0.0.1",)
    assert set(meta["open"]) == {f"127.0.0.1:{tls_port}", f"127.0.0.1:{ssh_port}"}
    tls = result.graph.resource(f"tls://127.0.0.1:{tls_port}")
    assert tls.get("tls.versions") == ("1.0", "1.1", "1.2", "1.3") and tls.get("state") == "open"
    assert result.graph.resource(f"tcp://127.0.0.1:{ssh_port}").get("tls") is None
    by_rule = {(f.rule_id, f.resource.id) for f in result.findings}
    assert ("POSTURE-PROBE-009", f"tcp://127.0.0.1:{ssh_port}") in by_rule  # firewall says TLS port only
    assert ("POSTURE-PROBE-009", f"tls://127.0.0.1:{tls_port}") not in by_rule
    assert ("POSTURE-TLS-001", f"tls://127.0.0.1:{tls_port}") in by_rule
    assert [e.src for e in result.graph.in_edges(f"tcp://127.0.0.1:{ssh_port}", "observed_as")] == ["vm"]
    # Scope is law: the excluded address and the excluded port were never contacted.
    assert servers["other_address"].connections == 0
    assert servers["excluded_port"].connections == 0
    assert any(g.code == "out_of_scope" and g.target == "127.0.0.2" for g in result.gaps)


def test_service_detection_flags_known_weak_versions(estate):
    _, servers = estate
    scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.1/32"]}, "ports": {"top": 0, "include": [
        servers["ssh"].port]}, "limits": LIMITS, "service_detection": True})
    result = external_scan(scope)
    endpoint = result.graph.resource(f"tcp://127.0.0.1:{servers['ssh'].port}")
    assert endpoint.get("service.product") == "OpenSSH" and endpoint.get("service.version") == "5.3"
    assert sorted(f.rule_id for f in result.findings if f.resource.id == endpoint.id) == [
        "POSTURE-PROBE-010", "POSTURE-PROBE-020"]
    # Without an inventory the open port is still an (info) observation, naming what answered.
    [seen] = [f for f in result.findings if f.rule_id == "POSTURE-PROBE-020"]
    assert seen.severity.value == "info" and "OpenSSH 5.3" in seen.message


def test_dry_run_prints_the_plan_and_touches_nothing(estate, tmp_path, capsys):
    _, servers = estate
    before = {k: getattr(s, "connections", 0) for k, s in servers.items()}
    scope = tmp_path / "scope.yaml"
    scope.write_text(f"""
allow: {{cidrs: [127.0.0.0/30]}}
exclude: {{cidrs: [127.0.0.2/32], ports: [{servers['excluded_port'].port}]}}
ports: {{top: 10, include: [{servers['tls'].port}]}}
""")
    assert main(["external", "--scope", str(scope), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would touch 1 address(es) on 11 TCP port(s)" in out
    assert f"-p {port_ranges([*top_ports(10), servers['tls'].port])} -sT -Pn -n" in out
    assert "127.0.0.2: address 127.0.0.2 is excluded by the scope" in out
    assert {k: getattr(s, "connections", 0) for k, s in servers.items()} == before


def test_tunnel_attribute_is_read_from_raw_xml():
    # Recorded from `nmap -sT -Pn -n -sV` against `openssl s_server -www` on 127.0.0.1.
    services = _tunnels((FIXTURES / "nmap_sv_tls.xml").read_bytes())
    assert services[("127.0.0.1", 14433)]["tunnel"] == "ssl"
    assert services[("127.0.0.1", 14433)]["name"] == "http"


def test_top_ports_follow_nmap_frequencies():
    ports = top_ports(1000)
    assert len(ports) == 1000 and {22, 80, 443, 3389, 8443} <= set(ports)


def test_drift_between_configured_listener_and_observed_endpoint(estate):
    _, servers = estate
    port = servers["tls"].port
    inv = Inventory(
        (Resource("aws_lb.web", "load_balancer", "aws_lb", "aws", name="web",
                  attrs={"scheme": "internet-facing", "public_ips": ["127.0.0.1"]}),
         Resource("aws_lb_listener.https", "listener", "aws_lb_listener", "aws", name="https",
                  attrs={"protocol": "https", "port": port, "load_balancer": "aws_lb.web",
                         "tls": {"policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "min_version": "1.2",
                                 "versions": ["1.2", "1.3"]}})),
        (Edge("aws_lb_listener.https", "aws_lb.web", "attached_to"),),
    )
    scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.1/32"]}, "limits": LIMITS})
    result = probe_tls(inventory=inv, from_graph=True, scope=scope,
                       options=ProbeOptions(checks=frozenset({"versions"}), connect_timeout=2, per_server=2))
    endpoint_id = f"tls://127.0.0.1:{port}"
    assert [e.src for e in result.graph.in_edges(endpoint_id, "observed_as")] == ["aws_lb_listener.https"]
    drift = [f for f in result.findings if f.rule_id == "POSTURE-PROBE-008"]
    assert len(drift) == 1 and drift[0].resource.id == "aws_lb_listener.https"
    assert "ELBSecurityPolicy-TLS13-1-2-2021-06" in drift[0].message and "1.0, 1.1, 1.2, 1.3" in drift[0].message
    assert drift[0].evidence.to_dict()["observed"]["unexpected"] == ["1.0", "1.1"]
    # The shared TLS rule judges the configured listener and the observed endpoint alike.
    tls001 = {f.resource.id for f in result.findings if f.rule_id == "POSTURE-TLS-001"}
    assert tls001 == {endpoint_id}
    # The listener's own port is expected: no "cannot verify port" on listeners.
    assert not [f for f in result.findings if f.rule_id == "POSTURE-PROBE-009"]


def test_external_scan_with_a_snapshot_reports_drift_on_the_listener(estate, tmp_path, capsys):
    """The quarterly scan closes the loop: observed port -> the listener configuring it -> PROBE-008 there;
    the load balancer's security group (reached through the listener) judges the other open ports."""
    from posture.api import save_snapshot

    certs, servers = estate
    tls_port, ssh_port = servers["tls"].port, servers["ssh"].port
    rules = [{"direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[tls_port, tls_port]],
              "peers": ["0.0.0.0/0"], "priority": None}]
    inv = Inventory(
        (Resource("aws_lb.web", "load_balancer", "aws_lb", "aws", name="web",
                  attrs={"scheme": "internet-facing", "public_ips": ["127.0.0.1"]}),
         Resource("aws_lb_listener.https", "listener", "aws_lb_listener", "aws", name="https",
                  attrs={"protocol": "https", "port": tls_port, "load_balancer": "aws_lb.web",
                         "tls": {"policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "min_version": "1.2",
                                 "versions": ["1.2", "1.3"]}}),
         Resource("aws_security_group.lb", "firewall", "aws_security_group", "aws", name="lb",
                  attrs={"rules": rules})),
        (Edge("aws_lb_listener.https", "aws_lb.web", "attached_to"),
         Edge("aws_lb.web", "aws_security_group.lb", "protected_by")),
    )
    snapshot = tmp_path / "estate.jsonl"
    save_snapshot(inv, snapshot)
    scope = tmp_path / "scope.yaml"
    scope.write_text(f"allow: {{cidrs: [127.0.0.1/32]}}\nports: {{top: 0, include: [{tls_port}, {ssh_port}]}}\n"
                     "limits: {rate: 1000, concurrency: 4, per_server: 4, connect_timeout: 2, target_timeout: 20}\n")
    code = main(["external", "--scope", str(scope), "--snapshot", str(snapshot), "--checks", "versions",
                 "--format", "json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1
    by_rule = {}
    for f in doc["findings"]:
        by_rule.setdefault(f["rule_id"], []).append(f["resource"]["id"])
    assert by_rule["POSTURE-PROBE-008"] == ["aws_lb_listener.https"]
    assert by_rule["POSTURE-PROBE-009"] == [f"tcp://127.0.0.1:{ssh_port}"]  # the LB's group opens only TLS
    assert not any("cannot verify" in f["message"] for f in doc["findings"])
    assert "POSTURE-PROBE-020" not in by_rule  # the inventory knows the address


def test_from_graph_explains_listeners_without_a_public_address(estate):
    _, servers = estate
    inv = Inventory(
        (Resource("aws_lb.web", "load_balancer", "aws_lb", "aws", name="web", attrs={"scheme": "internet-facing"}),
         Resource("aws_lb_listener.https", "listener", "aws_lb_listener", "aws", name="https",
                  attrs={"protocol": "https", "port": 443, "load_balancer": "aws_lb.web"})),
        (Edge("aws_lb_listener.https", "aws_lb.web", "attached_to"),),
    )
    scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.1/32"]}, "limits": LIMITS})
    result = probe_tls([servers["tls"].target], inventory=inv, from_graph=True, scope=scope,
                       options=ProbeOptions(checks=frozenset({"versions"}), connect_timeout=2))
    [gap] = [g for g in result.gaps if g.code == "no_public_address"]
    assert gap.target == "aws_lb_listener.https" and "no public IP address or DNS name" in gap.reason
    with pytest.raises(InputError, match=r"aws_lb_listener\.https: TLS listener on port 443 not probed"):
        probe_tls(inventory=inv, from_graph=True, scope=scope)
