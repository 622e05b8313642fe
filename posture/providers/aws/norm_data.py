"""Data-store and key records -> datastore and key resources (encryption, exposure, backups)."""

from __future__ import annotations

from typing import Any

from posture import knowledge
from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts.kms import key_usage
from posture.providers.aws.facts.s3_public import acl_grant_public, policy_grants_anyone, policy_public
from posture.providers.aws.facts.transport import policy_denies_http, rds_tls_parameter, rds_tls_required
from posture.providers.aws.norm_common import (
    Index,
    Out,
    arn,
    ec2_arn,
    encryption,
    kms_encryption,
    not_encrypted,
    provider_default,
    unread_encryption,
)
from posture.providers.aws.tasks_data import cluster_group, instance_groups
from posture.providers.kit.builders import public_read
from posture.providers.kit.exposure import public_grant
from posture.providers.kit.service_logs import live_service_logs
from posture.providers.kit.values import all_of, any_of, json_document, unless

PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PAB_ATTRS = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
KMS_DEFAULT_ROTATION_DAYS = 365


def pab_attrs(config: dict[str, Any] | None) -> dict[str, bool] | None:
    return None if config is None else {a: bool(config.get(k)) for k, a in zip(PAB_KEYS, PAB_ATTRS, strict=True)}


def _acl_grants(b: dict[str, Any]) -> list[tuple[str, Any]]:
    """(what, granted) for the bucket ACL's grants; one undecided grant when the ACL was not read (it is
    not read when the bucket's public access block voids ACLs anyway)."""
    if "acl" in b["_unread"] or "acl" not in b:
        return [("bucket ACL (not read)", UNKNOWN)]
    grants = []
    for g in (b["acl"] or {}).get("Grants", []):
        uri, perm = (g.get("Grantee") or {}).get("URI"), g.get("Permission")
        grants.append((f"bucket ACL grants {perm} to {str(uri).rsplit('/', 1)[-1]}", acl_grant_public(uri, perm)))
    return grants


def _public(b: dict[str, Any], pabs: list[Any]) -> dict[str, Any]:
    """``public``/``public_via`` from the bucket ACL and policy, read with the shared S3 rules
    (posture.providers.aws.facts.s3_public); a public access block (bucket or account) overrides the mechanism it
    covers, and BucketOwnerEnforced object ownership disables ACLs."""
    def off(keys: tuple[str, ...]) -> Any:
        return any_of(UNKNOWN if p is UNKNOWN else p[k] for p in pabs if p is not None for k in keys)

    rules = [] if "ownership" not in b else ((b["ownership"] or {}).get("OwnershipControls") or {}).get("Rules", [])
    enforced = UNKNOWN if "ownership" in b["_unread"] else any(
        r.get("ObjectOwnership") == "BucketOwnerEnforced" for r in rules)
    acls_off = any_of([off(("block_public_acls", "ignore_public_acls")), enforced])
    grants = [(what, unless(granted, acls_off)) for what, granted in _acl_grants(b)]
    policy = UNKNOWN if "policy" in b["_unread"] else b.get("policy")
    text = UNKNOWN if policy is UNKNOWN else (policy or {}).get("Policy")
    if text is not None:
        granted = policy_public(json_document(text))
        grants.append(("bucket policy grants reads to anyone",
                       unless(granted, off(("block_public_policy", "restrict_public_buckets")))))
    return public_read(grants, "s3.bucket")


def _s3_encryption(idx: Index, out: Out, rid: str, b: dict[str, Any]) -> dict[str, Any]:
    if "encryption" in b["_unread"]:
        return unread_encryption()
    config = b.get("encryption")
    rules = ((config or {}).get("ServerSideEncryptionConfiguration") or {}).get("Rules") or []
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault")
    if not default:
        # No configuration: S3 has applied SSE-S3 to every new object since 2023-01-05 (real S3 even
        # reports it; moto raises ServerSideEncryptionConfigurationNotFoundError).
        return provider_default("s3.bucket")
    if default.get("SSEAlgorithm") == "AES256":
        return encryption(True, algorithm="AES-256", key_manager="provider", basis="explicit")
    return kms_encryption(idx, out, rid, default.get("KMSMasterKeyID"), b["_account"], b["Region"])


