"""AWS service logs from the knowledge table (``posture/knowledge/service_logs.yaml``, read by
:mod:`posture.providers.kit.service_logs`).

Types another module already normalises get the ``service_logs`` attribute as a dispatch facet; the types read
only for their logs (API Gateway stages, WAF web ACLs, Route 53 zones, ECS clusters, directories, DataSync
tasks) become ``service``
resources here. The resources that switch a log on elsewhere (a logging configuration, a query log) are joined.
"""

from __future__ import annotations

from typing import Any

from posture.model import Kind
from posture.providers.aws.terraform.common import Out, _res
from posture.providers.kit.service_logs import facets, service_logs
from posture.providers.terraform.dispatch import register, register_facets
from posture.providers.terraform.plan_index import PlanIndex, RawResource

FACET_TYPES = (
    "aws_db_instance", "aws_rds_cluster", "aws_docdb_cluster", "aws_neptune_cluster", "aws_redshift_cluster",
    "aws_msk_cluster", "aws_elasticsearch_domain", "aws_opensearch_domain", "aws_mq_broker", "aws_eks_cluster",
    "aws_networkfirewall_firewall", "aws_codebuild_project", "aws_sfn_state_machine", "aws_acm_certificate",
)
"""Types normalised elsewhere whose service logs are a facet."""

_NAMES = {"aws_api_gateway_stage": "stage_name", "aws_apigatewayv2_stage": "name", "aws_wafv2_web_acl": "name",
          "aws_route53_zone": "name", "aws_ecs_cluster": "name", "aws_directory_service_directory": "name",
          "aws_datasync_task": "name"}


def _service(raw: RawResource, index: PlanIndex) -> Out:
    attrs: dict[str, Any] = {"service_type": raw.type.removeprefix("aws_")}
    found = service_logs(raw.type, raw, index)
    if found is not None:
        attrs["service_logs"] = found
    name = raw.get(_NAMES[raw.type])
    return [_res(raw, index, Kind.SERVICE, attrs, name=name if isinstance(name, str) and name else raw.name)]


NORMALISERS = dict.fromkeys(_NAMES, _service)
"""The types read only for their logs -> ``service`` resources."""

JOINED = frozenset({"aws_redshift_logging", "aws_networkfirewall_logging_configuration",
                    "aws_wafv2_web_acl_logging_configuration", "aws_route53_query_log",
                    "aws_directory_service_log_subscription"})
"""The resources that turn a service's log on, read through the service."""

register(NORMALISERS, JOINED)
register_facets(facets(FACET_TYPES))
