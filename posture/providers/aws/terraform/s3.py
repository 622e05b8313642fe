"""S3 buckets of a Terraform plan and the resources folded into them (encryption, public access, logging)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.facts.s3_public import PUBLIC_CANNED_ACLS, acl_grant_public, policy_public
from posture.providers.aws.facts.transport import policies_deny_http
from posture.providers.aws.terraform.common import KEY_TYPES, Out, _aws_managed_alias, _enc_edge, _res, _unset_default
from posture.providers.kit.builders import (
    blocks,
    customer_key,
    listed,
    provider_default,
    provider_key,
    public_read,
    unknown_encryption,
)
from posture.providers.kit.values import any_of, json_document, tri, unless
from posture.providers.terraform.plan_index import PlanIndex, RawResource, address_type
from posture.providers.terraform.resource import block

# -- S3 ------------------------------------------------------------------------------------------------------
_BUCKET_LITERALS = ("bucket", "id")


def _bucket_related(index: PlanIndex, raw: RawResource, rtype: str) -> list[RawResource]:
    return index.referrers(raw.address, (rtype,), "bucket", _BUCKET_LITERALS)


# Who writes access logs into a bucket, and through which attribute (bucket name, id, or domain name for CloudFront).
_ACCESS_LOG_WRITERS = (
    ("aws_s3_bucket", "logging.0.target_bucket", _BUCKET_LITERALS),
    ("aws_s3_bucket_logging", "target_bucket", _BUCKET_LITERALS),
    ("aws_lb", "access_logs.0.bucket", _BUCKET_LITERALS),
    ("aws_alb", "access_logs.0.bucket", _BUCKET_LITERALS),
    ("aws_elb", "access_logs.0.bucket", _BUCKET_LITERALS),
    ("aws_cloudfront_distribution", "logging_config.0.bucket", ("bucket_domain_name", "bucket_regional_domain_name")),
)


def _log_role(index: PlanIndex, raw: RawResource) -> str | None:
    """``access_logs`` for a bucket that receives other resources' access logs (a log bucket: logging it
    again would log the logs), ``audit_trail`` for a CloudTrail bucket (CIS AWS 3.6 asks access logs on it)."""
    for rtype, path, literals in _ACCESS_LOG_WRITERS:
        if any(w.address != raw.address for w in index.referrers(raw.address, (rtype,), path, literals)):
            return "access_logs"
    if index.referrers(raw.address, ("aws_cloudtrail",), "s3_bucket_name", _BUCKET_LITERALS):
        return "audit_trail"
    return None


def _s3_access_logs(index: PlanIndex, raw: RawResource) -> Any:
    """Server access logging: an ``aws_s3_bucket_logging`` (provider v4+) or the inline ``logging`` block."""
    if _bucket_related(index, raw, "aws_s3_bucket_logging"):
        return True  # target_bucket is required: the resource's existence is the setting
    inline = block(raw, "logging")
    if inline is UNKNOWN:
        return False if raw.is_configured("logging") is False else UNKNOWN
    target = inline.get("target_bucket")
    return UNKNOWN if target is UNKNOWN else target not in (None, "")


def _sse_from_rules(index: PlanIndex, holder: RawResource, rules: Any, prefix: str) -> tuple[dict, str | None] | None:
    if rules is UNKNOWN:
        return unknown_encryption(), None
    for i, r in enumerate(rules or []):
        default = block(r, "apply_server_side_encryption_by_default")
        if default is UNKNOWN:
            return unknown_encryption(), None
        if not default:
            continue
        algo = default.get("sse_algorithm")
        if algo is UNKNOWN:
            return unknown_encryption(), None
        if algo == "AES256":
            return provider_key(), None
        if isinstance(algo, str) and algo.startswith("aws:kms"):
            path = f"{prefix}{i}.apply_server_side_encryption_by_default.0.kms_master_key_id"
            holder_refs = holder.refs.get(path) or holder.refs.get(
                f"{prefix.rstrip('.0123456789')}.apply_server_side_encryption_by_default.kms_master_key_id".lstrip(".")
            )
            key_id = default.get("kms_master_key_id")
            targets = [a for a in holder_refs or () if address_type(a) in KEY_TYPES]
            if len(targets) == 1:
                return customer_key(targets[0]), targets[0]
            if key_id in (None, "") or _aws_managed_alias(key_id):
                return provider_key(key_id=key_id or None), None
            hits = index.find_literal(KEY_TYPES, ("arn", "id", "key_id"), key_id) if isinstance(key_id, str) else []
            if len(hits) == 1:
                return customer_key(hits[0]), hits[0]
            return customer_key(key_id), None
    return None


def _resource_policies(raw: RawResource, holders: Iterable[RawResource]) -> list[tuple[str, Any]]:
    """(address, policy) of the separate policy resources and the resource's own ``policy`` attribute."""
    policies = [(p.address, p.get("policy")) for p in holders]
    if not (raw.get("policy") is UNKNOWN and raw.is_configured("policy") is False):
        policies.append((raw.address, raw.get("policy")))
    return [(address, policy) for address, policy in policies if policy not in (None, "")]


_PAB_KEYS = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")


def _pab(holder: RawResource) -> dict[str, Any]:
    return {k: tri(holder.get(k), False) for k in _PAB_KEYS}


