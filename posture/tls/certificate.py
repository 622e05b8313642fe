"""The observed certificate as data: what it is, whether it is trusted, and if not, why, in one word.

sslyze validates with cryptography's strict verifier, whose reasons are internal ("candidates exhausted",
"missing required extension 2.5.29.35"). :func:`diagnose` keeps that raw reason and adds a class computed
from the certificates themselves, in this order (the first that holds is the class):

``not_yet_valid``, ``expired``, ``self_signed`` (the leaf signed itself), ``weak_signature`` (a served
certificate is signed with SHA-1 or MD5, which the verifier refuses), ``incomplete_chain`` (the last
served certificate's issuer is neither served nor a root of any trust store), ``untrusted_root`` (the
chain ends at a root no trust store holds), ``invalid`` (anything else: read the raw reason).
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ERROR_CLASSES = ("not_yet_valid", "expired", "self_signed", "weak_signature", "incomplete_chain", "untrusted_root",
                 "invalid")
"""Validation error classes, in the order they are decided."""

_WEAK_HASHES = ("sha1", "md5")


def san_names(cert: Any) -> list[str]:
    """DNS names and IP addresses of the subjectAltName."""
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.get_values_for_type(x509.DNSName)] + \
        [str(v) for v in san.get_values_for_type(x509.IPAddress)]


def hostname_matches(host: str, domains: list[str]) -> bool:
    """RFC 6125 matching against the subjectAltName (no CN fallback): exact, or one left-most ``*`` label."""
    from posture.discovery.addresses import parse_address

    if parse_address(host) is not None:
        return any(parse_address(d) == parse_address(host) for d in domains)
    name = host.lower().rstrip(".")
    for d in (d.lower().rstrip(".") for d in domains):
        if d == name:
            return True
        if d.startswith("*.") and "." in name and name.split(".", 1)[1] == d[2:] and name.split(".", 1)[0]:
            return True
    return False


_STORES: dict[str, Any] = {}
_ROOT_SUBJECTS: dict[str, frozenset[bytes]] = {}
_STORES_LOCK = threading.Lock()


def trust_stores(ca_file: Path | None) -> list[Any]:
    """sslyze's bundled trust stores (loaded once per process), plus ``ca_file`` as a store of its own."""
    from sslyze.plugins.certificate_info.trust_stores.trust_store import TrustStore
    from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import TrustStoresRepository

    with _STORES_LOCK:
        if "default" not in _STORES:
            _STORES["default"] = TrustStoresRepository.get_default().get_all_stores()
        stores = list(_STORES["default"])
        if ca_file is not None:
            key = str(ca_file)
            if key not in _STORES:
                _STORES[key] = TrustStore(ca_file, "Supplied CA file", "N/A")
            stores.append(_STORES[key])
    return stores


def _root_subjects(stores: list[Any]) -> frozenset[bytes]:
    """DER subjects of every certificate of ``stores`` (cached per store file)."""
    from cryptography.x509 import load_pem_x509_certificates

    out: set[bytes] = set()
    for store in stores:
        key = str(store.path)
        with _STORES_LOCK:
            if key not in _ROOT_SUBJECTS:
                _ROOT_SUBJECTS[key] = frozenset(c.subject.public_bytes() for c in
                                                load_pem_x509_certificates(Path(store.path).read_bytes()))
            out |= _ROOT_SUBJECTS[key]
    return frozenset(out)


def _trusted_stores(chain_pem: list[str], name: str, ca_file: Path | None) -> list[str]:
    from ipaddress import ip_address

    from cryptography.x509 import DNSName, IPAddress

    from posture.discovery.addresses import parse_address

    subject = IPAddress(ip_address(name)) if parse_address(name) is not None else DNSName(name.replace("*.", "x.", 1))
    return [s.name for s in trust_stores(ca_file) if s.verify_certificate_chain(chain_pem, subject)
            .was_validation_successful]


def _signed_by_itself(cert: Any) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # unsupported algorithm, bad signature: not provably self-signed
        return False
    return True


