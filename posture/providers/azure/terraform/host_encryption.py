"""Encryption at host of Azure compute (docs/model.md, ``encryption_at_host``).

Managed disks are encrypted by the storage service, but a VM's temporary disk and the host-side caches of its
OS and data disks are encrypted at rest only with encryption at host (Azure Policy "Virtual machines and
virtual machine scale sets should have encryption at host enabled", https://aka.ms/vm-hbe). VMs read the switch
in their own normaliser; this module adds it to AKS clusters (their default node pool, a facet) and normalises
Azure Data Explorer (Kusto) clusters, whose ``disk_encryption_enabled`` encrypts their VMs' disks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.azure.terraform.common import res
from posture.providers.kit.builders import provider_default
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

Out = list[Any]


def _first_switch(values: Mapping[str, Any] | Any, *names: str) -> Any:
    """The first of ``names`` (one setting's names across azurerm versions) that is set; unset -> False."""
    if values is UNKNOWN:
        return UNKNOWN
    found = [values.get(n) for n in names] if isinstance(values, Mapping) else []
    if UNKNOWN in found:
        return UNKNOWN
    return next((tri(v) for v in found if v not in (None, "")), False)


def _aks_host_encryption(raw: RawResource, index: PlanIndex) -> Mapping[str, Any]:
    pool = block(raw, "default_node_pool")
    if pool is UNKNOWN and raw.is_configured("default_node_pool") is False:
        pool = {}
    return {"encryption_at_host": _first_switch(pool, "host_encryption_enabled", "enable_host_encryption")}


def _kusto(raw: RawResource, index: PlanIndex) -> Out:
    """An Azure Data Explorer cluster: data in Azure Storage (encrypted by default), VM disks as asked."""
    enc = dict(provider_default(raw.type))
    double = _first_switch(raw.values, "double_encryption_enabled")
    if double is not UNKNOWN:
        enc["infrastructure_encryption"] = double
    attrs = {"store_type": "warehouse", "encryption": enc,
             "encryption_at_host": _first_switch(raw.values, "disk_encryption_enabled", "enable_disk_encryption")}
    return [res(raw, index, Kind.DATASTORE, attrs)]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {"azurerm_kusto_cluster": _kusto}
"""Types this module normalises."""

FACETS: dict[str, Callable[[RawResource, PlanIndex], Mapping[str, Any]]] = {
    "azurerm_kubernetes_cluster": _aks_host_encryption,
}
"""Encryption-at-host attributes added to resources other tables build."""
