"""What a PEM certificate written in the code says about itself (key, signature hash, expiry, names).

Certificates uploaded from Terraform (IAM server certificates) carry their body as a PEM string; the facts
the key-strength rules judge are read from it with ``cryptography`` (an optional dependency). A value not
known until apply, a body that does not parse, or a missing library leaves every fact UNKNOWN.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from posture.model import UNKNOWN

_UNKNOWN_FACTS = {"key_algorithm": UNKNOWN, "key_bits": UNKNOWN, "signature_algorithm": UNKNOWN,
                  "not_after": UNKNOWN, "domains": []}


def certificate_facts(pem: Any) -> dict[str, Any]:
    """``key_algorithm`` (RSA | EC | ...), ``key_bits``, ``signature_algorithm``, ``not_after`` (ISO), ``domains``."""
    if not isinstance(pem, str) or "BEGIN CERTIFICATE" not in pem:
        return dict(_UNKNOWN_FACTS)
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
    except ImportError:  # pragma: no cover - the tls extra is not installed
        return dict(_UNKNOWN_FACTS)
    try:
        cert = x509.load_pem_x509_certificate(pem.strip().encode())
    except ValueError:
        return dict(_UNKNOWN_FACTS)
    key = cert.public_key()
    algorithm = ("RSA" if isinstance(key, rsa.RSAPublicKey) else "EC" if isinstance(key, ec.EllipticCurvePublicKey)
                 else "DSA" if isinstance(key, dsa.DSAPublicKey) else type(key).__name__)
    bits = getattr(key, "key_size", None)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        domains = [str(v) for v in san.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        domains = []
    oid = cert.signature_algorithm_oid
    return {
        "key_algorithm": algorithm,
        "key_bits": bits if isinstance(bits, int) else UNKNOWN,
        "signature_algorithm": getattr(oid, "_name", None) or oid.dotted_string,
        "not_after": cert.not_valid_after_utc.astimezone(timezone.utc).isoformat().replace("+00:00", "Z"),
        "domains": domains,
    }
