"""GKE clusters -> ``cluster`` resources: the control plane's public endpoint and master authorised networks."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.gcp.terraform.common import Out, _res
from posture.providers.kit.builders import blocks, listed
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


def _gke(raw: RawResource, index: PlanIndex) -> Out:
    """Public unless ``private_cluster_config.enable_private_endpoint``; every address unless
    ``master_authorized_networks_config`` lists the ranges (an empty block admits none from outside)."""
    private = block(raw, "private_cluster_config")
    flag = tri(private.get("enable_private_endpoint"), False) if isinstance(private, dict) else UNKNOWN
    public = UNKNOWN if flag is UNKNOWN else not flag
    networks = blocks(raw.values, "master_authorized_networks_config")
    cidrs: Any
    if networks is UNKNOWN:
        cidrs = UNKNOWN
    elif not networks:
        cidrs = None
    else:
        cidrs = [c.get("cidr_block") for c in listed(blocks(networks[0], "cidr_blocks")) if isinstance(c, dict)]
    attrs = {"api_public": public, "api_allowed_cidrs": cidrs, "version": raw.get("min_master_version")}
    return [_res(raw, index, Kind.CLUSTER, attrs)]
