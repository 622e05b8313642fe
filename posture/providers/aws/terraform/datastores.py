"""AWS databases and other datastores of a Terraform plan (RDS, DynamoDB, Redshift, queues, streams...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts import transport as aws_transport
from posture.providers.aws.facts.transport import policies_deny_http
from posture.providers.aws.terraform.common import (
    SUBNET_TYPES,
    Out,
    _enc_edge,
    _first_str,
    _kms_encryption,
    _protected_by,
    _res,
    _unset_default,
)
from posture.providers.aws.terraform.s3 import _resource_policies
from posture.providers.kit.builders import edge, encryption, provider_default, provider_key, unknown_encryption
from posture.providers.kit.values import any_of, as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


# -- databases and other datastores --------------------------------------------------------------------------
def _storage_encrypted(raw: RawResource, index: PlanIndex, flag: str, key_path: str) -> tuple[dict, str | None]:
    value = _unset_default(raw, flag, None)
    value = tri(value) if isinstance(value, str) else value
    if value is True:
        return _kms_encryption(index, raw, key_path)
    if value is False and raw.is_configured(flag):
        return encryption(False, basis="explicit"), None
    if value is False or value is None:
        return provider_default(raw.type), None
    return unknown_encryption(), None


def _db_subnets(index: PlanIndex, raw: RawResource) -> list[str]:
    out: list[str] = []
    for g in index.targets(raw, "db_subnet_group_name", ("aws_db_subnet_group",), ("name", "id")):
        group = index.by_address.get(g)
        if group is not None:
            out += index.targets(group, "subnet_ids", SUBNET_TYPES)
    return out


# Cluster member types per cluster type: members carry publicly_accessible and decide Multi-AZ.
_CLUSTER_MEMBERS = {
    "aws_rds_cluster": "aws_rds_cluster_instance",
    "aws_docdb_cluster": "aws_docdb_cluster_instance",
    "aws_neptune_cluster": "aws_neptune_cluster_instance",
}


_PARAMETER_GROUPS = ("aws_db_parameter_group", "aws_rds_cluster_parameter_group", "aws_docdb_cluster_parameter_group")


def _group_parameter(index: PlanIndex, raw: RawResource, path: str, types: tuple[str, ...], name: str) -> Any:
    """The last value of parameter ``name`` in the parameter group named at ``path``: None when no group is
    set or the group does not set it, UNKNOWN when the group is outside the plan or not known yet."""
    group = raw.get(path)
    if group in (None, "") or (group is UNKNOWN and raw.is_configured(path) is False):
        return None
    targets = index.targets(raw, path, types, ("name", "id"))
    if len(targets) != 1 or index.by_address.get(targets[0]) is None:
        return UNKNOWN  # a group outside the plan (or a default.* group named explicitly)
    params = index.by_address[targets[0]].get("parameter")
    if params is UNKNOWN:
        return UNKNOWN
    values = [p.get("value") for p in params or [] if isinstance(p, dict) and p.get("name") == name]
    return values[-1] if values else None


def _rds_tls_required(raw: RawResource, index: PlanIndex) -> Any:
    """Whether the server refuses unencrypted connections: its parameter group, else the engine default
    (posture.providers.aws.facts.transport). None (not judged) for engines without such a parameter (Oracle uses an
    option group) and for read replicas; UNKNOWN when the group or the engine version is not known from the plan.
    """
    engine = "docdb" if raw.type == "aws_docdb_cluster" else raw.get("engine")
    if not isinstance(engine, str):
        return UNKNOWN if engine is UNKNOWN else None
    name = aws_transport.rds_tls_parameter(engine)
    if name is None or raw.get("replicate_source_db") not in (None, ""):
        return None
    path = "parameter_group_name" if raw.type == "aws_db_instance" else "db_cluster_parameter_group_name"
    value = _group_parameter(index, raw, path, _PARAMETER_GROUPS, name)
    return UNKNOWN if value is UNKNOWN else aws_transport.rds_tls_required(engine, value, raw.get("engine_version"))


def _backup_retention(raw: RawResource, path: str) -> Any:
    """Retention days; unset -> the API default of 1 day (not for replicas, which follow their source)."""
    value = raw.get(path)
    if value is None or (value is UNKNOWN and raw.is_configured(path) is False):
        if raw.get("replicate_source_db") not in (None, ""):
            return UNKNOWN
        return 1  # CreateDBInstance/CreateDBCluster/CreateCluster: BackupRetentionPeriod default 1
    return as_int(value)


def _backup(retention: Any) -> dict[str, Any]:
    return {"retention_days": retention, "enabled": UNKNOWN if retention is UNKNOWN else (retention or 0) > 0}


def _rds(store_type: str) -> Callable[[RawResource, PlanIndex], Out]:
    def normalise(raw: RawResource, index: PlanIndex) -> Out:
        if raw.get("engine_mode") == "serverless":
            enc, key = provider_default("rds.db_cluster.serverless_v1"), None  # always encrypted
            if raw.get("kms_key_id") not in (None, "", UNKNOWN):
                enc, key = _kms_encryption(index, raw, "kms_key_id")
        else:
            enc, key = _storage_encrypted(raw, index, "storage_encrypted", "kms_key_id")
        members = (
            index.referrers(raw.address, (_CLUSTER_MEMBERS[raw.type],), "cluster_identifier",
                            ("id", "cluster_identifier"))
            if raw.type in _CLUSTER_MEMBERS
            else []
        )
        if raw.type == "aws_db_instance":
            public = tri(raw.get("publicly_accessible"), False)
            multi_az = tri(_unset_default(raw, "multi_az", False), False)
        else:
            flags = [tri(m.get("publicly_accessible"), False) for m in members]
            public = any_of(flags)
            zones = raw.get("availability_zones")
            if members:
                multi_az = len(members) > 1  # a replica instance is what fails over to another zone
            elif isinstance(zones, list):
                multi_az = len(zones) > 1
            else:
                multi_az = UNKNOWN
        attrs = {
            "store_type": store_type,
            "encryption": enc,
            "public": public,
            "backup": _backup(_backup_retention(raw, "backup_retention_period")),
            "multi_az": multi_az,
            "engine": raw.get("engine"),
        }
        tls = _rds_tls_required(raw, index) if raw.type != "aws_neptune_cluster" else None
        if tls is not None:
            attrs["transport"] = {"tls_required": tls, "min_tls_version": None}
        sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_security_group_ids")
        attrs["firewalls"] = sgs
        name = raw.get("identifier") if raw.type == "aws_db_instance" else raw.get("cluster_identifier")
        out: Out = [
            _res(raw, index, Kind.DATASTORE, attrs, name=name if isinstance(name, str) else raw.name),
            *_enc_edge(raw.address, key),
            *sg_edges,
        ]
        out += [edge(s, raw.address, EdgeKind.CONTAINS) for s in dict.fromkeys(_db_subnets(index, raw))]
        return out

    return normalise


def _redshift_tls_required(raw: RawResource, index: PlanIndex) -> Any:
    """require_ssl of the cluster's parameter group (posture.providers.aws.facts.transport decides)."""
    value = _group_parameter(index, raw, "cluster_parameter_group_name", ("aws_redshift_parameter_group",),
                             "require_ssl")
    return aws_transport.redshift_tls_required(value)


