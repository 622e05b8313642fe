"""AWS stores judged for encryption at rest from one table row each (posture.providers.kit.at_rest).

:data:`STORES` maps a Terraform type to its :class:`Store` row; :data:`NORMALISERS` turns every row into a
``datastore`` (or a part of the resource, such as a Lambda function's environment or an EKS cluster's secrets).
Snapshots and copies take the encryption of the store they copy when that store is in the same code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.providers.aws.terraform.common import Out, _kms_encryption, _res
from posture.providers.kit.at_rest import COPY_FLAG, KEY, OFF, PROVIDER, Store, normaliser
from posture.providers.terraform.dispatch import tables
from posture.providers.terraform.plan_index import PlanIndex, RawResource

_TYPE_KEY = {"AWS_OWNED_KEY": PROVIDER, "AWS_OWNED_KMS_KEY": PROVIDER, "AWS_OWNED_CMK": PROVIDER,
             "CUSTOMER_MANAGED_KMS_KEY": KEY, "CUSTOMER_MANAGED_CMK": KEY, "CUSTOMER_KMS": KEY}
_FSX = Store("file_system", key="kms_key_id")
_SAGEMAKER_VOLUME = Store("block_volume", key="kms_key_id")
_FILE_SHARE = Store("file_system", key="kms_key_arn", switch=("kms_encrypted",), modes={True: KEY, False: PROVIDER},
                    default="aws.s3.sse_s3", name="file_share_name")
_FIREWALL = Store("configuration", key="encryption_configuration.0.key_id",
                  switch=("encryption_configuration.0.type",), modes=_TYPE_KEY)
_S3_OBJECT = Store("object", key="kms_key_id", switch=("server_side_encryption",),
                   modes={"AES256": PROVIDER, "AWS:KMS": KEY, "AWS:KMS:DSSE": KEY}, name="key")
_GLOBAL_CLUSTER = Store("db_cluster", switch=("storage_encrypted",), modes={True: PROVIDER, False: OFF},
                        source="source_db_cluster_identifier",
                        source_types=("aws_rds_cluster", "aws_docdb_cluster"), name="global_cluster_identifier")

STORES: dict[str, Store] = {
    # snapshots and copies: as encrypted as their source (in the same code), or encrypted by their own key
    "aws_db_snapshot": Store("snapshot", source="db_instance_identifier", source_types=("aws_db_instance",),
                             name="db_snapshot_identifier"),
    "aws_db_cluster_snapshot": Store("snapshot", source="db_cluster_identifier",
                                     source_types=("aws_rds_cluster", "aws_docdb_cluster"),
                                     name="db_cluster_snapshot_identifier"),
    "aws_neptune_cluster_snapshot": Store("snapshot", source="db_cluster_identifier",
                                          source_types=("aws_neptune_cluster",),
                                          name="db_cluster_snapshot_identifier"),
    "aws_db_snapshot_copy": Store("snapshot", key="kms_key_id", source="source_db_snapshot_identifier",
                                  source_types=("aws_db_snapshot", "aws_db_snapshot_copy"),
                                  name="target_db_snapshot_identifier"),
    "aws_ebs_snapshot": Store("snapshot", source="volume_id", source_types=("aws_ebs_volume",)),
    "aws_ebs_snapshot_copy": Store("snapshot", key="kms_key_id", switch=("encrypted",), modes=COPY_FLAG,
                                   source="source_snapshot_id",
                                   source_types=("aws_ebs_snapshot", "aws_ebs_snapshot_copy")),
    "aws_ami_copy": Store("image", key="kms_key_id", switch=("encrypted",), modes=COPY_FLAG,
                          source="source_ami_id", source_types=("aws_ami", "aws_ami_copy")),
    # an AMI registered from snapshots: its (first) block device is as encrypted as its snapshot, or encrypted
    # when asked; a new empty volume follows the EBS default (not encrypted unless asked)
    "aws_ami": Store("image", key="ebs_block_device.0.kms_key_id", switch=("ebs_block_device.0.encrypted",),
                     modes=COPY_FLAG, source="ebs_block_device.0.snapshot_id",
                     source_types=("aws_ebs_snapshot", "aws_ebs_snapshot_copy"), default="aws.ebs.none"),
    "aws_db_instance_automated_backups_replication": Store(
        "snapshot", key="kms_key_id", source="source_db_instance_arn", source_types=("aws_db_instance",),
        name="source_db_instance_arn"),
    "aws_redshift_snapshot_copy_grant": Store("snapshot", key="kms_key_id", name="snapshot_copy_grant_name"),
    # an image recipe's volumes follow its parent image unless they ask for encryption
    "aws_imagebuilder_image_recipe": Store(
        "image", key="block_device_mapping.0.ebs.0.kms_key_id", switch=("block_device_mapping.0.ebs.0.encrypted",),
        modes=COPY_FLAG, source="parent_image", source_types=("aws_ami", "aws_ami_copy"),
        only_if=("block_device_mapping", "set")),
    "aws_rds_global_cluster": _GLOBAL_CLUSTER,
    "aws_docdb_global_cluster": _GLOBAL_CLUSTER,
    "aws_memorydb_snapshot": Store("snapshot", key="kms_key_arn"),
    # switched off unless asked
    "aws_appsync_api_cache": Store("cache", switch=("at_rest_encryption_enabled",),
                                   modes={True: PROVIDER, False: OFF}, name="api_id",
                                   transit=("transit_encryption_enabled", False)),
    "aws_workspaces_workspace": Store("block_volume", key="volume_encryption_key",
                                      switch=("root_volume_encryption_enabled", "user_volume_encryption_enabled"),
                                      name="user_name"),
    "aws_kinesis_firehose_delivery_stream": Store("stream", key="server_side_encryption.0.key_arn",
                                                  switch=("server_side_encryption.0.enabled",),
                                                  source="kinesis_source_configuration.0.kinesis_stream_arn",
                                                  source_types=("aws_kinesis_stream",)),
    "aws_api_gateway_method_settings": Store("cache", switch=("settings.0.cache_data_encrypted",),
                                             modes={True: PROVIDER, False: OFF},
                                             only_if=("settings.0.caching_enabled", True), name="stage_name"),
    "aws_glue_data_catalog_encryption_settings": Store(
        "catalog", key="data_catalog_encryption_settings.0.encryption_at_rest.0.sse_aws_kms_key_id",
        switch=("data_catalog_encryption_settings.0.encryption_at_rest.0.catalog_encryption_mode",),
        modes={"DISABLED": OFF, "SSE-KMS": KEY, "SSE-KMS-WITH-SERVICE-ROLE": KEY}, name="catalog_id"),
    "aws_codebuild_project": Store("build_artifacts", key="encryption_key",
                                   disable=(("artifacts.0.encryption_disabled", "artifacts.0.type", "S3"),
                                            ("secondary_artifacts.0.encryption_disabled",
                                             "secondary_artifacts.0.type", "S3"),
                                            ("logs_config.0.s3_logs.0.encryption_disabled",
                                             "logs_config.0.s3_logs.0.status", "ENABLED"))),
    # always encrypted: the key only chooses whose
    "aws_cloudwatch_log_group": Store("log_group", key="kms_key_id"),
    "aws_cloudtrail_event_data_store": Store("log_group", key="kms_key_id"),
    "aws_backup_vault": Store("backup_vault", key="kms_key_arn"),
    "aws_ecr_repository": Store("repository", key="encryption_configuration.0.kms_key",
                                switch=("encryption_configuration.0.encryption_type",),
                                modes={"AES256": PROVIDER, "KMS": KEY, "KMS_DSSE": KEY}),
    "aws_codeartifact_domain": Store("repository", key="encryption_key", name="domain"),
    "aws_codepipeline": Store("build_artifacts", key="artifact_store.0.encryption_key.0.id"),
    "aws_lambda_function": Store("environment", key="kms_key_arn", only_if=("environment.0.variables", "set"),
                                 name="function_name", part="environment"),
    "aws_eks_cluster": Store("secrets", key="encryption_config.0.provider.0.key_arn", part="secrets"),
    "aws_secretsmanager_secret": Store("secret", key="kms_key_id"),
    "aws_ssm_parameter": Store("secret", key="key_id", only_if=("type", "SecureString")),
    "aws_sfn_state_machine": Store("workflow", key="encryption_configuration.0.kms_key_id",
                                   switch=("encryption_configuration.0.type",), modes=_TYPE_KEY),
    "aws_scheduler_schedule": Store("workflow", key="kms_key_arn"),
    "aws_appflow_flow": Store("workflow", key="kms_arn"),
    "aws_appflow_connector_profile": Store("connection", key="kms_arn"),
    "aws_keyspaces_table": Store("table", key="encryption_specification.0.kms_key_identifier",
                                 switch=("encryption_specification.0.type",), modes=_TYPE_KEY, name="table_name"),
    "aws_dynamodb_table_replica": Store("table", key="kms_key_arn", name="global_table_arn"),
    "aws_timestreamwrite_database": Store("time_series", key="kms_key_id", name="database_name"),
    "aws_memorydb_cluster": Store("cache", key="kms_key_arn", transit=("tls_enabled", True)),
    "aws_mq_broker": Store("queue", key="encryption_options.0.kms_key_id",
                           switch=("encryption_options.0.use_aws_owned_key",), modes={True: PROVIDER, False: KEY},
                           name="broker_name"),
    "aws_kinesis_video_stream": Store("stream", key="kms_key_id"),
    "aws_kendra_index": Store("search", key="server_side_encryption_configuration.0.kms_key_id"),
    "aws_redshiftserverless_namespace": Store("db_cluster", key="kms_key_id", name="namespace_name"),
    "aws_dms_replication_instance": Store("block_volume", key="kms_key_arn", name="replication_instance_id"),
    "aws_dms_endpoint": Store("connection", key="kms_key_arn", name="endpoint_id"),
    "aws_dms_s3_endpoint": Store("object", key="server_side_encryption_kms_key_id", switch=("encryption_mode",),
                                 modes={"SSE_S3": PROVIDER, "SSE_KMS": KEY}, name="endpoint_id"),
    "aws_fsx_lustre_file_system": _FSX,
    "aws_fsx_ontap_file_system": _FSX,
    "aws_fsx_openzfs_file_system": _FSX,
    "aws_fsx_windows_file_system": _FSX,
    "aws_sagemaker_notebook_instance": _SAGEMAKER_VOLUME,
    "aws_sagemaker_endpoint_configuration": Store("block_volume", key="kms_key_arn"),
    "aws_sagemaker_domain": Store("file_system", key="kms_key_id", name="domain_name"),
    "aws_sagemaker_data_quality_job_definition": Store(
        "block_volume", key="job_resources.0.cluster_config.0.volume_kms_key_id"),
    "aws_bedrock_custom_model": Store("model", key="custom_model_kms_key_id", name="custom_model_name"),
    "aws_comprehend_entity_recognizer": Store("model", key="model_kms_key_id"),
    "aws_comprehend_document_classifier": Store("model", key="model_kms_key_id"),
    "aws_storagegateway_nfs_file_share": _FILE_SHARE,
    "aws_storagegateway_smb_file_share": _FILE_SHARE,
    "aws_bedrockagent_agent": Store("agent", key="customer_encryption_key_arn", name="agent_name"),
    "aws_networkfirewall_firewall": _FIREWALL,
    "aws_networkfirewall_firewall_policy": _FIREWALL,
    "aws_networkfirewall_rule_group": _FIREWALL,
    "aws_s3_object": _S3_OBJECT,
    "aws_s3_bucket_object": _S3_OBJECT,
    "aws_s3_object_copy": _S3_OBJECT,
}
"""Terraform type -> where it keeps its encryption at rest."""


def _inherited(raw: RawResource, index: PlanIndex, spec: Store) -> dict[str, Any] | None:
    """The encryption of the store ``raw`` copies, when that store is normalised from the same code."""
    if not spec.source:
        return None
    found = index.targets(raw, spec.source, spec.source_types,
                          ("id", "arn", "identifier", "cluster_identifier", "db_snapshot_identifier"))
    if len(found) != 1 or found[0] not in index.by_address:
        return None
    source = index.by_address[found[0]]
    normalisers, _ = tables()
    fn = normalisers.get(source.type)
    items = list(fn(source, index)) if fn else []
    for item in items:
        attrs = getattr(item, "attrs", None)
        if getattr(item, "id", None) == source.address and attrs is not None:
            enc = attrs.get("encryption")
            return dict(enc) if enc is not None else None
    return None


def _key(index: PlanIndex, raw: RawResource, path: str) -> tuple[dict[str, Any], str | None]:
    return _kms_encryption(index, raw, path)  # a customer key if set, else the AWS managed key


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    t: normaliser(spec, _res, _key, _inherited) for t, spec in STORES.items() if t != "aws_eks_cluster"
}
"""Types normalised from their row alone (EKS clusters add their secrets part to the cluster's normaliser)."""

EKS_SECRETS = normaliser(STORES["aws_eks_cluster"], _res, _key, _inherited)
