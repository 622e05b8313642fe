"""The recorded Azure estate through the real rule engine: every planted fault found, no clean twin flagged.

Planted faults (one per mission category) and their clean twins:
  network.exposure       nsg-open-rdp (3389 from Internet)   | nsg-deny-first (a higher-priority deny
                                                                  cancels the same allow), nsg-web
  network.segmentation   vm-jump (behind nsg-open-rdp,       | vm-app (no public IP)
                         with a public IP)                    |
  encryption.in_transit  satls10 (min TLS 1.0), agw-legacy,   | satls12, agw-modern, app-good,
                         app-legacy                           |   sql-prod (min TLS 1.2)
  encryption.at_rest     db-tde-off (TDE off)                 | db-tde-on, disks (platform and customer keys),
                                                              |   storage accounts (provider default / CMK)
  keys.rotation          key-norotation (no rotation policy)  | key-rotated (90 days), key-ec
"""

from __future__ import annotations

import json

import pytest

import posture
from posture.cli import main
from posture.providers.azure import REPLAY_ENV
from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "azure" / "estate"
SUB_A = "11111111-1111-1111-1111-111111111111"

FAULTS = {
    ("POSTURE-NET-001", "nsg-open-rdp"),
    ("POSTURE-SEG-002", "vm-jump"),  # the VM behind nsg-open-rdp, with a public IP: 3389 reachable
    ("POSTURE-TLS-001", "satls10:443"),
    ("POSTURE-TLS-001", "agw-legacy/https"),
    ("POSTURE-TLS-001", "app-legacy:443"),
    ("POSTURE-ENC-001", "db-tde-off"),
    ("POSTURE-KEY-001", "key-norotation"),
    # the same planted resources, seen by the wider packs: the storage account's own minimum TLS setting,
    # the legacy app's plain-HTTP endpoint without redirect, and the legacy gateway policy's weak ciphers
    ("POSTURE-TLS-001", "satls10"),
    ("POSTURE-TLS-003", "app-legacy:80"),
    ("POSTURE-TLS-005", "agw-legacy/https"),
    # the jump VM's public IP as an exposure of its own, and satls10's firewall that admits every network
    ("POSTURE-SEG-008", "vm-jump"),
    ("POSTURE-SEG-007", "satls10"),
}
TWINS = {"nsg-deny-first", "nsg-web", "vm-app", "satls12", "satls12:443", "agw-modern/https", "agw-modern",
         "app-good", "app-good:443", "app-good:80", "sql-prod", "sql-prod:1433", "db-tde-on", "vm-jump-os",
         "vm-app-os", "key-rotated", "key-ec"}


@pytest.fixture(scope="module")
def result():
    transport = ReplayTransport.from_directory(ESTATE)
    return posture.scan_azure(StaticTokenCredential(), client_kwargs={"transport": transport,
                                                                      "retry_backoff_factor": 0.0}, progress=False)


def test_azure_every_planted_fault_is_found_and_no_twin_is_flagged(result):
    found = {(f.rule_id, f.resource.name) for f in result.findings if not f.unverified}
    assert found == FAULTS
    flagged = {f.resource.name for f in result.findings}
    assert not flagged & TWINS
    assert {f.category.value for f in result.findings} >= {
        "network.exposure", "encryption.in_transit", "encryption.at_rest", "keys.rotation"}


def test_azure_findings_carry_proof_and_the_scan_its_gaps(result):
    rdp = next(f for f in result.findings if f.rule_id == "POSTURE-NET-001")
    assert rdp.evidence.observed["open_ports"] == (3389,)
    assert rdp.evidence.observed["rules"][0]["name"] == "allow-rdp-anywhere"
    assert rdp.resource.provider == "azure" and rdp.resource.account == SUB_A
    codes = {(g.service, g.code) for g in result.gaps if g.source == "azure"}
    assert {("storage", "AuthorizationFailed"), ("sql", "MissingSubscriptionRegistration"),
            ("network", "TooManyRequests"), ("keyvault", "ResourceNotFound")} <= codes
    assert not [g for g in result.gaps if g.code == "dangling_reference"], result.gaps
    assert result.source["type"] == "azure"


def test_azure_cli_scan_with_the_replay_hook(monkeypatch, capsys):
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    code = main(["scan", "azure", "--subscription", SUB_A, "--format", "json", "--quiet"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 1  # findings at or above the default --fail-on low
    assert {(f["rule_id"], f["resource"]["name"]) for f in doc["findings"] if not f["unverified"]} == FAULTS
    assert doc["gaps"] == []  # subscription A is fully readable
    assert doc["summary"]["source"] == {"type": "azure", "target": SUB_A}


def test_azure_cli_bad_input_is_one_line_exit_2(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv(REPLAY_ENV, str(tmp_path / "missing"))
    assert main(["scan", "azure", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and REPLAY_ENV in err
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    assert main(["scan", "azure", "--max-workers", "0", "--quiet"]) == 2