def _redshift(raw: RawResource, index: PlanIndex) -> Out:
    # encrypted and publicly_accessible: the provider's defaults for these differ between provider versions
    # (posture does not know which one a .tf targets), so unset values are left unknown rather than guessed.
    flag = raw.get("encrypted")
    flag = tri(flag) if isinstance(flag, str) else flag
    key = None
    if flag is True:
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    elif flag is False:
        enc = encryption(False, basis="explicit")
    else:
        enc = unknown_encryption()
    public = raw.get("publicly_accessible")
    sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_security_group_ids")
    attrs = {
        "store_type": "db_cluster",
        "encryption": enc,
        "public": UNKNOWN if public is None else tri(public),
        "backup": _backup(_backup_retention(raw, "automated_snapshot_retention_period")),
        "multi_az": tri(_unset_default(raw, "multi_az", False), False),
        "engine": "redshift",
        "transport": {"tls_required": _redshift_tls_required(raw, index), "min_tls_version": None},
        "firewalls": sgs,
    }
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("cluster_identifier"), raw.name)),
            *_enc_edge(raw.address, key), *sg_edges]


def _search_domain(raw: RawResource, index: PlanIndex) -> Out:
    at_rest = block(raw, "encrypt_at_rest")
    key = None
    if at_rest is UNKNOWN and raw.is_configured("encrypt_at_rest") is not False:
        enc = unknown_encryption()
    elif isinstance(at_rest, dict) and tri(at_rest.get("enabled")) is True:
        enc, key = _kms_encryption(index, raw, "encrypt_at_rest.0.kms_key_id")
    elif isinstance(at_rest, dict) and at_rest.get("enabled") is UNKNOWN:
        enc = unknown_encryption()
    else:
        enc = provider_default(raw.type)  # EncryptionAtRestOptions.Enabled defaults to false
    endpoint = block(raw, "domain_endpoint_options")
    if endpoint is UNKNOWN and raw.is_configured("domain_endpoint_options") is False:
        endpoint = {}
    if endpoint is UNKNOWN:
        https, min_tls = UNKNOWN, UNKNOWN
    else:
        # no block: the API default EnforceHTTPS=false; inside the block the provider defaults it to true
        https = tri(endpoint.get("enforce_https"), bool(endpoint))
        policy = endpoint.get("tls_security_policy")
        # an unset policy depends on the provider version (TLS 1.0 before, TLS 1.2 in newer ones): not judged
        min_tls = None if policy in (None, "") else aws_transport.search_min_tls(policy)
    n2n = block(raw, "node_to_node_encryption")
    if n2n is UNKNOWN and raw.is_configured("node_to_node_encryption") is False:
        n2n = {}
    # NodeToNodeEncryptionOptions.Enabled defaults to false in the API (the console turns it on)
    in_cluster = UNKNOWN if n2n is UNKNOWN else tri(n2n.get("enabled"), False)
    vpc = block(raw, "vpc_options")
    subnets = vpc.get("subnet_ids") if isinstance(vpc, dict) else UNKNOWN
    # Outside a VPC the domain has a public endpoint guarded by its access policy alone (as the live source reads it)
    public: Any = UNKNOWN if vpc is UNKNOWN else not (subnets is UNKNOWN or (isinstance(subnets, list) and subnets))
    sgs, sg_edges = _protected_by(index, raw, raw.address, "vpc_options.0.security_group_ids")
    attrs = {
        "store_type": "search",
        "encryption": enc,
        "public": public,
        "transport": {"tls_required": https, "min_tls_version": min_tls, "in_cluster_tls": in_cluster},
        "engine": raw.get("engine_version") if raw.type == "aws_opensearch_domain" else "elasticsearch",
        "firewalls": sgs,
    }
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("domain_name"), raw.name)),
            *_enc_edge(raw.address, key), *sg_edges]


