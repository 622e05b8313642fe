"""The TLS probe: sslyze 6 through its Python API, with hard time bounds, turned into model attributes.

Every target gets its own :class:`sslyze.Scanner` so that a target can be given up
at its deadline without holding up the others. Concurrency is strictly bounded: a
slot is released only when sslyze's own threads for that target are done (their
sockets carry ``connect_timeout``, so even an abandoned target frees its slot soon).
"""

from __future__ import annotations

import queue
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any

from posture.model import UNKNOWN
from posture.tls.grading import grade
from posture.tls.targets import Planned

CHECKS: dict[str, tuple[str, ...]] = {
    "versions": ("ssl_2_0_cipher_suites", "ssl_3_0_cipher_suites", "tls_1_0_cipher_suites",
                 "tls_1_1_cipher_suites", "tls_1_2_cipher_suites", "tls_1_3_cipher_suites"),
    "certificate": ("certificate_info",),
    "hsts": ("http_headers",),
    "compression": ("tls_compression",),
    "renegotiation": ("session_renegotiation",),
    "heartbleed": ("heartbleed",),
    "robot": ("robot",),
    "ccs_injection": ("openssl_ccs_injection",),
    "fallback_scsv": ("tls_fallback_scsv",),
    "mozilla": ("elliptic_curves", "tls_extended_master_secret"),  # plus everything above but hsts
}
"""Check groups (what ``--checks`` accepts) -> sslyze scan command names."""

VERSION_FIELDS = dict(zip(CHECKS["versions"], ("ssl2", "ssl3", "1.0", "1.1", "1.2", "1.3"), strict=True))
MOZILLA_PROFILES = ("modern", "intermediate", "old")


@dataclass(frozen=True)
class ProbeOptions:
    """How to probe: which checks, which CA file, and the time and concurrency bounds."""

    checks: frozenset[str] = frozenset(CHECKS)
    ca_file: Path | None = None
    connect_timeout: float = 5.0
    retries: int = 1
    target_timeout: float = 120.0
    concurrency: int = 10
    per_server: int = 5
    rate: float = 100.0  # new targets per second

    def __post_init__(self) -> None:
        unknown = set(self.checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown check(s) {sorted(unknown)}; known: {', '.join(CHECKS)}")

    def scan_commands(self) -> set[str]:
        groups = set(self.checks)
        if "mozilla" in groups:
            groups |= set(CHECKS) - {"hsts"}
        return {cmd for g in groups for cmd in CHECKS[g]}


@dataclass(frozen=True)
class Outcome:
    """The probe of one planned target: TLS attributes, or an error code and reason."""

    planned: Planned
    tls: Mapping[str, Any] | None = None
    error_code: str = ""
    error: str = ""
    seconds: float = 0.0
    command_errors: Mapping[str, str] = field(default_factory=dict)


def _quiet_sslyze() -> None:
    # sslyze's bundled trust stores hold a few certificates cryptography warns about on every load.
    warnings.filterwarnings("ignore", module=r"sslyze(\.|$)")
    try:
        from cryptography.utils import CryptographyDeprecationWarning

        warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning)
    except ImportError:  # pragma: no cover
        pass


def _request(p: Planned, opts: ProbeOptions) -> Any:
    from sslyze import (
        CertificateInfoExtraArgument,
        ScanCommand,
        ScanCommandsExtraArguments,
        ServerNetworkConfiguration,
        ServerNetworkLocation,
        ServerScanRequest,
    )

    sni = p.target.host
    location = ServerNetworkLocation(hostname=sni, port=p.target.port, ip_address=p.address)
    network = ServerNetworkConfiguration(
        tls_server_name_indication=sni,
        network_timeout=opts.connect_timeout,  # type: ignore[arg-type]  # a float works as a socket timeout
        network_max_retries=opts.retries,
    )
    commands = {ScanCommand(c) for c in opts.scan_commands()}
    extra = ScanCommandsExtraArguments()
    if opts.ca_file is not None and ScanCommand.CERTIFICATE_INFO in commands:
        extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(custom_ca_file=opts.ca_file))
    return ServerScanRequest(server_location=location, network_configuration=network, scan_commands=commands,
                             scan_commands_extra_arguments=extra)


