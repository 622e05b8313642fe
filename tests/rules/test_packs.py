"""Rule packs as a user meets them: instances of built-in rules in their own directory."""

from __future__ import annotations

from posture.api import scan_terraform
from posture.rules.catalog import load_rules

PLAN = "tests/fixtures/rules/transit/aws/plan.json"


def test_user_instances_of_builtin_python_and_yaml_rules(tmp_path):
    (tmp_path / "strict.yaml").write_text(
        "instances:\n"
        "  - {of: POSTURE-TLS-005, id: ACME-TLS-005, title: legacy suites, params: {strengths: [weak, legacy]}}\n"
        "  - {of: POSTURE-NET-002, id: ACME-NET-002, title: consoles, params: {ports: [8443]}}\n"
    )
    # validating a directory alone (built-in rules not run) still resolves the bases
    assert {r.id for r in load_rules([tmp_path], builtin=False, plugins=False)} == {"ACME-TLS-005", "ACME-NET-002"}
    rules = [r for r in load_rules([tmp_path], plugins=False) if r.id.startswith("ACME-TLS")]
    flagged = {f.resource.id for f in scan_terraform(PLAN, rules=rules).findings if not f.unverified}
    # the default ELB policy offers CBC suites: legacy, not weak
    assert "aws_lb_listener.default_policy" in flagged and "aws_lb_listener.tls13" not in flagged
