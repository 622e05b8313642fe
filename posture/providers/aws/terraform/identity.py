"""AWS logging and identity resources of a Terraform plan (CloudTrail, flow logs, IAM users)."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.terraform.common import Out, _enc_edge, _kms_encryption, _res
from posture.providers.kit.builders import provider_default
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource


# -- logging and identity ------------------------------------------------------------------------------------
def _cloudtrail(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    if raw.get("kms_key_id") not in (None, ""):
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    else:
        enc = provider_default("aws_cloudtrail")
    org = raw.get("is_organization_trail")
    attrs = {
        "multi_region": tri(raw.get("is_multi_region_trail"), False),
        "enabled": tri(raw.get("enable_logging"), True),
        "log_validation": tri(raw.get("enable_log_file_validation"), False),
        "encryption": enc,
        "covers": UNKNOWN if org is UNKNOWN else ("organization" if org else "account"),
        "retention_days": None,
    }
    return [_res(raw, index, Kind.LOG_SINK, attrs), *_enc_edge(raw.address, key)]


def _iam_user(raw: RawResource, index: PlanIndex) -> Out:
    attachments = index.referrers(raw.address, ("aws_iam_user_policy_attachment",), "user", ("name",))
    inline = index.referrers(raw.address, ("aws_iam_user_policy",), "user", ("name",))
    arns = [a.get("policy_arn") for a in attachments]
    if any(isinstance(a, str) and a.endswith(":policy/AdministratorAccess") for a in arns):
        privileged: Any = True
    elif attachments or inline:
        privileged = UNKNOWN  # policy contents are not evaluated here
    else:
        privileged = False
    keys = [
        {"id_suffix": UNKNOWN, "created": UNKNOWN, "active": k.get("status", "Active") != "Inactive"}
        for k in index.referrers(raw.address, ("aws_iam_access_key",), "user", ("name",))
    ]
    attrs = {"user_type": "user", "mfa": UNKNOWN, "privileged": privileged, "access_keys": keys}
    return [_res(raw, index, Kind.IDENTITY, attrs)]
