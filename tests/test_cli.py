"""The CLI contract: formats, exit codes, one-line errors, snapshots."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from posture.cli import main
from posture.model import Edge, Inventory, Resource
from posture.providers.snapshot import save_snapshot
from tests.helpers.paths import FIXTURES, ROOT

SCHEMA = json.loads((ROOT / "posture/schemas/scan-result.schema.json").read_text())


def estate() -> Inventory:
    return Inventory(
        (
            Resource("sg-open", "firewall", "aws_security_group", "aws", name="open", attrs={"rules": [
                {"direction": "ingress", "action": "allow", "protocol": "tcp", "ports": [[22, 22]],
                 "peers": ["0.0.0.0/0"], "priority": None}]}),
            Resource("db", "datastore", "aws_db_instance", "aws", name="db",
                     attrs={"encryption": {"at_rest": False}, "admin_password": "hunter2-marker"}),
            Resource("key", "key", "aws_kms_key", "aws", name="key",
                     attrs={"manager": "customer", "rotation": {"enabled": True, "period_days": 365}}),
        ),
        (Edge("db", "key", "encrypted_by"), Edge("db", "ghost-sg", "protected_by")),
    )


@pytest.fixture
def snap(tmp_path) -> Path:
    return save_snapshot(estate(), tmp_path / "estate.jsonl")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output_matches_schema_and_exit_code(capsys, snap):
    code, out, err = run(capsys, "scan", "snapshot", str(snap), "--format", "json")
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert code == 1
    assert {f["rule_id"] for f in doc["findings"]} == {"POSTURE-NET-001", "POSTURE-ENC-001"}
    assert doc["summary"]["resources"] == 3
    assert [g["code"] for g in doc["gaps"]] == ["dangling_reference"]
    assert "hunter2-marker" not in out
    assert "open finding" in err


def test_fail_on_threshold_and_category_filter(capsys, snap):
    assert run(capsys, "scan", "snapshot", str(snap), "--fail-on", "critical", "--format", "json")[0] == 0
    assert run(capsys, "scan", "snapshot", str(snap), "--fail-on", "none", "--format", "json")[0] == 0
    code, out, _ = run(capsys, "scan", "snapshot", str(snap), "--category", "keys.rotation", "--format", "json")
    assert code == 0 and json.loads(out)["findings"] == []


def test_table_output_and_output_file(capsys, snap, tmp_path):
    code, out, _ = run(capsys, "scan", "snapshot", str(snap), "--format", "table", "--quiet")
    assert code == 1 and "POSTURE-NET-001" in out and "coverage gap" in out
    target = tmp_path / "r.json"
    run(capsys, "scan", "snapshot", str(snap), "-o", str(target), "-q")
    assert json.loads(target.read_text())["tool"]["name"] == "posture"


def test_one_scan_writes_extra_reports(capsys, snap, tmp_path):
    sarif, junit, md = tmp_path / "r.sarif", tmp_path / "r.xml", tmp_path / "r.md"
    code, out, _ = run(capsys, "scan", "snapshot", str(snap), "--format", "json", "-q",
                       "--report", f"sarif={sarif}", "--report", f"junit={junit}", "--report", f"markdown={md}")
    assert code == 1
    rule_ids = {f["rule_id"] for f in json.loads(out)["findings"]}
    assert {r["ruleId"] for r in json.loads(sarif.read_text())["runs"][0]["results"]} == rule_ids
    assert junit.read_text().startswith("<?xml") and "POSTURE-NET-001" in junit.read_text()
    assert "POSTURE-ENC-001" in md.read_text() and "\x1b[" not in md.read_text()


@pytest.mark.parametrize(("spec", "needle"), [("sarif", "expected FORMAT=FILE"), ("pdf=x.pdf", "unknown format 'pdf'"),
                                              ("sarif=", "expected FORMAT=FILE")])
def test_bad_report_spec_is_a_usage_error(capsys, snap, spec, needle):
    code, _, err = run_exit(capsys, "scan", "snapshot", str(snap), "--report", spec)
    assert code == 2 and needle in err and len(err.strip().splitlines()) == 1


def run_exit(capsys, *argv):
    with pytest.raises(SystemExit) as exc:
        main(list(argv))
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_snapshot_round_trip_gives_identical_findings(capsys, snap, tmp_path):
    _, first, _ = run(capsys, "scan", "snapshot", str(snap), "--format", "json", "--snapshot-out",
                      str(tmp_path / "again.jsonl"))
    _, second, _ = run(capsys, "scan", "snapshot", str(tmp_path / "again.jsonl"), "--format", "json")
    strip = lambda d: [(f["fingerprint"], f["message"]) for f in json.loads(d)["findings"]]  # noqa: E731
    assert strip(first) == strip(second)


@pytest.mark.parametrize(
    "content,needle",
    [
        ("", "empty snapshot"),
        ('{"posture_snapshot": 99}\n', "unsupported snapshot version 99"),
        ('{"posture_snapshot": 1}\n{"type": "resource", "id": "x"\n', "bad.jsonl:2: invalid JSON"),
        ('{"posture_snapshot": 1}\n{"type": "resource", "id": "x"}\n',
         "bad.jsonl:2: resource record is missing field 'kind'"),
        ('{"posture_snapshot": 1}\n{"type": "alien"}\n', "unknown record type 'alien'"),
        ('[1, 2]\n', "each line must be a JSON object"),
    ],
)
def test_bad_snapshots_exit_2_with_one_line(capsys, tmp_path, content, needle):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(content)
    code, out, err = run(capsys, "scan", "snapshot", str(bad))
    assert code == 2 and needle in err and err.count("\n") == 1 and str(bad) in err


def test_missing_file_and_usage_errors(capsys, tmp_path):
    code, _, err = run(capsys, "scan", "terraform", str(tmp_path / "nope.json"))
    assert code == 2 and "nope.json: no such file" in err
    with pytest.raises(SystemExit) as e:
        main(["scan", "snapshot"])
    assert e.value.code == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_rules_list_and_framework_filter(capsys):
    code, out, _ = run(capsys, "rules", "list", "--format", "json")
    rules = json.loads(out)
    assert code == 0 and {"POSTURE-NET-001", "POSTURE-ENC-001", "POSTURE-TLS-001"} <= {r["id"] for r in rules}
    _, out, _ = run(capsys, "rules", "list", "--format", "json", "--framework", "pci")
    assert all(any(c.startswith("PCI:") for c in r["controls"]) for r in json.loads(out))


def test_rules_validate_reports_typo_with_line(capsys, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "r.yaml").write_text(
        "rules:\n  - id: X-A-001\n    title: t\n    severity: low\n    category: logging.audit\n"
        "    kinds: [log_sink]\n    fails_when: {attr: enabled, eq: false}\n    message: m\n"
    )
    code, out, _ = run(capsys, "rules", "validate", str(good))
    assert code == 0 and "1 rule(s) valid" in out
    (good / "r.yaml").write_text((good / "r.yaml").read_text().replace("fails_when", "fail_when"))
    code, _, err = run(capsys, "rules", "validate", str(good))
    assert code == 2 and "r.yaml:7: fail_when: unknown field (did you mean 'fails_when'?)" in err


def test_extra_rules_dir_runs_custom_rule(capsys, snap, tmp_path):
    (tmp_path / "custom.yaml").write_text(
        "rules:\n  - id: ACME-KEY-001\n    title: key rotates yearly only\n    severity: medium\n"
        "    category: keys.rotation\n    kinds: [key]\n    fails_when: {attr: rotation.period_days, ge: 365}\n"
        "    message: '{name} rotates every {attrs.rotation.period_days} days'\n"
    )
    code, out, _ = run(capsys, "scan", "snapshot", str(snap), "--rules", str(tmp_path), "--format", "json")
    f = [f for f in json.loads(out)["findings"] if f["rule_id"] == "ACME-KEY-001"]
    assert f and f[0]["message"] == "key rotates every 365 days"


def test_console_entry_point_runs_as_module():
    proc = subprocess.run([sys.executable, "-m", "posture", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("posture ")


@pytest.mark.parametrize("plan", ["aws/data", "aws/s3", "azure", "gcp"])
def test_sensitive_values_never_reach_any_output(capsys, tmp_path, plan):
    src = FIXTURES / "plans" / plan / "plan.json"
    assert "SENSITIVE-MARKER" in src.read_text()
    snap = tmp_path / "s.jsonl"
    for fmt in ("json", "table"):
        main(["scan", "terraform", str(src), "--format", fmt, "--snapshot-out", str(snap)])
        out, err = capsys.readouterr()
        assert "SENSITIVE-MARKER" not in out + err
    assert "SENSITIVE-MARKER" not in snap.read_text()