@cache
def client_hello() -> bytes:
    """A real ClientHello (TLS 1.0-1.3, every cipher OpenSSL still has) from Python's ssl, for sniffing."""
    import ssl

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():  # TLS 1.0 is deprecated; offering it is the point of a sniff
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ALL:@SECLEVEL=0")
    obj = ctx.wrap_bio(ssl.MemoryBIO(), outgoing := ssl.MemoryBIO(), server_hostname="probe.invalid")
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def sniff(address: str, port: int, timeout: float) -> tuple[str, str]:
    """One connection: does ``address:port`` answer a ClientHello with a TLS record?

    Returns ``("", "")`` for TLS, else an error code and reason (``no_response`` for a server that
    accepts and stays silent, ``connection_reset``, ``not_tls`` with the first bytes seen...). This
    bounds the time lost on silent or non-TLS ports to one ``timeout`` instead of sslyze's retries.
    """
    import socket

    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.sendall(client_hello())
            first = sock.recv(5)
    except TimeoutError:
        return "no_response", f"no answer to a TLS ClientHello within {timeout:g} s"
    except ConnectionRefusedError:
        return "connection_refused", "connection refused"
    except ConnectionResetError:
        return "connection_reset", "connection reset by the server"
    except OSError as e:
        return "connection_failed", f"{type(e).__name__}: {e.strerror or e}"
    if len(first) >= 2 and first[0] in (0x15, 0x16) and first[1] == 0x03:
        return "", ""
    if not first:
        return "connection_closed", "server closed the connection without answering the ClientHello"
    return "not_tls", f"server answered a ClientHello with non-TLS data: {first[:16]!r}"


def _scan(p: Planned, opts: ProbeOptions) -> Any:
    from sslyze import Scanner

    scanner = Scanner(per_server_concurrent_connections_limit=opts.per_server, concurrent_server_scans_limit=1)
    scanner.queue_scans([_request(p, opts)])
    return next(iter(scanner.get_results()))


_ERROR_CODES = {
    "ConnectionToServerTimedOut": "timeout",
    "ServerRejectedConnection": "connection_rejected",
    "TlsHandshakeTimedOut": "tls_handshake_timeout",
    "ServerRejectedTlsHandshake": "tls_handshake_failed",
    "ServerTlsConfigurationNotSupported": "tls_handshake_failed",
}


def _connectivity_error(result: Any) -> tuple[str, str]:
    trace = result.connectivity_error_trace
    if trace is None:
        return "connection_failed", "sslyze could not connect"
    name = str(getattr(trace, "exc_type_str", None) or getattr(getattr(trace, "exc_type", None), "__name__", ""))
    message = "".join(trace.format_exception_only()).strip().splitlines()[-1]
    message = message.split(": ", 1)[-1] if ": " in message else message
    code = _ERROR_CODES.get(name.rsplit(".", 1)[-1], "connection_failed")
    if "reset" in message.lower():
        code = "connection_reset"
    return code, message


