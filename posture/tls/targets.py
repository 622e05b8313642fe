"""Probe targets: parsing ``host:port`` / URLs, finding them in a graph, and checking them against the scope.

Planning is where scope is enforced: a target leaves :func:`plan` only as a
concrete ``(address, port)`` that the scope allows, or as a refusal that says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from posture.discovery.addresses import Resolver, parse_address, resolve_host
from posture.errors import InputError

if TYPE_CHECKING:
    from posture.discovery.scope import Scope
    from posture.graph import Graph

SCHEME_PORTS = {"https": 443, "wss": 443, "ldaps": 636, "imaps": 993, "pop3s": 995, "smtps": 465, "ftps": 990}
"""Default port of the TLS URL schemes accepted as targets."""


@dataclass(frozen=True)
class Target:
    """What the user (or the inventory) asked to probe: a host name or address and a port."""

    host: str
    port: int
    resource: str = ""  # id of the inventory resource that serves it (for observed_as edges)

    @property
    def label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Planned:
    """A target resolved to one in-scope address: safe to contact."""

    target: Target
    address: str

    @property
    def label(self) -> str:
        return self.target.label if self.target.host == self.address else f"{self.target.label}@{self.address}"


@dataclass(frozen=True)
class Refused:
    """A target (or one of its addresses) the scope does not allow: listed, never contacted."""

    target: str
    reason: str
    code: str = "out_of_scope"


def parse_target(text: str, default_port: int = 443) -> Target:
    """``host``, ``host:port``, ``[v6]:port``, ``v6``, or a URL (``https://host[:port]/...``)."""
    raw = text.strip()
    if "://" in raw:
        parts = urlsplit(raw)
        if not parts.hostname:
            raise InputError("URL has no host", where=f"target {text!r}")
        try:
            port = parts.port or SCHEME_PORTS.get(parts.scheme.lower())
        except ValueError:
            raise InputError("invalid port", where=f"target {text!r}") from None
        if port is None:
            raise InputError(f"unknown scheme {parts.scheme!r}; give the port explicitly", where=f"target {text!r}")
        return Target(parts.hostname, port)
    host, port_text = raw, ""
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    if not host:
        raise InputError("missing host", where=f"target {text!r}")
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 1 <= int(port_text) <= 65535:
            raise InputError("port must be 1-65535", where=f"target {text!r}")
        port = int(port_text)
    return Target(host.lower() if parse_address(host) is None else host, port)


def plan(
    targets: Iterable[Target], scope: Scope, resolver: Resolver = resolve_host
) -> tuple[list[Planned], list[Refused]]:
    """Resolve every target and keep each (address, port) only if the scope allows it.

    Nothing here sends a packet to a target (name resolution goes to the configured resolver).
    """
    planned: list[Planned] = []
    refused: list[Refused] = []
    seen: set[tuple[str, str, int]] = set()
    for t in targets:
        if parse_address(t.host) is not None:
            addresses = [str(parse_address(t.host))]
        else:
            name_ok = scope.hostname_allowed(t.host)
            if not name_ok.allowed:  # never even resolve a name outside the scope
                refused.append(Refused(t.label, name_ok.reason))
                continue
            try:
                addresses = resolver(t.host)
            except LookupError as e:
                refused.append(Refused(t.label, str(e), "unresolvable"))
                continue
        for addr in addresses:
            key = (t.host, addr, t.port)
            if key in seen:
                continue
            seen.add(key)
            d = scope.decide(t.host, addr, t.port)
            if d.allowed:
                planned.append(Planned(t, d.address))  # connect to the canonical address that was checked
            else:
                label = t.label if t.host == addr else f"{t.label} ({addr})"
                refused.append(Refused(label, d.reason))
    return planned, refused


TLS_PROTOCOLS = frozenset({"https", "tls", "ssl", "wss", "ldaps", "imaps", "pop3s", "smtps", "ftps"})


def strings(value: object) -> list[str]:
    """A string or a list of strings as a list (UNKNOWN and anything else: empty)."""
    if isinstance(value, str):
        return [value] if value else []
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str) and v]
    return []


def graph_targets(graph: Graph) -> list[Target]:
    """The public TLS endpoints an estate declares: TLS listeners on the public addresses of their
    load balancer (``public_ips`` and ``dns_name``), and port 443 of other resources with public IPs.
    """
    return graph_probe_plan(graph)[0]


def graph_probe_plan(graph: Graph) -> tuple[list[Target], list[tuple[str, str]]]:
    """:func:`graph_targets`, plus ``(resource id, why)`` for each TLS listener that cannot be probed
    because nothing in the inventory says where it answers (internal load balancers are left out on purpose).
    """
    out: list[Target] = []
    unreachable: list[tuple[str, str]] = []
    covered: set[str] = set()
    for listener in graph.by_kind("listener"):
        protocol = str(listener.get("protocol") or "").lower()
        port = listener.get("port")
        if not isinstance(port, int) or (protocol not in TLS_PROTOCOLS and not listener.get("tls")):
            continue
        lb = graph.resource(str(listener.get("load_balancer") or "")) or next(
            iter(graph.neighbours(listener.id, "attached_to")), None)
        holders = [lb] if lb is not None else [listener]
        for h in holders:
            covered.add(h.id)
            if h.get("scheme") == "internal":
                continue
            hosts = strings(h.get("public_ips")) + strings(h.get("dns_name"))
            if not hosts:
                where = f"its load balancer {h.id}" if h is not listener else "it"
                unreachable.append((listener.id, f"TLS listener on port {port} not probed: {where} has no public "
                                    "IP address or DNS name in the inventory (not set, or known only after apply)"))
            for host in hosts:
                out.append(Target(host, port, listener.id))
    for r in graph.by_kind("compute", "load_balancer"):
        if r.id in covered:
            continue
        for host in strings(r.get("public_ips")):
            out.append(Target(host, 443, r.id))
    return out, unreachable


def parse_targets(texts: Sequence[str]) -> list[Target]:
    return [parse_target(t) for t in texts]
