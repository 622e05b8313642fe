"""Configuration: .posture.yaml / [tool.posture] / POSTURE_* / flags, merged in that order, validated strictly."""

from __future__ import annotations

import json

import pytest

from posture.cli import main
from posture.config import find_config, resolve
from posture.errors import InputError
from tests.helpers.paths import ROOT

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


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository whose working directory is a subdirectory (the file is found upwards)."""
    for var in ("POSTURE_FAIL_ON", "POSTURE_SKIP", "POSTURE_CONFIG", "POSTURE_HISTORY", "POSTURE_SEVERITY"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(SG)
    monkeypatch.chdir(tmp_path / "infra")
    return tmp_path


def _rules(capsys) -> set[str]:
    return {f["rule_id"] for f in json.loads(capsys.readouterr().out)["findings"]}


def test_precedence_flags_then_env_then_file_then_defaults(repo, monkeypatch):
    (repo / ".posture.yaml").write_text("fail-on: high\nskip: POSTURE-KEY-001\n")
    settings, path = resolve("scan terraform", {})
    assert path == repo / ".posture.yaml"
    assert (settings["fail_on"].value, settings["fail_on"].origin) == ("high", "../.posture.yaml:1")
    assert settings["skip"].value == ["POSTURE-KEY-001"]
    assert settings["gaps"].value == "fail"
    monkeypatch.setenv("POSTURE_FAIL_ON", "medium")
    settings, _ = resolve("scan terraform", {})
    assert (settings["fail_on"].value, settings["fail_on"].origin) == ("medium", "env POSTURE_FAIL_ON")
    settings, _ = resolve("scan terraform", {"fail_on": "critical"})
    assert (settings["fail_on"].value, settings["fail_on"].origin) == ("critical", "flag --fail-on")
    assert resolve("scan aws", {})[0]["gaps"].value == "warn"


def test_the_file_drives_a_real_scan(repo, capsys):
    assert main(["scan", "terraform", ".", "-q", "--format", "json"]) == 1
    assert _rules(capsys) >= {"POSTURE-NET-001", "POSTURE-KEY-001"}
    (repo / ".posture.yaml").write_text("fail-on: none\nskip: [POSTURE-KEY-001]\n")
    assert main(["scan", "terraform", ".", "-q", "--format", "json"]) == 0
    assert "POSTURE-KEY-001" not in _rules(capsys)
    # a flag replaces the file's list; the environment sits between them
    assert main(["scan", "terraform", ".", "-q", "--format", "json", "--skip", "POSTURE-NET-*"]) == 0
    assert _rules(capsys) >= {"POSTURE-KEY-001"}


def test_pyproject_table_and_paths_relative_to_the_file(repo, capsys):
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.posture]\nfail-on = "none"\n'
                                         'suppressions = ["sup.yaml"]\n')
    (repo / "sup.yaml").write_text("suppressions:\n  - rule: POSTURE-KEY-*\n    reason: rotated elsewhere\n")
    assert main(["scan", "terraform", ".", "-q", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {f["status"] for f in doc["findings"] if f["rule_id"] == "POSTURE-KEY-001"} == {"suppressed"}


def test_search_stops_at_the_repository_root(tmp_path):
    (tmp_path / ".posture.yaml").write_text("fail-on: high\n")
    inner = tmp_path / "repo" / "a"
    inner.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    assert find_config(inner) is None
    (tmp_path / "repo" / ".posture.yaml").write_text("fail-on: high\n")
    assert find_config(inner) == tmp_path / "repo" / ".posture.yaml"
    assert find_config(tmp_path / "repo") == tmp_path / "repo" / ".posture.yaml"


@pytest.mark.parametrize(("text", "message"), [
    ("fail-on: high\nfial-on: low\n", ".posture.yaml:2: fial-on: unknown key; did you mean 'fail-on'?"),
    ("fail_on: high\n", ".posture.yaml:1: fail_on: unknown key; did you mean 'fail-on'?"),
    ("fail-on: high\nskip-paths: [x]\n", ".posture.yaml:2: skip-paths: unknown key; did you mean 'skip-path'?"),
    ("fail-on: severe\n", ".posture.yaml:1: fail-on: 'severe' is not one of"),
    ("rule-params: [1]\n", ".posture.yaml:1: rule-params: Input should be a valid dictionary"),
    ("report: [sarif]\n", ".posture.yaml:1: report: expected FORMAT=FILE"),
    ("report: {sarf: x.sarif}\n", ".posture.yaml:1: report: unknown format 'sarf'"),
    ("- fail-on\n", "expected a mapping"),
])
def test_strict_validation_names_file_line_and_key(repo, capsys, text, message):
    (repo / ".posture.yaml").write_text(text)
    assert main(["scan", "terraform", ".", "-q", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_bad_environment_value_is_named(repo, monkeypatch):
    monkeypatch.setenv("POSTURE_FAIL_ON", "hgh")
    with pytest.raises(InputError, match="POSTURE_FAIL_ON: fail-on: 'hgh' is not one of"):
        resolve("scan terraform", {})


def test_config_show_prints_values_and_origins(repo, monkeypatch, capsys):
    (repo / ".posture.yaml").write_text("fail-on: high\nskip-path: [tests/fixtures]\n")
    monkeypatch.setenv("POSTURE_SKIP", "POSTURE-NET-003,POSTURE-KEY-*")
    assert main(["config", "show", "--severity", "high,critical"]) == 0
    out = capsys.readouterr().out
    assert "fail-on              high  [../.posture.yaml:1]" in out
    assert "skip                 POSTURE-NET-003, POSTURE-KEY-*  [env POSTURE_SKIP]" in out
    assert "severity             high, critical  [flag --severity]" in out
    assert "gaps                 fail  [default for scan terraform]" in out
    assert main(["config", "show", "--json", "--command", "scan gcp"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["settings"]["gaps"] == {"value": "warn", "origin": "default for scan gcp"}
    assert doc["settings"]["skip-path"]["value"] == ["tests/fixtures"]


def test_explicit_config_file_must_exist(repo, capsys):
    assert main(["scan", "terraform", ".", "--config", "nope.yaml"]) == 2
    assert "nope.yaml: configuration file does not exist" in capsys.readouterr().err


def test_docs_list_every_key():
    from posture.config import KEYS

    doc = (ROOT / "docs" / "config.md").read_text()
    missing = [k for k in KEYS if f"\n{k}:" not in doc and f"\n{k} " not in doc]
    assert not missing
