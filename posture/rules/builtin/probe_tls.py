"""Rules on what the live probe observed (``endpoint`` resources), and on drift from configuration.

The protocol-version rule is the shared POSTURE-TLS-001 (rules.d/transit.yaml), which judges listeners
and endpoints alike; the observations one attribute test decides (PROBE-011/012/014/017/018/019) are YAML
rules there too. These compute their message or evidence, yield several findings per endpoint, or look
beyond the endpoint (docs/rules-language.md). Fixture estates are snapshots written by tests/helpers/probe_fixtures.py.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from posture.model import Resource, Severity
from posture.rules.base import RuleContext, RuleFixture, Violation, rule
from posture.rules.operators import _parse_time, now

FIXTURE = "probe/estate.jsonl"
_TRANSIT_CONTROLS = ["SOC2:CC6.7", "ISO27001:8.24", "PCI:4.2.1", "NIST:SC-8", "NIST:SC-13"]


def _cert(resource: Resource) -> Mapping[str, Any] | None:
    c = resource.get("tls.certificate")
    return c if isinstance(c, Mapping) else None


def _label(resource: Resource) -> str:
    return resource.name or resource.id


def _untrusted(resource: Resource, error_class: str | tuple[str | None, ...]) -> Mapping[str, Any] | None:
    """The certificate when it failed validation with ``error_class`` (one of them), else None."""
    cert = _cert(resource)
    classes = (error_class,) if isinstance(error_class, str) else error_class
    if cert is None or cert.get("trusted") is not False or cert.get("validation_error") not in classes:
        return None
    return cert


def _cert_evidence(cert: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    return {k: cert.get(k) for k in ("subject", "issuer", *keys, "validation_reason") if cert.get(k) is not None}


@rule(
    id="POSTURE-PROBE-001",
    title="Observed TLS certificate chains to a root no trust store holds",
    severity="high",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=[*_TRANSIT_CONTROLS, "NIST:SC-17"],
    remediation="Use a certificate from a publicly trusted CA (for a private CA, install its root on every "
    "client and pass it to the probe with --ca-file), and serve the leaf plus its intermediates.",
    expected="a certificate chain that validates against a trusted root",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://untrusted.example:443",),
                          pass_=("tls://good.example:443", "tls://expired.example:443", "tls://selfsigned.example:443",
                                 "tls://nointermediate.example:443"))],
)
def certificate_untrusted(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """The chain is complete but ends at a root no client trusts (or fails for a reason the other certificate
    rules do not name): validating clients refuse it, and clients that do not validate are open to interception."""
    cert = _untrusted(resource, ("untrusted_root", "invalid", None))
    if cert is None:
        return
    why = "ends at an untrusted root" if cert.get("validation_error") == "untrusted_root" else "fails validation"
    chain = list(cert.get("chain") or [])
    root = chain[-1]["subject"] if chain and isinstance(chain[-1], Mapping) else cert.get("issuer")
    yield Violation(f"{_label(resource)}: certificate chain {why} ({root})"
                    + (f": {cert['validation_reason']}" if why == "fails validation" and cert.get("validation_reason")
                       else ""),
                    observed={"trusted": False, "error": cert.get("validation_error"),
                              **_cert_evidence(cert, "trust_stores")})






@rule(
    id="POSTURE-PROBE-013",
    title="Observed TLS certificate chain is incomplete (intermediate missing)",
    severity="medium",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=[*_TRANSIT_CONTROLS, "NIST:SC-17"],
    remediation="Configure the server to send the full chain: the leaf followed by every intermediate up to "
    "(not including) the root — e.g. the CA's 'fullchain' file instead of the bare certificate.",
    expected="the server sends every certificate between its leaf and a trusted root",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://nointermediate.example:443",), pass_=("tls://good.example:443",))],
)
def certificate_chain_incomplete(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Browsers may fetch a missing intermediate themselves; most other clients (APIs, mobile apps) fail."""
    cert = _untrusted(resource, "incomplete_chain")
    if cert is None:
        return
    chain = list(cert.get("chain") or [])
    missing = chain[-1]["issuer"] if chain and isinstance(chain[-1], Mapping) else cert.get("issuer")
    yield Violation(f"{_label(resource)}: served chain of {cert.get('chain_length')} certificate(s) stops before "
                    f"its issuer {missing}, which is neither served nor a trusted root",
                    observed={"chain_complete": False, "missing_issuer": missing, **_cert_evidence(cert)})


