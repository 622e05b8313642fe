"""GCP's graph step: every GCP instance is ``protected_by`` the firewall rules that target it.

A GCP firewall rule is not attached to what it protects: it applies to the instances of its network that its
targets match (:mod:`posture.providers.gcp.facts.targeting`). The normalisers link what one source sees; this
step runs once the inventories of every source are merged (a shared VPC's rules live in the host project, its
instances in service projects, possibly in other shards or snapshots), before the enrichers, so reachability and
every rule just follow ``protected_by`` edges.

An instance's networks are those of the subnets holding it, and its ``network`` attribute when a source sets it.
Rules come in the order of the graph's firewall index, after the edges the sources drew themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from posture.engine import LINKERS
from posture.graph import Graph, network_of, subnets_of
from posture.model import Edge, EdgeKind, Resource
from posture.providers.gcp.facts.targeting import TargetKey, instance_keys, target_keys

_TARGETED_KINDS = ("compute", "datastore", "load_balancer")


def _networks(graph: Graph, r: Resource) -> set[str]:
    nets = {n.id for s in subnets_of(graph, r) if (n := network_of(graph, s)) is not None}
    own = r.get("network")
    if isinstance(own, str) and own:
        nets.add(own)
    return nets


def firewall_targets(graph: Graph) -> Iterator[Edge]:
    """``protected_by`` edges from each GCP instance to the rules of its networks that target it."""
    targeted = [r for r in graph.by_kind(*_TARGETED_KINDS) if r.provider == "gcp"]
    if not targeted:
        return
    index: dict[tuple[object, TargetKey], list[tuple[int, Resource]]] = defaultdict(list)
    for pos, fw in enumerate(graph.by_kind("firewall")):
        for key in target_keys(fw.get("targets")):
            index[(fw.get("network"), key)].append((pos, fw))
    if not index:
        return
    for r in targeted:
        nets = _networks(graph, r)
        if not nets:
            continue
        keys = instance_keys(r.get("network_tags"), r.get("service_accounts"))
        found = {pos: fw for n in nets for k in keys for pos, fw in index.get((n, k), ())}
        drawn = {e.dst for e in graph.out_edges(r.id, EdgeKind.PROTECTED_BY)}  # by the sources themselves
        for pos in sorted(found):
            if found[pos].id not in drawn:
                yield Edge(r.id, found[pos].id, EdgeKind.PROTECTED_BY)


LINKERS.register("gcp_firewall_targets", firewall_targets, origin=__name__)
