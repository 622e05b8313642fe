"""GCP storage buckets (IAM, ACLs, log sinks) and Cloud SQL of a Terraform plan."""

from __future__ import annotations

from typing import Any

from posture.knowledge.network import DEFAULT_ROUTES
from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.gcp.facts.sql import SSL_MODE_REQUIRES_TLS
from posture.providers.gcp.terraform.common import Out, _kms, _res
from posture.providers.kit.builders import (
    blocks,
    customer_key,
    edge,
    listed,
    mapping,
    provider_default,
    public_read,
    tags_of,
    unknown_encryption,
)
from posture.providers.kit.values import as_int, json_document, tri, unless
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

# -- storage and databases -----------------------------------------------------------------------------------
_PUBLIC_MEMBERS = frozenset({"allusers", "allauthenticatedusers"})
# Predefined roles that read or list objects (storage.objects.get / storage.objects.list). Others (objectCreator,
# bucket metadata roles...) do not expose data; custom roles are not resolved, so they stay undecided.
_READ_ROLES = frozenset(
    f"roles/{r}"
    for r in (
        "storage.objectViewer", "storage.objectUser", "storage.objectAdmin", "storage.admin",
        "storage.legacyObjectReader", "storage.legacyObjectOwner", "storage.legacyBucketReader",
        "storage.legacyBucketWriter", "storage.legacyBucketOwner",
    )
)
_PUBLIC_ACLS = frozenset({"publicread", "publicreadwrite"})
_IAM_TYPES = (
    "google_storage_bucket_iam_binding", "google_storage_bucket_iam_member", "google_storage_bucket_iam_policy",
)
_ACL_TYPES = ("google_storage_bucket_acl", "google_storage_default_object_acl", "google_storage_object_acl")


_SINK_TYPES = (
    "google_logging_project_sink", "google_logging_folder_sink", "google_logging_organization_sink",
    "google_logging_billing_account_sink",
)
_SINK_STORAGE_PREFIX = "storage.googleapis.com/"


def _bucket_log_role(raw: RawResource, index: PlanIndex) -> str | None:
    """``access_logs`` for the target of another bucket's ``logging.log_bucket`` (a log bucket: exempt),
    ``audit_trail`` for the destination of a log sink (by reference or literal ``storage.googleapis.com/<name>``)."""
    writers = index.referrers(raw.address, ("google_storage_bucket",), "logging.0.log_bucket", ("name", "id"))
    if any(w.address != raw.address for w in writers):
        return "access_logs"
    name = raw.get("name")
    for sink in (s for t in _SINK_TYPES for s in index.by_type.get(t, ())):
        destination = sink.get("destination")
        if raw.address in sink.refs.get("destination", ()) or (
            isinstance(name, str) and name and destination == _SINK_STORAGE_PREFIX + name
        ):
            return "audit_trail"
    return None


def _bucket_access_logs(raw: RawResource) -> Any:
    logging = block(raw, "logging")  # log_bucket is required in the block
    if logging is UNKNOWN:
        return False if raw.is_configured("logging") is False else UNKNOWN
    return bool(logging)


def _public_member(member: Any) -> Any:
    if member is UNKNOWN:
        return UNKNOWN
    return isinstance(member, str) and member.strip().lower() in _PUBLIC_MEMBERS


def _reads(role: Any) -> Any:
    if role is UNKNOWN:
        return UNKNOWN
    if not isinstance(role, str):
        return False
    return True if role in _READ_ROLES else (UNKNOWN if "/roles/" in role else False)


def _iam_grants(raw: RawResource) -> list[tuple[str, Any]]:
    """(what, granted) for one bucket IAM resource: a read role to allUsers / allAuthenticatedUsers."""
    if raw.type == "google_storage_bucket_iam_policy":
        doc = json_document(raw.get("policy_data"))
        if doc is UNKNOWN:
            return [(raw.address, UNKNOWN)]
        bindings = mapping(doc).get("bindings")
        pairs = [(b.get("role"), b.get("members")) for b in listed(bindings) if isinstance(b, dict)]
        if bindings is UNKNOWN or any(b is UNKNOWN for b in listed(bindings)):
            pairs.append((UNKNOWN, UNKNOWN))
    else:
        members = raw.get("members") if raw.type.endswith("_binding") else [raw.get("member")]
        pairs = [(raw.get("role"), members)]
    out = []
    for role, members in pairs:
        reads = _reads(role)
        if reads is False:
            continue
        for member in [UNKNOWN] if members is UNKNOWN else listed(members):
            public = _public_member(member)
            if public is not False:
                what = f"{raw.address}: {role if isinstance(role, str) else 'a role'} to {member}"
                out.append((what, True if reads is True and public is True else UNKNOWN))
    return out or [(raw.address, False)]


def _acl_grants(raw: RawResource) -> list[tuple[str, Any]]:
    """(what, granted) for one ACL resource: a predefined public ACL or a role entity for allUsers."""
    out: list[tuple[str, Any]] = []
    for key in ("predefined_acl", "default_acl"):
        value = raw.get(key)
        if value is UNKNOWN or (isinstance(value, str) and value.lower() in _PUBLIC_ACLS):
            out.append((f"{raw.address}: {key} {value if isinstance(value, str) else '(unknown)'}",
                        UNKNOWN if value is UNKNOWN else True))
    entities = raw.get("role_entity")
    for entry in [UNKNOWN] if entities is UNKNOWN else listed(entities):
        entity = entry.split(":", 1)[-1] if isinstance(entry, str) else entry
        granted = _public_member(entity)
        if granted is not False:
            out.append((f"{raw.address}: {entry if isinstance(entry, str) else 'an entity'}", granted))
    return out or [(raw.address, False)]


