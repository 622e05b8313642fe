#!/usr/bin/env python3
"""Reading Terraform JSON (``*.tf.json``) against the same configuration written as HCL (``.tf``).

Generates N security groups, rules referencing them and buckets, once as ``main.tf`` and once as a
CDKTF-shaped ``cdk.tf.json``, and prints the seconds ``load_hcl_sources`` (parse + static evaluation)
takes for each, best of three runs.

    python benchmarks/tf_json_scan.py 300 3000
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _hcl(n: int) -> str:
    out = ['variable "cidr" { default = "0.0.0.0/0" }\n']
    for i in range(n):
        out.append(f'resource "aws_security_group" "sg{i}" {{\n  name = "sg-{i}"\n  tags = {{ Name = "sg-{i}" }}\n}}\n'
                   f'resource "aws_security_group_rule" "r{i}" {{\n  type = "ingress"\n  from_port = 22\n'
                   f'  to_port = 22\n  protocol = "tcp"\n  cidr_blocks = [var.cidr]\n'
                   f'  security_group_id = aws_security_group.sg{i}.id\n}}\n'
                   f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = "b-{i}-${{var.cidr}}"\n'
                   f'  versioning {{\n    enabled = true\n  }}\n}}\n')
    return "".join(out)


def _json(n: int) -> str:
    meta = {"//": {"metadata": {"path": "stack/x", "uniqueId": "x"}}}
    res: dict = {"aws_security_group": {}, "aws_security_group_rule": {}, "aws_s3_bucket": {}}
    for i in range(n):
        res["aws_security_group"][f"sg{i}"] = {**meta, "name": f"sg-{i}", "tags": {"Name": f"sg-{i}"}}
        res["aws_security_group_rule"][f"r{i}"] = {
            **meta, "type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
            "cidr_blocks": ["${var.cidr}"], "security_group_id": f"${{aws_security_group.sg{i}.id}}"}
        res["aws_s3_bucket"][f"b{i}"] = {**meta, "bucket": f"b-{i}-${{var.cidr}}", "versioning": {"enabled": True}}
    return json.dumps({"variable": {"cidr": {"default": "0.0.0.0/0"}}, "resource": res}, indent=2)


def _best(path: Path) -> tuple[float, int]:
    from posture.providers.terraform.hcl import load_hcl_sources

    times, count = [], 0
    for _ in range(3):
        t0 = time.perf_counter()
        count = len(load_hcl_sources(path).raws)
        times.append(time.perf_counter() - t0)
    return min(times), count


def main(sizes: list[int]) -> None:
    from posture.providers.terraform.hcl_syntax import parse_hcl

    parse_hcl("")  # grammar load is not part of the measurement
    print(f"{'blocks':>7} {'.tf s':>8} {'.tf.json s':>11} {'ratio':>6}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as d:
            hcl_dir, json_dir = Path(d, "hcl"), Path(d, "json")
            hcl_dir.mkdir()
            json_dir.mkdir()
            (hcl_dir / "main.tf").write_text(_hcl(n))
            (json_dir / "cdk.tf.json").write_text(_json(n))
            t_hcl, c_hcl = _best(hcl_dir)
            t_json, c_json = _best(json_dir)
            assert c_hcl == c_json == 3 * n
            print(f"{3 * n:>7} {t_hcl:>8.3f} {t_json:>11.3f} {t_json / t_hcl:>6.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [300, 3000])
