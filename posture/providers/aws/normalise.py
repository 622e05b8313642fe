"""Raw AWS batches -> Inventory. Pure: no SDK, no network; the same batches always give the same result."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from posture.model import Gap, Inventory, freeze
from posture.providers.aws import norm_data, norm_edge, norm_identity, norm_network, norm_stores
from posture.providers.aws.norm_common import Index, Out

NORMALISERS: tuple[Callable[[Index, Out], None], ...] = (
    norm_network.networks,
    norm_network.routing,
    norm_network.firewalls,
    norm_data.kms,
    norm_network.compute,
    norm_data.s3,
    norm_data.rds,
    norm_data.simple_stores,
    norm_stores.stores,
    norm_edge.elbv2,
    norm_edge.elb,
    norm_edge.acm,
    norm_edge.iam_server_certificates,
    norm_edge.cloudfront,
    norm_identity.identity,
    norm_identity.cloudtrail,
    norm_identity.accounts,
)
"""Run in order (compute reads the ids already produced by the network normalisers)."""


def normalise(batches: Iterable[Mapping[str, Any]], gaps: Iterable[Mapping[str, str]] = (),
              meta: Mapping[str, Any] | None = None) -> Inventory:
    """Normalise raw batches (and extra gap records) into an Inventory."""
    batches = list(batches)
    idx = Index(batches)
    out = Out()
    for fn in NORMALISERS:
        fn(idx, out)
    all_gaps = [g for b in batches for g in b["gaps"]] + list(gaps)
    return Inventory(tuple(out.resources), tuple(out.edges.values()),
                     tuple(Gap(**{k: str(v or "") for k, v in g.items()}) for g in all_gaps), freeze(dict(meta or {})))
