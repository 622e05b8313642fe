"""The fixture estate of the probe rules (tests/fixtures/rules/probe/estate.jsonl).

Regenerate with ``python -m tests.helpers.probe_fixtures``; tests/rules/test_probe_rules.py checks the committed
file matches this code and that every probe rule fails and passes the ids its fixture declares.
"""

from __future__ import annotations

from posture.model import Edge, Inventory, Resource
from tests.helpers.paths import FIXTURES

PATH = FIXTURES / "rules" / "probe" / "estate.jsonl"

GOOD_CERT = {"key_algorithm": "EC", "key_bits": 256, "signature_algorithm": "ecdsa-with-SHA256",
             "not_after": "2099-01-01T00:00:00+00:00", "expired": False, "trusted": True, "hostname_match": True,
             "domains": ["good.example"]}
GOOD_TLS = {"policy": "observed", "versions": ["1.2", "1.3"], "min_version": "1.2",
            "ciphers": ["TLS_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"],
            "certificate": GOOD_CERT, "heartbleed": False, "robot": False, "ccs_injection": False,
            "compression": False, "renegotiation": {"secure": True, "client_initiated_dos": False},
            "fallback_scsv": True}


def _endpoint(rid: str, tls: dict | None = None, cert: dict | None = None, **attrs) -> Resource:
    host, port = rid.split("://")[1].rsplit(":", 1)
    t = None if tls is None and cert is None and rid.startswith("tcp") else {
        **GOOD_TLS, **(tls or {}), "certificate": {**GOOD_CERT, **(cert or {})}}
    return Resource(rid, "endpoint", "tls_endpoint" if t else "tcp_port", "probe", name=rid.split("://")[1],
                    attrs={"host": host, "port": int(port), "address": host, "protocol": "tcp", "tls": t, **attrs},
                    source="probe")


def estate() -> Inventory:
    listener_tls = {"policy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "min_version": "1.2", "versions": ["1.2", "1.3"]}
    firewall_rules = [{"direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[443, 443]],
                       "peers": ["0.0.0.0/0"], "priority": None}]
    resources = [
        _endpoint("tls://good.example:443"),
        _endpoint("tls://untrusted.example:443", cert={"trusted": False}),
        _endpoint("tls://expired.example:443", cert={"not_after": "2020-01-01T00:00:00+00:00", "expired": True}),
        _endpoint("tls://mismatch.example:443", cert={"hostname_match": False, "domains": ["other.example"]}),
        _endpoint("tls://rsa1024.example:443", cert={"key_algorithm": "RSA", "key_bits": 1024}),
        _endpoint("tls://sha1.example:443", cert={"signature_algorithm": "sha1WithRSAEncryption"}),
        _endpoint("tls://heartbleed.example:443", tls={"heartbleed": True}),
        _endpoint("tls://rc4.example:443", tls={"ciphers": ["TLS_RSA_WITH_RC4_128_SHA", "TLS_AES_128_GCM_SHA256"]}),
        _endpoint("tls://drifted.example:443", tls={"versions": ["1.0", "1.1", "1.2", "1.3"], "min_version": "1.0"}),
        _endpoint("tls://notyet.example:443", cert={"not_before": "2099-01-01T00:00:00+00:00", "not_yet_valid": True,
                                                    "trusted": False, "validation_error": "not_yet_valid"}),
        _endpoint("tls://selfsigned.example:443", cert={"self_signed": True, "trusted": False,
                                                        "validation_error": "self_signed", "subject": "CN=self",
                                                        "issuer": "CN=self"}),
        _endpoint("tls://nointermediate.example:443", cert={
            "trusted": False, "validation_error": "incomplete_chain", "chain_complete": False, "chain_length": 1,
            "chain": [{"subject": "CN=leaf", "issuer": "CN=Intermediate CA", "signature_algorithm": "sha256"}]}),
        _endpoint("tls://nofs.example:443", tls={"versions": ["1.2"], "forward_secrecy": False,
                                                 "ciphers": ["TLS_RSA_WITH_AES_128_GCM_SHA256"]}),
        _endpoint("tls://weakdh.example:443", tls={"dh_groups": [{
            "bits": 1024, "common": True, "weak": True, "name": "RFC 2409 Oakley group 2 (1024-bit MODP)",
            "suites": ["TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"]}], "dh_min_bits": 1024}),
        _endpoint("tls://cbc.example:443", tls={"versions": ["1.2"], "cbc_only": True,
                                                "ciphers": ["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"]}),
        _endpoint("tls://curves.example:443", tls={"mozilla": {
            "profile": "intermediate", "compliant": False, "best": None, "outside_profile_ciphers": [],
            "issues": {"tls_curves": "TLS curves {'secp521r1'} are supported, but should be rejected."}}}),
        _endpoint("tls://norevocation.example:443", cert={"ocsp_urls": [], "crl_urls": [], "ocsp_stapled": False}),
        _endpoint("tls://nostaple.example:443", cert={"ocsp_urls": ["http://ocsp.example"], "crl_urls": [],
                                                      "ocsp_stapled": False}),
        _endpoint("tls://203.0.113.10:443"),
        _endpoint("tcp://198.51.100.7:25", state="open", answer={"class": "smtp/ftp greeting"}),
        _endpoint("tcp://203.0.113.10:22", state="open",
                  service={"name": "ssh", "product": "OpenSSH", "version": "5.3", "method": "probed"}),
        Resource("aws_lb_listener.drifted", "listener", "aws_lb_listener", "aws", name="drifted",
                 attrs={"protocol": "https", "port": 443, "tls": listener_tls}),
        Resource("aws_lb_listener.aligned", "listener", "aws_lb_listener", "aws", name="aligned",
                 attrs={"protocol": "https", "port": 443, "tls": listener_tls}),
        Resource("aws_instance.web", "compute", "aws_instance", "aws", name="web",
                 attrs={"public_ips": ["203.0.113.10"]}),
        Resource("aws_security_group.web", "firewall", "aws_security_group", "aws", name="web",
                 attrs={"rules": firewall_rules}),
    ]
    edges = [
        Edge("aws_lb_listener.drifted", "tls://drifted.example:443", "observed_as"),
        Edge("aws_lb_listener.aligned", "tls://good.example:443", "observed_as"),
        Edge("aws_instance.web", "aws_security_group.web", "protected_by"),
        Edge("aws_instance.web", "tls://203.0.113.10:443", "observed_as"),
        Edge("aws_instance.web", "tcp://203.0.113.10:22", "observed_as"),
    ]
    return Inventory(tuple(resources), tuple(edges))


if __name__ == "__main__":
    from posture.api import save_snapshot

    PATH.parent.mkdir(parents=True, exist_ok=True)
    save_snapshot(estate(), PATH)
    print(f"wrote {PATH}")
