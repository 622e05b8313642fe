#!/usr/bin/env python3
"""Generate a Terraform plan JSON with about N resources, in one of two shapes.

``realistic`` (the default): what Terraform itself writes. ``realistic/stack-plan.json`` is a real plan
(Terraform 1.11, hashicorp/aws 5.100, made by ``realistic/regenerate.sh``) of the AWS plan-fixture scenarios
as modules with ``count = 1``: 69 resources with every attribute the provider schema has (nulls, empty
blocks, ``after_unknown``/``after_sensitive`` masks), ``planned_values`` and the full ``configuration``.
The generator repeats each module instance as Terraform does for ``count = N`` (same values, instance
addresses ``module.x[k]``), so the result has ``69 * ceil(N / 69)`` resources. A repeat of 10 was checked
against Terraform's own 10-stack plan: identical resource changes and planned values.

``sparse``: a hand-built estate of repeating 40-resource stacks (VPC, subnets, route tables, security
groups referencing each other, instances, ALB, RDS, S3 with separate encryption, KMS, SQS/SNS), carrying
only the attributes the rules read; about 1 in 10 stacks has planted faults. Real plans are 3-5x larger
per resource, and Checkov's time grows with the attributes, so this shape flatters Checkov.

    python benchmarks/gen_plan.py 10000 -o /tmp/plan-10k.json
    python benchmarks/gen_plan.py 10000 --shape sparse -o /tmp/plan-10k-sparse.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

STACK_PLAN = Path(__file__).resolve().parent / "realistic" / "stack-plan.json"
SHAPES = ("realistic", "sparse")


def _rc(address: str, rtype: str, name: str, after: dict[str, Any], unknown: dict[str, Any] | None = None,
        index: int | None = None) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        **({"index": index} if index is not None else {}),
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": ["create"],
            "before": None,
            "after": after,
            "after_unknown": unknown or {"id": True, "arn": True},
            "before_sensitive": False,
            "after_sensitive": {},
        },
    }


def _cfg(address: str, rtype: str, name: str, refs: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "address": address,
        "mode": "managed",
        "type": rtype,
        "name": name,
        "provider_config_key": "aws",
        "expressions": {k: {"references": v} for k, v in refs.items()},
        "schema_version": 0,
    }


def stack(i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """One stack of 40 resources; ``i`` varies names, CIDRs and which faults are planted."""
    bad = i % 10 == 0
    rc: list[dict[str, Any]] = []
    cfg: list[dict[str, Any]] = []

    def add(rtype: str, name: str, after: dict[str, Any], refs: dict[str, list[str]] | None = None) -> str:
        address = f"{rtype}.{name}_{i}"
        rc.append(_rc(address, rtype, f"{name}_{i}", after))
        cfg.append(_cfg(address, rtype, f"{name}_{i}", refs or {}))
        return address

    net = i % 250
    vpc = add("aws_vpc", "main", {"cidr_block": f"10.{net}.0.0/16", "tags": {"env": "prod" if i % 2 else "dev"}})
    igw = add("aws_internet_gateway", "igw", {}, {"vpc_id": [f"{vpc}.id", vpc]})
    subnets = []
    for s in range(4):
        subnets.append(add("aws_subnet", f"sn{s}", {"cidr_block": f"10.{net}.{s}.0/24",
                                                    "map_public_ip_on_launch": s == 0 and bad},
                           {"vpc_id": [f"{vpc}.id", vpc]}))
    rt = add("aws_route_table", "public", {"route": [{"cidr_block": "0.0.0.0/0", "gateway_id": None}]},
             {"vpc_id": [f"{vpc}.id", vpc], "route.gateway_id": [f"{igw}.id", igw]})
    for s, sn in enumerate(subnets[:2]):
        add("aws_route_table_association", f"rta{s}", {}, {"subnet_id": [f"{sn}.id", sn],
                                                           "route_table_id": [f"{rt}.id", rt]})
    web_sg = add("aws_security_group", "web", {
        "name": f"web-{i}",
        "ingress": [{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                     "ipv6_cidr_blocks": [], "security_groups": [], "self": False, "prefix_list_ids": [],
                     "description": "https"}],
        "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1", "cidr_blocks": ["0.0.0.0/0"],
                    "ipv6_cidr_blocks": [], "security_groups": [], "self": False, "prefix_list_ids": [],
                    "description": ""}],
    }, {"vpc_id": [f"{vpc}.id", vpc]})
    app_sg = add("aws_security_group", "app", {"name": f"app-{i}", "ingress": [], "egress": []},
                 {"vpc_id": [f"{vpc}.id", vpc]})
    add("aws_security_group_rule", "app_from_web", {
        "type": "ingress", "from_port": 8080, "to_port": 8080, "protocol": "tcp", "cidr_blocks": None,
        "ipv6_cidr_blocks": None, "self": False}, {"security_group_id": [f"{app_sg}.id", app_sg],
                                                   "source_security_group_id": [f"{web_sg}.id", web_sg]})
    add("aws_vpc_security_group_ingress_rule", "ssh", {
        "from_port": 22, "to_port": 22, "ip_protocol": "tcp",
        "cidr_ipv4": "0.0.0.0/0" if bad else f"10.{net}.0.0/16"}, {"security_group_id": [f"{app_sg}.id", app_sg]})
    db_sg = add("aws_security_group", "db", {"name": f"db-{i}", "ingress": [
        {"from_port": 5432, "to_port": 5432, "protocol": "tcp", "cidr_blocks": [], "ipv6_cidr_blocks": [],
         "security_groups": [], "self": False, "prefix_list_ids": [], "description": "pg"}], "egress": []},
        {"vpc_id": [f"{vpc}.id", vpc], "ingress.security_groups": [f"{app_sg}.id", app_sg]})
    key = add("aws_kms_key", "data", {"enable_key_rotation": not bad, "key_usage": "ENCRYPT_DECRYPT",
                                      "customer_master_key_spec": "SYMMETRIC_DEFAULT", "is_enabled": True,
                                      "deletion_window_in_days": 30})
    for n in range(6):
        add("aws_instance", f"app{n}", {"ami": "ami-12345678", "instance_type": "t3.micro",
                                        "associate_public_ip_address": False,
                                        "root_block_device": [{"encrypted": True, "volume_size": 20}],
                                        "metadata_options": [{"http_tokens": "required"}]},
            {"subnet_id": [f"{subnets[2 + n % 2]}.id", subnets[2 + n % 2]],
             "vpc_security_group_ids": [f"{app_sg}.id", app_sg]})
    for n in range(3):
        b = add("aws_s3_bucket", f"data{n}", {"bucket": f"acme-data-{i}-{n}", "force_destroy": False})
        add("aws_s3_bucket_server_side_encryption_configuration", f"data{n}", {
            "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms",
                                                                   "kms_master_key_id": None}],
                      "bucket_key_enabled": True}]}, {"bucket": [f"{b}.id", b],
                                                      "rule.apply_server_side_encryption_by_default.kms_master_key_id":
                                                      [f"{key}.arn", key]})
        add("aws_s3_bucket_public_access_block", f"data{n}", {
            "block_public_acls": True, "block_public_policy": True, "ignore_public_acls": True,
            "restrict_public_buckets": True}, {"bucket": [f"{b}.id", b]})
    add("aws_db_instance", "db", {"engine": "postgres", "instance_class": "db.t3.micro", "allocated_storage": 20,
                                  "storage_encrypted": not bad, "publicly_accessible": False,
                                  "backup_retention_period": 7, "multi_az": True, "username": "app"},
        {"vpc_security_group_ids": [f"{db_sg}.id", db_sg], "kms_key_id": [f"{key}.arn", key]})
    lb = add("aws_lb", "web", {"load_balancer_type": "application", "internal": False, "name": f"web-{i}"},
             {"security_groups": [f"{web_sg}.id", web_sg], "subnets": [f"{subnets[0]}.id", subnets[0]]})
    add("aws_lb_listener", "https", {"port": 443, "protocol": "HTTPS",
                                     "ssl_policy": "ELBSecurityPolicy-2016-08" if bad else
                                     "ELBSecurityPolicy-TLS13-1-2-2021-06",
                                     "default_action": [{"type": "forward"}]},
        {"load_balancer_arn": [f"{lb}.arn", lb]})
    add("aws_lb_listener", "http", {"port": 80, "protocol": "HTTP", "ssl_policy": "",
                                    "default_action": [{"type": "redirect", "redirect": [
                                        {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}]}]},
        {"load_balancer_arn": [f"{lb}.arn", lb]})
    add("aws_sqs_queue", "jobs", {"name": f"jobs-{i}", "sqs_managed_sse_enabled": True})
    # a planted fault: one topic in ten has no KMS key
    add("aws_sns_topic", "events", {"name": f"events-{i}"}, {} if bad else {"kms_master_key_id": [f"{key}.arn", key]})
    add("aws_cloudwatch_log_group", "app", {"name": f"/app/{i}", "retention_in_days": 30})
    return rc, cfg


def generate(n: int, shape: str = "realistic") -> dict[str, Any]:
    """A plan document of about ``n`` resources in ``shape`` (``realistic`` or ``sparse``)."""
    if shape == "realistic":
        return realistic(n)
    if shape != "sparse":
        raise ValueError(f"unknown plan shape {shape!r} (one of {', '.join(SHAPES)})")
    return sparse(n)


def _reindex(text: str, k: int) -> str:
    return text.replace("[0]", f"[{k}]", 1)


def realistic(n: int) -> dict[str, Any]:
    """Repeat the real one-stack plan's module instances ``module.x[0]`` as ``module.x[k]``."""
    base = json.loads(STACK_PLAN.read_text())
    stacks = max(1, math.ceil(n / len(base["resource_changes"])))
    changes, children, relevant = [], [], []
    for k in range(stacks):
        changes += [dict(rc, address=_reindex(rc["address"], k), module_address=_reindex(rc["module_address"], k))
                    for rc in base["resource_changes"]]
        children += [dict(child, address=_reindex(child["address"], k),
                          resources=[dict(r, address=_reindex(r["address"], k)) for r in child["resources"]])
                     for child in base["planned_values"]["root_module"]["child_modules"]]
        relevant += [dict(ra, resource=_reindex(ra["resource"], k)) for ra in base.get("relevant_attributes", [])]
    doc = dict(base, resource_changes=changes, relevant_attributes=relevant,
               planned_values={"root_module": {"child_modules": children}})
    doc["variables"] = {**base["variables"], "stacks": {"value": str(stacks)}}
    return doc


def sparse(n: int) -> dict[str, Any]:
    """The hand-built shape: ``n`` resources with only the attributes rules read."""
    resource_changes: list[dict[str, Any]] = []
    config: list[dict[str, Any]] = []
    i = 0
    while len(resource_changes) < n:
        rc, cfg = stack(i)
        resource_changes.extend(rc)
        config.extend(cfg)
        i += 1
    resource_changes, config = resource_changes[:n], config[:n]
    return {
        "format_version": "1.2",
        "terraform_version": "1.11.0",
        "planned_values": {"root_module": {}},
        "resource_changes": resource_changes,
        "configuration": {
            "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                                        "expressions": {"region": {"constant_value": "eu-west-1"}}}},
            "root_module": {"resources": config},
        },
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("resources", type=int)
    ap.add_argument("-o", "--output", default="-")
    ap.add_argument("--shape", choices=SHAPES, default="realistic")
    args = ap.parse_args()
    doc = generate(args.resources, args.shape)
    text = json.dumps(doc)
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as fh:
            fh.write(text)
        print(f"{len(doc['resource_changes'])} resources written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
