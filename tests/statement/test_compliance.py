"""Per-framework compliance views: the catalogue, the table for a known plan, the CLI in every view format."""
import csv
import io
import json
from dataclasses import replace

import pytest

from posture.api import scan_terraform
from posture.cli import main
from posture.compliance import STATUSES, compliance_view, frameworks
from posture.model import Gap
from posture.rules.catalog import load_rules
from tests.helpers.paths import ROOT

PLAN = ROOT / "examples/aws-webapp/plan.json"


@pytest.fixture(scope="module")
def result():
    return scan_terraform(PLAN)


def test_catalogue_has_the_seven_frameworks_with_sources():
    assert list(frameworks()) == ["soc2", "iso27001", "cis-aws", "cis-azure", "cis-gcp", "pci", "nist"]
    for fw in frameworks().values():
        assert fw.source.startswith("https://") and len(fw.requirements) >= 10


def test_every_builtin_rule_control_is_in_the_catalogue():
    by_prefix = {fw.prefix: fw for fw in frameworks().values()}
    missing = sorted(c for r in load_rules([]) for c in r.meta.controls
                     if c.split(":", 1)[1] not in by_prefix[c.split(":", 1)[0]].requirements)
    assert missing == []


def test_every_framework_has_requirements_no_rule_covers(result):
    for name in frameworks():
        counts = compliance_view(result.to_dict(), name).counts()
        assert counts["not covered"] > 0, name


def test_cis_aws_table_for_a_known_plan(result):
    view = compliance_view(result.to_dict(), "cis-aws")
    rows = {r.id: r for r in view.rows}
    # 5.2: security groups open to the internet on admin ports; aws_security_group.app allows 22 from 0.0.0.0/0
    assert rows["5.2"].status == "fail" and rows["5.2"].failing == 1
    assert rows["5.2"].rules == ("POSTURE-NET-001", "POSTURE-NET-003")
    assert rows["5.2"].checked == len(result.graph.by_kind("firewall")) > 0  # both rules check every firewall
    assert rows["2.1.4"].status == "pass" and rows["2.1.4"].checked > 0 and rows["2.1.4"].failing == 0
    assert rows["1.8"].status == "not covered" and rows["1.8"].rules == ()
    assert rows["1.10"].status == "no resources"  # a rule maps to it, the plan has no IAM users
    # failing counts distinct resources with an open, verified finding mapped to the requirement
    for r in view.rows:
        expected = {f.resource.id for f in result.findings if f.status == "open" and not f.unverified
                    and f"CIS-AWS:{r.id}" in f.controls}
        assert r.failing == len(expected), r.id
    assert [r.id for r in view.rows][:3] == ["1.4", "1.5", "1.6"] and view.rows[-1].id == "5.6"
    assert sum(view.counts().values()) == len(view.rows) and set(view.counts()) == set(STATUSES)


def test_checked_counts_distinct_resources_across_rules(result):
    # CC6.6 is mapped by many network rules over the same firewalls: counted once each
    view = compliance_view(result.to_dict(), "soc2")
    row = next(r for r in view.rows if r.id == "CC6.6")
    assert len(row.rules) > 3
    assert row.checked <= sum(result.checked[r] for r in row.rules)
    assert row.checked >= max(result.checked[r] for r in row.rules)


def test_checked_counts_equal_the_union_of_what_each_rule_checked(result):
    from posture.rules.base import RuleContext

    rules = {r.id: r for r in load_rules([])}

    def checked_ids(rule):
        ctx = RuleContext(result.graph, rule.params, rule.meta)
        return {res.id for res in result.graph.by_kind(*rule.meta.kinds)
                if (not rule.meta.providers or res.provider in rule.meta.providers)
                and (rule.applies is None or rule.applies(res, ctx) is not False)}

    for control in ("SOC2:CC6.6", "SOC2:CC6.1", "CIS-AWS:3.6", "NIST:SC-28", "PCI:1.3.1"):
        mapped = [rules[m.id] for m in result.rules if control in m.controls]
        assert len(mapped) >= 1
        union = set().union(*(checked_ids(r) for r in mapped))
        assert result.checked_by_control[control] == len(union), control


