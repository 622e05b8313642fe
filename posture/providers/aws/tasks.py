"""The task table: every collection task by name, its service and scope, and a safe runner.

Tasks are top-level functions ``task(spec, account, region, **args) -> dict`` returning plain,
JSON-serialisable batches (see :class:`~posture.providers.aws.reader.Reader`), so any
``concurrent.futures``-style executor - the default thread pool or Dask - can run them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from posture.providers.aws import tasks_data, tasks_ec2, tasks_edge, tasks_identity, tasks_stores
from posture.providers.aws.session import SessionSpec


@dataclass(frozen=True)
class Task:
    fn: Callable[..., dict[str, Any]]
    service: str
    scope: str  # "regional" | "global" | "detail" (scheduled by another task)


TASKS: dict[str, Task] = {
    "ec2_network": Task(tasks_ec2.ec2_network, "ec2", "regional"),
    "ec2_firewalls": Task(tasks_ec2.ec2_firewalls, "ec2", "regional"),
    "ec2_compute": Task(tasks_ec2.ec2_compute, "ec2", "regional"),
    "kms": Task(tasks_data.kms, "kms", "regional"),
    "kms_keys": Task(tasks_data.kms_keys, "kms", "detail"),
    "rds": Task(tasks_data.rds, "rds", "regional"),
    "rds_parameters": Task(tasks_data.rds_parameters, "rds", "detail"),
    "efs": Task(tasks_data.efs, "efs", "regional"),
    "dynamodb": Task(tasks_data.dynamodb, "dynamodb", "regional"),
    "dynamodb_tables": Task(tasks_data.dynamodb_tables, "dynamodb", "detail"),
    "sqs": Task(tasks_data.sqs, "sqs", "regional"),
    "sqs_queues": Task(tasks_data.sqs_queues, "sqs", "detail"),
    "sns": Task(tasks_data.sns, "sns", "regional"),
    "sns_topics": Task(tasks_data.sns_topics, "sns", "detail"),
    "opensearch": Task(tasks_stores.opensearch, "opensearch", "regional"),
    "opensearch_domains": Task(tasks_stores.opensearch_domains, "opensearch", "detail"),
    "kafka": Task(tasks_stores.kafka, "kafka", "regional"),
    "redshift": Task(tasks_stores.redshift, "redshift", "regional"),
    "redshift_parameters": Task(tasks_stores.redshift_parameters, "redshift", "detail"),
    "elbv2": Task(tasks_edge.elbv2, "elbv2", "regional"),
    "elbv2_listeners": Task(tasks_edge.elbv2_listeners, "elbv2", "detail"),
    "elb": Task(tasks_edge.elb, "elb", "regional"),
    "acm": Task(tasks_edge.acm, "acm", "regional"),
    "cloudtrail": Task(tasks_identity.cloudtrail, "cloudtrail", "regional"),
    "s3": Task(tasks_data.s3, "s3", "global"),
    "s3_buckets": Task(tasks_data.s3_buckets, "s3", "detail"),
    "iam": Task(tasks_identity.iam, "iam", "global"),
    "cloudfront": Task(tasks_edge.cloudfront, "cloudfront", "global"),
}

SERVICES: tuple[str, ...] = tuple(dict.fromkeys(t.service for t in TASKS.values()))
"""Service names accepted by ``--service`` / ``services=``."""


def run_task(name: str, spec: SessionSpec, account: str, region: str, args: dict[str, Any] | None = None
             ) -> dict[str, Any]:
    """Run one task; an unexpected error becomes a gap in an empty batch, never an exception."""
    try:
        return TASKS[name].fn(spec, account, region, **(args or {}))
    except Exception as e:  # a collector bug or an unforeseen SDK error must not end the scan
        return failed_batch(name, account, region, e)


def failed_batch(name: str, account: str, region: str, error: BaseException, code: str = "collector_error"
                 ) -> dict[str, Any]:
    """An empty batch carrying one gap: what a task that raised (or never ran) contributes."""
    service = TASKS[name].service
    reason = f"{name}: {type(error).__name__}: {' '.join(str(error).split())}"[:400]
    return {"task": name, "service": service, "account": account, "region": region, "records": {}, "calls": 0,
            "follow": [], "gaps": [{"source": "aws", "service": service, "region": region, "account": account,
                                    "code": code, "target": "", "reason": reason}]}
