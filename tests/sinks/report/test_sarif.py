"""Output formats for CI: SARIF 2.1.0 (validated against the official schema), JUnit XML, Markdown."""

from __future__ import annotations

import datetime as dt
import json
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from posture.api import scan_terraform
from posture.gate import apply_gate
from posture.report import render
from tests.helpers.paths import ROOT

SCHEMA = ROOT / "posture" / "schemas" / "sarif-schema-2.1.0.json"

MAIN = '''
# posture:ignore POSTURE-KEY-001 rotation handled outside Terraform
resource "aws_kms_key" "k" {}

resource "aws_security_group" "open" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

variable "cidr" {}
resource "aws_security_group" "maybe" {
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = [var.cidr]
  }
}

resource "aws_db_instance" "db" {
  storage_encrypted = false
}

module "x" { source = "acme/unknown/aws" }
'''


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    root = tmp_path_factory.mktemp("fmt")
    (root / "main.tf").write_text(MAIN)
    scanned = scan_terraform(root, repo_root=root,
                             categories=["network.exposure", "encryption.at_rest", "keys.rotation"])
    gated, _ = apply_gate(scanned, baseline={next(f.fingerprint for f in scanned.findings
                                                  if f.rule_id == "POSTURE-ENC-001")}, today=dt.date(2026, 1, 1))
    return gated


@pytest.fixture(scope="module")
def sarif(result):
    return json.loads(render(result, "sarif"))


def test_sarif_validates_against_the_official_schema(sarif):
    schema = json.loads(SCHEMA.read_text())
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(sarif)


def test_sarif_rules_have_help_and_security_severity(sarif, result):
    rules = {r["id"]: r for r in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert set(rules) == {m.id for m in result.rules}
    net = rules["POSTURE-NET-001"]
    assert net["properties"]["security-severity"] == "8.0"
    assert "Remediation" in net["help"]["text"] and net["help"]["markdown"]
    assert net["defaultConfiguration"]["level"] == "error"


def test_sarif_results(sarif, result):
    results = {r["properties"]["resource"]: r for r in sarif["runs"][0]["results"]}
    assert len(results) == len(sarif["runs"][0]["results"]) == len(result.findings)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    open_sg = results["aws_security_group.open"]
    loc = open_sg["locations"][0]
    assert loc["physicalLocation"] == {"artifactLocation": {"uri": "main.tf", "uriBaseId": "%SRCROOT%"},
                                       "region": {"startLine": 5}}
    assert loc["logicalLocations"][0]["fullyQualifiedName"] == "aws_security_group.open"
    fp = next(f.fingerprint for f in result.findings if f.resource.id == "aws_security_group.open")
    assert open_sg["partialFingerprints"] == {"postureFingerprint/v1": fp}
    assert rules[open_sg["ruleIndex"]]["id"] == open_sg["ruleId"] == "POSTURE-NET-001"
    assert results["aws_kms_key.k"]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "rotation handled outside Terraform (main.tf:2)"}]
    assert results["aws_db_instance.db"]["baselineState"] == "unchanged"
    assert results["aws_security_group.maybe"]["level"] == "note"
    notes = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[0]["message"]["text"].startswith("[unknown_module]")


def test_junit(result):
    root = ET.fromstring(render(result, "junit"))
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    net = suites["POSTURE-NET-001"]
    cases = {c.get("name"): c for c in net.findall("testcase")}
    failure = cases["aws_security_group.open"].find("failure")
    assert failure is not None and failure.get("type") == "high"
    assert cases["aws_security_group.open"].get("file") == "main.tf"
    assert cases["aws_security_group.maybe"].find("skipped").get("message").startswith("cannot verify")
    key = suites["POSTURE-KEY-001"].find("testcase")
    assert key.find("skipped").get("message").startswith("suppressed: rotation handled")
    quiet = next(m.id for m in result.rules if not any(f.rule_id == m.id for f in result.findings))
    assert suites[quiet].find("testcase").get("name") == "no findings"
    assert suites["coverage"].get("errors") == "1"  # unknown_module: input not read
    assert suites["coverage"].find("testcase/error").get("message").startswith("input not read: ")
    assert root.get("errors") == "1"
    assert root.get("failures") == "1"
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites.values())


def test_markdown(result):
    text = render(result, "markdown")
    first = text.splitlines()[0]
    assert first.startswith("❌ **posture gate failed**: 1 open finding(s)")
    assert "| 🔴 high | `POSTURE-NET-001` | `aws_security_group.open` | `main.tf:5` |" in text
    assert "<summary>2 suppressed or baselined</summary>" in text
    assert "<summary>1 cannot verify" in text
    assert "`unknown_module`" in text


def test_markdown_escapes_table_cells(result):
    from dataclasses import replace

    f = next(f for f in result.findings if f.resource.id == "aws_security_group.open")
    tricky = replace(result, findings=(replace(f, message="a | b\nc"),))
    assert "a \\| b\\\\nc" in render(tricky, "markdown")  # the newline shows as an escape, the pipe is text