def _dynamodb(raw: RawResource, index: PlanIndex) -> Out:
    sse = block(raw, "server_side_encryption")
    if sse is UNKNOWN and raw.is_configured("server_side_encryption") is False:
        sse = {}
    key = None
    if sse is UNKNOWN:
        enc = unknown_encryption()
    elif sse and sse.get("enabled") is True:
        enc, key = _kms_encryption(index, raw, "server_side_encryption.0.kms_key_arn")
    else:
        enc = provider_default("aws_dynamodb_table")
    pitr = block(raw, "point_in_time_recovery")
    if pitr is UNKNOWN and raw.is_configured("point_in_time_recovery") is False:
        pitr = {}
    enabled = UNKNOWN if pitr is UNKNOWN else tri(pitr.get("enabled"), False) if pitr else False
    attrs = {
        "store_type": "table",
        "encryption": enc,
        "public": False,
        "backup": {"enabled": enabled, "retention_days": None},
    }
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _sqs(raw: RawResource, index: PlanIndex) -> Out:
    key_id = raw.get("kms_master_key_id")
    managed = raw.get("sqs_managed_sse_enabled")
    key = None
    if key_id not in (None, ""):
        enc, key = _kms_encryption(index, raw, "kms_master_key_id")
    elif managed is True:
        enc = provider_key()
    elif managed is False:
        enc = encryption(False, basis="explicit")
    else:
        enc = provider_default("aws_sqs_queue")
    # SQS and SNS answer on plain-HTTP endpoints too; only a policy denying aws:SecureTransport = false
    # makes them refuse it (AWS security best practices for both services).
    policies = _resource_policies(raw, index.referrers(raw.address, ("aws_sqs_queue_policy",), "queue_url",
                                                       ("id", "url")))
    attrs = {"store_type": "queue", "encryption": enc, "public": UNKNOWN,
             "transport": {"tls_required": policies_deny_http(p for _, p in policies), "min_tls_version": None}}
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _sns(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    if raw.get("kms_master_key_id") not in (None, ""):
        enc, key = _kms_encryption(index, raw, "kms_master_key_id")
    else:
        enc = provider_default("aws_sns_topic")
    policies = _resource_policies(raw, index.referrers(raw.address, ("aws_sns_topic_policy",), "arn", ("arn",)))
    attrs = {"store_type": "topic", "encryption": enc, "public": UNKNOWN,
             "transport": {"tls_required": policies_deny_http(p for _, p in policies), "min_tls_version": None}}
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _efs(raw: RawResource, index: PlanIndex) -> Out:
    value = raw.get("encrypted")
    key = None
    if value is True:
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    elif value is False and raw.is_configured("encrypted"):
        enc = encryption(False, basis="explicit")
    elif value in (False, None) or (value is UNKNOWN and raw.is_configured("encrypted") is False):
        enc = provider_default("aws_efs_file_system")  # the API defaults Encrypted to false
    else:
        enc = unknown_encryption()
    # Automatic backups are on only through a backup policy (the console sets one; API/Terraform do not).
    policies = [block(p, "backup_policy") for p in
                index.referrers(raw.address, ("aws_efs_backup_policy",), "file_system_id", ("id",))]
    statuses = [p.get("status") if isinstance(p, dict) else UNKNOWN for p in policies]
    backups: Any = UNKNOWN if UNKNOWN in statuses else "ENABLED" in statuses
    attrs = {
        "store_type": "file_system",
        "encryption": enc,
        "public": False,
        "backup": {"enabled": backups, "retention_days": None},
    }
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _kinesis(raw: RawResource, index: PlanIndex) -> Out:
    kind = _unset_default(raw, "encryption_type", "NONE")
    key = None
    if kind is UNKNOWN:
        enc = unknown_encryption()
    elif str(kind or "NONE").upper() == "KMS":
        enc, key = _kms_encryption(index, raw, "kms_key_id")
    else:
        enc = provider_default("aws_kinesis_stream")
    attrs = {"store_type": "stream", "encryption": enc, "public": False}
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key)]


