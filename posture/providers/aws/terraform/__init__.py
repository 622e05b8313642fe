"""AWS resources of a Terraform plan -> normalised resources and edges (docs/model.md).

Provider knowledge is data: :data:`NORMALISERS` maps a native type to a pure function
``(raw, index) -> [Resource | Edge]``; :data:`JOINED` lists types that carry no resource of their own but
are folded into another one (an SSE configuration into its bucket, a rule into its security group...).
Importing this package registers both in the Terraform dispatch table.
"""

from __future__ import annotations

from collections.abc import Callable

from posture.providers.aws.terraform import backups as _backups  # noqa: F401  (registers its types on import)
from posture.providers.aws.terraform import service_logs as _service_logs  # noqa: F401  (registers its types on import)
from posture.providers.aws.terraform.at_rest import EKS_SECRETS
from posture.providers.aws.terraform.at_rest import NORMALISERS as AT_REST_NORMALISERS
from posture.providers.aws.terraform.certificates import NORMALISERS as CERTIFICATE_NORMALISERS
from posture.providers.aws.terraform.clusters import _eks
from posture.providers.aws.terraform.common import Out
from posture.providers.aws.terraform.compute import (
    _ebs_default,
    _ebs_volume,
    _instance,
    _launch_volumes,
    _s3_account_pab,
)
from posture.providers.aws.terraform.datastores import (
    _dax,
    _dynamodb,
    _efs,
    _elasticache,
    _kinesis,
    _msk,
    _rds,
    _redshift,
    _search_domain,
    _sns,
    _sqs,
)
from posture.providers.aws.terraform.edge import _acm, _api_domain, _cloudfront, _kms_key, _lb, _lb_listener
from posture.providers.aws.terraform.exposure import FACETS as EXPOSURE_FACETS
from posture.providers.aws.terraform.exposure import JOINED as EXPOSURE_JOINED
from posture.providers.aws.terraform.exposure import NORMALISERS as EXPOSURE_NORMALISERS
from posture.providers.aws.terraform.identity import _cloudtrail, _iam_user
from posture.providers.aws.terraform.network import (
    _SG_RULE_TYPES,
    _gateway,
    _network_acl,
    _orphan_sg_rule,
    _route_table,
    _security_group,
    _subnet,
    _vpc,
)
from posture.providers.aws.terraform.s3 import _s3_bucket
from posture.providers.aws.terraform.security_configs import NORMALISERS as SECURITY_CONFIG_NORMALISERS
from posture.providers.aws.terraform.templates import launch_interfaces
from posture.providers.aws.terraform.transit import FACETS as TRANSIT_FACETS
from posture.providers.aws.terraform.transit import NORMALISERS as TRANSIT_NORMALISERS
from posture.providers.aws.terraform.transit import PARTS as TRANSIT_PARTS
from posture.providers.aws.terraform.transit import elb_backends
from posture.providers.kit.at_rest import with_parts
from posture.providers.terraform.dispatch import register, register_facets, register_parts
from posture.providers.terraform.plan_index import PlanIndex, RawResource

NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_eks_cluster": with_parts(_eks, EKS_SECRETS),
    "aws_vpc": _vpc,
    "aws_default_vpc": _vpc,
    "aws_subnet": _subnet,
    "aws_default_subnet": _subnet,
    "aws_route_table": _route_table,
    "aws_default_route_table": _route_table,
    "aws_internet_gateway": _gateway("internet"),
    "aws_nat_gateway": _gateway("nat"),
    "aws_vpn_gateway": _gateway("vpn"),
    "aws_ec2_transit_gateway": _gateway("transit"),
    "aws_security_group": _security_group,
    "aws_default_security_group": _security_group,
    **dict.fromkeys(_SG_RULE_TYPES, _orphan_sg_rule),
    "aws_network_acl": _network_acl,
    "aws_default_network_acl": _network_acl,
    "aws_instance": _instance,
    "aws_ebs_volume": _ebs_volume,
    "aws_ebs_encryption_by_default": _ebs_default,
    "aws_s3_account_public_access_block": _s3_account_pab,
    "aws_s3_bucket": _s3_bucket,
    "aws_db_instance": _rds("database"),
    "aws_rds_cluster": _rds("db_cluster"),
    "aws_docdb_cluster": _rds("db_cluster"),
    "aws_neptune_cluster": _rds("db_cluster"),
    "aws_redshift_cluster": _redshift,
    "aws_elasticsearch_domain": _search_domain,
    "aws_opensearch_domain": _search_domain,
    "aws_kinesis_stream": _kinesis,
    "aws_msk_cluster": _msk,
    "aws_launch_configuration": with_parts(_launch_volumes, launch_interfaces),
    "aws_launch_template": with_parts(_launch_volumes, launch_interfaces),
    "aws_api_gateway_domain_name": _api_domain,
    "aws_apigatewayv2_domain_name": _api_domain,
    "aws_dynamodb_table": _dynamodb,
    "aws_sqs_queue": _sqs,
    "aws_sns_topic": _sns,
    "aws_efs_file_system": _efs,
    "aws_elasticache_replication_group": _elasticache,
    "aws_elasticache_cluster": _elasticache,
    "aws_dax_cluster": _dax,
    "aws_lb": _lb,
    "aws_alb": _lb,
    "aws_elb": with_parts(_lb, elb_backends),
    "aws_lb_listener": _lb_listener,
    "aws_alb_listener": _lb_listener,
    "aws_cloudfront_distribution": _cloudfront,
    "aws_acm_certificate": _acm,
    "aws_kms_key": _kms_key,
    "aws_cloudtrail": _cloudtrail,
    "aws_iam_user": _iam_user,
    **AT_REST_NORMALISERS,
    **TRANSIT_NORMALISERS,
    **CERTIFICATE_NORMALISERS,
    **SECURITY_CONFIG_NORMALISERS,
}
"""Native AWS type -> normaliser."""

JOINED: frozenset[str] = frozenset(
    {
        "aws_flow_log",
        "aws_route",
        "aws_route_table_association",
        "aws_network_acl_rule",
        "aws_network_acl_association",
        "aws_eip",
        "aws_eip_association",
        "aws_volume_attachment",
        "aws_ebs_default_kms_key",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_policy",
        "aws_sqs_queue_policy",
        "aws_sns_topic_policy",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_ownership_controls",
        "aws_db_subnet_group",
        "aws_db_parameter_group",
        "aws_rds_cluster_parameter_group",
        "aws_docdb_cluster_parameter_group",
        "aws_redshift_parameter_group",
        "aws_rds_cluster_instance",
        "aws_docdb_cluster_instance",
        "aws_neptune_cluster_instance",
        "aws_efs_backup_policy",
        "aws_lb_listener_certificate",
        "aws_lb_ssl_negotiation_policy",
        "aws_kms_alias",  # names only; carries no posture
        "aws_iam_user_policy_attachment",
        "aws_iam_user_policy",
        "aws_iam_access_key",
    }
)
"""Types folded into another resource (or deliberately ignored) rather than normalised on their own."""

register(NORMALISERS, JOINED)
register(EXPOSURE_NORMALISERS, EXPOSURE_JOINED)
register_facets(EXPOSURE_FACETS)
register_facets(TRANSIT_FACETS)
register_parts(TRANSIT_PARTS)
