"""The misconfigured-endpoint lab of the probe tests and the benchmark: 15 TLS servers on 127.0.0.1.

Fourteen configurations from the probe issue (TLS 1.0-only, TLS 1.1-only, NULL/anonymous/MD5 suites, modern,
TLS 1.3-only, expired, not yet valid, self-signed, RSA-1024, SHA-1-signed, hostname mismatch, missing
intermediate, ECDSA, no forward secrecy) plus a weak (1024-bit, RFC 5114) Diffie-Hellman group. Each entry
names the problem planted and the rule ids posture must raise on it (``expected``), nothing more at medium
severity or above.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.tls_servers import CertFactory, OpenSSLServer, require_binary

GROUPS = ("-groups", "X25519:P-256:P-384")
MODERN = ("-no_tls1", "-no_tls1_1", *GROUPS, "-cipher", "ECDHE+AESGCM:ECDHE+CHACHA20")
VALID = (-1, 90)  # days: well inside the expiry warning window and Mozilla's lifespan limit


def rfc5114_params(directory: Path) -> Path:
    """The RFC 5114 1024-bit MODP group with a 160-bit subgroup, a well-known (shared) weak prime."""
    path = directory / "dh_rfc5114_1.pem"
    if not path.exists():
        subprocess.run([require_binary("openssl"), "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                        "dh_rfc5114:1", "-out", str(path)], check=True, capture_output=True)
    return path


@dataclass(frozen=True)
class LabEndpoint:
    name: str
    problem: str  # what was planted ("" for the clean controls)
    expected: frozenset[str]  # rule ids at medium severity or above
    start: Callable[[CertFactory], Any]


def _lab() -> tuple[LabEndpoint, ...]:
    legacy = ("-cipher", "DEFAULT@SECLEVEL=0")

    def ossl(name: str, *flags: str, **leaf_kw: Any) -> Callable[[CertFactory], Any]:
        leaf_kw.setdefault("valid_days", VALID)
        return lambda certs: OpenSSLServer(certs.leaf(name, **leaf_kw), *flags).start()

    def weak_dh(certs: CertFactory) -> Any:
        return OpenSSLServer(certs.leaf("weakdh", valid_days=VALID), "-tls1_2", "-cipher",
                             "DHE-RSA-AES128-GCM-SHA256@SECLEVEL=0", "-dhparam", str(rfc5114_params(certs.dir))).start()

    def missing_intermediate(certs: CertFactory) -> Any:
        return OpenSSLServer(certs.leaf("nointer", issuer=certs.intermediate(), serve_chain=False,
                                        valid_days=VALID), *MODERN).start()

    fs = "POSTURE-PROBE-014"
    return (
        LabEndpoint("tls10_only", "TLS 1.0 only", frozenset({"POSTURE-TLS-001"}),
                    ossl("tls10", "-tls1", *legacy)),
        LabEndpoint("tls11_only", "TLS 1.1 only", frozenset({"POSTURE-TLS-001"}),
                    ossl("tls11", "-tls1_1", *legacy)),
        LabEndpoint("weak_suites", "NULL, anonymous and MD5 suites",
                    frozenset({"POSTURE-TLS-005", "POSTURE-PROBE-015"}),
                    ossl("weak", "-tls1_2", "-cipher", "NULL-SHA256:ADH-AES128-SHA:NULL-MD5:ECDHE-RSA-AES128-GCM-SHA256"
                         "@SECLEVEL=0")),
        LabEndpoint("modern", "", frozenset(), ossl("modern", *MODERN)),
        LabEndpoint("tls13_only", "", frozenset(), ossl("tls13", "-tls1_3", *GROUPS, key="ec")),
        LabEndpoint("expired", "expired certificate", frozenset({"POSTURE-PROBE-002"}),
                    ossl("expired", *MODERN, valid_days=(-30, -2))),
        LabEndpoint("not_yet_valid", "certificate not yet valid", frozenset({"POSTURE-PROBE-011"}),
                    ossl("notyet", *MODERN, valid_days=(2, 90))),
        LabEndpoint("self_signed", "self-signed certificate", frozenset({"POSTURE-PROBE-012"}),
                    ossl("selfsigned", *MODERN, self_signed=True)),
        LabEndpoint("rsa1024", "RSA 1024-bit key", frozenset({"POSTURE-PROBE-004"}),
                    ossl("rsa1024", *MODERN[:-1], "ECDHE+AESGCM:ECDHE+CHACHA20@SECLEVEL=0", key="rsa1024")),
        LabEndpoint("sha1", "SHA-1 signed certificate", frozenset({"POSTURE-PROBE-005"}),
                    lambda certs: OpenSSLServer(certs.sha1_leaf("sha1", days=90), *MODERN[:-1],
                                                "ECDHE+AESGCM:ECDHE+CHACHA20@SECLEVEL=0").start()),
        LabEndpoint("mismatch", "hostname mismatch", frozenset({"POSTURE-PROBE-003"}),
                    ossl("mismatch", *MODERN, sans=("other.example",))),
        LabEndpoint("missing_intermediate", "chain missing its intermediate", frozenset({"POSTURE-PROBE-013"}),
                    missing_intermediate),
        LabEndpoint("ecdsa", "", frozenset(), ossl("ecdsa", *MODERN, key="ec")),
        LabEndpoint("no_fs", "no forward secrecy (static RSA only)", frozenset({fs}),
                    ossl("nofs", "-tls1_2", "-cipher", "AES128-GCM-SHA256:AES256-GCM-SHA384")),
        LabEndpoint("weak_dh", "1024-bit Diffie-Hellman group (RFC 5114)", frozenset({"POSTURE-PROBE-015"}), weak_dh),
    )


LAB = _lab()
