"""posture.providers.kit.pem: the facts of a PEM certificate written in the code, UNKNOWN when unreadable."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from posture.model import UNKNOWN
from posture.providers.kit.pem import certificate_facts

x509 = pytest.importorskip("cryptography.x509")


def _pem(bits: int, digest: str) -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a.example")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(datetime(2025, 1, 1, tzinfo=timezone.utc))
            .not_valid_after(datetime(2030, 6, 1, tzinfo=timezone.utc))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("a.example")]), critical=False)
            .sign(key, getattr(hashes, digest)()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_key_signature_and_expiry_are_read_from_the_body():
    facts = certificate_facts(_pem(2048, "SHA256"))
    assert facts == {"key_algorithm": "RSA", "key_bits": 2048, "signature_algorithm": "sha256WithRSAEncryption",
                     "not_after": "2030-06-01T00:00:00Z", "domains": ["a.example"]}


@pytest.mark.parametrize("body", [UNKNOWN, None, "", "not a certificate",
                                  "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"])
def test_an_unreadable_body_leaves_every_fact_unknown(body):
    facts = certificate_facts(body)
    assert facts["not_after"] is UNKNOWN and facts["key_bits"] is UNKNOWN and facts["signature_algorithm"] is UNKNOWN