def s3(idx: Index, out: Out) -> None:
    """Buckets: encryption (explicit or SSE-S3 default), public access, TLS-only policy, versioning."""
    account_pab = {r["_account"]: pab_attrs(r["config"]) for r in idx.records("s3.account_public_access_block")}
    for b in idx.records("s3.bucket"):
        rid = f"arn:aws:s3:::{b['Name']}"
        unread = set(b["_unread"])
        bucket_pab = UNKNOWN if "public_access_block" in unread else pab_attrs(
            (b.get("public_access_block") or {}).get("PublicAccessBlockConfiguration"))
        acct_pab = account_pab.get(b["_account"], UNKNOWN)
        public = _public(b, [bucket_pab, acct_pab])
        versioning = UNKNOWN if "versioning" in unread else (b.get("versioning") or {}).get("Status") == "Enabled"
        attrs = {
            "store_type": "object_storage",
            "encryption": _s3_encryption(idx, out, rid, b),
            **public,
            "public_access_block": bucket_pab,
            "transport": {"tls_required": UNKNOWN if "policy" in unread else policy_denies_http(
                (b.get("policy") or {}).get("Policy")), "min_tls_version": None},
            "versioning": versioning,
            "backup": {"enabled": versioning, "retention_days": None},
        }
        out.add(b, rid, Kind.DATASTORE, "s3.bucket", attrs, name=b["Name"], region=b["Region"])


def kms(idx: Index, out: Out) -> None:
    """KMS keys: manager, algorithm and size (knowledge key specs), rotation and its period."""
    names: dict[tuple[str, str, str], str] = {}
    for a in idx.records("kms.alias"):
        if a.get("TargetKeyId"):
            names.setdefault((a["_account"], a["_region"], a["TargetKeyId"]), a["AliasName"])
    for k in idx.records("kms.key"):
        spec_name = k.get("KeySpec") or k.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
        spec = knowledge.key_spec("aws", spec_name, "kms") or {}
        customer = k.get("KeyManager") != "AWS"
        supported = customer and spec_name == "SYMMETRIC_DEFAULT" and k.get("Origin", "AWS_KMS") == "AWS_KMS"
        rotation: dict[str, Any]
        if not customer:
            rotation = {"enabled": True, "period_days": KMS_DEFAULT_ROTATION_DAYS, "supported": True}
        elif not supported:
            rotation = {"enabled": False, "period_days": None, "supported": False}
        elif "rotation" in k["_unread"] or "Rotation" not in k:
            rotation = {"enabled": UNKNOWN, "period_days": UNKNOWN, "supported": True}
        else:
            on = bool(k["Rotation"].get("KeyRotationEnabled"))
            period = k["Rotation"].get("RotationPeriodInDays") or KMS_DEFAULT_ROTATION_DAYS
            rotation = {"enabled": on, "period_days": period if on else None, "supported": True}
        attrs = {
            "manager": "customer" if customer else "provider",
            "algorithm": spec.get("algorithm", UNKNOWN),
            "bits": spec.get("bits", UNKNOWN),
            "usage": key_usage(k.get("KeyUsage")),
            "rotation": rotation,
            "enabled": k.get("KeyState", "Enabled") == "Enabled",
            "expires": k.get("ValidTo"),
            "protection": "hsm" if k.get("CustomKeyStoreId") or k.get("Origin") == "AWS_CLOUDHSM" else None,
        }
        name = names.get((k["_account"], k["_region"], k["KeyId"])) or k.get("Description") or k["KeyId"]
        out.add(k, k["Arn"], Kind.KEY, "kms.key", attrs, name=name)


def _igw_vpcs(idx: Index) -> tuple[set[tuple[str, str, str]], set[tuple[str, str]]]:
    """(account, region, vpc) with an internet gateway attached, and (account, region) where IGWs were read."""
    attached = {(g["_account"], g["_region"], a["VpcId"]) for g in idx.records("ec2.internet_gateway")
                for a in g.get("Attachments", []) if a.get("VpcId")}
    read = {(a, r) for (t, a, r) in idx.read_ok if t == "ec2.internet_gateway"}
    return attached, read


