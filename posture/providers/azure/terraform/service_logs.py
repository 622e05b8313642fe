"""Azure service logs from the knowledge table (``posture/knowledge/service_logs.yaml``): the ``service_logs``
attribute of types another module normalises, as dispatch facets. Diagnostic settings, auditing policies and
server parameters that switch a log on are joined by reference to the resource they configure.
"""

from __future__ import annotations

from posture.providers.kit.service_logs import facets
from posture.providers.terraform.dispatch import register, register_facets

FACET_TYPES = (
    "azurerm_mssql_server", "azurerm_sql_server", "azurerm_storage_account", "azurerm_function_app",
    "azurerm_kubernetes_cluster", "azurerm_mysql_flexible_server", "azurerm_postgresql_flexible_server",
)
"""Types normalised elsewhere whose service logs are a facet."""

JOINED = frozenset({"azurerm_mssql_server_extended_auditing_policy"})
"""The resources that turn a service's log on, read through the service (server parameters are joined already)."""

register({}, JOINED)
register_facets(facets(FACET_TYPES))
