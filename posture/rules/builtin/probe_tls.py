"""Rules on what the live probe observed (``endpoint`` resources), and on drift from configuration.

The protocol-version rule is the shared POSTURE-TLS-001 (rules.d/transit.yaml), which judges listeners
and endpoints alike; these cover what only an observation can show. Fixture estates are snapshots
written by tests/probe_fixtures.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from posture.model import UNKNOWN, Resource, Severity
from posture.rules.base import RuleContext, RuleFixture, Violation, rule
from posture.rules.operators import _parse_time, now

FIXTURE = "probe/estate.jsonl"
_TRANSIT_CONTROLS = ["SOC2:CC6.7", "ISO27001:8.24", "PCI:4.2.1", "NIST:SC-8", "NIST:SC-13"]


def _cert(resource: Resource) -> Mapping[str, Any] | None:
    c = resource.get("tls.certificate")
    return c if isinstance(c, Mapping) else None


def _label(resource: Resource) -> str:
    return resource.name or resource.id


@rule(
    id="POSTURE-PROBE-001",
    title="Observed TLS certificate is not trusted",
    severity="high",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=[*_TRANSIT_CONTROLS, "NIST:SC-17"],
    remediation="Serve a certificate chain that leads to a trusted root (include the intermediates); "
    "replace self-signed certificates on public endpoints.",
    expected="a certificate chain that validates against a trusted root",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://untrusted.example:443",), pass_=("tls://good.example:443",))],
)
def certificate_untrusted(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Clients that validate certificates refuse the endpoint, and clients that do not are open to interception."""
    cert = _cert(resource)
    if cert is not None and cert.get("trusted") is False:
        errors = list(cert.get("validation_errors") or [])
        yield Violation(f"{_label(resource)} presents a certificate that no trust store validates"
                        + (f" ({errors[0]})" if errors else ""),
                        observed={"trusted": False, "issuer": cert.get("issuer"), "errors": errors})


