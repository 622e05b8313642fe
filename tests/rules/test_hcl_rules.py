"""Every built-in rule on HCL fixtures, per provider and variant.

Fixture convention (tests/fixtures/hcl/rules/<dir>): a resource whose Terraform name starts with ``bad_``
must fail the directory's rule, ``good_`` must pass it, ``unk_`` must give only an info "cannot verify"
finding. Names are matched on any address segment, so module calls (``module.bad_x.aws_...``) count.
"""

from __future__ import annotations

import re

import pytest

from posture.api import scan_terraform
from tests.helpers.paths import FIXTURES

RULES_DIR = FIXTURES / "hcl" / "rules"
CASES = {
    "net": "POSTURE-NET-001", "net2": "POSTURE-NET-002", "net3": "POSTURE-NET-003", "net4": "POSTURE-NET-004",
    "net5": "POSTURE-NET-005", "net6": "POSTURE-NET-006",
    "enc": "POSTURE-ENC-001", "enc3": "POSTURE-ENC-003", "enc4": "POSTURE-ENC-004", "enc5": "POSTURE-ENC-005",
    "keys": "POSTURE-KEY-001", "keys_period": "POSTURE-KEY-002", "key4": "POSTURE-KEY-004",
    "tls": "POSTURE-TLS-001", "tls2": "POSTURE-TLS-002", "tls3": "POSTURE-TLS-003", "tls4": "POSTURE-TLS-004",
    "tls5": "POSTURE-TLS-005",
    "bak1": "POSTURE-BAK-001", "bak2": "POSTURE-BAK-002", "bak3": "POSTURE-BAK-003",
    "log1": "POSTURE-LOG-001", "log2": "POSTURE-LOG-002", "log3": "POSTURE-LOG-003", "log4": "POSTURE-LOG-004",
    "seg1": "POSTURE-SEG-001", "seg2": "POSTURE-SEG-002", "seg3": "POSTURE-SEG-003", "seg4": "POSTURE-SEG-004",
    "seg5": "POSTURE-SEG-005",
}
# Rules Terraform cannot exercise: account/identity state that only live sources see (IAM-001..004,
# KEY-003, KEY-005/006, LOG-006), a policy file (SEG-100),
# GCP/Azure audit configuration (LOG-005) and ENC-002 (no Terraform-configurable non-AES-256 store).
ONLY_BAD = {"enc4"}  # an account-wide setting: one per configuration
PARAMS = {"POSTURE-ENC-003": {"store_types": ["queue"]}}  # opt-in rules get enabled (and parameters) here
_LABEL = re.compile(r"(?:^|\.)(bad|good|unk)_[A-Za-z0-9_-]+")


@pytest.fixture(scope="module")
def scans():
    return {d: scan_terraform(RULES_DIR / d, repo_root=RULES_DIR / d, enable=[rule], rule_params=PARAMS)
            for d, rule in CASES.items()}


def test_every_fixture_directory_is_a_case():
    assert {p.name for p in RULES_DIR.iterdir() if p.is_dir()} == set(CASES)


@pytest.mark.parametrize("case", sorted(CASES))
def test_rule_fixture_cases(scans, case):
    result = scans[case]
    rule_id = CASES[case]
    assert not result.gaps, result.gaps
    # a labelled unit is a resource, or a module call, with everything it normalises into
    # (an instance and its root volume "<address>/root_block_device", a module's resources...)
    units: dict[str, list[str]] = {}
    for r in result.inventory.resources:
        m = _LABEL.search(r.id)
        if m:
            units.setdefault(m.group(0).lstrip("."), []).append(r.id)
    by_resource: dict[str, list] = {}
    for f in result.findings:
        if f.rule_id == rule_id:
            by_resource.setdefault(f.resource.id, []).append(f)
    assert {u.split("_", 1)[0] for u in units} >= ({"bad"} if case in ONLY_BAD else {"bad", "good"})
    for unit, ids in units.items():
        found = [f for rid in ids for f in by_resource.get(rid, ())]
        label = unit.split("_", 1)[0]
        if label == "bad":
            assert any(not f.unverified for f in found), f"{unit} should fail {rule_id}"
        elif label == "good":
            assert not found, f"{unit} should pass {rule_id}: {[f.message for f in found]}"
        else:
            assert found and all(f.unverified and f.severity.value == "info" for f in found), \
                f"{unit} should only be 'cannot verify'"
    unit_ids = {rid for ids in units.values() for rid in ids}
    stray = [rid for rid in by_resource if rid not in unit_ids]
    assert not stray, f"findings on unlabelled resources: {stray}"


def test_variants_are_covered(scans):
    ids = {r.id for r in scans["net"].inventory.resources}
    # count and for_each instances carry Terraform's instance keys
    assert {"aws_security_group.bad_counted[0]", "aws_security_group.bad_counted[1]",
            'aws_security_group.bad_for_each["ssh"]', 'aws_security_group.bad_for_each["rdp"]'} <= ids
    assert not any("good_count_zero" in i for i in ids)
    providers = {r.provider for r in scans["net"].inventory.resources}
    assert providers == {"aws", "azure", "gcp"}


def test_findings_carry_file_and_line(scans):
    f = next(f for f in scans["net"].findings if f.resource.id == "aws_security_group.bad_inline_ssh")
    assert f.location.file == "aws.tf"
    text = (RULES_DIR / "net" / "aws.tf").read_text().splitlines()
    assert text[f.location.line - 1].startswith('resource "aws_security_group" "bad_inline_ssh"')
    mod = next(f for f in scans["enc"].findings if "bad_rds_module" in f.resource.id)
    text = (RULES_DIR / "enc" / "aws.tf").read_text().splitlines()
    assert text[mod.location.line - 1] == 'module "bad_rds_module" {'  # registry module: the call's line
