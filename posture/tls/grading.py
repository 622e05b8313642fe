"""The letter grade of an observed TLS endpoint: start at A, apply every cap that holds, keep the lowest.

The caps are data (:data:`CAPS`), documented in docs/probe.md. Trust problems
(untrusted chain, expired certificate, hostname mismatch) give ``T`` and keep
the grade the endpoint would have had as ``grade_if_trusted``. ``A+`` is an A
with HSTS for at least 180 days and no cap at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from posture.model import UNKNOWN

GRADES = ("A+", "A", "B", "C", "F")
"""Best to worst. ``T`` (trust) is reported instead of a grade when the certificate cannot be trusted."""

HSTS_MIN_AGE = 15_552_000  # 180 days, the A+ requirement


def _versions(t: Mapping[str, Any]) -> list[str]:
    v = t.get("versions")
    return list(v) if isinstance(v, (list, tuple)) else []


def _cert(t: Mapping[str, Any], key: str) -> Any:
    c = t.get("certificate")
    return c.get(key) if isinstance(c, Mapping) else None


def _weak_ciphers(t: Mapping[str, Any]) -> list[str]:
    from posture.knowledge import cipher_strength

    ciphers = t.get("ciphers")
    if not isinstance(ciphers, (list, tuple)):
        return []
    return [c for c in ciphers if cipher_strength(c) == "weak"]


def _rsa_bits(t: Mapping[str, Any]) -> int | None:
    bits = _cert(t, "key_bits")
    return bits if _cert(t, "key_algorithm") == "RSA" and isinstance(bits, int) else None


def _sig(t: Mapping[str, Any]) -> str:
    return str(_cert(t, "signature_algorithm") or "").lower()


def _dh_bits(t: Mapping[str, Any]) -> int | None:
    bits = t.get("dh_min_bits")
    return bits if isinstance(bits, int) else None


def _below_12(t: Mapping[str, Any]) -> bool:
    v = _versions(t)
    return bool(v) and "1.2" not in v and "1.3" not in v


Check = Callable[[Mapping[str, Any]], bool]

CAPS: tuple[tuple[str, str, str, Check], ...] = (
    # (id, cap, reason, holds?)
    ("ssl2", "F", "SSL 2.0 accepted", lambda t: "ssl2" in _versions(t)),
    ("ssl3", "F", "SSL 3.0 accepted (POODLE)", lambda t: "ssl3" in _versions(t)),
    ("heartbleed", "F", "vulnerable to Heartbleed", lambda t: t.get("heartbleed") is True),
    ("ccs_injection", "F", "vulnerable to OpenSSL CCS injection", lambda t: t.get("ccs_injection") is True),
    ("robot", "F", "vulnerable to ROBOT", lambda t: t.get("robot") is True),
    ("rsa_lt_1024", "F", "RSA key shorter than 1024 bits", lambda t: (_rsa_bits(t) or 4096) < 1024),
    ("md5_signature", "F", "certificate signed with MD5", lambda t: "md5" in _sig(t)),
    ("weak_cipher", "C", "weak cipher suites accepted (NULL, export, anonymous, RC4, DES/3DES, MD5)",
     lambda t: bool(_weak_ciphers(t))),
    ("compression", "C", "TLS compression enabled (CRIME)", lambda t: t.get("compression") is True),
    ("insecure_renegotiation", "C", "secure renegotiation not supported",
     lambda t: isinstance(t.get("renegotiation"), Mapping) and t["renegotiation"].get("secure") is False),
    ("no_tls12", "C", "neither TLS 1.2 nor TLS 1.3 supported", _below_12),
    ("tls10_11", "B", "TLS 1.0 or TLS 1.1 accepted", lambda t: bool({"1.0", "1.1"} & set(_versions(t)))),
    ("rsa_lt_2048", "B", "RSA key shorter than 2048 bits", lambda t: (_rsa_bits(t) or 4096) < 2048),
    ("ec_lt_256", "B", "EC key shorter than 256 bits",
     lambda t: _cert(t, "key_algorithm") == "EC" and (_cert(t, "key_bits") or 256) < 256),
    ("sha1_signature", "B", "certificate signed with SHA-1", lambda t: "sha1" in _sig(t)),
    ("no_forward_secrecy", "B", "no forward-secret key exchange", lambda t: t.get("forward_secrecy") is False),
    ("dh_lt_1024", "F", "Diffie-Hellman group shorter than 1024 bits", lambda t: (_dh_bits(t) or 4096) < 1024),
    ("dh_lt_2048", "B", "Diffie-Hellman group shorter than 2048 bits (Logjam)", lambda t: (_dh_bits(t) or 4096) < 2048),
    ("no_fallback_scsv", "A", "TLS_FALLBACK_SCSV not supported (downgrade protection)",
     lambda t: t.get("fallback_scsv") is False and len(_versions(t)) > 1),
)
"""Grade caps, in order of severity. Every cap that holds lowers the grade to at most its letter."""

TRUST_REASONS = {"not_yet_valid": "certificate not yet valid", "expired": "certificate expired",
                 "self_signed": "certificate self-signed", "weak_signature": "certificate signature algorithm refused",
                 "incomplete_chain": "certificate chain incomplete", "untrusted_root": "certificate chain ends at an "
                 "untrusted root", "invalid": "certificate chain not trusted"}
"""Validation error class (posture/tls/certificate.py) -> the trust reason shown with a ``T`` grade."""


def _untrusted(t: Mapping[str, Any]) -> bool:
    return _cert(t, "trusted") is False and _cert(t, "validation_error") not in ("expired",)


def _untrusted_reason(t: Mapping[str, Any]) -> str:
    return TRUST_REASONS.get(str(_cert(t, "validation_error")), "certificate chain not trusted")


TRUST: tuple[tuple[str, str | Callable[[Mapping[str, Any]], str], Check], ...] = (
    ("untrusted", _untrusted_reason, _untrusted),
    ("expired", "certificate expired", lambda t: _cert(t, "expired") is True),
    ("hostname_mismatch", "certificate does not match the host name", lambda t: _cert(t, "hostname_match") is False),
)
"""Trust problems: any of them makes the grade ``T``."""


@dataclass(frozen=True)
class Grade:
    grade: str | None  # None: the protocol versions are unknown, nothing to grade
    reasons: tuple[str, ...]
    grade_if_trusted: str | None = None


def _hsts_ok(t: Mapping[str, Any]) -> bool:
    h = t.get("hsts")
    return isinstance(h, Mapping) and isinstance(h.get("max_age"), int) and h["max_age"] >= HSTS_MIN_AGE


def grade(tls: Mapping[str, Any]) -> Grade:
    """Grade the ``endpoint.tls`` attributes; reasons name every cap applied."""
    if tls.get("versions") is UNKNOWN or not _versions(tls):
        return Grade(None, ("protocol versions unknown: not graded",))
    letter = "A"
    reasons: list[str] = []
    for _id, cap, reason, holds in CAPS:
        if holds(tls):
            reasons.append(f"{reason} (cap {cap})")
            if GRADES.index(cap) > GRADES.index(letter):
                letter = cap
    if letter == "A" and not reasons and _hsts_ok(tls):
        letter = "A+"
    trust = [reason(tls) if callable(reason) else reason for _id, reason, holds in TRUST if holds(tls)]
    if trust:
        return Grade("T", tuple(trust + reasons), letter)
    return Grade(letter, tuple(reasons))
