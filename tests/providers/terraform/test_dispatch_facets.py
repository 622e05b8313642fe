"""Facets: one aspect's attributes added to the resource a type's normaliser builds."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from posture.model import Edge, EdgeKind, Resource
from posture.providers.terraform import dispatch


def _base(raw, index):
    return [Resource(id=raw.address, kind="datastore", native_type=raw.type, provider="aws", attrs={"a": 1}),
            Edge(src=raw.address, dst="key", kind=EdgeKind.ENCRYPTED_BY)]


RAW = SimpleNamespace(address="aws_x.y", type="aws_x")


def test_facet_attributes_join_the_types_resource_and_edges_pass_through():
    out = dispatch.with_facets(_base, [lambda raw, index: {"b": 2}, lambda raw, index: {"c": 3}])(RAW, None)
    assert out[0].attrs == {"a": 1, "b": 2, "c": 3}
    assert isinstance(out[1], Edge)


def test_a_facet_may_not_overwrite_what_the_normaliser_set():
    with pytest.raises(ValueError, match="already set"):
        dispatch.with_facets(_base, [lambda raw, index: {"a": 9}])(RAW, None)


def test_a_facet_without_a_normaliser_is_refused(monkeypatch):
    monkeypatch.setattr(dispatch, "_FACETS", {"aws_not_a_type": [lambda raw, index: {}]})
    with pytest.raises(ValueError, match="aws_not_a_type"):
        dispatch.tables()


def test_parts_join_the_types_normaliser_or_stand_alone(monkeypatch):
    part = lambda raw, index: [Resource(id=f"{raw.address}/https", kind="listener", native_type="t", provider="aws")]  # noqa: E731
    dispatch.tables()  # every cloud registered before the tables are swapped for this test's
    monkeypatch.setattr(dispatch, "_NORMALISERS", {"aws_x": _base})
    monkeypatch.setattr(dispatch, "_PARTS", {"aws_x": [part], "aws_y": [part]})
    monkeypatch.setattr(dispatch, "_FACETS", {})
    table, _ = dispatch.tables()
    assert [getattr(i, "id", None) for i in table["aws_x"](RAW, None)] == ["aws_x.y", None, "aws_x.y/https"]
    alone = SimpleNamespace(address="aws_y.z", type="aws_y")
    assert [i.id for i in table["aws_y"](alone, None)] == ["aws_y.z/https"]