@rule(
    id="POSTURE-PROBE-002",
    title="Observed TLS certificate expired or expires soon",
    severity="medium",
    category="keys.strength",
    kinds=["endpoint"],
    controls=_TRANSIT_CONTROLS,
    remediation="Renew the certificate and automate renewal (ACM, Key Vault, certificate manager, ACME).",
    expected="a certificate valid for at least 30 more days",
    params={"days": 30},
    fixtures=[RuleFixture(FIXTURE, fail=("tls://expired.example:443",), pass_=("tls://good.example:443",))],
)
def certificate_expiry(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """An expired certificate breaks every validating client; one expiring within the window is about to."""
    cert = _cert(resource)
    not_after = _parse_time(cert.get("not_after")) if cert else None
    if not_after is None:
        return
    days_left = (not_after - now()).total_seconds() / 86400
    if days_left < 0:
        yield Violation(f"{_label(resource)}: certificate expired on {not_after:%Y-%m-%d}",
                        observed={"not_after": not_after.isoformat()}, discriminator="expired",
                        severity=Severity.HIGH)
    elif days_left < float(ctx.params["days"]):
        yield Violation(f"{_label(resource)}: certificate expires in {int(days_left)} day(s) ({not_after:%Y-%m-%d})",
                        observed={"not_after": not_after.isoformat(), "days_left": int(days_left)},
                        discriminator="expiring")


@rule(
    id="POSTURE-PROBE-003",
    title="Observed TLS certificate does not match the host name",
    severity="high",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=_TRANSIT_CONTROLS,
    remediation="Issue the certificate for every name the endpoint is reached by (subjectAltName).",
    expected="the host name in the certificate's subjectAltName",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://mismatch.example:443",), pass_=("tls://good.example:443",))],
)
def hostname_mismatch(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """A name mismatch makes clients fail or, worse, trains users to click through warnings."""
    cert = _cert(resource)
    if cert is not None and cert.get("hostname_match") is False:
        names = ", ".join(cert.get("domains") or []) or "other names"
        yield Violation(f"{_label(resource)}: certificate is for {names}",
                        observed={"host": resource.get("host"), "domains": cert.get("domains")})


@rule(
    id="POSTURE-PROBE-004",
    title="Observed TLS certificate key is too short",
    severity="high",
    category="keys.strength",
    kinds=["endpoint"],
    controls=["ISO27001:8.24", "PCI:4.2.1", "NIST:SC-12", "NIST:SC-13"],
    remediation="Reissue the certificate with an RSA key of at least 2048 bits or an EC P-256+ key.",
    expected="RSA >= 2048 bits or EC >= 256 bits",
    params={"rsa_bits": 2048, "ec_bits": 256},
    fixtures=[RuleFixture(FIXTURE, fail=("tls://rsa1024.example:443",), pass_=("tls://good.example:443",))],
)
def short_key(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """RSA keys under 2048 bits are within reach of well-funded factoring (NIST SP 800-131A disallows them)."""
    cert = _cert(resource)
    if cert is None or not isinstance(cert.get("key_bits"), int):
        return
    minimum = {"RSA": int(ctx.params["rsa_bits"]), "DSA": int(ctx.params["rsa_bits"]),
               "EC": int(ctx.params["ec_bits"])}.get(str(cert.get("key_algorithm")))
    if minimum is not None and cert["key_bits"] < minimum:
        yield Violation(f"{_label(resource)}: {cert['key_algorithm']} key of {cert['key_bits']} bits "
                        f"(minimum {minimum})", observed={"key_algorithm": cert["key_algorithm"],
                                                          "key_bits": cert["key_bits"]})


@rule(
    id="POSTURE-PROBE-005",
    title="Observed TLS certificate signed with SHA-1 or MD5",
    severity="high",
    category="keys.strength",
    kinds=["endpoint"],
    controls=_TRANSIT_CONTROLS,
    remediation="Reissue the certificate with a SHA-256 (or stronger) signature.",
    expected="a SHA-256 or stronger certificate signature",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://sha1.example:443",), pass_=("tls://good.example:443",))],
)
def weak_signature(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """SHA-1 and MD5 signatures can be forged by chosen-prefix collisions (SHAttered, Flame)."""
    cert = _cert(resource)
    sig = str(cert.get("signature_algorithm") or "") if cert else ""
    if "sha1" in sig.lower() or "md5" in sig.lower():
        yield Violation(f"{_label(resource)}: certificate signature is {sig}", observed={"signature_algorithm": sig})


_VULNERABILITIES = (
    ("heartbleed", True, "vulnerable to Heartbleed (CVE-2014-0160)"),
    ("robot", True, "vulnerable to ROBOT (Bleichenbacher oracle)"),
    ("ccs_injection", True, "vulnerable to OpenSSL CCS injection (CVE-2014-0224)"),
    ("compression", True, "TLS compression enabled (CRIME)"),
    ("renegotiation.secure", False, "secure renegotiation not supported (CVE-2009-3555)"),
)


@rule(
    id="POSTURE-PROBE-006",
    title="Observed TLS endpoint has a known protocol vulnerability",
    severity="critical",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=[*_TRANSIT_CONTROLS, "NIST:SI-2"],
    remediation="Patch the TLS library (OpenSSL) and disable TLS compression and static-RSA key exchange.",
    expected="not vulnerable to Heartbleed, ROBOT, CCS injection, CRIME or insecure renegotiation",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://heartbleed.example:443",), pass_=("tls://good.example:443",))],
)
def known_vulnerability(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Each of these lets an attacker read memory, decrypt traffic or inject into a session."""
    for attr, bad, text in _VULNERABILITIES:
        if resource.get(f"tls.{attr}") is bad:
            yield Violation(f"{_label(resource)}: {text}", observed={f"tls.{attr}": bad}, discriminator=attr)


@rule(
    id="POSTURE-PROBE-007",
    title="Observed TLS endpoint accepts weak cipher suites",
    severity="high",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=_TRANSIT_CONTROLS,
    remediation="Remove NULL, export, anonymous, RC4, DES/3DES and MD5 suites from the server's cipher list "
    "(Mozilla intermediate configuration).",
    expected="no cipher suite classed weak by posture/knowledge/ciphers.yaml",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://rc4.example:443",), pass_=("tls://good.example:443",))],
)
def weak_ciphers(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Weak suites (RFC 7465 RC4, Sweet32 3DES, export, NULL, anonymous) give away confidentiality."""
    from posture.knowledge import classify_cipher

    ciphers = resource.get("tls.ciphers")
    if ciphers is UNKNOWN or not isinstance(ciphers, (list, tuple)):
        return
    weak = [classify_cipher(c) for c in ciphers]
    weak = [w for w in weak if w["strength"] == "weak"]
    if weak:
        yield Violation(f"{_label(resource)} accepts {len(weak)} weak cipher suite(s): "
                        f"{', '.join(w['name'] for w in weak[:5])}{' ...' if len(weak) > 5 else ''}",
                        observed={"weak_ciphers": [{"name": w["name"], "reason": w["reason"]} for w in weak]})


def _versions(value: Any) -> list[str] | None:
    return [str(v) for v in value] if isinstance(value, (list, tuple)) else None


@rule(
    id="POSTURE-PROBE-008",
    title="Live endpoint accepts TLS versions its configuration does not allow (drift)",
    severity="high",
    category="encryption.in_transit",
    kinds=["listener"],
    controls=[*_TRANSIT_CONTROLS, "NIST:CM-3"],
    remediation="Find what terminates TLS in front of or instead of the configured listener (a proxy, an old "
    "load balancer, a manual change) and align it with the configured policy; then re-run the probe.",
    expected="the observed protocol versions are a subset of the configured ones",
    fixtures=[RuleFixture(FIXTURE, fail=("aws_lb_listener.drifted",), pass_=("aws_lb_listener.aligned",))],
)
def tls_drift(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Configuration checks pass, yet the endpoint clients actually reach accepts older protocols."""
    configured = _versions(resource.get("tls.versions"))
    if configured is None:
        return
    for endpoint in ctx.graph.neighbours(resource.id, "observed_as"):
        observed = _versions(endpoint.get("tls.versions"))
        if observed is None:
            continue
        extra = [v for v in observed if v not in configured]
        if extra:
            policy = resource.get("tls.policy") or "the configured policy"
            yield Violation(
                f"{_label(resource)} is configured for TLS {', '.join(configured)} ({policy}) but "
                f"{endpoint.name or endpoint.id} accepts {', '.join(observed)}",
                observed={"observed_versions": observed, "endpoint": endpoint.id, "unexpected": extra},
                expected={"configured_versions": configured, "policy": resource.get("tls.policy")},
                discriminator=endpoint.id, path=(resource.id, endpoint.id),
            )


def _exposure(graph: Any, holder: Resource) -> tuple[set[int], list[Resource]]:
    """Listener ports of ``holder`` and the firewalls protecting it (directly or through its interfaces)."""
    attached = graph.neighbours(holder.id, "attached_to", direction="in")
    listeners = {int(r.get("port")) for r in attached if r.kind == "listener" and isinstance(r.get("port"), int)}
    firewalls = list(graph.neighbours(holder.id, "protected_by"))
    for iface in attached:
        if iface.kind == "interface":
            firewalls.extend(graph.neighbours(iface.id, "protected_by"))
    return listeners, firewalls


@rule(
    id="POSTURE-PROBE-009",
    title="Port open on the internet that the inventory does not expect",
    severity="high",
    category="network.exposure",
    kinds=["endpoint"],
    controls=["SOC2:CC6.6", "ISO27001:8.20", "PCI:1.3.1", "PCI:11.3.2", "NIST:SC-7", "NIST:CA-8"],
    remediation="Close the port, or record why it is open: a firewall, host firewall or another path lets "
    "traffic in that the declared configuration does not.",
    expected="only ports that the inventory's firewalls and listeners open to the internet",
    fixtures=[RuleFixture(FIXTURE, fail=("tcp://203.0.113.10:22",), pass_=("tls://203.0.113.10:443",))],
)
def unexpected_open_port(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """An external scan that finds more than the configuration admits shows drift or a hidden path."""
    from posture.rules.netlogic import internet_ingress

    port = resource.get("port")
    if not isinstance(port, int):
        return
    for holder in ctx.graph.neighbours(resource.id, "observed_as", direction="in"):
        listeners, firewalls = _exposure(ctx.graph, holder)
        if port in listeners:
            continue
        if not firewalls and not listeners:
            yield Violation(f"cannot verify port {port} on {_label(resource)}: {holder.id} has no firewall in the "
                            "inventory", observed={"port": port}, discriminator=holder.id, unverified=True)
            continue
        opened = [fw.id for fw in firewalls if port in internet_ingress(fw.get("rules"), [port])[0]]
        if not opened:
            yield Violation(
                f"port {port} answers on {resource.get('address') or resource.get('host')} but no firewall or "
                f"listener of {holder.name or holder.id} opens it to the internet",
                observed={"port": port, "service": resource.get("service")},
                expected={"open_ports": sorted(listeners) or "per firewalls", "firewalls": [f.id for f in firewalls]},
                discriminator=holder.id, path=(holder.id, resource.id),
            )


@rule(
    id="POSTURE-PROBE-010",
    title="Service with a known-weak version answers on the network",
    severity="high",
    category="network.exposure",
    kinds=["endpoint"],
    controls=["SOC2:CC7.1", "ISO27001:8.8", "PCI:6.3.3", "NIST:SI-2", "NIST:RA-5"],
    remediation="Upgrade the service to a supported release, or stop exposing it.",
    expected="no service version listed in posture/discovery/weak_services.yaml",
    fixtures=[RuleFixture(FIXTURE, fail=("tcp://203.0.113.10:22",), pass_=("tls://good.example:443",))],
)
def weak_service(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Version detection (``-sV``) found a product release with known, exploited weaknesses."""
    from posture.discovery.services import weak_service_match

    service = resource.get("service")
    if not isinstance(service, Mapping):
        return
    hit = weak_service_match(str(service.get("product") or ""), str(service.get("version") or ""))
    if hit is not None:
        yield Violation(f"{_label(resource)} runs {service.get('product')} {service.get('version')}: {hit['reason']}",
                        observed={"product": service.get("product"), "version": service.get("version")},
                        expected=f"{service.get('product')} >= {hit['fixed_in']}", details={"source": hit["source"]})