def _msk(raw: RawResource, index: PlanIndex) -> Out:
    key = None
    if raw.get("encryption_info.0.encryption_at_rest_kms_key_arn") not in (None, ""):
        enc, key = _kms_encryption(index, raw, "encryption_info.0.encryption_at_rest_kms_key_arn")
    else:
        enc = provider_default("aws_msk_cluster")  # always encrypted at rest
    client = raw.get("encryption_info.0.encryption_in_transit.0.client_broker")
    if client is UNKNOWN and raw.is_configured("encryption_info.0.encryption_in_transit.0.client_broker") is False:
        client = None
    tls_required = aws_transport.msk_client_tls(client)
    in_cluster = tri(_unset_default(raw, "encryption_info.0.encryption_in_transit.0.in_cluster", True), True)
    attrs = {
        "store_type": "stream",
        "encryption": enc,
        "public": False,
        "transport": {"tls_required": tls_required, "min_tls_version": None, "in_cluster_tls": in_cluster},
        "engine": "kafka",
    }
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("cluster_name"), raw.name)),
            *_enc_edge(raw.address, key)]


def _elasticache(raw: RawResource, index: PlanIndex) -> Out:
    """A replication group, or a stand-alone cache cluster (which has no at-rest encryption option)."""
    if raw.type == "aws_elasticache_cluster" and _unset_default(raw, "replication_group_id", None) not in (None, ""):
        return []  # a member of a replication group, judged with the group
    enc, key = _storage_encrypted(raw, index, "at_rest_encryption_enabled", "kms_key_id")
    transit = _unset_default(raw, "transit_encryption_enabled", False)  # the API default is off
    if tri(transit) is True and raw.get("transit_encryption_mode") == "preferred":
        transit = False  # "preferred" (a migration mode) still accepts unencrypted connections
    retention = as_int(raw.get("snapshot_retention_limit"))
    if raw.type == "aws_elasticache_replication_group":
        multi_az = tri(raw.get("multi_az_enabled"), False)
    else:
        az_mode = raw.get("az_mode")
        multi_az = UNKNOWN if az_mode is UNKNOWN else az_mode == "cross-az"
    sgs, sg_edges = _protected_by(index, raw, raw.address, "security_group_ids")
    attrs = {
        "store_type": "cache",
        "encryption": enc,
        "public": False,
        "transport": {"tls_required": tri(transit, False), "min_tls_version": None},
        "backup": _backup(retention),
        "multi_az": multi_az,
        "engine": raw.get("engine"),
        "firewalls": sgs,
    }
    return [_res(raw, index, Kind.DATASTORE, attrs), *_enc_edge(raw.address, key), *sg_edges]


def _dax(raw: RawResource, index: PlanIndex) -> Out:
    sse = block(raw, "server_side_encryption")
    if sse is UNKNOWN and raw.is_configured("server_side_encryption") is not False:
        enc = unknown_encryption()
    elif isinstance(sse, dict) and tri(sse.get("enabled")) is True:
        enc = provider_key()  # DAX encrypts with an AWS owned key (AES-256); no customer key option
    else:
        enc = provider_default("aws_dax_cluster")
    endpoint = _unset_default(raw, "cluster_endpoint_encryption_type", "NONE")
    attrs = {
        "store_type": "cache",
        "encryption": enc,
        "public": False,
        "transport": {"tls_required": UNKNOWN if endpoint is UNKNOWN else endpoint == "TLS", "min_tls_version": None},
        "engine": "dax",
    }
    sgs, sg_edges = _protected_by(index, raw, raw.address, "security_group_ids")
    attrs["firewalls"] = sgs
    return [_res(raw, index, Kind.DATASTORE, attrs, name=_first_str(raw.get("cluster_name"), raw.name)), *sg_edges]
