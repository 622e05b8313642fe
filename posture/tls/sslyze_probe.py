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
from functools import cache
from pathlib import Path
from typing import Any

from posture.knowledge import TLS_VERSIONS
from posture.model import UNKNOWN
from posture.tls.budget import AddressBudget
from posture.tls.certificate import diagnose
from posture.tls.grading import grade
from posture.tls.targets import Planned
from posture.tls.versions import enumerate_versions

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

VERSION_FIELDS = dict(zip(CHECKS["versions"], TLS_VERSIONS, strict=True))
"""sslyze scan command -> the model's protocol version (the order is :data:`posture.knowledge.TLS_VERSIONS`)."""
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
    per_server: int = 5  # connections to one host address, shared by all its ports
    rate: float = 100.0  # new targets per second
    per_target: int = 5  # connections to one address:port (never more than per_server)
    mozilla_profile: str = "intermediate"
    version_precheck: bool = True  # one handshake per version before enumerating its suites
    elimination: bool = True  # enumerate accepted suites by elimination (needs version_precheck)

    def __post_init__(self) -> None:
        unknown = set(self.checks) - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown check(s) {sorted(unknown)}; known: {', '.join(CHECKS)}")
        if self.mozilla_profile not in MOZILLA_PROFILES:
            raise ValueError(f"unknown Mozilla profile {self.mozilla_profile!r}; known: {', '.join(MOZILLA_PROFILES)}")
        if min(self.per_server, self.per_target, self.concurrency) < 1:
            raise ValueError("concurrency, per_server and per_target must be at least 1")

    @property
    def target_connections(self) -> int:
        """Connections one target may open at once: its own limit, within its address's budget."""
        return min(self.per_target, self.per_server)

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


def _network(p: Planned, opts: ProbeOptions) -> tuple[Any, Any]:
    from sslyze import ServerNetworkConfiguration, ServerNetworkLocation

    sni = p.target.host
    location = ServerNetworkLocation(hostname=sni, port=p.target.port, ip_address=p.address)
    network = ServerNetworkConfiguration(
        tls_server_name_indication=sni,
        network_timeout=opts.connect_timeout,  # type: ignore[arg-type]  # a float works as a socket timeout
        network_max_retries=opts.retries,
    )
    return location, network


def _request(p: Planned, opts: ProbeOptions, command_names: set[str]) -> Any:
    from sslyze import (
        CertificateInfoExtraArgument,
        ScanCommand,
        ScanCommandsExtraArguments,
        ServerScanRequest,
    )

    location, network = _network(p, opts)
    commands = {ScanCommand(c) for c in command_names}
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


BANNERS: tuple[tuple[bytes, str], ...] = (
    (b"SSH-", "ssh"), (b"HTTP/", "http"), (b"220", "smtp/ftp greeting"), (b"+OK", "pop3"), (b"* OK", "imap"),
    (b"RFB ", "vnc"), (b"\x00\x00\x00", "binary protocol"),
)
"""First bytes of an answer to a ClientHello -> the kind of service that answered (the banner class)."""


def banner_class(first: bytes) -> str:
    """What kind of service sent ``first`` (the first bytes of its answer)."""
    return next((name for prefix, name in BANNERS if first.startswith(prefix)), "other")


