"""Baselines and suppressions: nothing is dropped, only marked; expired suppressions stop working."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from posture.api import scan_terraform
from posture.cli import main
from posture.errors import InputError
from posture.gate import apply_gate, load_suppressions, read_baseline, write_baseline
from posture.model import Severity
from tests.helpers.paths import FIXTURES

MAIN = '''
# posture:ignore POSTURE-NET-001 bastion: SSH from anywhere is accepted until the VPN lands [until:2030-01-01]
resource "aws_security_group" "bastion" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_security_group" "legacy" { # posture:ignore POSTURE-NET-001 legacy jump host until:2020-01-01
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_kms_key" "k" {}

resource "aws_db_instance" "db" {
  storage_encrypted = false
}
'''


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")
    (root / "main.tf").write_text(MAIN)
    return root


@pytest.fixture(scope="module")
def result(tree):
    return scan_terraform(tree, repo_root=tree)


def by_id(result):
    return {(f.rule_id, f.resource.id): f for f in result.findings}


def test_inline_suppressions_and_expiry(result):
    gated, warnings = apply_gate(result, today=dt.date(2026, 6, 1))
    f = by_id(gated)
    bastion = f[("POSTURE-NET-001", "aws_security_group.bastion")]
    assert bastion.status == "suppressed"
    assert bastion.status_reason == "bastion: SSH from anywhere is accepted until the VPN lands (main.tf:2)"
    legacy = f[("POSTURE-NET-001", "aws_security_group.legacy")]
    assert legacy.status == "open" and "expired on 2020-01-01 (main.tf:12)" in legacy.status_reason
    assert warnings == ["posture: warning: main.tf:12: suppression of POSTURE-NET-001 expired on 2020-01-01; "
                        "it no longer applies"]
    assert len(gated.findings) == len(result.findings)  # nothing dropped
    # the day a suppression expires it stops working
    later, _ = apply_gate(result, today=dt.date(2030, 1, 1))
    assert by_id(later)[("POSTURE-NET-001", "aws_security_group.bastion")].status == "open"


def test_suppressions_file(tmp_path, result):
    path = tmp_path / "suppressions.yaml"
    path.write_text("suppressions:\n"
                    "  - rule: POSTURE-KEY-*\n    resource: aws_kms_key.*\n    reason: rotation by the platform\n"
                    "  - rule: POSTURE-ENC-001\n    reason: throwaway database\n    expires: 2099-12-31\n")
    sups = load_suppressions(path)
    assert [s.origin for s in sups] == [f"{path}:2", f"{path}:5"]
    gated, _ = apply_gate(result, suppressions=sups, inline=False)
    f = by_id(gated)
    assert f[("POSTURE-KEY-001", "aws_kms_key.k")].status == "suppressed"
    assert f[("POSTURE-ENC-001", "aws_db_instance.db")].status_reason == f"throwaway database ({path}:5)"
    assert f[("POSTURE-NET-001", "aws_security_group.bastion")].status == "open"  # inline=False
    failing = gated.failing(Severity.LOW)
    assert gated.failing(None) == [] and all(f.status == "open" for f in failing)
    assert {(f.rule_id, f.resource.id) for f in failing} >= {("POSTURE-NET-001", "aws_security_group.bastion"),
                                                             ("POSTURE-NET-001", "aws_security_group.legacy")}
    assert not {f.resource.id for f in failing} & {"aws_kms_key.k"} or all(
        f.rule_id != "POSTURE-KEY-001" for f in failing)


@pytest.mark.parametrize("text, message", [
    ("suppressions:\n  - rule: X\n    resource: a\n", r":2: suppressions\[0\]: suppression of X has no reason"),
    ("suppressions:\n  - rule: X\n    reason: '  '\n", r":2: suppressions\[0\]: suppression of X has no reason"),
    ("suppressions:\n  - reason: why\n", r":2: suppressions\[0\]: suppression without 'rule'"),
    ("suppressions:\n  - rule: X\n    reason: y\n    expires: soon\n",
     r":4: suppressions\[0\].expires: expires must be a date"),
    ("suppressions: [\n", "invalid YAML"),
])
def test_bad_suppression_files(tmp_path, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(InputError, match=message):
        load_suppressions(path)


def test_baseline_round_trip(tmp_path, result):
    path = write_baseline(result, tmp_path / "baseline.json")
    doc = json.loads(path.read_text())
    assert set(doc["fingerprints"]) == {f.fingerprint for f in result.findings}
    gated, _ = apply_gate(result, baseline=read_baseline(path), inline=False)
    assert {f.status for f in gated.findings} == {"baselined"}
    assert gated.failing(Severity.INFO) == []


def test_cli_gate_only_new_findings_fail(tree, tmp_path, capsys):
    base = tmp_path / "b.json"
    assert main(["scan", "terraform", str(tree), "-q", "--format", "json", "--write-baseline", str(base)]) == 1
    assert main(["scan", "terraform", str(tree), "-q", "--format", "json", "--baseline", str(base)]) == 0
    capsys.readouterr()
    (tree / "new.tf").write_text('resource "aws_sqs_queue" "plain" {\n  sqs_managed_sse_enabled = false\n}\n')
    try:
        assert main(["scan", "terraform", str(tree), "-q", "--format", "json", "--baseline", str(base)]) == 1
        doc = json.loads(capsys.readouterr().out)
        open_ = [f["resource"]["id"] for f in doc["findings"] if f["status"] == "open"]
        assert set(open_) == {"aws_sqs_queue.plain"}  # not encrypted, and no TLS-only policy
        statuses = {f["resource"]["id"]: f["status"] for f in doc["findings"]}
        assert statuses["aws_security_group.bastion"] == "suppressed"
        assert statuses["aws_db_instance.db"] == "baselined"
    finally:
        (tree / "new.tf").unlink()


def test_cli_rejects_bad_baseline(tree, tmp_path, capsys):
    bad = tmp_path / "b.json"
    bad.write_text("[]")
    assert main(["scan", "terraform", str(tree), "-q", "--baseline", str(bad)]) == 2
    assert "not a posture baseline" in capsys.readouterr().err


def test_module_call_suppression_covers_its_resources(tmp_path):
    (tmp_path / "main.tf").write_text(
        '# posture:ignore POSTURE-NET-001 public SFTP by design\n'
        'module "sg" {\n  source = "terraform-aws-modules/security-group/aws"\n'
        '  ingress_cidr_blocks = ["0.0.0.0/0"]\n  ingress_rules = ["ssh-tcp"]\n}\n')
    gated, _ = apply_gate(scan_terraform(tmp_path))
    assert [(f.resource.id, f.status) for f in gated.findings] == [("module.sg.aws_security_group.this[0]",
                                                                   "suppressed")]


def test_comments_in_tf_files_next_to_a_plan_suppress_plan_findings(tmp_path):
    fixture = FIXTURES / "plans" / "aws" / "network"
    (tmp_path / "plan.json").write_bytes((fixture / "plan.json").read_bytes())
    text = (fixture / "main.tf").read_text()
    marker = 'resource "aws_security_group" "app" {'
    assert marker in text
    (tmp_path / "main.tf").write_text(text.replace(
        marker, "# posture:ignore POSTURE-NET-* app tier reviewed in SEC-42\n" + marker))
    result = scan_terraform(tmp_path / "plan.json")
    gated, _ = apply_gate(result)
    app = [f for f in gated.findings if f.resource.id == "aws_security_group.app"]
    assert app and all(f.status == "suppressed" and "SEC-42" in f.status_reason for f in app)
    assert all(f.status == "open" for f in gated.findings if f.resource.id != "aws_security_group.app")
