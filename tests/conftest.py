"""Shared test helpers: small estates built in memory."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from posture.engine import graph_from_inventory
from posture.graph import Graph
from posture.model import Edge, Inventory, Resource


def make_graph(resources: Iterable[Resource], edges: Iterable[Edge] = ()) -> Graph:
    graph, _ = graph_from_inventory(Inventory(tuple(resources), tuple(edges)))
    return graph


def fw(rid: str, rules: list[dict], provider: str = "aws", **attrs) -> Resource:
    return Resource(rid, "firewall", "test_firewall", provider, name=rid, attrs={"rules": rules, **attrs})


def ingress(ports, peers=("0.0.0.0/0",), protocol="tcp", action="allow", priority=None, **kw) -> dict:
    return {"direction": "ingress", "action": action, "protocol": protocol, "ports": ports, "peers": list(peers),
            "priority": priority, **kw}


@pytest.fixture
def graph_factory():
    return make_graph
