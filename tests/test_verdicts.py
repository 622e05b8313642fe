"""Fail closed: no passing verdict over input that was not read, in the exit code and in every report."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from xml.etree import ElementTree as ET

import pytest

from posture.api import scan_terraform
from posture.cli import main
from posture.model import Severity
from posture.report import render
from tests.helpers.paths import ROOT

GOOD = 'resource "aws_s3_bucket" "logs" {\n  bucket = "logs"\n}\n'
BROKEN = 'resource "aws_s3_bucket" "x" {\n'


@pytest.fixture
def half_read(tmp_path):
    """A directory with one good and one unparsable .tf file."""
    (tmp_path / "good.tf").write_text(GOOD)
    (tmp_path / "broken.tf").write_text(BROKEN)
    return tmp_path


def test_a_scan_that_read_nothing_exits_2_naming_the_gap(tmp_path, capsys):
    (tmp_path / "main.tf").write_text(BROKEN)
    assert main(["scan", "terraform", str(tmp_path), "--format", "json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "nothing was read" in lines[0] and "hcl_parse_error" in lines[0]
    assert "main.tf:2" in lines[0]
    # also when gaps only warn: a verdict over nothing is no verdict
    assert main(["scan", "terraform", str(tmp_path), "--gaps", "warn", "--format", "json"]) == 2


def test_unread_input_fails_the_gate_unless_gaps_warn(half_read, capsys):
    assert main(["scan", "terraform", str(half_read), "--fail-on", "none", "--format", "json"]) == 1
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["verdict"] == {"status": "failed_gaps", "fail_on": "none", "gaps_policy": "fail", "failing": 0,
                              "gaps_not_read": 1, "gaps_value_unknown": 0}
    assert doc["gaps"][0]["class"] == "input_not_read"
    assert "gate failed: part of the input was not read" in err and "1 input(s) not read" in err
    assert main(["scan", "terraform", str(half_read), "--fail-on", "none", "--gaps", "warn", "--format",
                 "table"]) == 0
    out, _ = capsys.readouterr()
    last = out.strip().splitlines()[-1]
    assert last.startswith("gate passed on what was read") and "1 input(s) not read" in last and "--gaps warn" in last


def test_live_cloud_scans_default_to_warn_and_the_others_to_fail():
    from posture.cli import build_parser

    parser = build_parser()
    sources = {}
    for argv in (["scan", "aws"], ["scan", "azure", "--subscription", "x"], ["scan", "gcp", "--project", "p"],
                 ["scan", "terraform", "x"], ["probe", "tls", "h:1"], ["external", "--scope", "s"]):
        try:
            args = parser.parse_args(argv)
        except SystemExit:  # pragma: no cover - a source whose required options changed
            continue
        assert args.gaps is None  # --gaps not given: the source's default applies
        sources[argv[1] if argv[0] == "scan" else argv[0]] = args.scan_source.gaps
    assert sources["aws"] == "warn" and sources["terraform"] == "fail"
    assert sources["probe"] == "fail" and sources["external"] == "fail"
    assert sources.get("azure", "warn") == "warn" and sources.get("gcp", "warn") == "warn"


def _judged(path, gaps="fail"):
    return scan_terraform(path, repo_root=path).judged(Severity.CRITICAL, gaps)  # the bucket's own findings stay below


def test_sarif_says_execution_unsuccessful_and_names_each_gap(half_read):
    doc = json.loads(render(_judged(half_read), "sarif"))
    inv = doc["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    (note,) = inv["toolExecutionNotifications"]
    assert note["level"] == "error" and note["descriptor"]["id"] == "hcl_parse_error"
    assert "input not read" in note["message"]["text"] and "broken.tf" in note["message"]["text"]
    assert doc["runs"][0]["properties"]["verdict"]["status"] == "failed_gaps"


def test_sarif_of_a_fully_read_scan_is_successful(tmp_path):
    (tmp_path / "main.tf").write_text(GOOD)
    inv = json.loads(render(_judged(tmp_path), "sarif"))["runs"][0]["invocations"][0]
    assert inv == {"executionSuccessful": True, "toolExecutionNotifications": []}


def test_junit_reports_unread_input_as_an_error(half_read):
    root = ET.fromstring(render(_judged(half_read), "junit"))
    assert root.get("errors") == "1" and root.get("verdict") == "failed_gaps"
    coverage = next(s for s in root.findall("testsuite") if s.get("name") == "coverage")
    error = coverage.find("testcase/error")
    assert error is not None and error.get("type") == "hcl_parse_error"
    assert error.get("message").startswith("input not read: broken.tf")


def test_markdown_html_and_table_state_the_gaps_beside_the_verdict(half_read):
    result = _judged(half_read)
    first = render(result, "markdown").splitlines()[0]
    assert first.startswith("❌ **posture gate failed: part of the input was not read**")
    assert "coverage gaps: 1 input(s) not read" in first
    assert "gate failed: part of the input was not read; coverage gaps: 1 input(s) not read" in render(result, "html")
    assert render(result, "table").strip().splitlines()[-1].startswith("gate failed: part of the input was not read")
    warned = _judged(half_read, "warn")
    md = render(warned, "markdown").splitlines()[0]
    assert "passed on what was read**" in md and "1 input(s) not read" in md
    for fmt in ("markdown", "html", "table"):
        assert "gate passed:" not in render(warned, fmt)


def test_value_unknown_gaps_do_not_fail_the_gate(tmp_path):
    (tmp_path / "main.tf").write_text('variable "n" {}\nresource "aws_s3_bucket" "b" {\n  count = var.n\n'
                                      '  bucket = "b"\n}\n')
    result = scan_terraform(tmp_path).judged(None, "fail")
    assert [g.code for g in result.gaps] == ["unresolved_count"]
    verdict = result.gate_verdict()
    assert verdict.passed and verdict.unknown == 1 and verdict.unread == 0
    assert "1 value(s) unknown" in verdict.line()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_probe_without_sslyze_is_a_usage_error():
    blocked = ("import sys; sys.modules['sslyze'] = None; from posture.cli import main; "
               f"sys.exit(main(['probe', 'tls', '127.0.0.1:{_closed_port()}', '--format', 'json']))")
    proc = subprocess.run([sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr.strip() == ("posture: error: missing optional dependency 'sslyze': "
                                   "pip install 'posture-scan[tls]'")


def test_probe_of_a_refused_target_exits_non_zero(capsys):
    port = _closed_port()
    assert main(["probe", "tls", f"127.0.0.1:{port}", "--format", "json", "--timeout", "2"]) == 2
    err = capsys.readouterr().err
    assert "nothing was read" in err and "connection_refused" in err


def test_probe_with_one_refused_target_fails_the_gate_under_gaps_fail(tmp_path, capsys):
    from tests.helpers.tls_servers import CertFactory, PythonTLSServer, require_binary

    require_binary("openssl")
    certs = CertFactory(tmp_path)
    server = PythonTLSServer(certs.leaf("ok")).start()
    try:
        argv = ["probe", "tls", server.target, f"127.0.0.1:{_closed_port()}", "--checks", "versions",
                "--ca-file", str(certs.ca_file), "--timeout", "2", "--fail-on", "none", "--format", "json"]
        assert main(argv) == 1
        doc = json.loads(capsys.readouterr().out)
        assert doc["verdict"]["status"] == "failed_gaps" and doc["verdict"]["gaps_not_read"] == 1
        assert [g["code"] for g in doc["gaps"]] == ["connection_refused"]
        assert main([*argv, "--gaps", "warn"]) == 0
    finally:
        server.stop()


def test_verdict_lines():
    from posture.result import Verdict

    assert Verdict(Severity.HIGH, "fail", 2, 0, 0).line() == "gate failed: 2 finding(s) at or above high"
    assert Verdict(Severity.LOW, "fail", 0, 0, 0).line() == "gate passed: no finding at or above low"
    assert Verdict(None, "fail", 0, 0, 1).line() == ("gate passed: findings do not fail it (--fail-on none); "
                                                     "coverage gaps: 1 value(s) unknown")
    assert Verdict(None, "fail", 0, 1, 0).line() == ("gate failed: part of the input was not read; "
                                                     "coverage gaps: 1 input(s) not read")
    assert Verdict(Severity.LOW, "warn", 0, 2, 1).line() == (
        "gate passed on what was read: no finding at or above low; coverage gaps: 2 input(s) not read, "
        "1 value(s) unknown (not failing the gate: --gaps warn)")
