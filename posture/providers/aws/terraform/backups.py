"""AWS resilience from the knowledge table (``posture/knowledge/backups.yaml``): zone placement of the types
another module normalises (facets), and AWS Backup plans as ``service`` resources carrying their shortest
retention.
"""

from __future__ import annotations

from typing import Any

from posture.model import Kind
from posture.providers.aws.terraform.common import Out, _res
from posture.providers.kit.backups import facets, retention_days
from posture.providers.terraform.dispatch import register, register_facets
from posture.providers.terraform.plan_index import PlanIndex, RawResource

FACET_TYPES = ("aws_dax_cluster", "aws_efs_file_system", "aws_mq_broker", "aws_fsx_windows_file_system",
               "aws_dms_replication_instance")
"""Types normalised elsewhere whose zone placement is a facet."""


def _backup_plan(raw: RawResource, index: PlanIndex) -> Out:
    attrs: dict[str, Any] = {"service_type": "backup_plan",
                             "backup": {"enabled": True, "retention_days": retention_days(raw)}}
    return [_res(raw, index, Kind.SERVICE, attrs)]


register({"aws_backup_plan": _backup_plan}, frozenset({"aws_backup_selection"}))
register_facets(facets(FACET_TYPES))
