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
from tests.helpers.paths import ROOT
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
