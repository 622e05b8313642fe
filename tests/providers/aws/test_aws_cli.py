"""``posture scan aws`` end to end: a real moto server on 127.0.0.1, reached through AWS_ENDPOINT_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.helpers.aws_estate import REGION, build_estate
from tests.helpers.paths import ROOT

SECRET = "cli-test-secret-never-printed"


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_aws_cli_scan_against_moto_server(moto_endpoint, tmp_path):
    env = {**os.environ, "AWS_ENDPOINT_URL": moto_endpoint, "AWS_ACCESS_KEY_ID": "AKIDCLITEST",
           "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_DEFAULT_REGION": REGION, "CI": "1"}
    env.pop("AWS_PROFILE", None)
    session = boto3.Session(aws_access_key_id="AKIDCLITEST", aws_secret_access_key=SECRET, region_name=REGION)
    os.environ["AWS_ENDPOINT_URL"] = moto_endpoint
    try:
        ids = build_estate(session)
    finally:
        del os.environ["AWS_ENDPOINT_URL"]
    out = tmp_path / "report.json"
    snap = tmp_path / "estate.jsonl"
    proc = subprocess.run(
        [sys.executable, "-m", "posture", "scan", "aws", "--region", REGION, "--format", "json", "-o", str(out),
         "--snapshot-out", str(snap)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # findings at or above "low"
    doc = json.loads(out.read_text())
    found = {(f["rule_id"], f["resource"]["id"]) for f in doc["findings"]}
    for rule_id, resources in ids["faults"].items():
        assert all((rule_id, rid) in found for rid in resources), rule_id
    planted = {f["resource"]["id"] for f in doc["findings"] if f["rule_id"] in ids["faults"]}
    assert not planted & set(ids["twins"])  # twins are clean for the rule of the fault they twin
    assert doc["summary"]["source"]["type"] == "aws"
    for text in (proc.stdout, proc.stderr, out.read_text(), snap.read_text()):
        assert SECRET not in text
    assert "\r" not in proc.stderr  # no progress bar when not on a terminal
