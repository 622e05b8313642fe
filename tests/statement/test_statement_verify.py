"""Verifying published statements end to end: estates, the scan history, verdicts, reports, CLI, API."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

import posture
import posture.history
from posture.api import scan_inventory
from posture.cli import main
from posture.errors import InputError
from posture.model import Inventory
from posture.profiles import FAILS, HOLDS, UNVERIFIABLE, load_profile, verify
from posture.statement.catalogue import load_catalogue
from posture.statement.render import render
from posture.statement.report import NOT_CHECKABLE
from tests.helpers.paths import FIXTURES, ROOT

STATEMENTS = FIXTURES / "statements"
AWS_PLAN = ROOT / "examples/aws-webapp/plan.json"
AZURE_PLAN = FIXTURES / "plans/azure/plan.json"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def statement(name: str) -> str:
    return (STATEMENTS / name).read_text(encoding="utf-8")


def by_topic(report) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for c in report.claims:
        out.setdefault(c.claim.topic, []).append(c.verdict)
    return out


def record_external(db: Path, when: datetime, scope: str = "perimeter") -> None:
    result = scan_inventory(Inventory(), source={"type": "external", "target": f"/etc/posture/{scope}.yaml",
                                                 "scope": scope})
    with posture.history.open(db) as h:
        h.record(result, time=when)


def test_aws_statement_on_the_example_plan_claim_by_claim():
    report = posture.verify_statement(statement("acme-trust.md"), [AWS_PLAN], name="acme-trust.md")
    v = by_topic(report)
    assert v["default-deny"] == [FAILS]            # aws_security_group.app admits 22 from anywhere
    assert v["encryption-at-rest"] == [FAILS]      # the RDS instance is not encrypted
    assert v["audit-logging"] == [HOLDS]           # the plan's CloudTrail trail is multi-region and validated
    assert v["external-scans"] == [UNVERIFIABLE]   # no history given
    assert v["personnel"] == [NOT_CHECKABLE] and v["certifications"] == [NOT_CHECKABLE]
    deny = next(c for c in report.claims if c.claim.topic == "default-deny")
    assert [(f.rule_id, f.resource.id) for f in deny.findings] == [("POSTURE-NET-001", "aws_security_group.app")]
    assert report.providers == ("aws",) and report.verdict == FAILS
    assert "POSTURE-LOG-006" in next(c for c in report.claims if c.claim.topic == "audit-logging").rules


def test_external_scan_claims_are_decided_by_the_history(tmp_path):
    text = statement("acme-trust.md")  # "at least once every three months"
    db = tmp_path / "history.db"

    def verdict(**kw):
        r = posture.verify_statement(text, [AWS_PLAN], now=NOW, **kw)
        return next(c for c in r.claims if c.claim.topic == "external-scans")

    assert verdict().verdict == UNVERIFIABLE                                   # no history at all
    with posture.history.open(db) as h:                                        # a history with no external scan
        h.record(posture.scan_terraform(AWS_PLAN), time=NOW - timedelta(days=3))
    claim = verdict(history=db)
    assert claim.verdict == UNVERIFIABLE and "no external scan" in claim.reasons[0]
    record_external(db, NOW - timedelta(days=200))
    claim = verdict(history=db)
    assert claim.verdict == FAILS and "200 day(s) ago" in claim.reasons[0] and "older than" in claim.reasons[0]
    record_external(db, NOW - timedelta(days=20))
    claim = verdict(history=db)
    assert claim.verdict == HOLDS and "within 90 days" in claim.reasons[0]
    assert verdict(history=db, scope="perimeter").verdict == HOLDS
    assert verdict(history=db, scope="other-scope").verdict == UNVERIFIABLE   # the declared scope was never scanned


def test_a_statement_about_azure_holds_nothing_on_an_aws_plan():
    report = posture.verify_statement(statement("northwind-security.html"), [AWS_PLAN], name="northwind.html")
    assert report.providers == ("azure",)
    assert {c.verdict for c in report.claims} <= {UNVERIFIABLE, NOT_CHECKABLE}
    assert not any(c.findings for c in report.claims)
    profile = verify("azure-saas", [AWS_PLAN])
    assert {c.verdict for c in profile.claims} == {UNVERIFIABLE}
    assert all("of azure" in c.reasons[0] for c in profile.claims)


def test_the_same_statement_on_its_own_cloud_is_judged(tmp_path):
    report = posture.verify_statement(statement("northwind-security.html"), [AZURE_PLAN])
    assert HOLDS in {c.verdict for c in report.claims} and FAILS in {c.verdict for c in report.claims}
    assert all(f.resource.provider == "azure" for c in report.claims for f in c.findings)


def test_audit_logging_claims_include_every_audit_rule_of_the_provider():
    """On accounts with no CloudTrail, LOG-006 fires: the aws-saas audit claim must not say 'cannot be verified'."""
    estate = FIXTURES / "rules/logging/accounts.jsonl"
    claim = next(c for c in verify("aws-saas", [estate]).claims if c.id == "audit-logs")
    assert claim.verdict == FAILS
    assert "POSTURE-LOG-006" in {f.rule_id for f in claim.findings}


def _expected_rules(topic_id: str, providers: list[str]) -> set[str]:
    """Independently of posture.profiles: the enabled rules of the topic's categories and kinds."""
    from posture.rules.catalog import load_rules

    decide = load_catalogue().topic(topic_id).decide
    left_out = set(decide.exclude) | {r for rs in decide.when_params.values() for r in rs}
    return {r.id for r in load_rules() if r.meta.enabled and r.meta.category in decide.categories
            and set(r.meta.kinds) & {k.value for k in decide.kinds} and r.id not in left_out
            and (not r.meta.providers or set(r.meta.providers) & set(providers))}


