"""Azure service logs from the knowledge table (``posture/knowledge/service_logs.yaml``): the ``service_logs``
attribute of types another module normalises, as dispatch facets. Diagnostic settings, auditing policies and
server parameters that switch a log on are joined by reference to the resource they configure.

The resources that only deliver logs somewhere (SQL auditing policies, flow logs, legacy activity log profiles) are
also ``log_sink`` resources of their own, carrying whether they record and how long they keep it.
"""

from __future__ import annotations

from typing import Any

from posture.model import Kind
from posture.providers.azure.terraform.common import res
from posture.providers.kit.service_logs import facets, retention_days
from posture.providers.kit.values import tri
from posture.providers.terraform.dispatch import register, register_facets
from posture.providers.terraform.plan_index import PlanIndex, RawResource

FACET_TYPES = (
    "azurerm_mssql_server", "azurerm_sql_server", "azurerm_storage_account", "azurerm_function_app",
    "azurerm_kubernetes_cluster", "azurerm_mysql_flexible_server", "azurerm_postgresql_flexible_server",
    "azurerm_key_vault", "azurerm_cognitive_account",
)
"""Types normalised elsewhere whose service logs are a facet."""

# `enabled` when unset: an auditing policy is on unless it says otherwise (azurerm docs); a log profile has no switch
_ENABLED_DEFAULT = {"azurerm_mssql_server_extended_auditing_policy": True,
                    "azurerm_mssql_database_extended_auditing_policy": True, "azurerm_network_watcher_flow_log": None,
                    "azurerm_monitor_log_profile": True}


def _log_delivery(raw: RawResource, index: PlanIndex) -> list[Any]:
    attrs = {
        "enabled": tri(raw.get("enabled"), _ENABLED_DEFAULT[raw.type]),
        "multi_region": None,
        "log_validation": None,
        "log_types": None,
        "exempted_members": None,
        "encryption": None,
        "retention_days": retention_days(raw),
    }
    return [res(raw, index, Kind.LOG_SINK, attrs)]


NORMALISERS = dict.fromkeys(_ENABLED_DEFAULT, _log_delivery)
"""Log deliveries -> ``log_sink`` resources (server parameters are joined by the data module)."""

register(NORMALISERS)
register_facets(facets(FACET_TYPES))
