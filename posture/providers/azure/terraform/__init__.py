"""Azure (azurerm) resources of a Terraform plan -> normalised resources and edges (docs/model.md).

As for AWS, :data:`NORMALISERS` maps native types to pure functions and :data:`JOINED` lists the
types folded into others (rules into NSGs, associations into edges, customer-managed keys into storage).
Importing this package registers both in the Terraform dispatch table.
"""

from __future__ import annotations

from collections.abc import Callable

from posture.providers.azure.terraform import backups as _backups  # noqa: F401  (registers its types on import)
from posture.providers.azure.terraform import service_logs as _service_logs  # noqa: F401  (registers its types on import)
from posture.providers.azure.terraform.at_rest import AKS_NODE_DISKS
from posture.providers.azure.terraform.at_rest import NORMALISERS as AT_REST_NORMALISERS
from posture.providers.azure.terraform.clusters import _aks
from posture.providers.azure.terraform.data import JOINED as DATA_JOINED
from posture.providers.azure.terraform.data import NORMALISERS as DATA_NORMALISERS
from posture.providers.azure.terraform.exposure import FACETS as EXPOSURE_FACETS
from posture.providers.azure.terraform.exposure import NORMALISERS as EXPOSURE_NORMALISERS
from posture.providers.azure.terraform.host_encryption import FACETS as HOST_ENCRYPTION_FACETS
from posture.providers.azure.terraform.host_encryption import NORMALISERS as HOST_ENCRYPTION_NORMALISERS
from posture.providers.azure.terraform.network import Out, _nic, _nsg, _nsg_rule_resource, _subnet, _vm, _vnet
from posture.providers.azure.terraform.stores import (
    _key_vault_key,
    _managed_disk,
    _mssql_database,
    _mssql_server,
    _storage_account,
)
from posture.providers.azure.terraform.transit import NORMALISERS as TRANSIT_NORMALISERS
from posture.providers.azure.terraform.transit import PARTS as TRANSIT_PARTS
from posture.providers.azure.terraform.web import _app_gateway, _web_app_listeners
from posture.providers.kit.at_rest import with_parts
from posture.providers.terraform.dispatch import register, register_facets, register_parts
from posture.providers.terraform.plan_index import PlanIndex, RawResource

NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "azurerm_kubernetes_cluster": with_parts(_aks, AKS_NODE_DISKS),
    "azurerm_virtual_network": _vnet,
    "azurerm_subnet": _subnet,
    "azurerm_network_security_group": _nsg,
    "azurerm_network_interface": _nic,
    "azurerm_linux_virtual_machine": _vm,
    "azurerm_windows_virtual_machine": _vm,
    "azurerm_storage_account": _storage_account,
    "azurerm_managed_disk": _managed_disk,
    "azurerm_mssql_server": _mssql_server,
    "azurerm_mssql_database": _mssql_database,
    "azurerm_key_vault_key": _key_vault_key,
    "azurerm_application_gateway": _app_gateway,
    "azurerm_linux_web_app": _web_app_listeners,
    "azurerm_windows_web_app": _web_app_listeners,
    "azurerm_app_service": _web_app_listeners,
    "azurerm_linux_function_app": _web_app_listeners,
    "azurerm_windows_function_app": _web_app_listeners,
    "azurerm_function_app": _web_app_listeners,
    "azurerm_network_security_rule": _nsg_rule_resource,
    "azurerm_sql_server": _mssql_server,
    **DATA_NORMALISERS,
    **AT_REST_NORMALISERS,
    **TRANSIT_NORMALISERS,
    **HOST_ENCRYPTION_NORMALISERS,
}
"""Native azurerm type -> normaliser."""

JOINED: frozenset[str] = frozenset(
    {
        "azurerm_subnet_network_security_group_association",
        "azurerm_network_interface_security_group_association",
        "azurerm_subnet_route_table_association",
        "azurerm_public_ip",
        "azurerm_storage_account_customer_managed_key",
        "azurerm_storage_account_network_rules",
        "azurerm_storage_container",
        "azurerm_mssql_server_transparent_data_encryption",
        "azurerm_disk_encryption_set",
        "azurerm_virtual_machine_data_disk_attachment",
        *DATA_JOINED,
    }
)
"""azurerm types folded into another resource rather than normalised on their own."""

register(NORMALISERS, JOINED)
register(EXPOSURE_NORMALISERS, ())
register_facets(EXPOSURE_FACETS)
register_facets(HOST_ENCRYPTION_FACETS)
register_parts(TRANSIT_PARTS)
