"""Internet reachability, computed once per graph.

A resource is reachable from the internet on a port when every layer lets the packet through:

    internet -> internet gateway -> route table -> subnet -> subnet firewall (NACL / subnet NSG)
             -> instance firewall (security groups / NIC NSG / GCP rules) -> resource with a public address

The result is a derived ``reachable_from_internet`` edge from the INTERNET pseudo-node to the resource,
carrying the open TCP port ranges and the path that proves it. Rules read those edges; they never
recompute reachability.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from posture.engine import ENRICHERS
from posture.graph import INTERNET, Graph
from posture.knowledge.network import reachability_default
from posture.model import UNKNOWN, Edge, EdgeKind, Resource
from posture.rules.netlogic import internet_open_ranges, intersect_ranges

_TARGET_KINDS = ("compute", "datastore", "load_balancer")
_NETWORK_STORES = frozenset({"database", "db_cluster", "cache", "search", "sql_server"})
"""Datastores reached over the network path (the others are reached through their service API)."""
_ALL_PORTS = [(0, 65535)]


def has_public_address(r: Resource) -> bool | None:
    """True/False, or None when the source does not say (a value known only after apply)."""
    if r.kind == "load_balancer":
        scheme = r.get("scheme")
        return None if scheme is UNKNOWN else scheme == "internet-facing"
    if r.kind == "datastore":
        if r.get("store_type") not in _NETWORK_STORES:
            return False  # disks, buckets, queues... are not reached through the network path
        public = r.get("public")
        return None if public is UNKNOWN else public is True
    ips = r.get("public_ips")
    if ips is UNKNOWN:
        return None
    return bool(ips)


def _subnets(graph: Graph, r: Resource) -> list[Resource]:
    subnets = [s for s in graph.neighbours(r.id, EdgeKind.CONTAINS, "in") if s.kind == "subnet"]
    for iface in graph.neighbours(r.id, EdgeKind.ATTACHED_TO, "in"):
        if iface.kind == "interface":
            subnets += [s for s in graph.neighbours(iface.id, EdgeKind.CONTAINS, "in") if s.kind == "subnet"]
    return list({s.id: s for s in subnets}.values())


def _network_of(graph: Graph, subnet: Resource) -> Resource | None:
    nets = [n for n in graph.neighbours(subnet.id, EdgeKind.CONTAINS, "in") if n.kind == "network"]
    return nets[0] if nets else None


def _internet_route(graph: Graph, subnet: Resource, provider: str) -> list[str] | None:
    """Path [gateway, route_table, subnet] when the subnet routes to an internet gateway, else None."""
    tables = [t for t in graph.neighbours(subnet.id, EdgeKind.ROUTES_TO) if t.kind == "route_table"]
    for table in tables:
        for gw in graph.neighbours(table.id, EdgeKind.ROUTES_TO):
            if gw.kind == "gateway" and gw.get("gateway_type") == "internet":
                return [gw.id, table.id, subnet.id]
    if tables:
        return None
    rule = reachability_default(provider, "route_without_table", "always")
    if rule == "always":
        return [subnet.id]
    net = _network_of(graph, subnet)
    return [subnet.id] if net is not None and net.get("is_default") is True else None


class _Index:
    """Work shared by every resource of one enrichment: GCP rules by network, merged rule lists by firewall set."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._gcp: dict[Any, list[tuple[int, Resource]]] | None = None
        self._open: dict[tuple[str, ...], tuple[list[tuple[int, int]], bool]] = {}

    def gcp_by_network(self) -> dict[Any, list[tuple[int, Resource]]]:
        """Firewalls with GCP-style ``targets``, by network id, with their position in the kind index."""
        if self._gcp is None:
            self._gcp = {}
            for pos, fw in enumerate(self.graph.by_kind("firewall")):
                if isinstance(fw.get("targets"), Mapping):
                    self._gcp.setdefault(fw.get("network"), []).append((pos, fw))
        return self._gcp

    def open(self, firewalls: list[Resource]) -> tuple[list[tuple[int, int]], bool]:
        """:func:`_open` once per distinct firewall list (instances mostly share their groups)."""
        key = tuple(f.id for f in firewalls)
        got = self._open.get(key)
        if got is None:
            got = self._open[key] = _open(firewalls)
        return got


