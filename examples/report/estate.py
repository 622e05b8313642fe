"""A small mixed estate used for the example HTML report, the docs screenshot and report tests.

``python examples/report/estate.py > report.html`` renders the example report.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from posture.api import scan_inventory
from posture.graph import INTERNET
from posture.model import Edge, Inventory, Resource
from posture.result import ScanResult

RULES = Path(__file__).parent / "rules"


def example_inventory() -> Inventory:
    """Data stores, keys, a listener and an internet path; one resource name carries HTML to prove escaping."""
    plain = {"at_rest": False, "algorithm": None, "key_id": None, "key_manager": None, "basis": "explicit"}
    kms = {"at_rest": True, "algorithm": "AES-256", "key_id": "arn:aws:kms:eu-west-1:111122223333:key/k1",
           "key_manager": "customer", "basis": "explicit"}
    resources = (
        Resource("arn:aws:rds:eu-west-1:111122223333:db:orders", "datastore", "aws_db_instance", "aws",
                 name="orders", account="111122223333", region="eu-west-1",
                 attrs={"store_type": "database", "encryption": plain, "public": True,
                        "master_password": "hunter2-do-not-leak"}),
        Resource("arn:aws:ec2:eu-west-1:111122223333:network-interface/eni-0db", "interface",
                 "aws_network_interface", "aws", name="eni-0db", account="111122223333", region="eu-west-1",
                 attrs={"public_ips": ["203.0.113.10"]}),
        Resource("arn:aws:s3:::<script>alert('x')</script>", "datastore", "aws_s3_bucket", "aws",
                 name="<script>alert('x')</script>", account="111122223333", region="eu-west-1",
                 attrs={"store_type": "object_storage", "encryption": plain}),
        Resource("arn:aws:s3:::reports", "datastore", "aws_s3_bucket", "aws", name="reports",
                 account="111122223333", region="eu-west-1",
                 attrs={"store_type": "object_storage", "encryption": kms}),
        Resource("arn:aws:kms:eu-west-1:111122223333:key/k1", "key", "aws_kms_key", "aws", name="k1",
                 account="111122223333", region="eu-west-1",
                 attrs={"manager": "customer", "algorithm": "AES-256", "enabled": True,
                        "rotation": {"enabled": False, "period_days": None}}),
        Resource("/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/logs",
                 "datastore", "Microsoft.Storage/storageAccounts", "azure", name="logs", account="sub-1",
                 region="westeurope", attrs={"store_type": "storage_account", "encryption": plain}),
        Resource("projects/p1/global/targetHttpsProxies/web", "listener", "compute.v1.targetHttpsProxy", "gcp",
                 name="web", account="p1", attrs={"protocol": "https", "port": 443,
                                                  "tls": {"policy": "COMPATIBLE", "min_version": "1.0",
                                                          "versions": ["1.0", "1.1", "1.2"]}}),
    )
    eni, db = resources[1].id, resources[0].id
    edges = (
        Edge(INTERNET, eni, "reachable_from_internet", {"ports": [[5432, 5432]]}),
        Edge(eni, db, "attached_to"),
    )
    return Inventory(resources, edges, meta={"example": True})


def example_result(**options: Any) -> ScanResult:
    """Scan the example estate with the built-in rules plus the example exposure rule."""
    options.setdefault("rule_dirs", [RULES])
    options.setdefault("source", {"type": "example", "target": "examples/report"})
    return scan_inventory(example_inventory(), **options)


if __name__ == "__main__":
    from posture.report import render

    # a fixed date keeps the docs page reproducible (tests/sinks/report/test_report_formats.py compares it)
    sys.stdout.write(render(example_result(), "html", {"generated_at": "2026-12-01 00:00 UTC"}))