def test_gaps_make_passes_incomplete(result):
    gapped = replace(result, gaps=(Gap("terraform", "a module could not be read", "parse_error"),))
    view = compliance_view(gapped.to_dict(), "cis-aws")
    statuses = {r.id: r.status for r in view.rows}
    assert statuses["2.1.4"] == "incomplete" and statuses["1.10"] == "incomplete" and statuses["5.2"] == "fail"
    assert "pass" not in statuses.values()


def test_a_value_unknown_gap_leaves_passes_to_the_unverified_findings(result):
    """A sensitive value is one unknown value, not an unread estate: it does not make every pass incomplete."""
    plain = {r.id: r.status for r in compliance_view(result.to_dict(), "cis-aws").rows}
    hidden = replace(result, gaps=(Gap("terraform", "x: values marked sensitive are not read", "sensitive_value"),))
    view = compliance_view(hidden.to_dict(), "cis-aws")
    assert {r.id: r.status for r in view.rows} == plain and "pass" in plain.values()


@pytest.fixture(scope="module")
def saved(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("compliance") / "result.json"
    assert main(["scan", "terraform", str(PLAN), "--format", "json", "-o", str(path), "-q"]) == 1
    return path


def test_cli_compliance_json_and_csv(saved, capsys):
    assert main(["compliance", "pci", str(saved), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    (fw,) = doc["frameworks"]
    assert fw["framework"]["name"] == "pci" and fw["framework"]["source"].startswith("https://")
    row = next(r for r in fw["requirements"] if r["id"] == "1.3.1")
    assert set(row) == {"id", "title", "rules", "resources_checked", "failing", "unverified", "status"}
    assert main(["compliance", "pci", str(saved), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == len(fw["requirements"]) and rows[0]["framework"] == "pci"
    assert {r["requirement"]: r["status"] for r in rows} == {r["id"]: r["status"] for r in fw["requirements"]}


def test_cli_compliance_markdown_html_table(saved, capsys):
    assert main(["compliance", "soc2", str(saved), "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| CC6.6 | ❌ fail |" in md and "not covered" in md
    assert main(["compliance", "soc2", str(saved), "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert '<section class="framework" id="fw-soc2">' in page and "<script" not in page
    assert main(["compliance", "soc2", str(saved), "--format", "table"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[3].split()[:3] == ["requirement", "status", "checked"]


def test_scan_with_framework_renders_the_view(tmp_path, capsys):
    out = tmp_path / "fw.csv"
    code = main(["scan", "terraform", str(PLAN), "--framework", "cis-aws", "--framework", "nist", "--format", "csv",
                 "-o", str(out), "--report", f"sarif={tmp_path / 'r.sarif'}", "-q"])
    assert code == 1  # the gate is unchanged by the view
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert {r["framework"] for r in rows} == {"cis-aws", "nist"}
    assert json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"]  # other formats are untouched


@pytest.mark.parametrize("argv, message", [
    (["scan", "terraform", str(PLAN), "--framework", "sox"], "unknown framework 'sox'"),
    (["compliance", "hipaa", "x.json"], "unknown framework 'hipaa'"),
    (["compliance", "soc2", "/nonexistent.json"], "no such file"),
])
def test_cli_errors_are_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_result_without_rules_section_is_an_error(saved, tmp_path, capsys):
    doc = json.loads(saved.read_text())
    del doc["rules"]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    assert main(["compliance", "soc2", str(old)]) == 2
    assert "no 'rules' section" in capsys.readouterr().err


def test_scan_ocsf_compliance_include_passed_from_the_cli(tmp_path):
    out = tmp_path / "c.json"
    argv = ["scan", "terraform", str(PLAN), "--format", "ocsf-compliance", "-o", str(out), "-q"]
    assert main(argv) == 1
    failing = json.loads(out.read_text())
    assert main([*argv, "--include-passed", "--framework", "cis-aws"]) == 1
    events = json.loads(out.read_text())
    passed = events[len(failing):]
    view = compliance_view(scan_terraform(PLAN).to_dict(), "cis-aws")
    assert sorted(e["compliance"]["control"] for e in passed) == sorted(
        f"CIS-AWS:{r.id}" for r in view.rows if r.status == "pass")
