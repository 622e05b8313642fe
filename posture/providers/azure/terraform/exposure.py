"""Azure service-level exposure in Terraform: public network access, firewall default actions, IP rules, and
anonymous access.

The types another table normalises get a facet; the types judged only for exposure become ``service`` resources.
What decides and what the provider does when the code is silent is ``posture/knowledge/network_access_defaults.yaml``.
"""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.azure.terraform.common import res
from posture.providers.kit.exposure import network_public, network_types, node_public_ips, public_grant
from posture.providers.kit.values import tri
from posture.providers.terraform.dispatch import Facet, Normaliser
from posture.providers.terraform.plan_index import PlanIndex, RawResource

Out = list[Any]

_SERVICES = {
    "azurerm_api_management": "api_gateway",
    "azurerm_cognitive_account": "ai_account",
    "azurerm_ai_services": "ai_account",
    "azurerm_container_registry": "registry",
    "azurerm_key_vault": "key_vault",
    "azurerm_search_service": "search",
    "azurerm_spring_cloud_api_portal": "api_portal",
    "azurerm_storage_sync": "file_sync",
    "azurerm_data_factory": "data_integration",
    "azurerm_eventgrid_domain": "event_broker",
    "azurerm_eventgrid_topic": "event_broker",
    "azurerm_iothub": "iot_hub",
}


def _network(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    return network_public(raw.type, raw.get, raw.is_configured)


def _registry(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """A container registry also lets anyone pull its images when anonymous pull is on (default off)."""
    anonymous = tri(raw.get("anonymous_pull_enabled"), False)
    return {**_network(raw, index),
            **public_grant([(f"{raw.address}: anonymous_pull_enabled (anyone may pull images)", anonymous)])}


def _node_public_ips(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """AKS default node pool nodes with a public IP each (``node_public_ip_enabled``, formerly
    ``enable_node_public_ip``; default off). The addresses are unknown before the nodes exist."""
    enabled: Any = False
    for path in ("default_node_pool.0.node_public_ip_enabled", "default_node_pool.0.enable_node_public_ip"):
        value = raw.get(path)
        if value is UNKNOWN and raw.is_configured(path) is not False:
            enabled = UNKNOWN
        elif value is True:
            enabled = True
            break
    return {"public_ips": UNKNOWN if enabled is UNKNOWN else [UNKNOWN] if enabled else []}


def _databricks(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """Without secure cluster connectivity (``no_public_ip`` false) every cluster node gets a public IP; the unset
    value changed with azurerm 4.0 (false before, true since), so it is not decided."""
    return {**_network(raw, index),
            **node_public_ips(raw.get, raw.is_configured, "custom_parameters.0.no_public_ip", False)}


def _service(raw: RawResource, index: PlanIndex) -> Out:
    attrs = _registry(raw, index) if raw.type == "azurerm_container_registry" else _network(raw, index)
    return [res(raw, index, Kind.SERVICE, {"service_type": _SERVICES[raw.type], **attrs})]


FACETS: dict[str, Facet] = {
    **{t: _network for t in network_types("azure") if t not in _SERVICES},
    "azurerm_kubernetes_cluster": _node_public_ips,
    "azurerm_databricks_workspace": _databricks,
}
"""Exposure attributes added to types another table normalises."""

NORMALISERS: dict[str, Normaliser] = dict.fromkeys(_SERVICES, _service)
"""Types judged only for their exposure, as ``service`` resources."""
