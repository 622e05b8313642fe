"""Azure resilience from the knowledge table (``posture/knowledge/backups.yaml``): zone and region placement of the
types another module normalises (facets), Recovery Services VM backup policies as ``service`` resources carrying
their daily retention, and App Service plans (read only for their zone balancing) as ``service`` resources.
"""

from __future__ import annotations

from typing import Any

from posture.model import Kind
from posture.providers.azure.terraform.common import res
from posture.providers.kit.backups import facets, placement, retention_days
from posture.providers.terraform.dispatch import register, register_facets

FACET_TYPES = ("azurerm_storage_account", "azurerm_postgresql_server", "azurerm_postgresql_flexible_server",
               "azurerm_mysql_server", "azurerm_mysql_flexible_server", "azurerm_container_registry")
"""Types normalised elsewhere whose zone or region placement is a facet."""


def _backup_policy(raw: Any, index: Any) -> list[Any]:
    attrs: dict[str, Any] = {"service_type": "backup_policy_vm",
                             "backup": {"enabled": True, "retention_days": retention_days(raw)}}
    return [res(raw, index, Kind.SERVICE, attrs)]


def _service_plan(raw: Any, index: Any) -> list[Any]:
    return [res(raw, index, Kind.SERVICE, {"service_type": "service_plan", **placement(raw, index)})]


register({"azurerm_backup_policy_vm": _backup_policy, "azurerm_service_plan": _service_plan},
         frozenset({"azurerm_backup_protected_vm"}))
register_facets(facets(FACET_TYPES))