def _default_public(idx: Index, db: dict[str, Any]) -> Any:
    """PubliclyAccessible when the API response omits it (moto does when it was not set at creation).

    The real DescribeDBInstances always returns it. CreateDBInstance's documented default: public
    when the VPC of the DB subnet group (or the default VPC when there is none) has an internet
    gateway attached, private otherwise. UNKNOWN when the gateways were not read.
    """
    attached, read = _igw_vpcs(idx)
    acct, region = db["_account"], db["_region"]
    if (acct, region) not in read:
        return UNKNOWN
    vpc = (db.get("DBSubnetGroup") or {}).get("VpcId")
    if not vpc:
        defaults = [v["VpcId"] for v in idx.records("ec2.vpc")
                    if v.get("IsDefault") and (v["_account"], v["_region"]) == (acct, region)]
        if not defaults:
            return UNKNOWN if not idx.was_read("ec2.vpc", db) else False
        vpc = defaults[0]
    return (acct, region, vpc) in attached


def _rds_tls(groups: dict[tuple[str, str, str, bool], dict[str, Any]], db: dict[str, Any],
             cluster: bool) -> Any:
    """``transport.tls_required`` from the DB's parameter group, else the engine default (the reading the
    Terraform source uses, posture.providers.aws.facts.transport); None when not judged (no such parameter, a
    replica, an Aurora member instance), UNKNOWN when the group could not be read."""
    names = ([g] if (g := cluster_group(db)) else []) if cluster else instance_groups(db)
    if not names:
        return None
    engine, param = db["Engine"], rds_tls_parameter(db["Engine"])
    verdicts = []
    for name in names:
        group = groups.get((db["_account"], db["_region"], name, cluster))
        if group is None or group["_unread"] or (group["Parameters"] is None and not name.startswith("default.")):
            verdicts.append(UNKNOWN)  # not read, or (only moto lacks the default.* groups) not found
            continue
        values = [p.get("ParameterValue") for p in group["Parameters"] or [] if p.get("ParameterName") == param]
        verdicts.append(rds_tls_required(engine, values[-1] if values else None, db.get("EngineVersion")))
    return all_of(*verdicts)


def rds(idx: Index, out: Out) -> None:
    """DB instances and clusters: encryption and key, public access, backups, Multi-AZ, placement, TLS-only."""
    groups = {(g["_account"], g["_region"], g["Name"], g["Cluster"]): g for g in idx.records("rds.parameter_group")}
    for kind, rtype, arn_field, name_field in (("database", "rds.db_instance", "DBInstanceArn", "DBInstanceIdentifier"),
                                               ("db_cluster", "rds.db_cluster", "DBClusterArn", "DBClusterIdentifier")):
        for db in idx.records(rtype):
            rid = db[arn_field]
            enc = kms_encryption(idx, out, rid, db.get("KmsKeyId"), db["_account"], db["_region"]) \
                if db.get("StorageEncrypted") else not_encrypted()
            if "PubliclyAccessible" in db:
                public: Any = bool(db["PubliclyAccessible"])
            else:  # clusters: only Multi-AZ DB clusters carry it; Aurora exposure is per instance
                public = _default_public(idx, db) if kind == "database" else False
            retention = db.get("BackupRetentionPeriod")
            sgs = [ec2_arn(db, "security-group", g["VpcSecurityGroupId"]) for g in db.get("VpcSecurityGroups", [])]
            attrs = {
                "store_type": kind, "encryption": enc, "public": public,
                "backup": {"retention_days": retention, "enabled": bool(retention)},
                "multi_az": bool(db.get("MultiAZ")), "engine": db.get("Engine"), "firewalls": sgs,
            }
            logs = live_service_logs(rtype, db)
            if logs is not None:
                attrs["service_logs"] = logs
            tls = _rds_tls(groups, db, kind == "db_cluster")
            if tls is not None:
                attrs["transport"] = {"tls_required": tls, "min_tls_version": None}
            out.add(db, rid, Kind.DATASTORE, rtype, attrs, name=db.get(name_field))
            for sg in sgs:
                out.edge(rid, sg, EdgeKind.PROTECTED_BY)
            group = db.get("DBSubnetGroup")  # DescribeDBClusters gives the group's name only
            for sn in group.get("Subnets", []) if isinstance(group, dict) else []:
                out.edge(ec2_arn(db, "subnet", sn["SubnetIdentifier"]), rid, EdgeKind.CONTAINS)


