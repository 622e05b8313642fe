"""network.segmentation rules on top of the reachability enrichment and segmentation policies."""

from __future__ import annotations

import fnmatch
import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from posture.graph import INTERNET, Graph
from posture.model import UNKNOWN, EdgeKind, Resource, Severity
from posture.rules.base import RuleContext, RuleFixture, Violation, rule
from posture.rules.operators import parse_ports

_SEG_CONTROLS = ["SOC2:CC6.6", "ISO27001:8.22", "PCI:1.3.1", "PCI:1.4.1", "NIST:SC-7"]


def _exposure(graph: Graph, rid: str) -> Mapping[str, Any] | None:
    for e in graph.in_edges(rid, EdgeKind.REACHABLE_FROM_INTERNET):
        if e.src == INTERNET:
            return e.attrs
    return None


def _fmt_ports(ports: Any) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ports)


@rule(
    id="POSTURE-SEG-001",
    title="Database or cache reachable from the internet",
    severity="critical",
    category="network.segmentation",
    kinds=["datastore"],
    controls=[*_SEG_CONTROLS, "CIS-AWS:2.3.3"],
    remediation="Place the database in private subnets without a route to an internet gateway, turn off public "
    "accessibility, and admit only the application tier's security group.",
    expected="no network path from the internet",
    fixtures=[RuleFixture("segmentation/estate.jsonl", fail=("db-public",), pass_=("db-private", "db-sg-closed"))],
)
def database_reachable(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """A database with a real network path from the internet (route, NACL and firewall all open)."""
    exp = _exposure(ctx.graph, resource.id)
    if exp is not None:
        yield Violation(
            f"{resource.name or resource.id} is reachable from the internet on TCP {_fmt_ports(exp['ports'])}",
            observed={"ports": exp["ports"]}, path=tuple(exp["path"]),
        )


@rule(
    id="POSTURE-SEG-002",
    title="Instance reachable from the internet beyond its public service ports",
    severity="medium",
    category="network.segmentation",
    kinds=["compute"],
    controls=_SEG_CONTROLS,
    params={"public_ports": [80, 443], "internal_tags": {"tier": ["internal", "private", "backend", "app", "db"]}},
    remediation="Serve public traffic through a load balancer and keep instances in private subnets; restrict "
    "security groups to the ports the service needs.",
    expected="only the public service ports, and nothing for internal instances",
    fixtures=[RuleFixture("segmentation/estate.jsonl", fail=("vm-internal", "vm-ssh"), pass_=("vm-web", "vm-private"))],
)
def instance_reachable(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Internal instances (by tag) must not be reachable at all; others only on the public service ports."""
    exp = _exposure(ctx.graph, resource.id)
    if exp is None:
        return
    internal = any(resource.tags.get(k, "").lower() in {v.lower() for v in vals}
                   for k, vals in ctx.params["internal_tags"].items())
    allowed = parse_ports(list(ctx.params["public_ports"]))
    extra = [(lo, hi) for lo, hi in exp["ports"]
             if not any(alo <= lo and hi <= ahi for alo, ahi in allowed)]
    if internal:
        yield Violation(f"internal instance {resource.name or resource.id} is reachable from the internet on TCP "
                        f"{_fmt_ports(exp['ports'])}", observed={"ports": exp["ports"], "tags": dict(resource.tags)},
                        path=tuple(exp["path"]), severity=Severity.HIGH)
    elif extra:
        yield Violation(f"{resource.name or resource.id} is reachable from the internet on TCP {_fmt_ports(extra)}",
                        observed={"ports": extra}, path=tuple(exp["path"]))


# -- segmentation policy ------------------------------------------------------------------------------------
def _net(c: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(str(c), strict=False)
    except ValueError:
        return None


def _in_zone(r: Resource, zone: Mapping[str, Any]) -> bool:
    tags = zone.get("tags") or {}
    if tags and all(r.tags.get(k) == v for k, v in tags.items()):
        return True
    if any(fnmatch.fnmatchcase(r.name or "", g) or fnmatch.fnmatchcase(r.id, g) for g in zone.get("names") or ()):
        return True
    zone_nets = [n for n in map(_net, zone.get("cidrs") or ()) if n is not None]
    cidrs = r.get("cidrs")
    if zone_nets and isinstance(cidrs, (list, tuple)):
        for c in cidrs:
            n = _net(c)
            if n is not None and any(n.version == z.version and n.subnet_of(z) for z in zone_nets):  # type: ignore[arg-type]
                return True
    return False


class _Zones:
    """Zone membership (direct, or inherited from the containing subnet/network) and each zone's addresses."""

    def __init__(self, graph: Graph, zones: Mapping[str, Mapping[str, Any]]) -> None:
        self.graph = graph
        self.members: dict[str, set[str]] = {}
        self.cidrs: dict[str, list[Any]] = {}
        self.groups: dict[str, set[str]] = {}
        self.networks: dict[str, set[str]] = {}
        for name, spec in zones.items():
            direct = {r.id for r in graph.resources() if _in_zone(r, spec)}
            members = set(direct)
            frontier = list(direct)
            while frontier:  # containment: a network's subnets and a subnet's resources join its zone
                rid = frontier.pop()
                for child in graph.neighbours(rid, EdgeKind.CONTAINS):
                    if child.id not in members:
                        members.add(child.id)
                        frontier.append(child.id)
            self.members[name] = members
            nets = [n for n in map(_net, spec.get("cidrs") or ()) if n is not None]
            for rid in members:
                r = graph.resource(rid)
                if r is not None and r.kind in ("network", "subnet") and isinstance(r.get("cidrs"), (list, tuple)):
                    nets += [n for n in map(_net, r.get("cidrs")) if n is not None]
            self.cidrs[name] = nets
            self.groups[name] = {f.id for rid in members for f in graph.neighbours(rid, EdgeKind.PROTECTED_BY)}
            self.networks[name] = {rid for rid in members if (r := graph.resource(rid)) and r.kind == "network"}
            for rid in members:
                self.networks[name] |= {n.id for n in self._networks_of(rid)}

    def _networks_of(self, rid: str) -> list[Resource]:
        out: list[Resource] = []
        frontier, seen = [rid], {rid}
        while frontier:
            cur = frontier.pop()
            for p in self.graph.neighbours(cur, EdgeKind.CONTAINS, "in"):
                if p.kind == "network":
                    out.append(p)
                elif p.id not in seen:
                    seen.add(p.id)
                    frontier.append(p.id)
            for iface in self.graph.neighbours(cur, EdgeKind.ATTACHED_TO, "in"):
                if iface.id not in seen:
                    seen.add(iface.id)
                    frontier.append(iface.id)
        return out

    def connected(self, src_zone: str, target: str) -> list[str] | None:
        """Network path [src_network, (peer), target_network] when the zone can reach the target's network."""
        for tnet in self._networks_of(target):
            for snet in self.networks[src_zone]:
                if snet == tnet.id:
                    return [snet]
                if any(p.id == snet for p in self.graph.neighbours(tnet.id, EdgeKind.PEERS_WITH, "both")):
                    return [snet, tnet.id]
        return None


def _admits(rules: Any, zone_cidrs: list[Any], zone_groups: set[str]) -> list[Mapping[str, Any]]:
    hits: list[Mapping[str, Any]] = []
    if rules is UNKNOWN:
        return hits
    for r in rules or ():
        if r.get("direction") != "ingress" or r.get("action", "allow") != "allow" or r.get("implied") \
                or r.get("disabled") is True:  # a rule disabled at the provider admits nothing
            continue
        for peer in r.get("peers") or ():
            p = str(peer)
            if p.startswith("sg:") and p[3:] in zone_groups:
                hits.append(r)
                break
            n = _net(p)
            if n is None or n.prefixlen == 0:
                continue  # internet-wide rules are exposure findings, not inter-zone trust
            if any(z.version == n.version and z.subnet_of(n) for z in zone_cidrs):  # type: ignore[arg-type]
                hits.append(r)
                break
    return hits


@rule(
    id="POSTURE-SEG-100",
    title="Traffic allowed between zones that the segmentation policy separates",
    severity="high",
    category="network.segmentation",
    kinds=["compute", "datastore", "load_balancer"],
    controls=_SEG_CONTROLS,
    params={"policy": None},
    remediation="Remove the peering or route between the zones, or narrow the firewall rule so it no longer "
    "admits the other zone's addresses or security groups.",
    expected="no allowed flow between zones the policy separates",
    fixtures=[RuleFixture("segmentation/estate.jsonl", fail=("vm-prod-db",), pass_=("vm-prod-web", "vm-dev"),
                          params={"policy": {"zones": {"prod": {"tags": {"env": "prod"}},
                                                       "dev": {"tags": {"env": "dev"}}},
                                             "flows": [{"from": "dev", "to": "prod", "allow": False}]}})],
)
def segmentation_policy(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Checks a declared segmentation policy (docs/segmentation.md) against the flows the graph allows."""
    policy = ctx.params.get("policy")
    if not policy:
        return
    zones: _Zones = ctx.memo.get("zones") or ctx.memo.setdefault("zones", _Zones(ctx.graph, policy["zones"]))
    for flow in policy["flows"]:
        if flow.get("allow", False) or resource.id not in zones.members[flow["to"]]:
            continue
        src = flow["from"]
        if resource.id in zones.members[src]:
            continue
        net_path = zones.connected(src, resource.id)
        if net_path is None:
            continue
        fws = [f for f in ctx.graph.neighbours(resource.id, EdgeKind.PROTECTED_BY) if f.kind == "firewall"]
        for iface in ctx.graph.neighbours(resource.id, EdgeKind.ATTACHED_TO, "in"):
            fws += [f for f in ctx.graph.neighbours(iface.id, EdgeKind.PROTECTED_BY) if f.kind == "firewall"]
        for fw in fws:
            admitted = _admits(fw.get("rules"), zones.cidrs[src], zones.groups[src])
            if admitted:
                yield Violation(
                    f"zone {src} can reach {resource.name or resource.id} in zone {flow['to']} through {fw.id}",
                    observed={"from_zone": src, "to_zone": flow["to"], "firewall": fw.id, "rules": admitted},
                    expected=f"no flow from {src} to {flow['to']}",
                    discriminator=f"{src}->{flow['to']}",
                    path=(*net_path, fw.id, resource.id),
                )
                break
