"""Rule selection by ids, globs and comma lists; --rule allowlist; --severity filters reports, not the gate."""

from __future__ import annotations

import json

import pytest

from posture.api import select_rules
from posture.cli import main
from posture.errors import InputError
from posture.rules.catalog import load_rules

ALL = [r.id for r in load_rules([])]
DEFAULT = {r.id for r in load_rules([]) if r.meta.enabled}
NET = {i for i in DEFAULT if i.startswith("POSTURE-NET-")}

SG = '''resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_kms_key" "k" {}
'''


def ids(**kw) -> set[str]:
    return {r.id for r in select_rules(**kw)}


def test_globs_and_lists_in_skip_enable_and_rule():
    assert NET and ids(skip=["POSTURE-NET-*"]) == DEFAULT - NET
    assert ids(only=["POSTURE-NET-*"]) == NET
    assert ids(only=["POSTURE-NET-*", "POSTURE-KEY-001"]) == NET | {"POSTURE-KEY-001"}
    assert ids(only=["POSTURE-NET-*"], skip=["POSTURE-NET-001"]) == NET - {"POSTURE-NET-001"}
    opt_in = sorted(set(ALL) - DEFAULT)
    assert opt_in, "the catalogue has opt-in rules"
    assert ids(enable=[opt_in[0]]) == DEFAULT | {opt_in[0]}
    assert ids(only=[opt_in[0]]) == {opt_in[0]}  # named exactly: runs although opt-in
    assert opt_in[0] not in ids(only=["POSTURE-*"])  # a glob selects among enabled rules


@pytest.mark.parametrize("kw", [{"skip": ["POSTURE-NOPE-*"]}, {"only": ["POSTURE-NET-01"]}, {"enable": ["X"]}])
def test_a_pattern_matching_nothing_is_an_error(kw):
    with pytest.raises(InputError, match="no rule matches"):
        select_rules(**kw)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(SG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scan(capsys, *args: str) -> tuple[int, dict]:
    code = main(["scan", "terraform", ".", "-q", "--format", "json", *args])
    return code, json.loads(capsys.readouterr().out)


def test_cli_comma_lists_and_globs(tree, capsys):
    code, doc = _scan(capsys, "--skip", "POSTURE-NET-*,POSTURE-KEY-001")
    assert not {f["rule_id"] for f in doc["findings"]} & (NET | {"POSTURE-KEY-001"})
    code, doc = _scan(capsys, "--rule", "POSTURE-NET-001", "--rule", "POSTURE-KEY-001")
    assert {f["rule_id"] for f in doc["findings"]} == {"POSTURE-NET-001", "POSTURE-KEY-001"}
    assert doc["summary"]["rules"] == 2


def test_severity_filters_reports_independently_of_the_gate(tree, capsys):
    code, doc = _scan(capsys, "--rule", "POSTURE-NET-001,POSTURE-KEY-001", "--fail-on", "high")
    sev = {f["rule_id"]: f["severity"] for f in doc["findings"]}
    assert code == 1 and sev["POSTURE-NET-001"] in ("high", "critical") and sev["POSTURE-KEY-001"] == "medium"
    code, doc = _scan(capsys, "--rule", "POSTURE-NET-001,POSTURE-KEY-001", "--fail-on", "high",
                      "--severity", "medium")
    assert code == 1  # the hidden high finding still fails the gate
    assert [f["rule_id"] for f in doc["findings"]] == ["POSTURE-KEY-001"]
    code, doc = _scan(capsys, "--rule", "POSTURE-KEY-001", "--fail-on", "medium", "--severity", "HIGH,critical")
    assert code == 1 and doc["findings"] == []


def test_unknown_severity_is_a_usage_error(tree, capsys):
    with pytest.raises(SystemExit) as e:
        main(["scan", "terraform", ".", "--severity", "hgh"])
    assert e.value.code == 2 and "unknown severity 'hgh'" in capsys.readouterr().err