def sniff(address: str, port: int, timeout: float) -> tuple[str, str, str]:
    """One connection: does ``address:port`` answer a ClientHello with a TLS record?

    Returns ``("", "", "tls")`` for TLS, else an error code, a reason and the class of what answered
    (``silent`` for a server that accepts and stays silent, ``reset``, ``closed``, or the banner class
    of non-TLS data: ``ssh``, ``http``...). This bounds the time lost on silent or non-TLS ports to one
    ``timeout`` instead of sslyze's retries.
    """
    import socket

    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.sendall(client_hello())
            first = sock.recv(16)
            # a record header may arrive a byte at a time: read on (within the same timeout) until it decides
            while first[:1] in (b"\x15", b"\x16") and len(first) < 2:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                more = sock.recv(16 - len(first))
                if not more:
                    break
                first += more
    except TimeoutError:
        return "no_response", f"no answer to a TLS ClientHello within {timeout:g} s", "silent"
    except ConnectionRefusedError:
        return "connection_refused", "connection refused", "refused"
    except ConnectionResetError:
        return "connection_reset", "connection reset by the server", "reset"
    except OSError as e:
        return "connection_failed", f"{type(e).__name__}: {e.strerror or e}", "unreachable"
    if len(first) >= 2 and first[0] in (0x15, 0x16) and first[1] == 0x03:
        return "", "", "tls"
    if not first:
        return "connection_closed", "server closed the connection without answering the ClientHello", "closed"
    return "not_tls", f"server answered a ClientHello with non-TLS data: {first[:16]!r}", banner_class(first)


def _scan(p: Planned, opts: ProbeOptions, connections: int) -> tuple[Any, dict[str, Any]]:
    """sslyze's result for ``p`` and the version results decided before it (refused / enumerated by elimination)."""
    from sslyze import Scanner

    commands = opts.scan_commands()
    decided: dict[str, Any] = {}
    if opts.version_precheck:
        try:
            decided = enumerate_versions(*_network(p, opts), commands, opts.elimination)
        except Exception:  # connectivity problems are sslyze's to report, below
            decided = {}
    scanner = Scanner(per_server_concurrent_connections_limit=connections, concurrent_server_scans_limit=1)
    scanner.queue_scans([_request(p, opts, commands - set(decided))])
    return next(iter(scanner.get_results())), decided


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
    budget = AddressBudget(opts.per_server)
    done: queue.Queue[Outcome] = queue.Queue()

    def run(p: Planned) -> None:
        box: dict[str, Any] = {}
        start = time.monotonic()

        def scan() -> None:
            try:
                with budget.take(p.address, opts.target_connections) as connections:
                    code, reason, _ = sniff(p.address, p.target.port, opts.connect_timeout)
                    if code:
                        box["refusal"] = (code, reason)
                    else:
                        box["result"] = _scan(p, opts, connections)
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
        elif "refusal" in box:
            out = Outcome(p, error_code=box["refusal"][0], error=box["refusal"][1], seconds=elapsed)
        else:
            try:
                result, decided = box["result"]
                out = _outcome(p, result, decided, opts, elapsed)
            except Exception as e:  # reading an odd result must end this target only, never hang the probe
                out = Outcome(p, error_code="probe_error", error=f"{type(e).__name__}: {e}", seconds=elapsed)
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


def _outcome(p: Planned, result: Any, decided: dict[str, Any], opts: ProbeOptions, seconds: float) -> Outcome:
    import dataclasses

    from sslyze import ScanCommandAttemptStatusEnum, ServerScanStatusEnum

    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        code, message = _connectivity_error(result)
        return Outcome(p, error_code=code, error=message, seconds=seconds)
    if decided:  # versions decided before sslyze ran read as enumerated, for us and for sslyze's Mozilla checker
        patched = dataclasses.replace(result.scan_result, **decided)
        result = dataclasses.replace(result, scan_result=patched)
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
        deployments = results["certificate_info"].certificate_deployments if "certificate_info" in results else ()
        tls["certificate"] = diagnose(p.target.host, deployments[0], opts.ca_file) if deployments else UNKNOWN
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
    if "elliptic_curves" in results:
        supported = results["elliptic_curves"].supported_curves
        tls["curves"] = [c.name for c in supported or ()]
    if "mozilla" in opts.checks:
        tls["mozilla"] = (_mozilla(server_result, opts.mozilla_profile, tls.get("ciphers"))
                          if server_result is not None else UNKNOWN)
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
    accepted: list[tuple[str, Any]] = []
    for cmd, version in VERSION_FIELDS.items():
        r = results[cmd]
        if not r.is_tls_version_supported:
            continue
        versions.append(version)
        suites = sorted(r.accepted_cipher_suites, key=lambda a: a.cipher_suite.name)  # deterministic order
        names = [a.cipher_suite.name for a in suites]
        by_version[version] = names
        ciphers.extend(n for n in names if n not in ciphers)
        accepted.extend((version, a) for a in suites)
    return {
        "versions": versions,
        "min_version": versions[0] if versions else None,
        "max_version": versions[-1] if versions else None,
        "ciphers": ciphers,
        "ciphers_by_version": by_version,
        **key_exchange(accepted, by_version),
    }


