"""AKS clusters -> ``cluster`` resources: the Kubernetes API server's public access and authorised ranges."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.azure.terraform.common import res
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

Out = list[Any]


def _aks(raw: RawResource, index: PlanIndex) -> Out:
    """Public unless ``private_cluster_enabled``; every address unless authorised IP ranges are set
    (``api_server_access_profile``, or the older ``api_server_authorized_ip_ranges``)."""
    private = tri(raw.get("private_cluster_enabled"), False)
    public = UNKNOWN if private is UNKNOWN else not private
    profile = block(raw, "api_server_access_profile")
    ranges: Any = profile.get("authorized_ip_ranges") if isinstance(profile, dict) else UNKNOWN
    if ranges is None or ranges == []:
        legacy = raw.get("api_server_authorized_ip_ranges")
        ranges = legacy if legacy not in (None, []) else None
    attrs = {"api_public": public, "api_allowed_cidrs": ranges, "version": raw.get("kubernetes_version")}
    return [res(raw, index, Kind.CLUSTER, attrs)]
