"""The sslyze probe against the misconfigured lab (tests/helpers/tls_lab.py) and broken servers on 127.0.0.1."""

from __future__ import annotations

import json
import ssl
import time

import pytest

from posture.api import probe_tls
from posture.cli import main
from posture.tls import ProbeOptions
from tests.helpers.tls_lab import LAB
from tests.helpers.tls_servers import (
    CertFactory,
    DribbleServer,
    OpenSSLServer,
    PlainHTTPServer,
    PythonTLSServer,
    ResetServer,
    SilentServer,
    require_binary,
)

# All servers share 127.0.0.1, so the per-address budget (per_server) is what bounds the whole test probe.
FAST = dict(connect_timeout=2.0, retries=1, target_timeout=30.0, per_server=16, per_target=2)
LAB_BY_NAME = {e.name: e for e in LAB}


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    require_binary("openssl")
    return CertFactory(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def servers(certs):
    s = {e.name: e.start(certs) for e in LAB}
    extra = {
        "tls10": OpenSSLServer(certs.leaf("tls10"), "-cipher", "DEFAULT@SECLEVEL=0"),
        "tls12": OpenSSLServer(certs.leaf("tls12"), "-tls1_2"),
        "hsts13": PythonTLSServer(certs.leaf("hsts13", key="ec", valid_days=(-1, 90)),
                                  minimum=ssl.TLSVersion.TLSv1_3, hsts=31_536_000),
        "silent": SilentServer(),
        "reset": ResetServer(),
        "http": PlainHTTPServer(),
    }
    for server in extra.values():
        server.start()
    s.update(extra)
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


def findings_on(scan, server, minimum="low"):
    from posture.model import Severity

    result, _ = scan
    return {f.rule_id for f in result.findings if f.resource.id == f"tls://localhost:{server.port}"
            and f.severity.rank >= Severity(minimum).rank}


@pytest.mark.parametrize("name", [e.name for e in LAB])
def test_lab_endpoint_raises_exactly_its_planted_findings(scan, servers, name):
    """Per endpoint: the planted problem is named by its own rule, and nothing else at medium or above."""
    assert findings_on(scan, servers[name], "medium") == LAB_BY_NAME[name].expected


@pytest.mark.parametrize("name, error_class, grade, reason", [
    ("expired", "expired", "T", "certificate expired"),
    ("not_yet_valid", "not_yet_valid", "T", "certificate not yet valid"),
    ("self_signed", "self_signed", "T", "certificate self-signed"),
    ("missing_intermediate", "incomplete_chain", "T", "certificate chain incomplete"),
    ("sha1", "weak_signature", "T", "certificate signature algorithm refused"),
])
def test_certificate_diagnosis_is_data(scan, servers, name, error_class, grade, reason):
    tls = tls_of(scan, servers[name])
    cert = tls["certificate"]
    assert cert["trusted"] is False and cert["validation_error"] == error_class
    assert cert["validation_reason"].startswith("validation failed")  # the verifier's raw words, kept
    assert cert["not_before"] < cert["not_after"]
    assert tls["grade"] == grade and reason in tls["grade_reasons"]


def test_certificate_facts_of_a_good_and_a_broken_chain(scan, servers):
    good = tls_of(scan, servers["modern"])["certificate"]
    assert good["trusted"] is True and good["validation_error"] is None and good["chain_complete"] is True
    assert good["self_signed"] is False and good["ocsp_urls"] == () and good["ocsp_stapled"] is False
    missing = tls_of(scan, servers["missing_intermediate"])["certificate"]
    assert missing["chain_complete"] is False and missing["chain_length"] == 1
    assert missing["issuer"] == "CN=posture test intermediate"
    assert tls_of(scan, servers["self_signed"])["certificate"]["self_signed"] is True
    mismatch = tls_of(scan, servers["mismatch"])["certificate"]
    assert mismatch["hostname_match"] is False and mismatch["trusted"] is True  # the chain itself is fine


def test_findings_carry_evidence_and_plain_remediation(scan, servers):
    result, _ = scan
    by_rule = {f.rule_id: f for f in result.findings if f.resource.id == f"tls://localhost:{servers['self_signed'].port}"}
    f = by_rule["POSTURE-PROBE-012"]
    observed = f.evidence.to_dict()["observed"]  # a YAML rule: the attributes its condition read
    assert "self-signed" in f.message and observed["tls.certificate.validation_error"] == "self_signed"
    assert observed["tls.certificate.trusted"] is False
    assert "trusted CA" in f.remediation
    chain = next(f for f in result.findings if f.rule_id == "POSTURE-PROBE-013")
    assert "CN=posture test intermediate" in chain.message and "full chain" in chain.remediation


def test_key_exchange_forward_secrecy_dh_groups_and_curves(scan, servers):
    nofs = tls_of(scan, servers["no_fs"])
    assert nofs["forward_secrecy"] is False and nofs["grade"] == "B"
    weak = tls_of(scan, servers["weak_dh"])
    [group] = weak["dh_groups"]
    assert group["bits"] == 1024 and group["common"] is True and group["name"].startswith("RFC 5114")
    assert weak["dh_min_bits"] == 1024 and weak["grade"] == "B"
    message = next(f.message for f in scan[0].findings if f.rule_id == "POSTURE-PROBE-015"
                   and f.resource.id == f"tls://localhost:{servers['weak_dh'].port}")
    assert "RFC 5114" in message and "common prime" in message
    # An anonymous suite on OpenSSL 3 at SECLEVEL=0 picks RFC 2409's 1024-bit group.
    anon = tls_of(scan, servers["weak_suites"])["dh_groups"]
    assert [g["name"] for g in anon] == ["RFC 2409 Oakley group 2 (1024-bit MODP)"]
    assert "X25519" in tls_of(scan, servers["modern"])["ecdh_curves"]


def test_tls13_only_python_server_with_hsts_gets_a_plus(scan, servers):
    tls = tls_of(scan, servers["hsts13"])
    assert tls["versions"] == ("1.3",) and tls["forward_secrecy"] is True
    assert tls["hsts"]["max_age"] == 31_536_000
    assert tls["certificate"]["key_algorithm"] == "EC" and tls["certificate"]["key_bits"] == 256
    assert tls["grade"] == "A+"


def test_tls12_only_with_trusted_chain_through_the_test_ca(scan, servers):
    tls = tls_of(scan, servers["tls12"])
    assert tls["versions"] == ("1.2",)
    cert = tls["certificate"]
    assert cert["trusted"] is True and "Supplied CA file" in cert["trust_stores"]
    assert cert["hostname_match"] is True and cert["key_algorithm"] == "RSA" and cert["key_bits"] == 2048
    assert tls["grade"] == "A"
    # Expires in 20 days: the expiry rule warns (medium); no revocation URL is a low observation.
    assert findings_on(scan, servers["tls12"]) == {"POSTURE-PROBE-002", "POSTURE-PROBE-017"}


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
    assert len(result.graph.by_kind("endpoint")) == len(LAB) + 3
    # One connect timeout (2 s) for the silent server, far below the 30 s target timeout.
    assert seconds < 30


def test_sniff_reads_a_record_header_sent_a_byte_at_a_time():
    """A slow server that answers with a valid TLS record byte by byte is TLS, not "not TLS"."""
    from posture.tls.sslyze_probe import sniff

    server = DribbleServer(delay=0.2).start()
    try:
        assert sniff("127.0.0.1", server.port, 3.0) == ("", "", "tls")
    finally:
        server.stop()


def test_target_timeout_bounds_a_slow_target(servers, certs):
    opts = ProbeOptions(checks=frozenset({"versions"}), connect_timeout=1, retries=0, target_timeout=0.3)
    start = time.monotonic()
    result = probe_tls([servers["tls10"].target], options=opts)
    assert time.monotonic() - start < 3
    assert [g.code for g in result.gaps] == ["target_timeout"]


def test_version_precheck_finds_what_full_enumeration_finds(servers):
    """Skipping the versions a server refuses and enumerating by elimination change nothing in what is
    reported (suites, versions, DH groups) against sslyze's one-connection-per-suite enumeration."""
    targets = [servers[n].target for n in ("tls10", "tls11_only", "tls13_only", "weak_suites", "weak_dh", "no_fs")]
    runs = {}
    for precheck in (True, False):
        opts = ProbeOptions(checks=frozenset({"versions"}), version_precheck=precheck, elimination=precheck,
                            **FAST)
        result = probe_tls(targets, options=opts)
        runs[precheck] = {r.id: (r.get("tls.versions"), r.get("tls.ciphers_by_version"), r.get("tls.dh_groups"))
                          for r in result.graph.by_kind("endpoint")}
    assert runs[True] == runs[False] and len(runs[True]) == 6
    # ... and the fast path really decided every version itself (sslyze was left nothing to enumerate).
    from posture.tls.sslyze_probe import CHECKS, _network
    from posture.tls.targets import Planned, Target
    from posture.tls.versions import enumerate_versions

    server = servers["tls10"]
    planned = Planned(Target("127.0.0.1", server.port), "127.0.0.1")
    decided = enumerate_versions(*_network(planned, ProbeOptions(**FAST)), set(CHECKS["versions"]))
    assert set(decided) == set(CHECKS["versions"])
    assert {k for k, v in decided.items() if v.result.accepted_cipher_suites} == {
        "tls_1_0_cipher_suites", "tls_1_1_cipher_suites", "tls_1_2_cipher_suites", "tls_1_3_cipher_suites"}


def test_full_checks_on_one_server_mozilla_and_vulnerabilities(servers, certs):
    result = probe_tls([f"localhost:{servers['tls10'].port}"], options=ProbeOptions(ca_file=certs.ca_file, **FAST))
    endpoint = result.graph.resource(f"tls://localhost:{servers['tls10'].port}")
    tls = endpoint.attrs["tls"]
    assert tls["heartbleed"] is False and tls["ccs_injection"] is False and tls["robot"] is False
    assert tls["compression"] is False and tls["fallback_scsv"] is True
    assert tls["renegotiation"]["secure"] is True
    moz = tls["mozilla"]
    assert moz["profile"] == "intermediate" and moz["compliant"] is False and moz["modern"] is False
    assert "tls_versions" in moz["issues"] and "TLS_RSA_WITH_AES_128_CBC_SHA" in moz["outside_profile_ciphers"]
    assert "secp521r1" in tls["curves"]
    assert tls["grade"] == "B"
    [deviation] = [f for f in result.findings if f.rule_id == "POSTURE-PROBE-016"]
    assert deviation.severity.value == "low" and "Mozilla intermediate" in deviation.message
    assert "tls_versions" not in deviation.message  # TLS 1.0 is POSTURE-TLS-001's finding, not a second one
    old = probe_tls([servers["tls10"].target], options=ProbeOptions(checks=frozenset({"mozilla"}),
                                                                     mozilla_profile="old", **FAST))
    assert old.graph.by_kind("endpoint")[0].get("tls.mozilla.profile") == "old"


def test_cli_probe_tls_json_and_exit_codes(servers, certs, capsys):
    port = servers["tls12"].port
    code = main(["probe", "tls", f"https://localhost:{port}/", "--ca-file", str(certs.ca_file), "--checks",
                 "versions,certificate", "--format", "json", "--fail-on", "high", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0  # only a medium (expiry soon) and a low finding
    assert doc["summary"]["source"]["type"] == "probe"
    assert sorted(f["rule_id"] for f in doc["findings"]) == ["POSTURE-PROBE-002", "POSTURE-PROBE-017"]
    assert main(["probe", "tls", servers["tls10"].target, "--checks", "versions", "--quiet", "--format",
                 "json"]) == 1
    capsys.readouterr()
    assert main(["probe", "tls", "localhost:99999"]) == 2
    assert "port must be 1-65535" in capsys.readouterr().err
    assert main(["probe", "tls", servers["tls12"].target, "--mozilla-profile", "strict"]) == 2
    capsys.readouterr()


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "html"])
def test_grade_and_its_cap_appear_in_every_probe_format(servers, fmt, capsys):
    """The grade (and why it is capped) is in every human and machine format, and on the endpoint resource."""
    target = servers["no_fs"].target
    main(["probe", "tls", target, "--checks", "versions", "--format", fmt, "--quiet", "--fail-on", "none"])
    out = capsys.readouterr().out
    assert "no forward-secret key exchange (cap B)" in out
    if fmt == "json":
        [row] = json.loads(out)["tls_endpoints"]
        assert row["grade"] == "B" and row["endpoint"] == f"tls://{target}"
    else:
        assert f"tls://{target}" in out
