"""A Google Cloud project's auto-created default network (docs/model.md).

``google_project`` creates the network ``default`` unless ``auto_create_network = false``; that network comes
with four pre-populated allow rules (posture/knowledge/network_defaults.yaml ``gcp_default_network_rules``),
which no other resource of the code describes. The project yields that network and its rules as parts
(``<address>/default_network``, ``<address>/default_network/firewall``) so the network rules judge them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.knowledge.network import rules as rule_table
from posture.model import UNKNOWN, Kind
from posture.providers.gcp.terraform.common import Out
from posture.providers.kit.builders import rule
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import resource


def default_network_rules() -> list[dict[str, Any]]:
    """The default-allow-* rules of an auto-created default network (ordinary rules, not implied ones)."""
    return [rule(r["direction"], r["action"], r["protocol"], r["ports"], r["peers"], priority=r["priority"],
                 description=r["description"]) for r in rule_table("gcp_default_network_rules")]


def _project(raw: RawResource, index: PlanIndex) -> Out:
    auto = raw.get("auto_create_network")
    if auto is UNKNOWN and raw.is_configured("auto_create_network") is False:
        auto = True
    created = tri(auto, True)
    if created is False:
        return []
    project = raw.get("project_id")
    account = project if isinstance(project, str) else ""
    net_id, fw_id = f"{raw.address}/default_network", f"{raw.address}/default_network/firewall"
    net_attrs = {"cidrs": [], "is_default": True, "flow_logs": None, "auto_create_subnetworks": True}
    fw_attrs = {
        "layer": "instance",
        "stateful": True,
        "is_default": True,
        "network": net_id,
        "rules": default_network_rules() if created is True else UNKNOWN,
        "targets": {"all": True, "tags": [], "service_accounts": []},
    }
    return [
        resource(raw, index, Kind.NETWORK, net_attrs, name=f"{account or raw.name}/default", account=account,
                 rid=net_id, native_type="google_project.default_network", tags={}),
        resource(raw, index, Kind.FIREWALL, fw_attrs, name=f"{account or raw.name}/default default-allow rules",
                 account=account, rid=fw_id, native_type="google_project.default_network_rules", tags={}),
    ]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {"google_project": _project}
"""Types this module normalises."""
