"""The sslyze probe against real servers on 127.0.0.1: openssl s_server and Python ssl servers."""

from __future__ import annotations

import json
import ssl
import time

import pytest

from posture.cli import main
from posture.tls import ProbeOptions, probe_tls
from tests.tls_servers import (
    CertFactory,
    OpenSSLServer,
    PlainHTTPServer,
    PythonTLSServer,
    ResetServer,
    SilentServer,
    require_binary,
)

FAST = dict(connect_timeout=2.0, retries=1, target_timeout=20.0, per_server=2)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    require_binary("openssl")
    return CertFactory(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def servers(certs):
    s = {
        "tls10": OpenSSLServer(certs.leaf("tls10"), "-cipher", "DEFAULT@SECLEVEL=0"),
        "tls12": OpenSSLServer(certs.leaf("tls12"), "-tls1_2"),
        "tls13": PythonTLSServer(certs.leaf("tls13", key="ec"), minimum=ssl.TLSVersion.TLSv1_3, hsts=31_536_000),
        "rsa1024": OpenSSLServer(certs.leaf("rsa1024", key="rsa1024"), "-tls1_2", "-cipher", "DEFAULT@SECLEVEL=0"),
        "expired": OpenSSLServer(certs.leaf("expired", valid_days=(-30, -2)), "-tls1_2"),
        "mismatch": OpenSSLServer(certs.leaf("mismatch", sans=("other.example",)), "-tls1_2"),
        "selfsigned": OpenSSLServer(certs.leaf("selfsigned", self_signed=True), "-tls1_2"),
        "silent": SilentServer(),
        "reset": ResetServer(),
        "http": PlainHTTPServer(),
    }
    for server in s.values():
        server.start()
    yield s
    for server in s.values():
        server.stop()


@pytest.fixture(scope="module")
def scan(servers, certs):
    """One probe of every server at once (versions, certificate, HSTS), timed."""
    opts = ProbeOptions(checks=frozenset({"versions", "certificate", "hsts"}), ca_file=certs.ca_file, **FAST)
    start = time.monotonic()
    result = probe_tls([f"localhost:{s.port}" for s in servers.values()], options=opts)
    return result, time.monotonic() - start


def tls_of(scan, server):
    result, _ = scan
    endpoint = result.graph.resource(f"tls://localhost:{server.port}")
    assert endpoint is not None, [g.to_dict() for g in result.gaps]
    assert endpoint.kind == "endpoint" and endpoint.get("port") == server.port and endpoint.get("host") == "localhost"
    return endpoint.attrs["tls"]


def findings_on(scan, server):
    result, _ = scan
    return {f.rule_id for f in result.findings if f.resource.id == f"tls://localhost:{server.port}"}


def test_tls10_accepted_is_graded_b_and_fails_the_shared_tls_rule(scan, servers):
    tls = tls_of(scan, servers["tls10"])
    assert tls["versions"] == ("1.0", "1.1", "1.2", "1.3")
    assert tls["min_version"] == "1.0"
    assert tls["grade"] == "B" and any("TLS 1.0" in r for r in tls["grade_reasons"])
    assert "POSTURE-TLS-001" in findings_on(scan, servers["tls10"])


def test_tls12_only_with_trusted_chain_through_the_test_ca(scan, servers):
    tls = tls_of(scan, servers["tls12"])
    assert tls["versions"] == ("1.2",)
    cert = tls["certificate"]
    assert cert["trusted"] is True and "Supplied CA file" in cert["trust_stores"]
    assert cert["hostname_match"] is True and cert["key_algorithm"] == "RSA" and cert["key_bits"] == 2048
    assert cert["signature_algorithm"] == "ecdsa-with-SHA256"
    assert tls["grade"] == "A"
    # Expires in 20 days: the expiry rule warns (medium), nothing else fires.
    assert findings_on(scan, servers["tls12"]) == {"POSTURE-PROBE-002"}


def test_tls13_only_python_server_with_hsts_gets_a_plus(scan, servers):
    tls = tls_of(scan, servers["tls13"])
    assert tls["versions"] == ("1.3",) and tls["forward_secrecy"] is True
    assert tls["hsts"]["max_age"] == 31_536_000
    assert tls["certificate"]["key_algorithm"] == "EC" and tls["certificate"]["key_bits"] == 256
    assert tls["grade"] == "A+"


def test_1024_bit_rsa_key(scan, servers):
    tls = tls_of(scan, servers["rsa1024"])
    assert tls["certificate"]["key_bits"] == 1024
    assert tls["grade"] == "B"
    assert "POSTURE-PROBE-004" in findings_on(scan, servers["rsa1024"])


def test_expired_certificate_is_t(scan, servers):
    tls = tls_of(scan, servers["expired"])
    assert tls["certificate"]["expired"] is True and tls["certificate"]["trusted"] is False
    assert tls["grade"] == "T" and tls["grade_if_trusted"] == "A"
    assert {"POSTURE-PROBE-001", "POSTURE-PROBE-002"} <= findings_on(scan, servers["expired"])


def test_hostname_mismatch_is_not_confused_with_trust(scan, servers):
    cert = tls_of(scan, servers["mismatch"])["certificate"]
    assert cert["hostname_match"] is False and cert["domains"] == ("other.example",)
    assert cert["trusted"] is True  # the chain itself is fine
    assert findings_on(scan, servers["mismatch"]) >= {"POSTURE-PROBE-003"}
    assert "POSTURE-PROBE-001" not in findings_on(scan, servers["mismatch"])


def test_self_signed_is_untrusted(scan, servers):
    tls = tls_of(scan, servers["selfsigned"])
    assert tls["certificate"]["trusted"] is False and tls["grade"] == "T"
    assert "POSTURE-PROBE-001" in findings_on(scan, servers["selfsigned"])


@pytest.mark.parametrize("name, code", [("silent", "no_response"), ("reset", "connection_reset"),
                                        ("http", "not_tls")])
def test_broken_servers_become_error_entries(scan, servers, name, code):
    result, _ = scan
    port = servers[name].port
    gaps = [g for g in result.gaps if g.target == f"localhost:{port}@127.0.0.1"]
    assert [g.code for g in gaps] == [code]
    assert result.graph.resource(f"tls://localhost:{port}") is None
    assert {"target": f"localhost:{port}@127.0.0.1", "code": code} in [
        {k: e[k] for k in ("target", "code")} for e in result.inventory.meta["probe"]["errors"]]


def test_broken_servers_do_not_hold_up_the_others(scan):
    result, seconds = scan
    assert len(result.graph.by_kind("endpoint")) == 7
    # One connect timeout (2 s) for the silent server, far below the 20 s target timeout.
    assert seconds < 20


def test_target_timeout_bounds_a_slow_target(servers, certs):
    opts = ProbeOptions(checks=frozenset({"versions"}), connect_timeout=1, retries=0, target_timeout=0.3)
    start = time.monotonic()
    result = probe_tls([servers["tls10"].target], options=opts)
    assert time.monotonic() - start < 3
    assert [g.code for g in result.gaps] == ["target_timeout"]


def test_full_checks_on_one_server_mozilla_and_vulnerabilities(servers, certs):
    result = probe_tls([f"localhost:{servers['tls10'].port}"],
                       options=ProbeOptions(ca_file=certs.ca_file, **FAST))
    tls = result.graph.resource(f"tls://localhost:{servers['tls10'].port}").attrs["tls"]
    assert tls["heartbleed"] is False and tls["ccs_injection"] is False and tls["robot"] is False
    assert tls["compression"] is False and tls["fallback_scsv"] is True
    assert tls["renegotiation"]["secure"] is True
    moz = tls["mozilla"]
    assert moz["modern"] is False and moz["intermediate"] is False
    assert "tls_versions" in moz["issues"]["intermediate"]
    assert tls["grade"] == "B"


def test_cli_probe_tls_json_and_exit_codes(servers, certs, capsys):
    port = servers["tls12"].port
    code = main(["probe", "tls", f"https://localhost:{port}/", "--ca-file", str(certs.ca_file), "--checks",
                 "versions,certificate", "--format", "json", "--fail-on", "high", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0  # only a medium (expiry soon) finding
    assert doc["summary"]["source"]["type"] == "probe"
    assert [f["rule_id"] for f in doc["findings"]] == ["POSTURE-PROBE-002"]
    assert main(["probe", "tls", servers["tls10"].target, "--checks", "versions", "--quiet", "--format",
                 "json"]) == 1
    capsys.readouterr()
    assert main(["probe", "tls", "localhost:99999"]) == 2
    assert "port must be 1-65535" in capsys.readouterr().err
