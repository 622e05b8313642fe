"""Internet reachability, computed once per graph.

A resource is reachable from the internet on a port when every layer lets the packet through:

    internet -> internet gateway -> route table -> subnet -> subnet firewall (NACL / subnet NSG)
             -> instance firewall (security groups / NIC NSG / GCP rules) -> resource with a public address

Every firewall is reached over ``protected_by`` edges, whatever the provider (GCP rules that apply by
target are linked to their instances before enrichment, by the GCP provider's graph step).

The result is a derived ``reachable_from_internet`` edge from the INTERNET pseudo-node to the resource,
carrying the open TCP port ranges and the path that proves it. Rules read those edges; they never
recompute reachability.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from posture.engine import ENRICHERS
from posture.graph import INTERNET, Graph, network_of, subnets_of
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
    net = network_of(graph, subnet)
    return [subnet.id] if net is not None and net.get("is_default") is True else None


class _Index:
    """Work shared by every resource of one enrichment: the merged rule list of each distinct firewall set."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, ...], tuple[list[tuple[int, int]], bool]] = {}

    def open(self, firewalls: list[Resource]) -> tuple[list[tuple[int, int]], bool]:
        """:func:`_open` once per distinct firewall list (instances mostly share their groups)."""
        key = tuple(f.id for f in firewalls)
        got = self._open.get(key)
        if got is None:
            got = self._open[key] = _open(firewalls)
        return got


def _instance_firewalls(graph: Graph, r: Resource) -> list[Resource]:
    """Instance-layer firewalls protecting ``r`` or its interfaces (GCP rules are linked to the instances they
    target by the GCP provider's graph step, :mod:`posture.providers.gcp.links`)."""
    fws = [f for f in graph.neighbours(r.id, EdgeKind.PROTECTED_BY) if f.kind == "firewall"]
    for iface in graph.neighbours(r.id, EdgeKind.ATTACHED_TO, "in"):
        fws += [f for f in graph.neighbours(iface.id, EdgeKind.PROTECTED_BY) if f.kind == "firewall"]
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
    index = _Index()
    for r in graph.by_kind(*_TARGET_KINDS):
        if has_public_address(r) is not True:
            continue
        subnets = subnets_of(graph, r)
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
        instance_fws = _instance_firewalls(graph, r)
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
