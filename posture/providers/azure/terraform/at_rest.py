"""Azure stores judged for encryption at rest from one table row each (posture.providers.kit.at_rest).

Most Azure services encrypt with Microsoft-managed keys and cannot be turned off (their row only says where a
Key Vault key is named); Automation variables, Synapse dedicated SQL pools and Data Lake Store Gen1 accounts
have a switch whose default the knowledge table records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.model import UNKNOWN
from posture.providers.azure.terraform.common import res
from posture.providers.azure.terraform.network import KEY_TYPES, _des_key
from posture.providers.kit.at_rest import OFF, PROVIDER, Store, normaliser
from posture.providers.kit.builders import customer_key, provider_key
from posture.providers.terraform.plan_index import PlanIndex, RawResource

Out = list[Any]

_VARIABLE = Store("secret", switch=("encrypted",), modes={True: PROVIDER, False: OFF})

STORES: dict[str, Store] = {
    "azurerm_automation_variable_bool": _VARIABLE,
    "azurerm_automation_variable_string": _VARIABLE,
    "azurerm_automation_variable_int": _VARIABLE,
    "azurerm_automation_variable_datetime": _VARIABLE,
    "azurerm_automation_variable_object": _VARIABLE,
    "azurerm_synapse_sql_pool": Store("database", switch=("data_encrypted",), modes={True: PROVIDER, False: OFF}),
    "azurerm_data_lake_store": Store("file_system", switch=("encryption_state",),
                                     modes={"ENABLED": PROVIDER, "DISABLED": OFF}),
    "azurerm_cosmosdb_account": Store("database", key="key_vault_key_id"),
    "azurerm_servicebus_namespace": Store("queue", key="customer_managed_key.0.key_vault_key_id"),
    "azurerm_app_configuration": Store("configuration", key="encryption.0.key_vault_key_identifier"),
    "azurerm_batch_account": Store("workspace", key="encryption.0.key_vault_key_id"),
    "azurerm_databricks_workspace": Store("workspace", key="managed_services_cmk_key_vault_key_id"),
    "azurerm_synapse_workspace": Store("workspace", key="customer_managed_key.0.key_versionless_id"),
    "azurerm_kubernetes_cluster": Store("disk", key="disk_encryption_set_id", part="node_disks",
                                        default="azure.managed_disk.sse_pmk"),
}
"""Terraform type -> where it keeps its encryption at rest."""


def _key(index: PlanIndex, raw: RawResource, path: str) -> tuple[dict[str, Any], str | None]:
    """A Key Vault key (or a disk encryption set's key) named at ``path``: a customer key."""
    if raw.get(path) is UNKNOWN and raw.is_configured(path) is False:
        return provider_key(), None
    if path.endswith("disk_encryption_set_id"):
        key_id, addr = _des_key(index, raw, path)
        return customer_key(key_id), addr
    addr = index.target(raw, path, KEY_TYPES, ("id", "versionless_id"))
    return customer_key(addr or raw.get(path)), addr


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    t: normaliser(spec, res, _key) for t, spec in STORES.items() if t != "azurerm_kubernetes_cluster"
}
"""Types normalised from their row alone (AKS clusters add their node disks to the cluster's normaliser)."""

AKS_NODE_DISKS = normaliser(STORES["azurerm_kubernetes_cluster"], res, _key)
