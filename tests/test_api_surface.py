"""The library surface: lazy exports from `posture`, typed keyword-only scan options, the gate in the API."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import posture
from posture.cli import main
from posture.discovery.scope import scope_from_dict
from tests.helpers.paths import ROOT
from tests.helpers.tls_servers import BannerServer, free_port, require_binary
from tests.test_gate import MAIN


def test_every_public_name_resolves_and_import_stays_light():
    for name in posture.__all__:
        assert getattr(posture, name) is not None, name
    from posture.gate import apply_gate
    from posture.result import ScanResult
    from posture.rules.base import Violation, rule

    assert (posture.ScanResult, posture.rule, posture.Violation, posture.apply_gate) == (
        ScanResult, rule, Violation, apply_gate)
    code = ("import sys, posture; heavy = [m for m in ('posture.api', 'posture.engine', 'posture.gate', "
            "'posture.rules.catalog', 'networkx', 'pydantic', 'hcl2') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    assert out.strip() == "[]"


def test_probe_and_external_scan_are_api_functions_with_the_rule_keywords():
    import posture.api

    assert (posture.probe_tls, posture.external_scan) == (posture.api.probe_tls, posture.api.external_scan)
    port = free_port()  # nothing listens: the probe records why, as a gap on the target
    result = posture.probe_tls([f"127.0.0.1:{port}"], checks=["versions"], only=["POSTURE-TLS-001"],
                               source={"type": "probe", "target": "api test"})
    assert result.source["target"] == "api test" and [r.id for r in result.rules] == ["POSTURE-TLS-001"]
    assert [g.target for g in result.gaps if g.source == "probe"] == [f"127.0.0.1:{port}"]


def test_external_scan_through_the_api_forwards_scope_and_rule_keywords():
    require_binary("nmap")
    ssh = BannerServer(b"SSH-2.0-OpenSSH_5.3\r\n").start()
    scope = scope_from_dict({"allow": {"cidrs": ["127.0.0.1/32"]}, "ports": {"top": 0, "include": [ssh.port]},
                             "limits": {"rate": 100, "concurrency": 2, "per_server": 1, "connect_timeout": 2,
                                        "target_timeout": 10}}, "scope.yaml")
    try:
        result = posture.external_scan(scope, service_detection=True, only=["POSTURE-PROBE-010"])
    finally:
        ssh.stop()
    assert result.source["type"] == "external" and [r.id for r in result.rules] == ["POSTURE-PROBE-010"]
    assert [f.resource.id for f in result.findings] == [f"tcp://127.0.0.1:{ssh.port}"]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("api-gate")
    (root / "main.tf").write_text(MAIN)
    return root


def test_gate_true_applies_inline_suppressions_as_the_cli_does(tree, tmp_path):
    plain = posture.scan_terraform(tree)
    assert all(f.status == "open" for f in plain.findings)
    with pytest.warns(UserWarning, match=r"main.tf:12: suppression of POSTURE-NET-001 expired on 2020-01-01"):
        gated = posture.scan_terraform(tree, gate=True)
    out = tmp_path / "cli.json"
    main(["scan", "terraform", str(tree), "--format", "json", "-o", str(out), "-q"])
    cli = {(f["rule_id"], f["resource"]["id"]): f["status"] for f in json.loads(out.read_text())["findings"]}
    api = {(f.rule_id, f.resource.id): f.status for f in gated.findings}
    assert api == cli and "suppressed" in api.values()


def test_gate_true_takes_suppression_and_baseline_files(tree, tmp_path):
    sup = tmp_path / "s.yaml"
    sup.write_text("suppressions:\n  - rule: POSTURE-KEY-*\n    resource: aws_kms_key.*\n    reason: rotated\n")
    base = tmp_path / "b.json"
    posture.write_baseline(posture.scan_terraform(tree), base)
    with pytest.warns(UserWarning):
        result = posture.scan_terraform(tree, gate=True, suppressions=sup, baseline=base)
    status = {f.rule_id: f.status for f in result.findings if f.resource.id == "aws_kms_key.k"}
    assert status and set(status.values()) == {"suppressed"}
    assert "baselined" in {f.status for f in result.findings}
    with pytest.raises(TypeError, match="only with gate=True"):
        posture.scan_terraform(tree, suppressions=sup)


MYPY = shutil.which("mypy")


def _mypy(tmp_path: Path, body: str) -> subprocess.CompletedProcess:
    assert MYPY, "mypy is in the test extra"
    script = tmp_path / "use_api.py"
    script.write_text("import posture\n\n" + body)
    return subprocess.run([MYPY, "--no-error-summary", "--follow-imports=silent", "--ignore-missing-imports",
                           "--cache-dir", str(tmp_path / ".mypy_cache"), "--python-version", "3.10", str(script)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT,
                          env={**os.environ, "MYPYPATH": str(ROOT)})


def test_a_typo_in_a_scan_option_fails_type_checking(tmp_path):
    ok = ("result: posture.ScanResult = posture.scan_terraform('plan.json', rule_dirs=['rules'], skip=['X'], "
          "gate=True)\n")
    typo = "posture.scan_terraform('plan.json', rule_dir=['rules'])\n"
    run = _mypy(tmp_path, ok + typo)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, run.stdout + run.stderr
    assert 'use_api.py:4: error: Unexpected keyword argument "rule_dir" for "scan_terraform"' in errors[0]


def test_a_typo_in_a_probe_option_fails_type_checking(tmp_path):
    ok = ("a: posture.ScanResult = posture.probe_tls(['h:443'], checks=['versions'], only=['POSTURE-TLS-*'])\n"
          "b: posture.ScanResult = posture.external_scan('scope.yaml', service_detection=True, skip=['X'])\n")
    typos = "posture.probe_tls(['h:443'], check=['versions'])\nposture.external_scan('s.yaml', ca='x')\n"
    run = _mypy(tmp_path, ok + typos)
    errors = [line for line in run.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, run.stdout + run.stderr
    assert 'Unexpected keyword argument "check" for "probe_tls"' in errors[0]
    assert 'Unexpected keyword argument "ca" for "external_scan"' in errors[1]
