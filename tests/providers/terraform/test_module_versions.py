"""Registry-module knowledge keyed by version: Terraform version constraints against the knowledge ranges."""

from __future__ import annotations

import pytest

from posture.providers.terraform.module_versions import ConstraintError, VersionRange, allowed_intervals, pick
from posture.providers.terraform.registry_modules import known_module

RANGES = [VersionRange((4, 0, 0), (6, 0, 0)), VersionRange((3, 0, 0), (4, 0, 0))]


@pytest.mark.parametrize(("constraint", "index"), [
    (None, 0),  # no constraint: the newest range
    ("~> 3.0", 1), ("3.14.2", 1), ("~> 3.18.1", 1), (">2, <4", 1),
    (">= 3.0, < 5.0", 0),  # both ranges allowed: the newest wins
    ("~> 5.0", 0), ("!= 4.0.0, ~> 4.0", 0),
    ("~> 2.0", None), ("= 2.1.0", None), ("~> 6.0", None), (">= 7.0", None),  # not in the table: a gap
])
def test_the_newest_range_a_constraint_allows_is_picked(constraint, index):
    assert pick(RANGES, constraint) == index


def test_unreadable_constraints_are_errors():
    with pytest.raises(ConstraintError):
        allowed_intervals("about five")


def test_module_defaults_follow_the_version():
    vpc = known_module("terraform-aws-modules/vpc/aws")
    assert 'variable "map_public_ip_on_launch" { default = true }' in vpc.for_constraint("~> 3.0").hcl
    assert 'variable "map_public_ip_on_launch" { default = false }' in vpc.for_constraint("~> 5.0").hcl
    assert vpc.for_constraint("~> 2.0") is None
    sqs = known_module("terraform-aws-modules/sqs/aws")
    assert 'variable "sqs_managed_sse_enabled" { default = false }' in sqs.for_constraint("3.5.0").hcl
    eks = known_module("terraform-aws-modules/eks/aws")
    assert 'variable "endpoint_public_access"' in eks.for_constraint("~> 21.0").hcl
    assert 'variable "cluster_endpoint_public_access" { default = true }' in eks.for_constraint("~> 18.0").hcl


def test_a_version_not_in_the_table_is_a_gap_and_no_constraint_is_stated(tmp_path):
    from posture.api import scan_terraform

    (tmp_path / "main.tf").write_text('''
module "old" {
  source  = "terraform-aws-modules/sqs/aws"
  version = "~> 2.0"
  name    = "old"
}
module "unpinned" {
  source = "terraform-aws-modules/sqs/aws"
  name   = "unpinned"
  sqs_managed_sse_enabled = false
}
''')
    result = scan_terraform(tmp_path)
    gaps = [g for g in result.gaps if g.code == "unknown_module_version"]
    assert len(gaps) == 1 and "'~> 2.0'" in gaps[0].reason
    assert not [r for r in result.graph.resources() if r.id.startswith("module.old")]
    found = [f for f in result.findings if f.rule_id == "POSTURE-ENC-001" and not f.unverified]
    assert [f.resource.id for f in found] == ["module.unpinned.aws_sqs_queue.this[0]"]
    assert "no version constraint: the newest known range is assumed" in found[0].evidence.details["module_knowledge"]
