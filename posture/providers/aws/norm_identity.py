"""IAM, CloudTrail and account-wide settings -> identity, log_sink and account resources."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from posture.model import UNKNOWN, Kind
from posture.providers.aws.norm_common import Index, Out, kms_encryption, provider_default
from posture.providers.aws.norm_data import pab_attrs
from posture.providers.aws.norm_network import account_id

ADMIN_POLICY_SUFFIX = ":policy/AdministratorAccess"
ROOT_ROW = "<root_account>"


def _full_admin(document: Any) -> bool:
    """An inline policy document allowing every action on every resource."""
    if isinstance(document, str):
        try:
            document = json.loads(unquote(document))
        except ValueError:
            return False
    st = document.get("Statement", []) if isinstance(document, dict) else []
    for s in [st] if isinstance(st, dict) else st:
        actions = s.get("Action", [])
        resources = s.get("Resource", [])
        if s.get("Effect") == "Allow" and "*" in ([actions] if isinstance(actions, str) else actions) \
                and "*" in ([resources] if isinstance(resources, str) else resources):
            return True
    return False


def _privileged(holder: dict[str, Any]) -> bool:
    if any(p.get("PolicyArn", "").endswith(ADMIN_POLICY_SUFFIX) for p in holder.get("AttachedManagedPolicies", [])):
        return True
    inline = holder.get("UserPolicyList") or holder.get("GroupPolicyList") or []
    return any(_full_admin(p.get("PolicyDocument")) for p in inline)


def _keys(row: dict[str, str] | None) -> Any:
    if row is None:
        return UNKNOWN
    keys = []
    for n in ("1", "2"):
        created = row.get(f"access_key_{n}_last_rotated", "N/A")
        if created not in ("N/A", "", None):
            keys.append({"id_suffix": None, "created": created,
                         "active": row.get(f"access_key_{n}_active") == "true",
                         "last_used": None if row.get(f"access_key_{n}_last_used_date") in ("N/A", None)
                         else row[f"access_key_{n}_last_used_date"]})
    return keys


def identity(idx: Index, out: Out) -> None:
    """IAM users (MFA, access keys from the credential report; privilege from attached policies)."""
    groups = {(g["_account"], g["GroupName"]): _privileged(g) for g in idx.records("iam.group")}
    reports = {(r["_account"], r.get("arn")): r for r in idx.records("iam.credential_report")}
    report_read = {a for (t, a, _r) in idx.read_ok if t == "iam.credential_report"}
    for u in idx.records("iam.user"):
        row = reports.get((u["_account"], u["Arn"]))
        read = u["_account"] in report_read
        privileged = _privileged(u) or any(groups.get((u["_account"], g), False) for g in u.get("GroupList", []))
        attrs = {"user_type": "user",
                 "mfa": (row.get("mfa_active") == "true") if row else UNKNOWN,
                 "console_access": (row.get("password_enabled") == "true") if row else UNKNOWN,
                 "privileged": privileged, "access_keys": _keys(row) if read else UNKNOWN}
        out.add(u, u["Arn"], Kind.IDENTITY, "iam.user", attrs, name=u["UserName"], tags=_iam_tags(u), region="")


def _iam_tags(u: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in u.get("Tags", [])}


def cloudtrail(idx: Index, out: Out) -> None:
    """Trails: multi-region, logging, log file validation, encryption (SSE-S3 by default or KMS)."""
    for t in idx.records("cloudtrail.trail"):
        rid = t["TrailARN"]
        enc = kms_encryption(idx, out, rid, t["KmsKeyId"], t["_account"], t.get("HomeRegion") or t["_region"]) \
            if t.get("KmsKeyId") else provider_default("cloudtrail.trail")
        attrs = {"multi_region": bool(t.get("IsMultiRegionTrail")),
                 "enabled": UNKNOWN if "status" in t["_unread"] else bool((t.get("Status") or {}).get("IsLogging")),
                 "log_validation": bool(t.get("LogFileValidationEnabled")), "encryption": enc,
                 "covers": "organization" if t.get("IsOrganizationTrail") else "account", "retention_days": None}
        out.add(t, rid, Kind.LOG_SINK, "cloudtrail.trail", attrs, name=t.get("Name"))


def _password_policy(p: dict[str, Any] | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"min_length": p.get("MinimumPasswordLength"), "require_symbols": p.get("RequireSymbols", False),
            "require_numbers": p.get("RequireNumbers", False),
            "require_uppercase": p.get("RequireUppercaseCharacters", False),
            "require_lowercase": p.get("RequireLowercaseCharacters", False),
            "max_age_days": p.get("MaxPasswordAge"), "reuse_prevention": p.get("PasswordReusePrevention")}


def accounts(idx: Index, out: Out) -> None:
    """One global account resource per scanned account: S3 account block, password policy, root."""
    scanned = {a for (task, a) in idx.tasks if task in ("iam", "s3")}
    pab = {r["_account"]: pab_attrs(r["config"]) for r in idx.records("s3.account_public_access_block")}
    policies = {r["_account"]: _password_policy(r["policy"]) for r in idx.records("iam.password_policy")}
    roots = {r["_account"]: r for r in idx.records("iam.credential_report") if r.get("user") == ROOT_ROW}
    for acct in sorted(scanned):
        root = roots.get(acct)
        attrs = {
            "s3_public_access_block": pab.get(acct, UNKNOWN),
            "password_policy": policies.get(acct, UNKNOWN),
            "root_access_keys": sum(root.get(f"access_key_{n}_active") == "true" for n in "12") if root else UNKNOWN,
            "root_mfa": (root.get("mfa_active") == "true") if root else UNKNOWN,
        }
        out.add({"_account": acct, "_region": ""}, account_id(acct), Kind.ACCOUNT, "aws.account", attrs, name=acct)
