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


def pytest_configure(config):
    """A fuzz tally run (POSTURE_FUZZ_TALLY=1): one directory for every worker's counts (tests/test_fuzz.py)."""
    import os
    import tempfile
    if os.environ.get("POSTURE_FUZZ_TALLY", "") not in ("", "0") and not hasattr(config, "workerinput"):
        os.environ.setdefault("POSTURE_FUZZ_TALLY_DIR", tempfile.mkdtemp(prefix="posture-fuzz-tally-"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the fuzz tally: the exit-code distribution and the violations, by target."""
    import os
    where = os.environ.get("POSTURE_FUZZ_TALLY_DIR")
    if hasattr(config, "workerinput") or not where or os.environ.get("POSTURE_FUZZ_TALLY", "") in ("", "0"):
        return
    from tests.helpers.fuzz_tally import load, summarize
    records = load(where)
    if records:
        terminalreporter.section("fuzz tally")
        terminalreporter.write_line(f"(records in {where})")
        terminalreporter.write_line(summarize(records))
