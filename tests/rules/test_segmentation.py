"""Segmentation: reachability rules and declared segmentation policies."""

from __future__ import annotations

import json

import pytest

from posture.api import scan_snapshot
from posture.cli import main
from posture.errors import InputError
from posture.graph import INTERNET
from posture.segmentation import load_policy
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "rules/segmentation/estate.jsonl"
POLICY = """
zones:
  prod: {tags: {env: prod}}
  dev: {cidrs: ["10.1.0.0/16"]}
flows:
  - {from: dev, to: prod, allow: false}
"""


def test_database_finding_names_the_proving_path():
    result = scan_snapshot(ESTATE, categories=["network.segmentation"])
    f = next(f for f in result.findings if f.rule_id == "POSTURE-SEG-001")
    assert f.resource.id == "db-public"
    assert f.evidence.path == (INTERNET, "igw", "rt-public", "subnet-public-auto", "sg-db-open", "db-public")
    assert "5432" in f.message


def test_policy_by_cidr_zone_finds_flow_through_peering(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    result = scan_snapshot(ESTATE, segmentation_policy=policy, categories=["network.segmentation"])
    hits = [f for f in result.findings if f.rule_id == "POSTURE-SEG-100"]
    assert [f.resource.id for f in hits] == ["vm-prod-db"]
    assert hits[0].evidence.path == ("vpc-dev", "vpc-prod", "sg-prod-db", "vm-prod-db")
    assert hits[0].discriminator == "dev->prod"


def test_without_policy_the_policy_rule_is_silent():
    result = scan_snapshot(ESTATE)
    assert not [f for f in result.findings if f.rule_id == "POSTURE-SEG-100"]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("zones: {prod: {tags: {env: prod}}}\nflows: [{from: dev, to: prod}]\n", "unknown zone 'dev'"),
        ("zones: {prod: {}}\nflows: []\n", "zones.prod"),
        ("zones: {prod: {cidrs: [not-a-cidr]}}\nflows: []\n", "zones.prod.cidrs"),
        ("zones: {prod: {tags: {env: prod}}}\nflows: [{from: prod, to: prod, alow: true}]\n",
         "p.yaml:2: flows[0].alow: unknown field; did you mean 'allow'?"),
        ("zones: [\n", "invalid YAML"),
    ],
)
def test_bad_policy_files_are_one_line_input_errors(tmp_path, text, needle):
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load_policy(p)
    assert needle in str(e.value) and str(p) in str(e.value) and "\n" not in str(e.value)


def test_cli_segmentation_policy_option(tmp_path, capsys):
    p = tmp_path / "p.yaml"
    p.write_text(POLICY)
    code = main(["scan", "snapshot", str(ESTATE), "--segmentation-policy", str(p), "--format", "json", "-q"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and any(f["rule_id"] == "POSTURE-SEG-100" for f in doc["findings"])
    p.write_text("zones: nope\n")
    assert main(["scan", "snapshot", str(ESTATE), "--segmentation-policy", str(p)]) == 2