def _sig_name(cert: Any) -> str:
    oid = cert.signature_algorithm_oid
    return str(getattr(oid, "_name", None) or oid.dotted_string)


def _error_class(chain: list[Any], self_signed: bool, chain_complete: bool, now: datetime) -> str:
    leaf = chain[0]
    if leaf.not_valid_before_utc > now:
        return "not_yet_valid"
    if leaf.not_valid_after_utc < now:
        return "expired"
    if self_signed:
        return "self_signed"
    if any(h in _sig_name(c).lower() for c in chain if not _signed_by_itself(c) for h in _WEAK_HASHES):
        return "weak_signature"
    if not chain_complete:
        return "incomplete_chain"
    if _signed_by_itself(chain[-1]):
        return "untrusted_root"
    return "invalid"


def _revocation(leaf: Any) -> dict[str, Any]:
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID

    ocsp: list[str] = []
    crl: list[str] = []
    try:
        aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
        ocsp = [str(d.access_location.value) for d in aia if d.access_method == AuthorityInformationAccessOID.OCSP]
    except x509.ExtensionNotFound:
        pass
    try:
        points = leaf.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
        crl = [str(n.value) for p in points for n in (p.full_name or ())]
    except x509.ExtensionNotFound:
        pass
    return {"ocsp_urls": ocsp, "crl_urls": crl}


def diagnose(host: str, deployment: Any, ca_file: Path | None) -> dict[str, Any]:
    """The ``endpoint.tls.certificate`` attributes of one sslyze certificate deployment (docs/model.md)."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    chain = deployment.received_certificate_chain
    leaf = chain[0]
    key = leaf.public_key()
    algorithm = {rsa.RSAPublicKey: "RSA", ec.EllipticCurvePublicKey: "EC", dsa.DSAPublicKey: "DSA",
                 ed25519.Ed25519PublicKey: "Ed25519", ed448.Ed448PublicKey: "Ed448"}
    key_algorithm = next((name for cls, name in algorithm.items() if isinstance(key, cls)), type(key).__name__)
    bits = getattr(key, "key_size", None) or {"Ed25519": 256, "Ed448": 456}.get(key_algorithm)
    domains = san_names(leaf)
    hostname_match = hostname_matches(host, domains)
    passed = [v.trust_store.name for v in deployment.path_validation_results if v.was_validation_successful]
    errors = sorted({str(v.validation_error) for v in deployment.path_validation_results if v.validation_error})
    if not passed and not hostname_match and domains:
        # sslyze validates chain and name together; re-validate the chain alone so that a name
        # mismatch does not also read as "untrusted".
        passed = _trusted_stores(deployment.received_certificate_chain_as_pem, domains[0], ca_file)
    now = datetime.now(timezone.utc)
    self_signed = _signed_by_itself(leaf)
    last = chain[-1]
    stores = trust_stores(ca_file)
    chain_complete = bool(passed) or _signed_by_itself(last) or last.issuer.public_bytes() in _root_subjects(stores)
    error_class = None if passed else _error_class(list(chain), self_signed, chain_complete, now)
    return {
        "key_algorithm": key_algorithm,
        "key_bits": bits,
        "signature_algorithm": _sig_name(leaf),
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": leaf.not_valid_after_utc.isoformat(),
        "not_yet_valid": leaf.not_valid_before_utc > now,
        "expired": leaf.not_valid_after_utc < now,
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "domains": domains,
        "chain_length": len(chain),
        "chain": [{"subject": c.subject.rfc4514_string(), "issuer": c.issuer.rfc4514_string(),
                   "signature_algorithm": _sig_name(c)} for c in chain],
        "self_signed": self_signed,
        "chain_complete": chain_complete,
        "trusted": bool(passed),
        "trust_stores": passed,
        "validation_error": error_class,
        "validation_reason": None if passed else (errors[0] if errors else None),
        "validation_errors": [] if passed and hostname_match else errors,
        "hostname_match": hostname_match,
        **_revocation(leaf),
        "ocsp_stapled": deployment.ocsp_response is not None,
        "must_staple": bool(deployment.leaf_certificate_has_must_staple_extension),
    }
