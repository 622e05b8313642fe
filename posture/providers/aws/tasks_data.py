"""Collection tasks for data stores and keys: S3, KMS, RDS, DynamoDB, SQS, SNS, EFS.

Services without a batch "describe" call are read in two steps: a list task, then detail
tasks over chunks of :data:`CHUNK` names, scheduled with :meth:`Reader.then` so they run
concurrently (and can be shipped to other workers) instead of one long serial loop.
"""

from __future__ import annotations

from typing import Any

from posture.providers.aws.facts.s3_public import acl_grant_public
from posture.providers.aws.facts.transport import rds_tls_parameter
from posture.providers.aws.reader import Missing, Reader
from posture.providers.aws.session import SessionSpec

CHUNK = 25


def chunked(r: Reader, task: str, arg: str, items: list[Any] | None) -> None:
    for i in range(0, len(items or []), CHUNK):
        r.then(task, **{arg: (items or [])[i:i + CHUNK]})


# -- S3 (global listing, regional bucket reads) -------------------------------------------------
def s3(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Bucket list and the account-level public access block."""
    r = Reader(spec, account, region, "s3", "s3")
    buckets = r.pages("list_buckets", "Buckets")
    chunked(r, "s3_buckets", "buckets", [{"Name": b["Name"], "BucketRegion": b.get("BucketRegion")}
                                          for b in buckets or []])
    pab = r.call("get_public_access_block", service="s3control", AccountId=account,
                 absent=("NoSuchPublicAccessBlockConfiguration",))
    if pab is not None:
        config = None if isinstance(pab, Missing) else pab.get("PublicAccessBlockConfiguration")
        r.put("s3.account_public_access_block", [{"config": config}])
    return r.result()


def s3_buckets(spec: SessionSpec, account: str, region: str, buckets: list[dict[str, Any]]) -> dict[str, Any]:
    """Per bucket: region, default encryption, public access block, policy, versioning, ACL.

    A read that fails is listed in the record's ``_unread`` so the normaliser reports the
    dependent attribute as UNKNOWN instead of guessing.
    """
    r = Reader(spec, account, region, "s3", "s3_buckets")
    out = []
    for b in buckets:
        name = b["Name"]
        rec: dict[str, Any] = {"Name": name, "_unread": []}
        where = b.get("BucketRegion")
        if not where:
            loc = r.call("get_bucket_location", Bucket=name, target=name)
            if loc is None:
                rec["_unread"].append("location")
            where = (loc or {}).get("LocationConstraint") or "us-east-1"
            where = "eu-west-1" if where == "EU" else where
        rec["Region"] = where
        reads = (
            ("encryption", "get_bucket_encryption", ("ServerSideEncryptionConfigurationNotFoundError",)),
            ("public_access_block", "get_public_access_block", ("NoSuchPublicAccessBlockConfiguration",)),
            ("policy", "get_bucket_policy", ("NoSuchBucketPolicy",)),
            ("versioning", "get_bucket_versioning", ()),
        )
        for field, op, absent in reads:
            _read(r, rec, field, op, where, absent)
        _read_acl(r, rec, where)
        out.append(rec)
    r.put("s3.bucket", out)
    return r.result()


def _read(r: Reader, rec: dict[str, Any], field: str, op: str, region: str, absent: tuple[str, ...] = ()) -> Any:
    got = r.call(op, region=region, Bucket=rec["Name"], absent=absent, target=rec["Name"])
    if got is None:
        rec["_unread"].append(field)
    else:
        rec[field] = None if isinstance(got, Missing) else got
    return got


def _read_acl(r: Reader, rec: dict[str, Any], region: str) -> None:
    """The bucket ACL, unless the bucket's public access block already voids ACLs; the object ownership
    (BucketOwnerEnforced disables ACLs) only when the ACL grants reads to everyone. One call per bucket in
    the common case, none on a hardened bucket."""
    pab = (rec.get("public_access_block") or {}).get("PublicAccessBlockConfiguration") or {}
    if pab.get("BlockPublicAcls") or pab.get("IgnorePublicAcls"):
        return
    acl = _read(r, rec, "acl", "get_bucket_acl", region)
    if acl and any(acl_grant_public((g.get("Grantee") or {}).get("URI"), g.get("Permission"))
                   for g in acl.get("Grants", [])):
        _read(r, rec, "ownership", "get_bucket_ownership_controls", region, ("OwnershipControlsNotFoundError",))


# -- KMS ----------------------------------------------------------------------------------------
def kms(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Key ids (details in :func:`kms_keys`) and aliases."""
    r = Reader(spec, account, region, "kms", "kms")
    keys = r.pages("list_keys", "Keys")
    chunked(r, "kms_keys", "key_ids", [k["KeyId"] for k in keys or []])
    r.put("kms.alias", r.pages("list_aliases", "Aliases"))
    return r.result()


def kms_keys(spec: SessionSpec, account: str, region: str, key_ids: list[str]) -> dict[str, Any]:
    """describe_key for each key, and rotation status for customer keys that can rotate."""
    r = Reader(spec, account, region, "kms", "kms_keys")
    out = []
    for key_id in key_ids:
        desc = r.call("describe_key", KeyId=key_id, target=key_id)
        if desc is None:
            continue
        meta = desc["KeyMetadata"]
        meta["_unread"] = []
        rotatable = (meta.get("KeyManager") == "CUSTOMER" and meta.get("KeySpec", "SYMMETRIC_DEFAULT")
                     == "SYMMETRIC_DEFAULT" and meta.get("Origin", "AWS_KMS") == "AWS_KMS"
                     and meta.get("KeyState") != "PendingDeletion")
        if rotatable:
            status = r.call("get_key_rotation_status", KeyId=key_id, target=meta.get("Arn", key_id))
            if status is None:
                meta["_unread"].append("rotation")
            else:
                meta["Rotation"] = status
        out.append(meta)
    r.put("kms.key", out)
    return r.result()


# -- RDS, EFS -----------------------------------------------------------------------------------
def rds(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """DB instances and DB clusters (encryption, key, public access, backups, Multi-AZ); the parameter
    groups that decide TLS-only connections are read in :func:`rds_parameters`."""
    r = Reader(spec, account, region, "rds", "rds")
    instances = r.pages("describe_db_instances", "DBInstances")
    clusters = r.pages("describe_db_clusters", "DBClusters")
    r.put("rds.db_instance", instances)
    r.put("rds.db_cluster", clusters)
    groups = {(g, False) for db in instances or [] for g in instance_groups(db)}
    groups |= {(g, True) for c in clusters or [] if (g := cluster_group(c))}
    chunked(r, "rds_parameters", "groups", [{"name": n, "cluster": c} for n, c in sorted(groups)])
    return r.result()


def instance_groups(db: dict[str, Any]) -> list[str]:
    """Parameter groups whose TLS setting applies to a DB instance: none for a read replica (it follows its
    source), for an Aurora member (its cluster's group decides) or an engine without such a parameter."""
    if db.get("ReadReplicaSourceDBInstanceIdentifier") or db.get("DBClusterIdentifier") \
            or rds_tls_parameter(db.get("Engine") or "") is None:
        return []
    return [g["DBParameterGroupName"] for g in db.get("DBParameterGroups", []) if g.get("DBParameterGroupName")]


def cluster_group(db: dict[str, Any]) -> str | None:
    """The cluster parameter group of a DB cluster whose engine has a TLS-only parameter."""
    if db.get("ReplicationSourceIdentifier") or rds_tls_parameter(db.get("Engine") or "") is None:
        return None
    return db.get("DBClusterParameterGroup") or None


def rds_parameters(spec: SessionSpec, account: str, region: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """The user-set parameters of each group (``Source=user``: usually one page; what a group does not set
    is the engine default, which the normaliser takes from posture.providers.aws.facts.transport)."""
    r = Reader(spec, account, region, "rds", "rds_parameters")
    out = []
    for g in groups:
        op, arg = (("describe_db_cluster_parameters", "DBClusterParameterGroupName") if g["cluster"]
                   else ("describe_db_parameters", "DBParameterGroupName"))
        got = r.pages(op, "Parameters", absent=("DBParameterGroupNotFound",), target=g["name"], Source="user",
                      **{arg: g["name"]})
        rec = {"Name": g["name"], "Cluster": g["cluster"], "_unread": ["parameters"] if got is None else []}
        rec["Parameters"] = None if isinstance(got, Missing) else got
        out.append(rec)
    r.put("rds.parameter_group", out)
    return r.result()


def efs(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """EFS file systems (encryption and key are in the batch describe)."""
    r = Reader(spec, account, region, "efs", "efs")
    r.put("efs.file_system", r.pages("describe_file_systems", "FileSystems"))
    return r.result()


# -- DynamoDB, SQS, SNS: list then describe -----------------------------------------------------
def dynamodb(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    r = Reader(spec, account, region, "dynamodb", "dynamodb")
    chunked(r, "dynamodb_tables", "names", r.pages("list_tables", "TableNames"))
    return r.result()


def dynamodb_tables(spec: SessionSpec, account: str, region: str, names: list[str]) -> dict[str, Any]:
    """describe_table (SSE) and describe_continuous_backups (point-in-time recovery) per table."""
    r = Reader(spec, account, region, "dynamodb", "dynamodb_tables")
    out = []
    for name in names:
        table = r.call("describe_table", TableName=name, target=name)
        if table is None:
            continue
        rec = table["Table"]
        backups = r.call("describe_continuous_backups", TableName=name, target=name)
        rec["_unread"] = ["backups"] if backups is None else []
        rec["ContinuousBackups"] = (backups or {}).get("ContinuousBackupsDescription")
        out.append(rec)
    r.put("dynamodb.table", out)
    return r.result()


def sqs(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    r = Reader(spec, account, region, "sqs", "sqs")
    chunked(r, "sqs_queues", "urls", r.pages("list_queues", "QueueUrls"))
    return r.result()


def sqs_queues(spec: SessionSpec, account: str, region: str, urls: list[str]) -> dict[str, Any]:
    r = Reader(spec, account, region, "sqs", "sqs_queues")
    out = []
    for url in urls:
        got = r.call("get_queue_attributes", QueueUrl=url, AttributeNames=["All"], target=url)
        if got is not None:
            out.append({"QueueUrl": url, **got.get("Attributes", {})})
    r.put("sqs.queue", out)
    return r.result()


def sns(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    r = Reader(spec, account, region, "sns", "sns")
    chunked(r, "sns_topics", "arns", [t["TopicArn"] for t in r.pages("list_topics", "Topics") or []])
    return r.result()


def sns_topics(spec: SessionSpec, account: str, region: str, arns: list[str]) -> dict[str, Any]:
    r = Reader(spec, account, region, "sns", "sns_topics")
    out = []
    for arn in arns:
        got = r.call("get_topic_attributes", TopicArn=arn, target=arn)
        if got is not None:
            out.append({"TopicArn": arn, **got.get("Attributes", {})})
    r.put("sns.topic", out)
    return r.result()