def _policy_transport(rec: dict[str, Any]) -> dict[str, Any]:
    """SQS and SNS answer on plain-HTTP endpoints too; only a queue/topic policy (the ``Policy`` attribute of
    GetQueueAttributes All / GetTopicAttributes, absent when there is none) denying aws:SecureTransport = false
    makes them refuse it."""
    return {"tls_required": policy_denies_http(rec.get("Policy")), "min_tls_version": None}


def _policy_grant(rec: dict[str, Any], rid: str) -> dict[str, Any]:
    """``public_grant`` from a queue/topic policy (the ``Policy`` attribute; none: nothing grants to anyone)."""
    doc = json_document(rec.get("Policy"))
    return public_grant([(f"{rid} policy: a statement allows anyone", policy_grants_anyone(doc))] if doc else [])


def simple_stores(idx: Index, out: Out) -> None:
    """DynamoDB tables, SQS queues, SNS topics, EFS file systems."""
    for t in idx.records("dynamodb.table"):
        rid = t["TableArn"]
        sse = t.get("SSEDescription") or {}
        if sse.get("Status") in ("ENABLED", "UPDATING") and sse.get("SSEType") == "KMS":
            enc = kms_encryption(idx, out, rid, sse.get("KMSMasterKeyArn"), t["_account"], t["_region"])
        else:  # DynamoDB always encrypts; without a KMS choice it uses an AWS owned key
            enc = provider_default("dynamodb.table")
        pitr = ((t.get("ContinuousBackups") or {}).get("PointInTimeRecoveryDescription") or {})
        enabled = UNKNOWN if "backups" in t["_unread"] else pitr.get("PointInTimeRecoveryStatus") == "ENABLED"
        attrs = {"store_type": "table", "encryption": enc, "public": False,
                 "backup": {"enabled": enabled, "retention_days": pitr.get("RecoveryPeriodInDays")}}
        out.add(t, rid, Kind.DATASTORE, "dynamodb.table", attrs, name=t["TableName"])
    for q in idx.records("sqs.queue"):
        rid = q["QueueArn"]
        managed = q.get("SqsManagedSseEnabled")
        if q.get("KmsMasterKeyId"):
            enc = kms_encryption(idx, out, rid, q["KmsMasterKeyId"], q["_account"], q["_region"])
        elif managed is None:
            enc = unread_encryption()  # the real API always returns SqsManagedSseEnabled
        elif str(managed).lower() == "true":
            enc = encryption(True, algorithm="AES-256", key_manager="provider", basis="explicit")
        else:
            enc = not_encrypted()
        out.add(q, rid, Kind.DATASTORE, "sqs.queue", {"store_type": "queue", "encryption": enc, "public": UNKNOWN,
                                                      "transport": _policy_transport(q), **_policy_grant(q, rid)},
                name=rid.rsplit(":", 1)[-1])
    for tp in idx.records("sns.topic"):
        rid = tp["TopicArn"]
        enc = kms_encryption(idx, out, rid, tp["KmsMasterKeyId"], tp["_account"], tp["_region"]) \
            if tp.get("KmsMasterKeyId") else provider_default("sns.topic")
        out.add(tp, rid, Kind.DATASTORE, "sns.topic", {"store_type": "topic", "encryption": enc, "public": UNKNOWN,
                                                       "transport": _policy_transport(tp), **_policy_grant(tp, rid)},
                name=rid.rsplit(":", 1)[-1])
    for fs in idx.records("efs.file_system"):
        rid = fs.get("FileSystemArn") or arn("elasticfilesystem", fs["_region"], fs["_account"],
                                              f"file-system/{fs['FileSystemId']}")
        enc = kms_encryption(idx, out, rid, fs.get("KmsKeyId"), fs["_account"], fs["_region"]) \
            if fs.get("Encrypted") else not_encrypted()
        attrs = {"store_type": "file_system", "encryption": enc, "public": False}
        out.add(fs, rid, Kind.DATASTORE, "efs.file_system", attrs, name=fs.get("Name") or fs["FileSystemId"])
