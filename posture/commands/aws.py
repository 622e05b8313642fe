"""``posture scan aws``: read a live AWS account or Organization and evaluate the rules."""

from __future__ import annotations

import argparse
from typing import Any

from posture.commands.base import ScanSource
from posture.result import ScanResult


def _aws_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", action="append", metavar="REGION",
                   help="scan only this region (repeatable; default: every region enabled for the account)")
    p.add_argument("--profile", help="AWS shared-config profile (default: the standard credential chain)")
    p.add_argument("--role-arn", metavar="ARN", help="assume this role before scanning")
    p.add_argument("--external-id", metavar="ID", help="external id for --role-arn")
    p.add_argument("--organization", action="store_true",
                   help="walk AWS Organizations and scan every active member account too")
    p.add_argument("--org-role-name", metavar="NAME",
                   help="role assumed in each member account (default: OrganizationAccountAccessRole)")
    p.add_argument("--service", action="append", metavar="NAME",
                   help="scan only this service (repeatable): ec2, s3, kms, rds, elbv2, elb, acm, cloudfront, "
                        "dynamodb, sqs, sns, efs, cloudtrail, iam")
    p.add_argument("--max-workers", type=int, metavar="N", help="concurrent API calls (default: 16)")
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="run the account x region x service tasks on a Dask cluster (e.g. tcp://scheduler:8786); "
                        "workers need their own AWS credentials (environment, profile or instance role)")


def _aws_run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import scan_aws

    return scan_aws(regions=args.region, profile=args.profile, role_arn=args.role_arn, external_id=args.external_id,
                    organization=args.organization, org_role_name=args.org_role_name, services=args.service,
                    max_workers=args.max_workers, dask_scheduler=args.dask_scheduler,
                    progress=None if not args.quiet else False, **options)


SCAN_SOURCES = {"aws": ScanSource("scan a live AWS account or Organization (boto3)", _aws_args, _aws_run,
                                  gaps="warn")}
