"""EKS clusters -> ``cluster`` resources: the Kubernetes API endpoint's public access and source ranges."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.terraform.common import Out, _res
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

EKS_PUBLIC_CIDRS = ["0.0.0.0/0"]
"""EKS API default: a public endpoint (endpoint_public_access defaults to true) open to every address."""


def _eks(raw: RawResource, index: PlanIndex) -> Out:
    """Public unless ``endpoint_public_access = false``; open to ``public_access_cidrs`` (default 0.0.0.0/0)."""
    vpc = block(raw, "vpc_config")
    public: Any = UNKNOWN
    cidrs: Any = UNKNOWN
    if isinstance(vpc, dict):
        public = tri(vpc.get("endpoint_public_access"), True)
        cidrs = vpc.get("public_access_cidrs")
        if cidrs is None or cidrs == [] or (cidrs is UNKNOWN and not raw.is_configured("vpc_config")):
            cidrs = list(EKS_PUBLIC_CIDRS)
    name = raw.get("name")
    attrs = {"api_public": public, "api_allowed_cidrs": cidrs, "version": raw.get("version")}
    return [_res(raw, index, Kind.CLUSTER, attrs, name=name if isinstance(name, str) else raw.name)]