@rule(
    id="POSTURE-PROBE-002",
    title="Observed TLS certificate expired or expires soon",
    severity="medium",
    category="keys.strength",
    kinds=["endpoint"],
    controls=_TRANSIT_CONTROLS,
    remediation="Renew the certificate and install it on the server; automate renewal (an ACME client such as "
    "certbot, or ACM / Key Vault / Certificate Manager for cloud load balancers).",
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
    remediation="Reissue the certificate with every name clients use for this endpoint in its subjectAltName "
    "(or serve a per-name certificate with SNI).",
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
    remediation="Generate a new key (RSA 2048+ bits or EC P-256/P-384), request a certificate for it and "
    "replace the old pair on the server.",
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
    remediation="Reissue the certificate (and any intermediate signed the same way) with a SHA-256 or stronger "
    "signature; every current CA does this by default.",
    expected="a SHA-256 or stronger certificate signature",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://sha1.example:443",), pass_=("tls://good.example:443",))],
)
def weak_signature(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """SHA-1 and MD5 signatures can be forged by chosen-prefix collisions (SHAttered, Flame)."""
    cert = _cert(resource)
    if cert is None:
        return
    served = [c for c in cert.get("chain") or () if isinstance(c, Mapping) and c.get("subject") != c.get("issuer")]
    signed = [(c.get("subject"), str(c.get("signature_algorithm") or "")) for c in served] or \
        [(cert.get("subject"), str(cert.get("signature_algorithm") or ""))]
    weak = [(who, sig) for who, sig in signed if "sha1" in sig.lower() or "md5" in sig.lower()]
    if weak:
        yield Violation(f"{_label(resource)}: " + "; ".join(f"{who} is signed with {sig}" for who, sig in weak),
                        observed={"weak_signatures": [{"certificate": w, "signature_algorithm": s} for w, s in weak]})


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


def _load_balancer_of(graph: Any, listener: Resource) -> Resource | None:
    lb = graph.resource(str(listener.get("load_balancer") or ""))
    return lb or next(iter(r for r in graph.neighbours(listener.id, "attached_to") if r.kind == "load_balancer"), None)


def _exposure(graph: Any, holder: Resource) -> tuple[set[int], list[Resource]]:
    """Listener ports of ``holder`` and the firewalls protecting it (directly or through its interfaces).

    A listener is judged through its load balancer: that is where the firewall (security group) sits.
    """
    if holder.kind == "listener":
        own = {int(holder.get("port"))} if isinstance(holder.get("port"), int) else set()
        lb = _load_balancer_of(graph, holder)
        if lb is None:
            return own, list(graph.neighbours(holder.id, "protected_by"))
        ports, firewalls = _exposure(graph, lb)
        return ports | own, firewalls
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


def _tls(resource: Resource) -> Mapping[str, Any] | None:
    t = resource.get("tls")
    return t if isinstance(t, Mapping) else None




@rule(
    id="POSTURE-PROBE-015",
    title="Observed TLS endpoint uses a weak Diffie-Hellman group",
    severity="medium",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=[*_TRANSIT_CONTROLS, "NIST:SC-12"],
    remediation="Configure a DH group of at least 2048 bits (the RFC 7919 ffdhe2048/ffdhe3072 groups), or "
    "drop DHE and anonymous suites in favour of ECDHE.",
    expected="DHE groups of at least 2048 bits (knowledge table dh_groups.yaml)",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://weakdh.example:443",), pass_=("tls://good.example:443",))],
)
def weak_dh_group(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """DH groups under 2048 bits are within reach of precomputation (Logjam); a common prime shares the
    precomputation with every other server that uses it."""
    tls = _tls(resource)
    groups = [g for g in (tls.get("dh_groups") or ()) if isinstance(g, Mapping)] if tls else []
    for g in groups:
        if not g.get("weak"):
            continue
        name = f" ({g['name']}, a common prime)" if g.get("common") else ""
        suites = list(g.get("suites") or ())
        yield Violation(f"{_label(resource)}: {g.get('bits')}-bit Diffie-Hellman group{name} for {', '.join(suites)}",
                        observed={"dh_bits": g.get("bits"), "common_prime": g.get("name"), "suites": suites},
                        discriminator=str(g.get("bits")) + (f"/{g['name']}" if g.get("name") else ""))


# Mozilla issue keys already judged by their own rule (one finding per fact).
_MOZILLA_COVERED = {"tls_versions": "POSTURE-TLS-001", "certificate_path_validation": "POSTURE-PROBE-001/011/012/013",
                    "rsa_key_size": "POSTURE-PROBE-004", "dh_param_size": "POSTURE-PROBE-015"}


@rule(
    id="POSTURE-PROBE-016",
    title="Observed TLS endpoint deviates from the Mozilla configuration profile",
    severity="low",
    category="encryption.in_transit",
    kinds=["endpoint"],
    controls=_TRANSIT_CONTROLS,
    remediation="Generate the server configuration with the Mozilla SSL Configuration Generator "
    "(https://ssl-config.mozilla.org) for the chosen profile (intermediate by default) and apply it.",
    expected="the endpoint meets the selected Mozilla profile (--mozilla-profile, default intermediate)",
    fixtures=[RuleFixture(FIXTURE, fail=("tls://cbc.example:443", "tls://curves.example:443"),
                          pass_=("tls://good.example:443",))],
)
def mozilla_deviation(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """CBC-only suites, extra curves, certificate types and other departures from Mozilla's profile; the
    departures another rule already reports (versions, chain, key size, DH size) are left to that rule."""
    tls = _tls(resource)
    if tls is None:
        return
    if tls.get("cbc_only") is True:
        yield Violation(f"{_label(resource)}: only CBC-mode cipher suites are offered (no AEAD suite, no TLS 1.3)",
                        observed={"ciphers": list(tls.get("ciphers") or ())}, discriminator="cbc_only")
    moz = tls.get("mozilla")
    if not isinstance(moz, Mapping) or moz.get("compliant") is not False:
        return
    from posture.knowledge import cipher_strength

    covered = set(_MOZILLA_COVERED) | {"ciphers", "ciphersuites"}  # suites: re-derived below without weak ones
    cert = _cert(resource)
    if cert is not None and any(h in str(cert.get("signature_algorithm") or "").lower() for h in ("sha1", "md5")):
        covered.add("certificate_signatures")  # POSTURE-PROBE-005
    issues = {k: str(v) for k, v in (moz.get("issues") or {}).items() if k not in covered}
    extra = [c for c in moz.get("outside_profile_ciphers") or () if cipher_strength(str(c)) != "weak"]
    if extra:
        issues["ciphers"] = f"cipher suites outside the profile: {', '.join(extra)}"
    if issues:
        yield Violation(f"{_label(resource)} does not meet the Mozilla {moz.get('profile')} profile: "
                        + "; ".join(f"{k}: {v}" for k, v in sorted(issues.items())),
                        observed={"profile": moz.get("profile"), "issues": issues, "best_profile": moz.get("best")},
                        discriminator=f"mozilla/{moz.get('profile')}")








@rule(
    id="POSTURE-PROBE-020",
    title="Open port observed (no inventory to compare with)",
    severity="info",
    category="network.exposure",
    kinds=["endpoint"],
    controls=["SOC2:CC6.6", "ISO27001:8.20", "PCI:11.3.2", "NIST:CA-8"],
    remediation="Confirm the port is meant to be reachable; give the scan an inventory (--snapshot or "
    "--terraform) so that unexpected ports become POSTURE-PROBE-009 findings.",
    expected="every open port is known (compare with an inventory)",
    fixtures=[RuleFixture(FIXTURE, fail=("tcp://198.51.100.7:25",), pass_=("tcp://203.0.113.10:22",))],
)
def open_port_observed(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """The external scan found a port that answers but is not TLS, and no inventory resource holds its address:
    reported so that what answered is in every report, not only in the snapshot."""
    if resource.native_type != "tcp_port" or resource.get("state") != "open":
        return
    if ctx.graph.neighbours(resource.id, "observed_as", direction="in"):
        return  # the inventory knows this address: POSTURE-PROBE-009 judges the port
    answer = resource.get("answer")
    service = resource.get("service")
    what = ""
    if isinstance(service, Mapping) and service.get("name"):
        what = " ".join(str(service[k]) for k in ("name", "product", "version") if service.get(k))
    elif isinstance(answer, Mapping):
        what = str(answer.get("class") or "")
    yield Violation(f"port {resource.get('port')} open on {resource.get('address')}"
                    + (f": {what}" if what else ""),
                    observed={"port": resource.get("port"), "service": service, "answer": answer})