def _gcp_applicable(index: _Index, r: Resource, network_ids: set[str]) -> list[Resource]:
    """GCP firewall rules apply by network + target tags / service accounts, not by attachment."""
    tags = set(r.get("network_tags") or ())
    accounts = set(r.get("service_accounts") or ())
    by_network = index.gcp_by_network()
    candidates = sorted((c for n in network_ids for c in by_network.get(n, ())), key=lambda c: c[0])
    out = []
    for _, fw in candidates:
        targets = fw.get("targets")
        if (targets.get("all") or tags & set(targets.get("tags") or ())
                or accounts & set(targets.get("service_accounts") or ())):
            out.append(fw)
    return out


def _instance_firewalls(index: _Index, r: Resource, subnets: list[Resource]) -> list[Resource]:
    graph = index.graph
    fws = [f for f in graph.neighbours(r.id, EdgeKind.PROTECTED_BY) if f.kind == "firewall"]
    for iface in graph.neighbours(r.id, EdgeKind.ATTACHED_TO, "in"):
        fws += [f for f in graph.neighbours(iface.id, EdgeKind.PROTECTED_BY) if f.kind == "firewall"]
    if r.provider == "gcp":
        nets = {n.id for s in subnets if (n := _network_of(graph, s)) is not None}
        nets |= {str(r.get("network"))} if r.get("network") else set()
        fws += _gcp_applicable(index, r, nets)
    return [f for f in {f.id: f for f in fws}.values() if f.get("layer", "instance") != "subnet"]


def _open(firewalls: list[Resource]) -> tuple[list[tuple[int, int]], bool]:
    """Ports open to the internet through the merged rule list; second value: undecidable."""
    rules: list[Mapping[str, Any]] = []
    for f in firewalls:
        fr = f.get("rules")
        if fr is UNKNOWN:
            return [], True
        rules.extend(fr or ())
    opened, unknown, _ = internet_open_ranges(rules)
    return opened, bool(unknown)


def reachable_from_internet(graph: Graph) -> Iterator[Edge]:
    """Derived edges INTERNET -> resource with ``ports`` ([[from, to]], TCP) and the proving ``path``."""
    index = _Index(graph)
    for r in graph.by_kind(*_TARGET_KINDS):
        if has_public_address(r) is not True:
            continue
        subnets = _subnets(graph, r)
        route: list[str] | None = None
        subnet_fws: list[Resource] = []
        if subnets:
            for s in subnets:
                route = _internet_route(graph, s, r.provider)
                if route is not None:
                    subnet_fws = [f for f in graph.neighbours(s.id, EdgeKind.PROTECTED_BY)
                                  if f.kind == "firewall" and f.get("layer") == "subnet"]
                    break
            if route is None:
                continue
        else:
            route = []  # placement unknown: a public address is routable by definition
        instance_fws = _instance_firewalls(index, r, subnets)
        if instance_fws:
            ports, undecided = index.open(instance_fws)
        else:
            # Managed databases sit behind a service firewall that denies by default whatever the provider:
            # RDS uses the VPC default security group
            # (docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html),
            # Azure SQL's server firewall admits nothing until a rule is added
            # (learn.microsoft.com/azure/azure-sql/database/firewall-configure), and Cloud SQL public IPs accept
            # only authorised networks (cloud.google.com/sql/docs/mysql/authorize-networks).
            default = ("deny" if r.kind == "datastore"
                       else reachability_default(r.provider, "no_instance_firewall", "deny"))
            ports, undecided = (list(_ALL_PORTS) if default == "allow" else []), False
        for fw in subnet_fws:
            if not ports:
                break
            fw_ports, fw_undecided = index.open([fw])
            ports = intersect_ranges(ports, fw_ports)
            undecided = undecided or fw_undecided
        if not ports:
            continue
        path = [INTERNET, *route, *(f.id for f in subnet_fws), *(f.id for f in instance_fws), r.id]
        yield Edge(INTERNET, r.id, EdgeKind.REACHABLE_FROM_INTERNET,
                   {"ports": [list(p) for p in ports], "protocol": "tcp", "path": path, "partial": undecided})


ENRICHERS.register("reachability", reachable_from_internet, origin=__name__)
