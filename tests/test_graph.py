from posture.graph import build_graph
from posture.model import Edge, Resource


def _r(rid, kind="compute"):
    return Resource(rid, kind, "t", "aws", name=rid)


def test_edges_resolve_in_any_order_and_kind_index():
    edges = [Edge("vpc", "sn", "contains"), Edge("sn", "i", "contains")]
    graph, gaps = build_graph([_r("i"), _r("sn", "subnet"), _r("vpc", "network")], edges)
    assert gaps == []
    assert [r.id for r in graph.by_kind("subnet")] == ["sn"]
    assert [r.id for r in graph.by_kind("network", "subnet")] == ["vpc", "sn"]
    assert [r.id for r in graph.neighbours("sn", "contains", "in")] == ["vpc"]
    assert [r.id for r in graph.neighbours("sn", "contains", "both")] == ["i", "vpc"]


def test_dangling_reference_is_a_gap_not_a_crash():
    graph, gaps = build_graph([_r("a")], [Edge("a", "missing-sg", "protected_by")])
    assert len(gaps) == 1 and gaps[0].code == "dangling_reference" and gaps[0].target == "missing-sg"
    assert graph.out_edges("a") == []


def test_duplicate_ids_are_reported():
    graph, gaps = build_graph([_r("a"), _r("a")], [])
    assert len(graph) == 1 and gaps[0].code == "duplicate_id"


def test_frozen_graph_rejects_mutation():
    graph, _ = build_graph([_r("a")], [])
    graph.freeze()
    try:
        graph.add_resource(_r("b"))
    except RuntimeError:
        pass
    else:
        raise AssertionError("frozen graph accepted a resource")