def test_every_rule_whose_category_and_kinds_bear_on_a_claim_is_part_of_it():
    from posture.profiles import plan_claims, profiles_dir
    from posture.rules.catalog import load_rules

    rules = load_rules()
    for f in sorted(profiles_dir().glob("*.yaml")):
        spec = load_profile(f)
        for plan in plan_claims(spec, rules):
            assert plan.claim.topic, f"{f.name}: claim {plan.claim.id} names no topic"
            used = {rid.split("@")[0] for rid in plan.rules}
            missing = _expected_rules(plan.claim.topic, spec.providers) - used
            assert not missing, f"{f.name}: claim {plan.claim.id} leaves out {sorted(missing)}"
    assert "POSTURE-LOG-006" in _expected_rules("audit-logging", ["aws"])


def test_every_rule_of_a_topics_categories_is_used_excluded_with_a_reason_or_gated():
    from posture.rules.catalog import load_rules

    cat = load_catalogue()
    ids = {r.id for r in load_rules()}
    for t in cat.topics:
        d = t.decide
        named = set(d.exclude) | {r for rs in d.when_params.values() for r in rs} | set(d.rule_params)
        assert named <= ids, f"{t.id} names unknown rules {sorted(named - ids)}"
        assert all(reason.strip() for reason in d.exclude.values())
        assert d.history or d.categories, f"{t.id} is decided by nothing"


def test_json_shape_and_lint():
    report = posture.verify_statement(statement("weak-promises.txt"), [AWS_PLAN], name="weak-promises.txt")
    doc = json.loads(render(report, "json"))
    assert set(doc) >= {"statement", "claims", "lint", "summary"} and doc["statement"] == "weak-promises.txt"
    for c in doc["claims"]:
        assert set(c) >= {"text", "topic", "params", "verdict", "rules", "findings", "reasons"}
    tls = next(c for c in doc["claims"] if c["topic"] == "encryption-in-transit")
    assert tls["params"]["tls_min"] == "1.0" and "POSTURE-TLS-001@" in " ".join(tls["rules"])
    old = next(x for x in doc["lint"] if x["id"] == "STMT-TLS-OLD")
    assert "TLS 1.0" in old["text"] and "TLS 1.2 or higher" in old["recommended"]
    assert doc["summary"]["verdict"] == FAILS and doc["summary"]["lint"] == len(doc["lint"]) >= 6


def test_html_page_highlights_claims_and_escapes_everything():
    text = ("<h1>Trust &lt;b&gt;page</h1><p>Data is encrypted at rest with AES-256 "
            "&lt;script&gt;alert(1)&lt;/script&gt; (keys &lt; 4 years &amp; \"rotated\").</p>"
            "<p>All employees complete security training.</p>")
    report = posture.verify_statement(text, [AWS_PLAN], name="<evil>.html")
    page = render(report, "html")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "keys &lt; 4 years &amp; &quot;rotated&quot;" in page and "Trust &lt;b&gt;page" in page
    assert "&lt;evil&gt;.html" in page and "<evil>" not in page
    assert '<mark class="fails" id="s1">' in page and '<mark class="manual" id="s2">' in page
    assert "POSTURE-ENC-001" in page
    md = render(report, "markdown")
    assert "<script>" not in md and "**does not hold**" in md


