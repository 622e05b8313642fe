"""Pure normalisation of Azure raw records (ARM REST shapes) into the model of docs/model.md.

No SDK import and no I/O: records in, :class:`~posture.model.Inventory` out, in any order. Azure
resource ids are case-insensitive and ARM does not always spell a reference the way it spells the
resource, so every id (resource and reference) is lower-cased (:mod:`.records`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture.model import Edge, Inventory, Resource
from posture.providers.azure import network, stores
from posture.providers.azure.records import Index


def normalise(records: Iterable[Mapping[str, Any]]) -> Inventory:
    """Turn raw Azure records into resources and edges (pure; see the per-area modules)."""
    index = Index(records)
    resources: list[Resource] = []
    edges: list[Edge] = []
    for produce in (network.normalise_network, stores.normalise_stores):
        for item in produce(index):
            if isinstance(item, Resource):
                resources.append(item)
            else:
                edges.append(item)
    return Inventory(tuple(resources), tuple(edges))
