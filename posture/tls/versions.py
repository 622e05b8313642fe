"""Protocol versions and their accepted suites, decided before sslyze's one-connection-per-suite enumeration.

sslyze enumerates a version's cipher suites one connection per suite (about 80-160 connections for
TLS 1.0-1.2), whether or not the server speaks that version at all. A single handshake offering every suite
sslyze would test settles it first: a version the server refuses there is not enumerated, and its result is
recorded as "no suite accepted" — exactly what the enumeration would have found. Versions above the highest
one sslyze's connectivity test negotiated are refused by definition. When a pre-check handshake fails for
any other reason than a refusal, the version is enumerated as usual (never a guess). The suites of a version
the server speaks are then found by elimination (:func:`eliminate`).
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


def _groups(version: Any) -> list[tuple[list[str], bool]]:
    """The suites sslyze tests for ``version``, split by the OpenSSL build (legacy or modern) that speaks them."""
    from sslyze import TlsVersionEnum
    from sslyze.plugins.openssl_cipher_suites._tls12_workaround import WorkaroundForTls12ForCipherSuites
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository

    names = sorted(s.openssl_name for s in CipherSuitesRepository.get_all_cipher_suites(version))
    if version == TlsVersionEnum.TLS_1_3:
        return [(names, False)]
    if version == TlsVersionEnum.TLS_1_2:
        legacy = [n for n in names if WorkaroundForTls12ForCipherSuites.requires_legacy_openssl(n)]
        return [(legacy, True), ([n for n in names if n not in legacy], False)]
    return [(names, True)]


def _connectivity(location: Any, network: Any) -> Any:
    from sslyze.server_connectivity import ServerConnectivityInfo, check_connectivity_to_server

    probing = check_connectivity_to_server(location, network)
    return ServerConnectivityInfo(server_location=location, network_configuration=network, tls_probing_result=probing)


def eliminate(info: Any, cmd: str) -> list[Any] | None:
    """The suites the server accepts for ``cmd``'s version, found by elimination; None when undecidable.

    Offer every suite, record the one the server picks (and its ephemeral key), offer the rest again, until
    the server refuses: accepted + 1 connections per OpenSSL build instead of one per known suite (what
    testssl.sh and nmap do). Any surprise (a pick outside the offer, a handshake sslyze's client refuses to
    finish) returns None, and sslyze enumerates that version one suite at a time instead.
    """
    from nassl.ssl_client import ClientCertificateRequested
    from sslyze.errors import ServerRejectedTlsHandshake, TlsHandshakeTimedOut
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import (
        CipherSuiteAcceptedByServer,
        _set_cipher_suite_string,
    )
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository

    version = _enum(cmd)
    by_name = {s.openssl_name: s for s in CipherSuitesRepository.get_all_cipher_suites(version)}
    accepted: list[Any] = []
    for names, legacy in _groups(version):
        remaining = list(names)
        while remaining:
            connection = info.get_preconfigured_tls_connection(override_tls_version=version,
                                                               should_use_legacy_openssl=legacy)
            try:
                _set_cipher_suite_string(version, ":".join(remaining), connection.ssl_client)
                try:
                    connection.connect()
                except ClientCertificateRequested:
                    pass
                chosen = connection.ssl_client.get_current_cipher_name()
                key = connection.ssl_client.get_ephemeral_key()
            except (ServerRejectedTlsHandshake, TlsHandshakeTimedOut):
                break
            except Exception:  # undecidable here: let sslyze enumerate this version
                return None
            finally:
                connection.close()
            if chosen not in remaining:
                return None
            accepted.append(CipherSuiteAcceptedByServer(cipher_suite=by_name[chosen], ephemeral_key=key))
            remaining.remove(chosen)
    return accepted


def enumerated_result(cmd: str, accepted: list[Any]) -> Any:
    """A completed sslyze attempt for ``cmd`` with ``accepted`` suites (the rest rejected)."""
    from sslyze.plugins.openssl_cipher_suites._test_cipher_suite import CipherSuiteRejectedByServer
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
    from sslyze.plugins.openssl_cipher_suites.implementation import CipherSuitesScanResult
    from sslyze.scanner.scan_command_attempt import ScanCommandAttempt, ScanCommandAttemptStatusEnum

    version = _enum(cmd)
    taken = {a.cipher_suite.name for a in accepted}
    rejected = [CipherSuiteRejectedByServer(cipher_suite=s, error_message="not picked (elimination)")
                for s in CipherSuitesRepository.get_all_cipher_suites(version) if s.name not in taken]
    result = CipherSuitesScanResult(tls_version_used=version, accepted_cipher_suites=accepted,
                                    rejected_cipher_suites=rejected)
    return ScanCommandAttempt(status=ScanCommandAttemptStatusEnum.COMPLETED, error_reason=None, error_trace=None,
                              result=result)


def enumerate_versions(location: Any, network: Any, commands: set[str], elimination: bool = True) -> dict[str, Any]:
    """Completed sslyze attempts for the version commands decided here (refused, or enumerated by elimination);
    the version commands left out are for sslyze to run."""
    wanted = [c for c in VERSION_COMMANDS if c in commands]
    if not wanted:
        return {}
    info = _connectivity(location, network)
    refused = _refused(info, wanted)
    done = {cmd: enumerated_result(cmd, []) for cmd in refused}
    if elimination:
        for cmd in wanted:
            if cmd not in refused:
                accepted = eliminate(info, cmd)
                if accepted:
                    done[cmd] = enumerated_result(cmd, accepted)
    return done


def _refused(info: Any, wanted: list[str]) -> set[str]:
    highest = info.tls_probing_result.highest_tls_version_supported
    refused: set[str] = set()
    for cmd in wanted:
        version = _enum(cmd)
        if version == highest:
            continue
        if version.value > highest.value:
            refused.add(cmd)
            continue
        if not any(_accepts(info, version, g, is_legacy) for g, is_legacy in _groups(version) if g):
            refused.add(cmd)
    return refused
