"""Hostile Terraform: nesting, expansion and evaluation bombs end quickly as named gaps (or exit 2), never
an exhausted machine. Limits are set small through the environment so each test is fast and small."""

from __future__ import annotations

import json
from collections import defaultdict

from posture.providers.terraform.hcl import load_hcl_sources
from posture.providers.terraform.plan_refs import _walk_expressions, add_index_free


def _nested(depth: int) -> dict:
    inner: dict = {"x": "${aws_vpc.v.id}"}
    for _ in range(depth):
        inner = {"a": inner}
    return inner


def test_nested_blocks_cost_paths_linear_in_depth(tmp_path):
    """22 nested objects in 150 bytes of .tf.json once cost 2 GB: every mix of indexed/index-free steps."""
    doc = {"resource": {"aws_vpc": {"v": {}}, "aws_s3_bucket": {"b": _nested(22)}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(doc))
    raw = next(r for r in load_hcl_sources(tmp_path).raws if r.type == "aws_s3_bucket")
    deep = ".".join(["a.0"] * 22) + ".x"
    assert len(raw.configured) <= 4 * 23 and deep in raw.configured  # indexed
    assert ".".join(["a"] * 22) + ".x" in raw.configured  # index-free: in any instance
    assert raw.refs[deep] == ("aws_vpc.v",) and raw.refs["a"] == ("aws_vpc.v",)


def test_plan_configuration_paths_are_linear_too():
    exprs: dict = {"x": {"references": ["aws_vpc.v.id"]}}
    for _ in range(22):
        exprs = {"a": [exprs]}
    refs: defaultdict[str, list[str]] = defaultdict(list)
    configured: set[str] = set()
    _walk_expressions(exprs, "", refs, configured)
    add_index_free(refs, configured)
    assert len(configured) <= 4 * 23
    assert {".".join(["a.0"] * 22) + ".x", ".".join(["a"] * 22) + ".x"} <= configured
    assert refs[".".join(["a"] * 22) + ".x"] == ["aws_vpc.v.id"]
