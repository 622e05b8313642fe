"""Which protocol versions a server refuses, found with one handshake per version before enumerating suites.

sslyze enumerates a version's cipher suites one connection per suite (about 80-160 connections for
TLS 1.0-1.2), whether or not the server speaks that version at all. A single handshake offering every suite
sslyze would test settles it first: a version the server refuses there is not enumerated, and its result is
recorded as "no suite accepted" — exactly what the enumeration would have found. Versions above the highest
one sslyze's connectivity test negotiated are refused by definition. When a pre-check handshake fails for
any other reason than a refusal, the version is enumerated as usual (never a guess).
"""

from __future__ import annotations

from typing import Any

VERSION_COMMANDS = ("ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites",
                    "tls_1_1_cipher_suites", "tls_1_2_cipher_suites", "tls_1_3_cipher_suites")


def _enum(cmd: str) -> Any:
    from sslyze import TlsVersionEnum

    return {"ssl_2_0_cipher_suites": TlsVersionEnum.SSL_2_0, "ssl_3_0_cipher_suites": TlsVersionEnum.SSL_3_0,
            "tls_1_0_cipher_suites": TlsVersionEnum.TLS_1_0, "tls_1_1_cipher_suites": TlsVersionEnum.TLS_1_1,
            "tls_1_2_cipher_suites": TlsVersionEnum.TLS_1_2, "tls_1_3_cipher_suites": TlsVersionEnum.TLS_1_3}[cmd]


def _accepts(info: Any, version: Any, names: list[str], legacy: bool) -> bool:
    """One handshake offering ``names``; False only when the server refuses the handshake."""
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze.errors import ServerRejectedTlsHandshake, ServerTlsConfigurationNotSupported, TlsHandshakeTimedOut
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import _set_cipher_suite_string

    connection = info.get_preconfigured_tls_connection(override_tls_version=version, should_use_legacy_openssl=legacy)
    try:
        _set_cipher_suite_string(version, ":".join(names), connection.ssl_client)
        connection.connect()
    except (ServerTlsConfigurationNotSupported, ClientCertificateRequested):
        return True
    except (ServerRejectedTlsHandshake, TlsHandshakeTimedOut):
        return False
    except Exception:  # anything else: do not conclude, let sslyze enumerate
        return True
    finally:
        connection.close()
    return True


def refused_versions(location: Any, network: Any, commands: set[str]) -> set[str]:
    """The version scan commands among ``commands`` whose version the server refuses outright."""
    from sslyze import ServerConnectivityInfo, TlsVersionEnum
    from sslyze.plugins.openssl_cipher_suites._tls12_workaround import WorkaroundForTls12ForCipherSuites
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
    from sslyze.server_connectivity import check_connectivity_to_server

    wanted = [c for c in VERSION_COMMANDS if c in commands]
    if not wanted:
        return set()
    probing = check_connectivity_to_server(location, network)
    info = ServerConnectivityInfo(server_location=location, network_configuration=network,
                                  tls_probing_result=probing)
    highest = probing.highest_tls_version_supported
    refused: set[str] = set()
    for cmd in wanted:
        version = _enum(cmd)
        if version == highest:
            continue
        if version.value > highest.value:
            refused.add(cmd)
            continue
        names = [s.openssl_name for s in CipherSuitesRepository.get_all_cipher_suites(version)]
        if version == TlsVersionEnum.TLS_1_3:
            groups = [(names, False)]
        elif version == TlsVersionEnum.TLS_1_2:
            legacy = [n for n in names if WorkaroundForTls12ForCipherSuites.requires_legacy_openssl(n)]
            groups = [(legacy, True), ([n for n in names if n not in legacy], False)]
        else:
            groups = [(names, True)]
        if not any(_accepts(info, version, g, is_legacy) for g, is_legacy in groups if g):
            refused.add(cmd)
    return refused


def refused_result(cmd: str) -> Any:
    """A completed sslyze attempt for a refused version: no suite accepted (what enumeration finds)."""
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import CipherSuiteRejectedByServer
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
    from sslyze.plugins.openssl_cipher_suites.implementation import CipherSuitesScanResult
    from sslyze.scanner.scan_command_attempt import ScanCommandAttempt, ScanCommandAttemptStatusEnum

    version = _enum(cmd)
    rejected = [CipherSuiteRejectedByServer(cipher_suite=s, error_message="version refused (pre-check handshake)")
                for s in CipherSuitesRepository.get_all_cipher_suites(version)]
    result = CipherSuitesScanResult(tls_version_used=version, accepted_cipher_suites=[],
                                    rejected_cipher_suites=rejected)
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.COMPLETED, error_reason=None, error_trace=None,
                              result=result)