def _canned_acl(what: str, acl: Any) -> list[tuple[str, Any]]:
    if acl in (None, ""):
        return []
    return [(f"{what}: acl {acl if isinstance(acl, str) else '(unknown)'}",
              UNKNOWN if acl is UNKNOWN else str(acl).lower() in PUBLIC_CANNED_ACLS)]


def _acl_grants(index: PlanIndex, raw: RawResource) -> list[tuple[str, Any]]:
    """(what, granted) for the bucket's ACLs: canned ACLs and grants to the AllUsers / AuthenticatedUsers groups
    (inline on the bucket, or aws_s3_bucket_acl with an access_control_policy)."""
    out = _canned_acl(raw.address, _unset_default(raw, "acl", None))
    inline = _unset_default(raw, "grant", None)
    for g in [{"uri": UNKNOWN}] if inline is UNKNOWN else listed(inline):
        perms = g.get("permissions", UNKNOWN)
        for perm in [UNKNOWN] if perms is UNKNOWN else listed(perms):
            out.append((f"{raw.address}: grant {perm} to {g.get('uri')}", acl_grant_public(g.get("uri"), perm)))
    for holder in _bucket_related(index, raw, "aws_s3_bucket_acl"):
        out += _canned_acl(holder.address, _unset_default(holder, "acl", None))
        grants = blocks(block(holder, "access_control_policy"), "grant")
        for g in [{"grantee": UNKNOWN}] if grants is UNKNOWN else grants:
            grantee = block(g, "grantee")
            uri = UNKNOWN if grantee is UNKNOWN else grantee.get("uri")
            perm = g.get("permission")
            out.append((f"{holder.address}: grant {perm} to {uri}", acl_grant_public(uri, perm)))
    return out


def _s3_public(raw: RawResource, index: PlanIndex, pab: dict[str, Any] | None, policies: list) -> dict[str, Any]:
    """``public``/``public_via`` from ACLs and bucket policies; the bucket's or the account's public access
    block overrides the mechanism it covers, and so does BucketOwnerEnforced object ownership for ACLs."""
    pabs = [pab] if pab else []
    pabs += [_pab(a) for a in index.by_type.get("aws_s3_account_public_access_block", ())]
    ownership = [block(o, "rule") for o in _bucket_related(index, raw, "aws_s3_bucket_ownership_controls")]
    acls_off = any_of(
        [p[k] for p in pabs for k in ("block_public_acls", "ignore_public_acls")]
        + [UNKNOWN if r is UNKNOWN else r.get("object_ownership") == "BucketOwnerEnforced" for r in ownership]
    )
    policy_off = any_of(p[k] for p in pabs for k in ("block_public_policy", "restrict_public_buckets"))
    grants = [(what, unless(granted, acls_off)) for what, granted in _acl_grants(index, raw)]
    grants += [
        (f"{address}: policy grants reads to anyone", unless(policy_public(json_document(policy)), policy_off))
        for address, policy in policies
    ]
    return public_read(grants, raw.type)


def _s3_bucket(raw: RawResource, index: PlanIndex) -> Out:
    enc_result = None
    for sse in _bucket_related(index, raw, "aws_s3_bucket_server_side_encryption_configuration"):
        enc_result = _sse_from_rules(index, sse, sse.get("rule"), "rule.")
    if enc_result is None:
        inline = raw.get("server_side_encryption_configuration")
        if not (inline is UNKNOWN and raw.is_configured("server_side_encryption_configuration") is False):
            holder_rules = UNKNOWN if inline is UNKNOWN else (block(inline[0], "rule") if inline else None)
            if holder_rules is not None and holder_rules != {}:
                rules = holder_rules if holder_rules is UNKNOWN else [holder_rules]
                enc_result = _sse_from_rules(index, raw, rules, "server_side_encryption_configuration.0.rule.")
    if enc_result is None:
        enc_result = (provider_default("aws_s3_bucket", "aws.s3.sse_s3_default"), None)
    enc, key = enc_result

    pab_res = _bucket_related(index, raw, "aws_s3_bucket_public_access_block")
    pab = _pab(pab_res[0]) if pab_res else None
    policies = _resource_policies(raw, _bucket_related(index, raw, "aws_s3_bucket_policy"))
    public = _s3_public(raw, index, pab, policies)
    tls_required = policies_deny_http(p for _, p in policies)

    versioning: Any = None
    for v in _bucket_related(index, raw, "aws_s3_bucket_versioning"):
        status = block(v, "versioning_configuration")
        status = status.get("status") if isinstance(status, dict) else UNKNOWN
        versioning = UNKNOWN if status is UNKNOWN else status == "Enabled"
    if versioning is None:
        inline_v = block(raw, "versioning")
        if inline_v is UNKNOWN:
            versioning = False if raw.is_configured("versioning") is False else UNKNOWN
        else:
            versioning = tri(inline_v.get("enabled"), False)
    attrs = {
        "store_type": "object_storage",
        "encryption": enc,
        **public,
        "public_access_block": pab,
        "transport": {"tls_required": tls_required, "min_tls_version": None},
        "versioning": versioning,
        "backup": {"enabled": versioning, "retention_days": None},
        "access_logs": _s3_access_logs(index, raw),
        "log_role": _log_role(index, raw),
    }
    bucket = raw.get("bucket")
    return [
        _res(raw, index, Kind.DATASTORE, attrs, name=bucket if isinstance(bucket, str) else raw.name),
        *_enc_edge(raw.address, key),
    ]
