"""GCP audit log configuration of a Terraform plan."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.gcp.terraform.common import Out, _res
from posture.providers.kit.builders import blocks, listed
from posture.providers.terraform.plan_index import PlanIndex, RawResource


# -- audit logs ----------------------------------------------------------------------------------------------
def _audit_config(raw: RawResource, index: PlanIndex) -> Out:
    """An IAM audit config for ``allServices``: the data-access log types recorded and who is exempted.

    Configs for one service only add to the allServices one (GCP takes the union), so they are not judged alone.
    """
    if raw.get("service") != "allServices":
        return []
    entries = blocks(raw.values, "audit_log_config")
    log_types: Any = []
    exempted: Any = []
    for entry in listed(entries):
        kind, members = entry.get("log_type"), entry.get("exempted_members")
        if kind is UNKNOWN or members is UNKNOWN:
            log_types = exempted = UNKNOWN
            break
        if isinstance(kind, str):
            log_types.append(kind)
        exempted += [m for m in listed(members) if isinstance(m, str)]
    if entries is UNKNOWN:
        log_types = exempted = UNKNOWN
    attrs = {
        "covers": "account" if raw.type == "google_project_iam_audit_config" else "organization",
        "enabled": True,
        "multi_region": None,
        "log_validation": None,
        "log_types": log_types,
        "exempted_members": exempted,
        "encryption": None,
        "retention_days": None,
    }
    return [_res(raw, index, Kind.LOG_SINK, attrs, name=f"{raw.type.split('_')[1]} audit config (allServices)")]
