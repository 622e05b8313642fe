"""The estate as a graph: resources by id, typed edges, indexes by kind and adjacency by edge kind.

Edges refer to ids and are resolved here, so collection order does not
matter. A reference to a missing id becomes a coverage gap. Once built (and
enriched) the graph is frozen: evaluation only reads it. A networkx view is
built on demand for algorithms (``Graph.nx``); the hot paths never touch it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import networkx as nx

from posture.gcpause import gc_paused
from posture.model import Edge, EdgeKind, Gap, Resource

INTERNET = "internet"
"""Pseudo-node id standing for the public internet (source of derived exposure edges)."""


class Graph:
    """Resources as nodes, typed edges, and indexes so rules never scan everything."""

    def __init__(self) -> None:
        self._edges: dict[tuple[str, str, str], Edge] = {}  # one edge per (src, dst, kind)
        self._nx: nx.MultiDiGraph | None = None
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self._resources: dict[str, Resource] = {}
        # adjacency by kind, so rules' one-hop queries never go through networkx views (hot path)
        self._out: dict[str, dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
        self._in: dict[str, dict[str, list[Edge]]] = defaultdict(lambda: defaultdict(list))
        self._frozen = False
        self.gaps: tuple[Gap, ...] = ()
        """Coverage gaps of the source and of graph building, carried with the graph."""

    # -- building ---------------------------------------------------------------
    def add_resource(self, resource: Resource) -> None:
        self._check_mutable()
        if resource.id in self._resources:
            # Same id twice (e.g. two sources describing one thing): first wins, by design
            # of build_graph which reports it as a gap.
            return
        self._resources[resource.id] = resource
        self._by_kind[resource.kind].append(resource)
        self._nx = None

    def add_edge(self, edge: Edge) -> bool:
        """Add an edge whose ends exist (or one end is INTERNET). False if dangling."""
        self._check_mutable()
        for end in (edge.src, edge.dst):
            if end != INTERNET and end not in self._resources:
                return False
        key = (edge.src, edge.dst, edge.kind)
        if key in self._edges:
            return True  # one edge per (src, dst, kind): the first one is kept
        self._edges[key] = edge
        self._nx = None
        self._out[edge.src][edge.kind].append(edge)
        self._in[edge.dst][edge.kind].append(edge)
        return True

    def freeze(self) -> Graph:
        """Make the graph read-only (evaluation never mutates it)."""
        self._frozen = True
        return self

    def _check_mutable(self) -> None:
        if self._frozen:
            raise RuntimeError("graph is frozen: evaluation must not mutate it")

    # -- reading ----------------------------------------------------------------
    @property
    def nx(self) -> nx.MultiDiGraph:
        """A read-only networkx MultiDiGraph of the estate (edge key = edge kind, data ``edge``), for algorithms.

        Built on first use and cached; resources are nodes, ``internet`` appears when a derived edge uses it.
        """
        if self._nx is None:
            import networkx as nx  # imported on demand: rules and enrichers use the adjacency store

            g = nx.MultiDiGraph()
            g.add_nodes_from(self._resources)
            g.add_edges_from((src, dst, kind, {"edge": e}) for (src, dst, kind), e in self._edges.items())
            self._nx = nx.freeze(g)
        return self._nx

    def __len__(self) -> int:
        return len(self._resources)

    def __contains__(self, rid: object) -> bool:
        return rid in self._resources

    def resource(self, rid: str) -> Resource | None:
        return self._resources.get(rid)

    def resources(self) -> Iterator[Resource]:
        return iter(self._resources.values())

    def by_kind(self, *kinds: str) -> list[Resource]:
        """Resources of the given kinds, in insertion order."""
        if len(kinds) == 1:
            return list(self._by_kind.get(kinds[0], ()))
        out: list[Resource] = []
        for k in kinds:
            out.extend(self._by_kind.get(k, ()))
        return out

    def kinds(self) -> list[str]:
        return sorted(k for k, v in self._by_kind.items() if v)

    def edges(self, kind: str | None = None) -> Iterator[Edge]:
        """Every edge (of ``kind``), in insertion order."""
        if kind is None:
            return iter(list(self._edges.values()))
        kind = str(getattr(kind, "value", kind))
        return iter([e for e in self._edges.values() if e.kind == kind])

    def out_edges(self, rid: str, kind: str | None = None) -> list[Edge]:
        return self._adjacent(self._out, rid, kind)

    def in_edges(self, rid: str, kind: str | None = None) -> list[Edge]:
        return self._adjacent(self._in, rid, kind)

    @staticmethod
    def _adjacent(table: dict[str, dict[str, list[Edge]]], rid: str, kind: str | None) -> list[Edge]:
        by_kind = table.get(rid)
        if not by_kind:
            return []
        if kind is not None:
            return list(by_kind.get(str(getattr(kind, "value", kind)), ()))
        return [e for edges in by_kind.values() for e in edges]

    def step(self, rid: str, kinds: Collection[str], direction: str = "out") -> list[str]:
        """Ids one hop away over edges of any of ``kinds``: out-neighbours then in-neighbours, in edge order.

        The hot path of graph searches: reads only the adjacency of ``rid``, never a global edge list.
        """
        out: list[str] = []
        if direction in ("out", "both"):
            for kind, edges in self._out.get(rid, {}).items():
                if kind in kinds:
                    out.extend(e.dst for e in edges)
        if direction in ("in", "both"):
            for kind, edges in self._in.get(rid, {}).items():
                if kind in kinds:
                    out.extend(e.src for e in edges)
        return out

    def neighbours(self, rid: str, kind: str | None = None, direction: str = "out") -> list[Resource]:
        """Resources one hop away over edges of ``kind`` (``out``, ``in`` or ``both``)."""
        ids: list[str] = []
        if direction in ("out", "both"):
            ids.extend(e.dst for e in self.out_edges(rid, kind))
        if direction in ("in", "both"):
            ids.extend(e.src for e in self.in_edges(rid, kind))
        seen: set[str] = set()
        out: list[Resource] = []
        for i in ids:
            r = self._resources.get(i)
            if r is not None and i not in seen:
                seen.add(i)
                out.append(r)
        return out


def subnets_of(graph: Graph, r: Resource) -> list[Resource]:
    """The subnets holding ``r``, directly or through the interfaces attached to it (each once)."""
    subnets = [s for s in graph.neighbours(r.id, EdgeKind.CONTAINS, "in") if s.kind == "subnet"]
    for iface in graph.neighbours(r.id, EdgeKind.ATTACHED_TO, "in"):
        if iface.kind == "interface":
            subnets += [s for s in graph.neighbours(iface.id, EdgeKind.CONTAINS, "in") if s.kind == "subnet"]
    return list({s.id: s for s in subnets}.values())


def network_of(graph: Graph, subnet: Resource) -> Resource | None:
    """The network containing ``subnet``, if the estate holds it."""
    nets = [n for n in graph.neighbours(subnet.id, EdgeKind.CONTAINS, "in") if n.kind == "network"]
    return nets[0] if nets else None


def build_graph(resources: Iterable[Resource], edges: Iterable[Edge]) -> tuple[Graph, list[Gap]]:
    """Build a graph from resources and id-based edges.

    Returns the (unfrozen, so enrichers may add derived edges) graph and the
    coverage gaps found: duplicate ids and dangling references.
    """
    graph = Graph()
    gaps: list[Gap] = []
    with gc_paused():
        _fill(graph, gaps, resources, edges)
    return graph, gaps


def _fill(graph: Graph, gaps: list[Gap], resources: Iterable[Resource], edges: Iterable[Edge]) -> None:
    for r in resources:
        if r.id in graph:
            gaps.append(Gap("graph", f"resource id {r.id!r} described twice; first kept", "duplicate_id", target=r.id))
            continue
        graph.add_resource(r)
    for e in edges:
        if not graph.add_edge(e):
            missing = e.dst if e.src in graph or e.src == INTERNET else e.src
            gaps.append(
                Gap(
                    "graph",
                    f"{e.kind} edge {e.src} -> {e.dst}: {missing!r} is not in the estate",
                    "dangling_reference",
                    target=missing,
                )
            )