def test_emit_profile_round_trips_to_the_same_verdicts(tmp_path, capsys):
    src = STATEMENTS / "acme-trust.md"
    assert main(["verify", "--statement", str(src), "--emit-profile"]) == 0
    emitted = capsys.readouterr().out
    path = tmp_path / "acme.yaml"
    path.write_text(emitted)
    spec = load_profile(path)
    assert spec.providers == ["aws"] and any(c.history for c in spec.claims)
    assert any("background checks" in n.text for n in spec.not_checkable)
    from_profile = {c.id: c.verdict for c in verify(path, [AWS_PLAN]).claims}
    from_statement = {c.id: c.verdict for c in posture.verify_statement(src.read_text(), [AWS_PLAN]).claims
                      if c.verdict != NOT_CHECKABLE}
    assert from_profile == from_statement


def test_cli_statement_formats_and_exit_codes(tmp_path, capsys):
    src = str(STATEMENTS / "acme-trust.md")
    assert main(["verify", "--statement", src, str(AWS_PLAN), "--format", "table"]) == 1
    out = capsys.readouterr().out
    assert "Estates: " + str(AWS_PLAN) in out and "Providers: aws" in out and "[FAILS" in out
    assert "Overall: does not hold" in out and "['" not in out and "{'" not in out
    db = tmp_path / "h.db"
    record_external(db, datetime.now(timezone.utc) - timedelta(days=1))
    ok = tmp_path / "ok.md"
    ok.write_text("We run an external vulnerability scan at least once every three months.\n")
    assert main(["verify", "--statement", str(ok), "--history", str(db), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["verdict"] for c in doc["claims"]] == [HOLDS]
    vague = tmp_path / "vague.md"
    vague.write_text("Security groups are default-deny.\n")
    assert main(["verify", "--statement", str(vague), "--format", "json"]) == 0          # cannot be verified
    assert main(["verify", "--statement", str(vague), "--format", "json", "--strict"]) == 1
    capsys.readouterr()
    assert main(["verify", "--statement", str(tmp_path / "missing.md")]) == 2
    assert "missing.md" in capsys.readouterr().err
    assert main(["verify", "--emit-profile", "aws-saas"]) == 2


def test_verify_list_and_profile_reports_are_text(capsys):
    assert main(["verify", "--list"]) == 0
    out = capsys.readouterr().out
    assert "aws-saas" in out and "external-scans" in out
    assert main(["verify", "aws-saas", str(AWS_PLAN), "--format", "markdown"]) == 1
    captured = capsys.readouterr()
    assert f"estates: {AWS_PLAN}" in captured.out and "providers: aws" in captured.out
    assert "{'" not in captured.err and "hold," in captured.err
    assert main(["verify", "aws-saas", str(AWS_PLAN), "--format", "html"]) == 1
    page = capsys.readouterr().out
    assert "[&#x27;" not in page and "[&#39;" not in page and str(AWS_PLAN) in page


def test_claim_catalogue_is_validated_strictly(tmp_path):
    from posture.statement.catalogue import load_catalogue as load

    bad = tmp_path / "topics.yaml"
    bad.write_text("topics:\n  - id: x\n    title: t\n    signals: ['a']\n    decide: {history: true}\n"
                   "    signalz: ['b']\n")
    with pytest.raises(InputError, match=r"topics\.yaml:6: topics\[0\]\.signalz: unknown field; did you mean .signals"):
        load(tmp_path)
    bad.write_text("topics:\n  - id: x\n    title: t\n    signals: ['(unclosed']\n    decide: {history: true}\n")
    with pytest.raises(InputError, match=r"topics\.yaml:4: .*bad regular expression"):
        load(tmp_path)
    bad.write_text("topics:\n  - id: x\n    title: t\n    signals: ['a']\n    decide: {kinds: [datastor]}\n")
    with pytest.raises(InputError, match=r"topics\.yaml:5: topics\[0\]\.decide\.kinds\[0\]"):
        load(tmp_path)


def test_importing_posture_stays_light():
    code = "import sys, posture; print('posture.statement' in sys.modules, 'posture.profiles' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}).stdout
    assert out.split() == ["False", "False"]
    assert posture.verify_statement.__module__ == "posture.statement.report"


def test_a_statement_with_no_estate_is_never_green():
    report = posture.verify_statement("Security groups are default-deny. Backups are kept for 30 days.\n")
    assert {c.verdict for c in report.claims} == {UNVERIFIABLE}
    assert report.claims[0].reasons == ("no estate given (plan, Terraform directory or snapshot)",)
    assert yaml.safe_load(report.profile.to_yaml())["claims"][1]["params"] == {
        "POSTURE-BAK-002": {"min_days": 30}}


def test_mfa_for_all_access_binds_to_console_users_too(tmp_path):
    from posture.providers.snapshot import read_snapshot, save_snapshot

    estate = FIXTURES / "rules/identity/console.jsonl"
    text = "Two-factor authentication is required for all server access on AWS.\n"
    claim = posture.verify_statement(text, [estate]).claims[0]
    assert claim.claim.topic == "mfa" and claim.verdict == FAILS
    assert [(f.rule_id, f.resource.name) for f in claim.findings] == [("POSTURE-IAM-004", "console-no-mfa")]
    inv = read_snapshot(estate)
    clean = Inventory(tuple(r for r in inv.resources if r.name != "console-no-mfa"))
    twin = save_snapshot(clean, tmp_path / "clean.jsonl")
    assert posture.verify_statement(text, [twin]).claims[0].verdict == HOLDS


def test_an_audit_claim_never_holds_on_a_plan_with_no_trail(tmp_path):
    """LOG-006 does not judge plans (a plan is part of an estate): it must not count as having checked them."""
    plan = tmp_path / "main.tf"
    plan.write_text('resource "aws_ebs_encryption_by_default" "on" {\n  enabled = true\n}\n')
    report = posture.verify_statement("AWS CloudTrail records all API calls.\n", [plan])
    claim = report.claims[0]
    assert claim.claim.topic == "audit-logging" and claim.verdict == UNVERIFIABLE
    assert "nothing in the estate" in claim.reasons[0]


def test_a_claim_naming_one_provider_is_judged_on_it_alone():
    text = ("We run on AWS and Google Cloud. AWS CloudTrail records all API calls. "
            "Data at rest is encrypted with AES-256.\n")
    report = posture.verify_statement(text, [ROOT / "examples/multicloud/plan.json"])
    assert report.providers == ("aws", "gcp")
    audit, rest = report.claims
    assert audit.providers == ("aws",) and "POSTURE-LOG-001@s2-audit-logging" in audit.rules
    assert all(f.resource.provider == "aws" for f in audit.findings)
    assert rest.providers == ("aws", "gcp")


def test_a_check_the_plan_cannot_decide_never_lets_a_claim_hold(tmp_path):
    """IAM-001 skips unknown MFA state in scans; in a statement verdict the same unknown is 'cannot be verified'."""
    (tmp_path / "main.tf").write_text(
        'resource "aws_iam_user" "admin" {\n  name = "admin"\n}\n'
        'resource "aws_iam_user_policy_attachment" "admin" {\n  user       = aws_iam_user.admin.name\n'
        '  policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"\n}\n')
    claim = posture.verify_statement("Multi-factor authentication is required for all administrators.\n",
                                     [tmp_path]).claims[0]
    assert claim.verdict == UNVERIFIABLE and "could not be decided" in claim.reasons[0]
    assert [f.rule_id for f in claim.findings] == ["POSTURE-IAM-001"] and claim.findings[0].unverified


def test_a_gap_in_another_cloud_or_a_value_unknown_gap_never_blocks_a_claim(tmp_path):
    """The multicloud plan's GCP sensitive-metadata gap once made the AWS CloudTrail claim 'cannot be verified'."""
    both = [AWS_PLAN, ROOT / "examples/multicloud/plan.json"]
    report = posture.verify_statement(statement("acme-trust.md"), both, name="acme-trust.md")
    assert any(g.code == "sensitive_value" for g in report.profile_report.result.gaps)
    assert by_topic(report)["audit-logging"] == [HOLDS]
    # an unreadable file is input not read: it still blocks, whatever cloud the claim names
    (tmp_path / "aws_broken.tf").write_text('resource "aws_s3_bucket" "b" {\n  bucket = \n')
    report = posture.verify_statement(statement("acme-trust.md"), [AWS_PLAN, tmp_path], name="acme-trust.md")
    assert by_topic(report)["audit-logging"] == [UNVERIFIABLE]
