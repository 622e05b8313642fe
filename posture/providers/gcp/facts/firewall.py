"""GCP firewall facts both sources read: the implied rules of every VPC network and the default priority."""

from __future__ import annotations

from typing import Any

from posture.providers.kit.builders import implied_rules

# https://cloud.google.com/compute/docs/reference/rest/v1/firewalls — priority defaults to 1000; an ingress rule
# without sources and an egress rule without destinations apply to 0.0.0.0/0.
DEFAULT_FIREWALL_PRIORITY = 1000


def implied_firewall_rules() -> list[dict[str, Any]]:
    """Deny all ingress and allow all egress at priority 65535, in every network (knowledge/network_defaults.yaml)."""
    return implied_rules("gcp_implied_firewall_rules")
