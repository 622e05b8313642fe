"""Statement profiles: claim-by-claim verdicts."""

from __future__ import annotations

import json

import pytest

from posture.cli import main
from posture.errors import InputError
from posture.model import Gap, Inventory, Resource
from posture.profiles import FAILS, HOLDS, UNVERIFIABLE, judge, load_profile, profile_rules, profiles_dir, verify
from posture.providers.snapshot import save_snapshot
from posture.rules.catalog import load_rules
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "rules/segmentation/estate.jsonl"


def verdicts(report):
    return {c.id: c.verdict for c in report.claims}


def test_bundled_profiles_load_and_bind_to_existing_rules():
    rules = load_rules()
    names = sorted(p.stem for p in profiles_dir().glob("*.yaml"))
    assert len(names) >= 3
    for name in names:
        spec = load_profile(name)
        assert profile_rules(spec, rules)


def test_claims_hold_fail_or_cannot_be_verified_with_reasons():
    report = verify("aws-saas", [ESTATE])
    v = verdicts(report)
    assert v["default-deny"] == FAILS           # sg-ssh admits 22 from anywhere
    assert v["segmented"] == FAILS              # db-public is reachable
    assert v["aes256-at-rest"] == FAILS         # encrypted, but the algorithm is not stated: not proven AES-256
    assert v["tls-in-transit"] == UNVERIFIABLE  # nothing TLS in the estate: never a vacuous pass
    tls = next(c for c in report.claims if c.id == "tls-in-transit")
    assert "nothing in the estate" in tls.reasons[0]
    deny = next(c for c in report.claims if c.id == "default-deny")
    assert {f.resource.id for f in deny.findings} >= {"sg-ssh"}


def test_claim_parameters_instantiate_rules_per_claim(tmp_path):
    key = Resource("k", "key", "aws_kms_key", "aws", name="k",
                   attrs={"manager": "customer", "rotation": {"enabled": True, "period_days": 180}})
    snap = save_snapshot(Inventory((key,)), tmp_path / "k.jsonl")
    assert verdicts(verify("aws-saas", [snap]))["key-rotation"] == HOLDS          # 180 <= 365
    assert verdicts(verify("multicloud-saas", [snap]))["key-rotation"] == FAILS   # 180 > 90


def test_a_gap_for_the_claims_service_makes_it_unverifiable(tmp_path):
    key = Resource("k", "key", "aws_kms_key", "aws", name="k",
                   attrs={"manager": "customer", "rotation": {"enabled": True, "period_days": 90}})
    gap = Gap("aws", "AccessDenied on kms:ListKeys", "AccessDenied", service="kms", region="eu-west-1")
    s3_gap = Gap("aws", "AccessDenied on s3", "AccessDenied", service="s3")
    spec = load_profile("aws-saas")
    from posture.api import scan_inventory

    result = scan_inventory(Inventory((key,), (), (gap, s3_gap)), rules=profile_rules(spec, load_rules()))
    report = judge(spec, result)
    claim = next(c for c in report.claims if c.id == "key-rotation")
    assert claim.verdict == UNVERIFIABLE and claim.gaps == (gap,)


def test_bad_profiles_are_input_errors(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("profile: x\ntitle: t\nclaims:\n  - id: a\n    text: t\n    rules: [POSTURE-NOPE-001]\n")
    with pytest.raises(InputError, match="unknown rule 'POSTURE-NOPE-001'"):
        verify(bad, [ESTATE])
    bad.write_text("profile: x\ntitle: t\nclaims: []\n")
    with pytest.raises(InputError, match="claims"):
        load_profile(bad)
    with pytest.raises(InputError, match="no such profile"):
        load_profile("no-such-profile")


def test_cli_verify(capsys):
    code = main(["verify", "aws-saas", str(ESTATE), "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1 and doc["summary"]["does not hold"] == 3
    code = main(["verify", "aws-saas", str(ESTATE), "--format", "table"])
    out = capsys.readouterr().out
    assert "[FAILS     ] default-deny" in out and "[UNVERIFIED] tls-in-transit" in out


def test_every_collector_service_maps_to_the_kinds_it_describes():
    """A gap from an unmapped service blocks every claim; keep the map complete so gaps stay precise."""
    from posture.profiles import SERVICE_KINDS
    from posture.providers.aws.tasks import SERVICES as AWS
    from posture.providers.azure import SERVICES as AZURE
    from posture.providers.gcp.collect import TASKS as GCP

    services = set(AWS) | set(AZURE) | {service for service, _ in GCP.values()}
    assert services <= set(SERVICE_KINDS), services - set(SERVICE_KINDS)


def test_a_claim_with_an_unknown_topic_is_an_input_error(tmp_path):
    bad = tmp_path / "p.yaml"
    bad.write_text("profile: x\ntitle: t\nclaims:\n  - id: a\n    text: t\n    topic: encryption-at-rets\n")
    with pytest.raises(InputError, match=r"claim 'a': unknown claim topic 'encryption-at-rets' \(did you mean "
                                         r"'encryption-at-rest'"):
        verify(bad, [ESTATE])
    bad.write_text("profile: x\ntitle: t\nclaims:\n  - id: a\n    text: t\n")
    with pytest.raises(InputError, match="needs rules, a topic"):
        load_profile(bad)
