"""``posture scan gcp`` with recorded responses injected through the POSTURE_GCP_REPLAY hook."""

from __future__ import annotations

import json

from posture.cli import main
from posture.providers.gcp import REPLAY_ENV
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "gcp" / "estate"


def test_gcp_cli_scans_the_chosen_project_and_fails_on_findings(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    out = tmp_path / "report.json"
    code = main(["scan", "gcp", "--project", "acme-prod", "--format", "json", "-o", str(out)])
    assert code == 1
    doc = json.loads(out.read_text())
    from tests.providers.gcp.test_gcp_estate import FAULTS, WIDER

    found = {(f["rule_id"], f["resource"]["id"]) for f in doc["findings"]}
    assert found == FAULTS | WIDER
    assert doc["gaps"] == [] and doc["summary"]["source"] == {"type": "gcp", "target": "acme-prod"}
    assert f"{len(FAULTS | WIDER)} open finding(s)" in capsys.readouterr().err


def test_gcp_cli_repeatable_project_and_service_filter_report_gaps(monkeypatch, tmp_path):
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    out = tmp_path / "report.json"
    code = main(["scan", "gcp", "--project", "acme-sandbox", "--project", "acme-prod", "--service", "buckets",
                 "--service", "kms", "--format", "json", "-o", str(out), "--quiet"])
    doc = json.loads(out.read_text())
    assert code == 1  # the prod keys without (or with slow) rotation
    assert {f["rule_id"] for f in doc["findings"]} == {"POSTURE-KEY-001", "POSTURE-KEY-002"}
    assert [(g["service"], g["account"], g["code"]) for g in doc["gaps"]] == [
        ("cloudkms", "acme-sandbox", "IAM_PERMISSION_DENIED")]


def test_gcp_cli_bad_replay_directory_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(REPLAY_ENV, str(tmp_path / "missing"))
    assert main(["scan", "gcp", "--project", "p"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("posture: error:") and "missing" in err and "\n" not in err


def test_gcp_cli_rejects_zero_workers(monkeypatch, capsys):
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    assert main(["scan", "gcp", "--project", "acme-prod", "--max-workers", "0"]) == 2
    assert "--max-workers" in capsys.readouterr().err


def test_gcp_cli_without_credentials_is_a_one_line_error(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv(REPLAY_ENV, raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "no-such-key.json"))
    assert main(["scan", "gcp", "--project", "p"]) == 2
    err = capsys.readouterr().err
    assert "no Google credentials found" in err and err.count("\n") == 1
