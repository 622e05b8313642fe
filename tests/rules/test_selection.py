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


def test_skip_path_globs():
    from posture.skippaths import SkipPaths

    s = SkipPaths.of(["tests/fixtures", "./examples/", "*.auto.tfvars", "modules/legacy/**", "envs/*/old"])
    assert s.skips("tests/fixtures/hcl/main.tf") and s.skips("tests/fixtures")
    assert not s.skips("tests/main.tf") and not s.skips("x/tests/fixtures/main.tf")
    assert s.skips("examples/main.tf") and s.skips("nested/examples/a.tf")  # a bare name matches anywhere
    assert s.skips("prod.auto.tfvars") and not s.skips("prod.tfvars")
    assert s.skips("modules/legacy/x/main.tf") and s.skips("envs/prod/old/main.tf")
    assert not s.skips("envs/prod/new/main.tf") and not s.skips(".")
    assert not SkipPaths.of([]) and not SkipPaths.of([]).skips("anything.tf")


@pytest.fixture
def estate(tmp_path, monkeypatch):
    """A repository with real code, test fixtures and an example below it."""
    (tmp_path / ".git").mkdir()
    files = {
        "infra/main.tf": 'resource "aws_kms_key" "prod" {}\n',
        "tests/fixtures/bad/main.tf": SG,
        "examples/demo/main.tf": 'resource "aws_kms_key" "demo" {}\n',
        "infra/legacy.tf.json": json.dumps({"resource": {"aws_kms_key": {"legacy": {}}}}),
        "infra/modules/net/main.tf": SG,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _files(capsys, *args: str) -> set[str]:
    """The files findings point to (every fixture file here yields at least one finding)."""
    assert main(["scan", "terraform", *args, "-q", "--format", "json", "--fail-on", "none"]) == 0
    return {f["location"]["file"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_skip_path_excludes_files_and_directories_from_hcl_scans(estate, capsys):
    assert _files(capsys, ".") == {"infra/main.tf", "tests/fixtures/bad/main.tf", "examples/demo/main.tf",
                                   "infra/legacy.tf.json", "infra/modules/net/main.tf"}
    kept = _files(capsys, ".", "--skip-path", "tests/fixtures", "--skip-path", "examples,*.tf.json")
    assert kept == {"infra/main.tf", "infra/modules/net/main.tf"}
    assert _files(capsys, "infra", "--skip-path", "modules/**") == {"infra/main.tf", "infra/legacy.tf.json"}
    # the same from the configuration file; a directory named on the command line is always read
    (estate / ".posture.yaml").write_text("skip-path: [tests/fixtures, examples]\n")
    assert _files(capsys, ".") == {"infra/main.tf", "infra/legacy.tf.json", "infra/modules/net/main.tf"}
    assert _files(capsys, "examples/demo") == {"examples/demo/main.tf"}
