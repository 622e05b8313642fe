"""``posture external``: the quarterly external scan, inside a scope file.

plan (scope -> addresses x ports, nothing sent) -> nmap discovery -> TLS sniff of open ports ->
sslyze on the TLS ones -> endpoints linked to the inventory -> rules. ``--dry-run`` stops after the
plan and prints exactly what would be touched.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shlex
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from posture import inputs
from posture.discovery.addresses import Resolver, parse_address, resolve_host
from posture.discovery.portscan import OpenPort, discover, nmap_arguments, nmap_binary, port_ranges, top_ports
from posture.discovery.scope import Scope, load_scope
from posture.errors import InputError
from posture.model import Edge, Inventory, freeze
from posture.tls import endpoint_resource, outcomes_to_inventory, probe_meta
from posture.tls.budget import AddressBudget
from posture.tls.sslyze_probe import CHECKS, ProbeOptions, probe, sniff
from posture.tls.targets import Planned, Refused, Target, graph_targets, strings

MAX_ADDRESSES = 65_536


@dataclass(frozen=True)
class ExternalPlan:
    """Everything an external scan would touch, decided before any packet is sent."""

    scope: Scope
    addresses: dict[str, tuple[str, ...]]  # address -> host names it was reached by (may be empty)
    ports: tuple[int, ...]
    nmap_args: tuple[str, ...]
    refused: tuple[Refused, ...]
    options: ProbeOptions

    def nmap_command(self) -> str:
        v4 = [a for a in self.addresses if ":" not in a]
        v6 = [a for a in self.addresses if ":" in a]
        cmds = []
        for group, extra in ((v4, []), (v6, ["-6"])):
            if group:
                cmds.append(shlex.join(["nmap", "-oX", "-", "-p", port_ranges(self.ports), *self.nmap_args, *extra,
                                        *group]))
        return "\n".join(cmds)

    def describe(self) -> str:
        """The dry-run report: addresses, ports, commands, limits, and what the scope refused."""
        lim = self.scope.limits
        lines = [f"posture external --dry-run: scope {self.scope.origin}"
                 + (f" ({self.scope.model.name})" if self.scope.model.name else ""),
                 f"would touch {len(self.addresses)} address(es) on {len(self.ports)} TCP port(s):"]
        for addr, names in self.addresses.items():
            lines.append(f"  {addr}" + (f"  ({', '.join(names)})" if names else ""))
        lines.append(f"ports: {port_ranges(self.ports) or '(none)'}")
        lines.append("discovery command:")
        lines.extend(f"  {c}" for c in self.nmap_command().splitlines())
        lines.append("then: one TLS ClientHello to every open port, and sslyze "
                     f"({', '.join(sorted(self.options.checks))}) on those that answer TLS")
        lines.append(f"limits: rate {lim.rate:g}/s, {lim.concurrency} target(s) at once, {lim.per_server} "
                     f"connection(s) per server, connect timeout {lim.connect_timeout:g} s, "
                     f"target timeout {lim.target_timeout:g} s")
        if self.refused:
            lines.append(f"refused (out of scope, never touched): {len(self.refused)}")
            lines.extend(f"  {r.target}: {r.reason}" for r in self.refused)
        return "\n".join(lines) + "\n"


def _expand(entry: str, scope: Scope, resolver: Resolver, refused: list[Refused]) -> list[tuple[str, str]]:
    """(address, hostname-or-'') pairs for one scope target, each checked against the scope."""
    out: list[tuple[str, str]] = []
    try:
        net = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        net = None
    if net is not None:
        if net.num_addresses > MAX_ADDRESSES:
            raise InputError(f"{entry} has {net.num_addresses} addresses; split it (max {MAX_ADDRESSES})",
                             where=f"{scope.origin}: targets")
        hosts = net.hosts() if net.version == 4 and net.prefixlen < 31 else iter(net)
        outside: list[Refused] = []
        for ip in hosts:
            d = scope.address_allowed(str(ip))
            if d.allowed:
                out.append((d.address, ""))  # canonical: nmap is given exactly the address that was checked
            else:
                outside.append(Refused(str(ip), d.reason))
        if len(outside) > 32:
            outside = [Refused(f"{entry}: {len(outside)} address(es)", "excluded or outside the allowed CIDRs")]
        refused.extend(outside)
        return out
    name_ok = scope.hostname_allowed(entry)
    if not name_ok.allowed:
        refused.append(Refused(entry, name_ok.reason))
        return out
    try:
        addresses = resolver(entry)
    except LookupError as e:
        refused.append(Refused(entry, str(e), "unresolvable"))
        return out
    for addr in addresses:
        d = scope.decide(entry, addr)
        if d.allowed:
            out.append((d.address, entry.lower()))
        else:
            refused.append(Refused(f"{entry} ({addr})", d.reason))
    return out


def plan_external(
    scope: Scope,
    *,
    inventory: Inventory | None = None,
    service_detection: bool | None = None,
    checks: Iterable[str] | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    resolver: Resolver = resolve_host,
    mozilla_profile: str = "intermediate",
) -> ExternalPlan:
    """Decide what to touch. Sends nothing (host names are resolved through ``resolver``)."""
    from pathlib import Path

    refused: list[Refused] = []
    addresses: dict[str, list[str]] = {}
    entries = list(scope.targets())
    inventory_ports: set[int] = set()
    if inventory is not None:
        from posture.engine import graph_from_inventory

        graph, _ = graph_from_inventory(inventory, enrich=False)
        for t in graph_targets(graph):
            entries.append(t.host)
            inventory_ports.add(t.port)
        inventory_ports |= {int(r.get("port")) for r in graph.by_kind("listener") if isinstance(r.get("port"), int)}
    for entry in dict.fromkeys(entries):
        for addr, name in _expand(entry, scope, resolver, refused):
            names = addresses.setdefault(addr, [])
            if name and name not in names:
                names.append(name)
    spec = scope.model.ports
    ports = set(top_ports(spec.top)) | set(spec.include) | (inventory_ports if spec.inventory else set())
    ports -= set(scope.model.exclude.ports)
    lim = scope.limits
    sv = scope.model.service_detection if service_detection is None else service_detection
    if ca_file:  # sslyze opens it later: refuse a pipe or a device (and check its size) before any probe
        inputs.read_bytes(ca_file, "config", "CA file")
    try:
        options = ProbeOptions(checks=frozenset(checks) if checks else frozenset(CHECKS),
                               ca_file=Path(ca_file) if ca_file else None, connect_timeout=lim.connect_timeout,
                               retries=lim.retries, target_timeout=lim.target_timeout, concurrency=lim.concurrency,
                               per_server=lim.per_server, rate=lim.rate, mozilla_profile=mozilla_profile)
    except ValueError as e:
        raise InputError(str(e), where="--mozilla-profile" if "Mozilla" in str(e) else "--checks") from None
    args = nmap_arguments(rate=lim.rate, service_detection=sv, host_timeout=lim.target_timeout * 10)
    return ExternalPlan(scope, {a: tuple(n) for a, n in addresses.items()}, tuple(sorted(ports)), tuple(args),
                        tuple(refused), options)


def _sniff_all(open_ports: Sequence[OpenPort], options: ProbeOptions) -> dict[tuple[str, int], str]:
    """(address, port) -> what answered: ``tls``, or the class of the answer (``ssh``, ``http``, ``silent``...).

    nmap's version detection decides when it ran; otherwise one ClientHello per port, within the
    per-address connection budget.
    """
    budget = AddressBudget(options.per_server)

    def answer(o: OpenPort) -> str:
        hint = o.tls_hint
        if hint is not None:
            return "tls" if hint else (o.service.get("name") or "other")
        with budget.take(o.address):
            return sniff(o.address, o.port, options.connect_timeout)[2]

    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        answers = list(pool.map(answer, open_ports))
    return {(o.address, o.port): a for o, a in zip(open_ports, answers, strict=True)}


def _holders(inventory: Inventory | None) -> dict[str, list[str]]:
    """address -> ids of inventory resources that carry it as a public IP."""
    out: dict[str, list[str]] = {}
    for r in inventory.resources if inventory is not None else ():
        ips = r.get("public_ips")
        if isinstance(ips, (list, tuple)):
            for ip in ips:
                parsed = parse_address(str(ip))
                if parsed is not None:
                    out.setdefault(str(parsed), []).append(r.id)
    return out


def _configured_ports(inventory: Inventory | None) -> dict[tuple[str, int], list[str]]:
    """(public address or DNS name, port) -> ids of the listeners that configure that port.

    A listener is reached on the public IPs and DNS name of its load balancer (``load_balancer`` or its
    ``attached_to`` edge); this is what lets the external scan judge drift (POSTURE-PROBE-008) on the
    listener whose policy says what the port should accept.
    """
    if inventory is None:
        return {}
    from posture.engine import graph_from_inventory

    graph, _ = graph_from_inventory(inventory, enrich=False)
    out: dict[tuple[str, int], list[str]] = {}
    for listener in graph.by_kind("listener"):
        port = listener.get("port")
        if not isinstance(port, int):
            continue
        lb = graph.resource(str(listener.get("load_balancer") or "")) or next(
            iter(graph.neighbours(listener.id, "attached_to")), None)
        holder = lb if lb is not None else listener
        for host in strings(holder.get("public_ips")) + strings(holder.get("dns_name")):
            parsed = parse_address(host)
            key = (str(parsed) if parsed is not None else host.lower(), port)
            out.setdefault(key, []).append(listener.id)
    return out


def observe_external(
    scope: Scope | str | os.PathLike[str],
    *,
    inventory: Inventory | None = None,
    service_detection: bool | None = None,
    checks: Iterable[str] | None = None,
    ca_file: str | os.PathLike[str] | None = None,
    resolver: Resolver = resolve_host,
    progress: bool | None = False,
    mozilla_profile: str = "intermediate",
) -> tuple[Inventory, dict[str, Any]]:
    """Discover open ports inside ``scope`` and probe the TLS ones: ``inventory`` (if given) merged with what was
    observed, and the scan source. :func:`posture.api.external_scan` evaluates the rules on the result."""
    from posture.progress import Progress

    scope_obj = scope if isinstance(scope, Scope) else load_scope(scope)
    scope_obj.check_window()
    nmap_binary()
    xplan = plan_external(scope_obj, inventory=inventory, service_detection=service_detection, checks=checks,
                          ca_file=ca_file, resolver=resolver, mozilla_profile=mozilla_profile)
    open_ports = discover(list(xplan.addresses), list(xplan.ports), list(xplan.nmap_args))
    # nmap was only given in-scope addresses; re-check what came back anyway (scope is law).
    open_ports = [o for o in open_ports if o.address in xplan.addresses and scope_obj.address_allowed(
        o.address, o.port).allowed]
    answers = _sniff_all(open_ports, xplan.options)
    tls_ports = [o for o in open_ports if answers[(o.address, o.port)] == "tls"]
    holders = _holders(inventory)
    configured = _configured_ports(inventory)

    def configuring(address: str, port: int) -> list[str]:
        """The listeners configuring ``address:port`` (by address, or by a name it was reached by)."""
        keys = [(address, port)] + [(n, port) for n in xplan.addresses.get(address) or ()]
        return list(dict.fromkeys(lid for k in keys for lid in configured.get(k, ())))

    planned = []
    for o in tls_ports:
        names = xplan.addresses.get(o.address) or ()
        owner = (configuring(o.address, o.port) or holders.get(o.address) or [""])[0]
        planned.append(Planned(Target(names[0] if names else o.address, o.port, owner), o.address))
    with Progress("probing TLS", total=len(planned), enabled=progress) as bar:
        outcomes = probe(planned, xplan.options, on_done=lambda out: bar.advance(note=out.planned.label))
    known = {r.id for r in inventory.resources} if inventory is not None else set()
    observed = outcomes_to_inventory(outcomes, xplan.refused, known)
    services = {(o.address, o.port): o.service for o in open_ports}
    resources = [dataclasses.replace(r, attrs={**r.attrs, "state": "open",
                                               "service": services.get((r.get("address"), r.get("port"))) or None})
                 for r in observed.resources]
    edges = list(observed.edges)
    probed = {(r.get("address"), r.get("port")) for r in resources}
    for o in open_ports:
        if (o.address, o.port) in probed:
            continue
        rid = f"tcp://{o.address if ':' not in o.address else '[' + o.address + ']'}:{o.port}"
        names = xplan.addresses.get(o.address) or ()
        p = Planned(Target(names[0] if names else o.address, o.port), o.address)
        answer = answers[(o.address, o.port)]
        resources.append(endpoint_resource(p, rid, {"tls": None, "state": "open", "service": o.service or None,
                                                    "answer": {"class": answer}}, native_type="tcp_port"))
    for r in resources:
        address, port = str(r.get("address")), int(r.get("port"))
        for holder in holders.get(address, []) + configuring(address, port):
            if holder in known and not any(e.src == holder and e.dst == r.id for e in edges):
                edges.append(Edge(holder, r.id, "observed_as"))
    base = inventory or Inventory()
    meta = dict(base.meta)
    meta["probe"] = {**probe_meta(planned, xplan.refused, outcomes), "scope": xplan.scope.origin,
                     "addresses": list(xplan.addresses), "ports": port_ranges(xplan.ports),
                     "open": [f"{o.address}:{o.port}" for o in open_ports]}
    merged = Inventory(base.resources + tuple(resources), base.edges + tuple(edges), base.gaps + observed.gaps,
                       freeze(meta))
    source = {"type": "external", "target": scope_obj.origin, "scope": scope_obj.model.name}
    return merged, source