def key_exchange(accepted: list[tuple[str, Any]], by_version: Mapping[str, list[str]]) -> dict[str, Any]:
    """Forward secrecy, the DH groups and ECDH curves seen in the accepted suites, and "CBC only"."""
    from posture.knowledge import dh_group

    fs_suites = [a.cipher_suite.name for v, a in accepted if v == "1.3" or a.ephemeral_key is not None
                 or "_DHE_" in a.cipher_suite.name or "_ECDHE_" in a.cipher_suite.name]
    groups: dict[int, dict[str, Any]] = {}
    curves: list[str] = []
    for _version, a in accepted:
        key = a.ephemeral_key
        if key is None:
            continue
        prime = getattr(key, "prime", None)
        if prime:
            p = int.from_bytes(bytes(prime), "big")
            if p not in groups:
                groups[p] = {**dh_group(p), "suites": []}
            groups[p]["suites"].append(a.cipher_suite.name)
        elif getattr(key, "curve_name", None) and key.curve_name not in curves:
            curves.append(key.curve_name)
    tls12 = [n for v, names in by_version.items() if v != "1.3" for n in names]
    return {
        "forward_secrecy": bool(fs_suites),
        "forward_secret_ciphers": fs_suites,
        "dh_groups": list(groups.values()),
        "dh_min_bits": min((g["bits"] for g in groups.values()), default=None),
        "ecdh_curves": curves,
        "cbc_only": bool(tls12) and "1.3" not in by_version and all("CBC" in n for n in tls12),
    }


def _hsts(r: Any) -> dict[str, Any] | None:
    h = r.strict_transport_security_header
    if h is None:
        return None
    return {"max_age": h.max_age, "include_subdomains": bool(h.include_subdomains), "preload": bool(h.preload)}


@cache
def _mozilla_config(name: str) -> Any:
    """Mozilla's profile ``name`` (parsed once per process, shared by every target)."""
    from sslyze.mozilla_tls_profile.tls_config_checker import MozillaTlsConfiguration, TlsConfigurationEnum

    return MozillaTlsConfiguration.get(TlsConfigurationEnum(name))


def _mozilla(server_result: Any, profile: str, ciphers: Any) -> dict[str, Any] | Any:
    """Mozilla profile results: ``profile`` (the one selected), ``compliant``, its ``issues`` (sslyze's words),
    ``outside_profile_ciphers`` (accepted suites the profile does not list), ``best`` compliant profile."""
    from sslyze.mozilla_tls_profile.tls_config_checker import (
        ServerNotCompliantWithTlsConfiguration,
        ServerScanResultIncomplete,
        check_server_against_tls_configuration,
    )

    issues: dict[str, dict[str, str]] = {}
    for name in MOZILLA_PROFILES:
        try:
            check_server_against_tls_configuration(server_result, _mozilla_config(name))
        except ServerNotCompliantWithTlsConfiguration as e:
            issues[name] = dict(e.issues)
        except ServerScanResultIncomplete:
            return UNKNOWN
    best = next((p for p in MOZILLA_PROFILES if p not in issues), None)
    config = _mozilla_config(profile)
    allowed = set(config.ciphers.iana) | set(config.ciphersuites)
    outside = [c for c in ciphers if c not in allowed] if isinstance(ciphers, list) else []
    return {"profile": profile, "compliant": profile not in issues, "issues": issues.get(profile, {}),
            "outside_profile_ciphers": outside, "best": best, **{p: p not in issues for p in MOZILLA_PROFILES}}