def _bucket_public(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """Public read through bucket IAM (any role that reads objects to allUsers / allAuthenticatedUsers) or
    ACLs (ignored under uniform bucket-level access); public access prevention "enforced" overrides both."""
    pap = raw.get("public_access_prevention")
    if pap is UNKNOWN and raw.is_configured("public_access_prevention") is False:
        pap = "inherited"  # the API default; an organisation policy may still enforce prevention
    prevented = UNKNOWN if pap is UNKNOWN else pap == "enforced"
    uniform = tri(raw.get("uniform_bucket_level_access"), False)
    grants = [
        (what, unless(granted, prevented))
        for iam in index.referrers(raw.address, _IAM_TYPES, "bucket", ("name", "id"))
        for what, granted in _iam_grants(iam)
    ]
    grants += [
        (what, unless(unless(granted, uniform), prevented))
        for acl in index.referrers(raw.address, _ACL_TYPES, "bucket", ("name", "id"))
        for what, granted in _acl_grants(acl)
    ]
    return public_read(grants, raw.type)


def _bucket(raw: RawResource, index: PlanIndex) -> Out:
    enc_block = block(raw, "encryption")
    key = None
    if enc_block is UNKNOWN:
        enc = unknown_encryption()
    elif enc_block and enc_block.get("default_kms_key_name") not in (None, ""):
        key_id, key = _kms(index, raw, "encryption.0.default_kms_key_name")
        enc = customer_key(key_id)
    else:
        enc = provider_default("google_storage_bucket")
    versioning = block(raw, "versioning")
    attrs = {
        "store_type": "object_storage",
        "encryption": enc,
        **_bucket_public(raw, index),
        "uniform_access": tri(raw.get("uniform_bucket_level_access"), False),
        "transport": {"tls_required": UNKNOWN, "min_tls_version": None},
        "versioning": UNKNOWN if versioning is UNKNOWN else tri(mapping(versioning).get("enabled"), False),
        "access_logs": _bucket_access_logs(raw),
        "log_role": _bucket_log_role(raw, index),
    }
    out: Out = [_res(raw, index, Kind.DATASTORE, attrs)]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out


def _sql_instance(raw: RawResource, index: PlanIndex) -> Out:
    settings = block(raw, "settings")
    ip = block(settings, "ip_configuration") if isinstance(settings, dict) else UNKNOWN
    if isinstance(ip, dict):
        mode = ip.get("ssl_mode")
        require = ip.get("require_ssl")
        if isinstance(mode, str) and mode in SSL_MODE_REQUIRES_TLS:
            tls_required: Any = SSL_MODE_REQUIRES_TLS[mode]
        elif require is True or require is False:
            tls_required = require
        elif mode is UNKNOWN or require is UNKNOWN:
            tls_required = UNKNOWN
        else:
            tls_required = False  # Cloud SQL accepts unencrypted connections unless told otherwise
        ipv4 = tri(ip.get("ipv4_enabled"), True)
        nets = blocks(ip, "authorized_networks")
        if ipv4 is False:
            public: Any = False
        elif nets is UNKNOWN or ipv4 is UNKNOWN:
            public = UNKNOWN
        else:
            public = any(n.get("value") in DEFAULT_ROUTES for n in nets)
    else:
        tls_required = public = UNKNOWN
    backup = block(settings, "backup_configuration") if isinstance(settings, dict) else UNKNOWN
    if isinstance(backup, dict):
        retention = block(backup, "backup_retention_settings")
        retained = as_int(retention.get("retained_backups")) if isinstance(retention, dict) else None
        enabled = tri(backup.get("enabled"), False)
        backup_attrs = {
            "enabled": enabled,
            # automated backups are daily, so N retained backups cover about N days (as the live normaliser)
            "retention_days": retained if enabled is True and isinstance(retained, int) else None,
            "retained_backups": retained,
            "point_in_time_recovery": tri(backup.get("point_in_time_recovery_enabled"), False),
        }
    else:
        backup_attrs = {"enabled": UNKNOWN, "retention_days": None}
    master = raw.get("master_instance_name")
    if master not in (None, ""):  # a read replica: automated backups are the primary's, never its own
        backup_attrs = {"enabled": None, "retention_days": None, "replica_of": master}
    key = None
    if raw.get("encryption_key_name") not in (None, ""):
        key_id, key = _kms(index, raw, "encryption_key_name")
        enc = customer_key(key_id)
    else:
        enc = provider_default("google_sql_database_instance")
    availability = settings.get("availability_type") if isinstance(settings, dict) else UNKNOWN
    attrs = {
        "store_type": "database",
        "encryption": enc,
        "public": public,
        "transport": {"tls_required": tls_required, "min_tls_version": None},
        "backup": backup_attrs,
        "multi_az": UNKNOWN if availability is UNKNOWN else availability == "REGIONAL",
        "engine": raw.get("database_version"),
    }
    out: Out = [
        _res(
            raw,
            index,
            Kind.DATASTORE,
            attrs,
            tags=tags_of(settings, "user_labels") if isinstance(settings, dict) else {},
        )
    ]
    if key:
        out.append(edge(raw.address, key, EdgeKind.ENCRYPTED_BY))
    return out