def probe(
    planned: Iterable[Planned],
    options: ProbeOptions | None = None,
    *,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Probe every planned target (already checked against the scope) and return one outcome each.

    At most ``concurrency`` targets run at once, at most ``rate`` start per second, each with
    ``per_server`` connections; a target not done after ``target_timeout`` seconds becomes a
    ``target_timeout`` error while the others go on.
    """
    opts = options or ProbeOptions()
    items = list(planned)
    # A missing optional dependency is a usage error (the CLI prints the install hint, exit 2), never a
    # per-target gap: checked before anything is contacted, also when every target was refused.
    import sslyze  # noqa: F401
    if not items:
        return []
    _quiet_sslyze()
    slots = threading.BoundedSemaphore(opts.concurrency)
    done: queue.Queue[Outcome] = queue.Queue()

    def run(p: Planned) -> None:
        box: dict[str, Any] = {}
        start = time.monotonic()

        def scan() -> None:
            try:
                code, reason = sniff(p.address, p.target.port, opts.connect_timeout)
                box["result"] = (code, reason) if code else _scan(p, opts)
            except Exception as e:  # a bug or odd server must end this target only
                box["error"] = e
            finally:
                slots.release()

        worker = threading.Thread(target=scan, name=f"posture-probe {p.label}", daemon=True)
        worker.start()
        worker.join(opts.target_timeout)
        elapsed = round(time.monotonic() - start, 3)
        if worker.is_alive():
            out = Outcome(p, error_code="target_timeout", seconds=elapsed,
                          error=f"no result within {opts.target_timeout:g} s; target abandoned")
        elif "error" in box:
            e = box["error"]
            out = Outcome(p, error_code="probe_error", error=f"{type(e).__name__}: {e}", seconds=elapsed)
        elif isinstance(box["result"], tuple):
            out = Outcome(p, error_code=box["result"][0], error=box["result"][1], seconds=elapsed)
        else:
            out = _outcome(p, box["result"], opts, elapsed)
        done.put(out)

    def dispatch() -> None:
        interval = 1.0 / opts.rate
        next_start = time.monotonic()
        for p in items:
            delay = next_start - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            next_start = max(next_start, time.monotonic()) + interval
            slots.acquire()
            threading.Thread(target=run, args=(p,), daemon=True).start()

    threading.Thread(target=dispatch, name="posture-probe-dispatch", daemon=True).start()
    outcomes: dict[Planned, Outcome] = {}
    for _ in items:
        out = done.get()
        outcomes[out.planned] = out
        if on_done is not None:
            on_done(out)
    return [outcomes[p] for p in items]


# --------------------------------------------------------------------------- sslyze result -> attributes


def _outcome(p: Planned, result: Any, opts: ProbeOptions, seconds: float) -> Outcome:
    from sslyze import ScanCommandAttemptStatusEnum, ServerScanStatusEnum

    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        code, message = _connectivity_error(result)
        return Outcome(p, error_code=code, error=message, seconds=seconds)
    scan = result.scan_result
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for cmd in sorted(opts.scan_commands()):
        attempt = getattr(scan, cmd)
        if attempt.status == ScanCommandAttemptStatusEnum.COMPLETED:
            results[cmd] = attempt.result
        else:
            reason = getattr(attempt.error_reason, "value", attempt.error_reason)
            errors[cmd] = f"{reason}" if attempt.error_trace is None else \
                f"{reason}: {''.join(attempt.error_trace.format_exception_only()).strip()[:200]}"
    tls = tls_attrs(p, results, errors, opts, result)
    return Outcome(p, tls=tls, seconds=seconds, command_errors=errors)


def _get(results: Mapping[str, Any], errors: Mapping[str, str], cmd: str, fn: Callable[[Any], Any]) -> Any:
    """``fn(result)`` when the command ran, UNKNOWN when it failed, a missing marker when not requested."""
    if cmd in results:
        return fn(results[cmd])
    return UNKNOWN if cmd in errors else _MISSING


_MISSING = object()


def tls_attrs(p: Planned, results: Mapping[str, Any], errors: Mapping[str, str], opts: ProbeOptions,
              server_result: Any = None) -> dict[str, Any]:
    """The ``endpoint.tls`` attributes (docs/model.md) from completed sslyze scan command results."""
    tls: dict[str, Any] = {"policy": "observed"}
    if "versions" in opts.checks or "mozilla" in opts.checks:
        tls.update(_versions(results, errors))
    if "certificate_info" in results or "certificate_info" in errors:
        tls["certificate"] = (_certificate(p, results["certificate_info"], opts)
                              if "certificate_info" in results else UNKNOWN)
    simple = {
        "hsts": ("http_headers", _hsts),
        "compression": ("tls_compression", lambda r: bool(r.supports_compression)),
        "renegotiation": ("session_renegotiation", lambda r: {
            "secure": bool(r.supports_secure_renegotiation),
            "client_initiated_dos": bool(r.is_vulnerable_to_client_renegotiation_dos)}),
        "heartbleed": ("heartbleed", lambda r: bool(r.is_vulnerable_to_heartbleed)),
        "robot": ("robot", lambda r: r.robot_result.value.startswith("VULNERABLE")),
        "ccs_injection": ("openssl_ccs_injection", lambda r: bool(r.is_vulnerable_to_ccs_injection)),
        "fallback_scsv": ("tls_fallback_scsv", lambda r: bool(r.supports_fallback_scsv)),
    }
    for key, (cmd, fn) in simple.items():
        value = _get(results, errors, cmd, fn)
        if value is not _MISSING:
            tls[key] = value
    if "robot" in results:
        tls["robot_result"] = results["robot"].robot_result.value.lower()
    if "mozilla" in opts.checks:
        tls["mozilla"] = _mozilla(server_result) if server_result is not None else UNKNOWN
    g = grade(tls)
    tls["grade"], tls["grade_reasons"] = g.grade, list(g.reasons)
    if g.grade_if_trusted is not None:
        tls["grade_if_trusted"] = g.grade_if_trusted
    return tls


def _versions(results: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, Any]:
    if any(cmd in errors or cmd not in results for cmd in VERSION_FIELDS):
        return {"versions": UNKNOWN, "min_version": UNKNOWN, "ciphers": UNKNOWN}
    versions: list[str] = []
    ciphers: list[str] = []
    by_version: dict[str, list[str]] = {}
    forward_secrecy = False
    for cmd, version in VERSION_FIELDS.items():
        r = results[cmd]
        if not r.is_tls_version_supported:
            continue
        versions.append(version)
        names = [a.cipher_suite.name for a in r.accepted_cipher_suites]
        by_version[version] = names
        ciphers.extend(n for n in names if n not in ciphers)
        forward_secrecy = forward_secrecy or version == "1.3" or any(
            a.ephemeral_key is not None for a in r.accepted_cipher_suites)
    return {
        "versions": versions,
        "min_version": versions[0] if versions else None,
        "max_version": versions[-1] if versions else None,
        "ciphers": ciphers,
        "ciphers_by_version": by_version,
        "forward_secrecy": forward_secrecy,
    }


def _hsts(r: Any) -> dict[str, Any] | None:
    h = r.strict_transport_security_header
    if h is None:
        return None
    return {"max_age": h.max_age, "include_subdomains": bool(h.include_subdomains), "preload": bool(h.preload)}


def _certificate(p: Planned, r: Any, opts: ProbeOptions) -> dict[str, Any] | Any:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    if not r.certificate_deployments:
        return UNKNOWN
    deployment = r.certificate_deployments[0]
    chain = deployment.received_certificate_chain
    leaf = chain[0]
    key = leaf.public_key()
    algorithm = {rsa.RSAPublicKey: "RSA", ec.EllipticCurvePublicKey: "EC", dsa.DSAPublicKey: "DSA",
                 ed25519.Ed25519PublicKey: "Ed25519", ed448.Ed448PublicKey: "Ed448"}
    key_algorithm = next((name for cls, name in algorithm.items() if isinstance(key, cls)), type(key).__name__)
    bits = getattr(key, "key_size", None) or {"Ed25519": 256, "Ed448": 456}.get(key_algorithm)
    domains = _san(leaf)
    hostname_match = _hostname_matches(p.target.host, domains)
    passed = [v.trust_store.name for v in deployment.path_validation_results if v.was_validation_successful]
    errors = sorted({str(v.validation_error) for v in deployment.path_validation_results if v.validation_error})
    if not passed and not hostname_match and domains:
        # sslyze validates chain and name together; re-validate the chain alone so that a name
        # mismatch does not also read as "untrusted".
        passed = _trusted_stores(deployment.received_certificate_chain_as_pem, domains[0], opts.ca_file)
    not_after = leaf.not_valid_after_utc
    oid = leaf.signature_algorithm_oid
    return {
        "key_algorithm": key_algorithm,
        "key_bits": bits,
        "signature_algorithm": getattr(oid, "_name", None) or oid.dotted_string,
        "not_before": leaf.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "expired": not_after < datetime.now(timezone.utc),
        "subject": leaf.subject.rfc4514_string(),
        "issuer": leaf.issuer.rfc4514_string(),
        "domains": domains,
        "chain_length": len(chain),
        "trusted": bool(passed),
        "trust_stores": passed,
        "validation_errors": [] if passed and hostname_match else errors,
        "hostname_match": hostname_match,
    }


def _san(cert: Any) -> list[str]:
    from cryptography import x509

    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(v) for v in san.get_values_for_type(x509.DNSName)] + \
        [str(v) for v in san.get_values_for_type(x509.IPAddress)]


def _hostname_matches(host: str, domains: list[str]) -> bool:
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
_STORES_LOCK = threading.Lock()


def _trust_stores(ca_file: Path | None) -> list[Any]:
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


def _trusted_stores(chain_pem: list[str], name: str, ca_file: Path | None) -> list[str]:
    from ipaddress import ip_address

    from cryptography.x509 import DNSName, IPAddress

    from posture.discovery.addresses import parse_address

    subject = IPAddress(ip_address(name)) if parse_address(name) is not None else DNSName(name.replace("*.", "x.", 1))
    stores = _trust_stores(ca_file)
    return [s.name for s in stores if s.verify_certificate_chain(chain_pem, subject).was_validation_successful]


def _mozilla(server_result: Any) -> dict[str, Any] | Any:
    from sslyze.mozilla_tls_profile.tls_config_checker import (
        MozillaTlsConfiguration,
        ServerNotCompliantWithTlsConfiguration,
        ServerScanResultIncomplete,
        TlsConfigurationEnum,
        check_server_against_tls_configuration,
    )

    issues: dict[str, dict[str, str]] = {}
    for profile in MOZILLA_PROFILES:
        try:
            check_server_against_tls_configuration(server_result, MozillaTlsConfiguration.get(
                TlsConfigurationEnum(profile)))
        except ServerNotCompliantWithTlsConfiguration as e:
            issues[profile] = dict(e.issues)
        except ServerScanResultIncomplete:
            return UNKNOWN
    compliant = next((p for p in MOZILLA_PROFILES if p not in issues), None)
    return {"profile": compliant, **{p: p not in issues for p in MOZILLA_PROFILES}, "issues": issues}
