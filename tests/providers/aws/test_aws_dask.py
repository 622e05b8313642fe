"""``posture scan aws`` fanned out on a real Dask LocalCluster against a moto server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

import posture
from posture.errors import InputError
from posture.providers.aws import collect as aws_collect
from posture.providers.aws.tasks import run_task
from tests.helpers.aws_estate import REGION, build_estate
from tests.helpers.paths import ROOT

distributed = pytest.importorskip("distributed")

KEY, SECRET = "AKIDDASKTEST", "dask-test-secret-never-printed"


@pytest.fixture(scope="module")
def estate():
    """A moto server with the test estate; env credentials and AWS_ENDPOINT_URL for this process (the
    in-process Dask workers resolve credentials from it, as remote workers would from theirs)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _reset_moto(endpoint)  # the server shares moto's in-process state with other AWS tests of this worker
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("AWS_PROFILE", raising=False)
        for name, value in (("AWS_ENDPOINT_URL", endpoint), ("AWS_ACCESS_KEY_ID", KEY),
                            ("AWS_SECRET_ACCESS_KEY", SECRET), ("AWS_DEFAULT_REGION", REGION)):
            mp.setenv(name, value)
        ids = build_estate(boto3.Session(region_name=REGION))
        yield endpoint, ids
    _reset_moto(endpoint)
    server.stop()


def _reset_moto(endpoint: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()


@pytest.fixture(scope="module")
def dask_client(estate):
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, protocol="tcp",
                                       host="127.0.0.1", dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _fingerprints(result) -> list[str]:
    return sorted(f.fingerprint for f in result.findings)


def test_aws_dask_cluster_and_thread_pool_give_identical_findings(estate, dask_client):
    _, ids = estate
    pooled = posture.scan_aws(regions=[REGION])
    dasked = posture.scan_aws(regions=[REGION], client=dask_client)
    assert dasked.findings and _fingerprints(dasked) == _fingerprints(pooled)
    assert [r.id for r in dasked.inventory.resources] == [r.id for r in pooled.inventory.resources]
    assert dasked.inventory.gaps == pooled.inventory.gaps
    found = {(f.rule_id, f.resource.id) for f in dasked.findings}
    for rule_id, resources in ids["faults"].items():
        assert all((rule_id, rid) in found for rid in resources), rule_id
    ran = dask_client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "run_task" in ran  # the tasks really went through the cluster


def _run_task_kms_lost(name, spec, account, region, args=None):
    """Runs on a Dask worker: the kms task fails outside run_task's own guard, as a lost worker would."""
    if name == "kms":
        raise PermissionError("worker lost while reading kms")
    return run_task(name, spec, account, region, args)


def test_aws_failed_dask_task_becomes_a_gap_and_the_rest_merges(estate, dask_client, monkeypatch):
    monkeypatch.setattr(aws_collect, "run_task", _run_task_kms_lost)
    result = posture.scan_aws(regions=[REGION], client=dask_client)
    gaps = [g for g in result.inventory.gaps if g.code == "task_failed"]
    assert [(g.service, g.region, g.account) for g in gaps] == [("kms", REGION, "123456789012")]
    assert "worker lost" in gaps[0].reason
    assert not any(":kms:" in r.id for r in result.inventory.resources)  # no key was read
    assert any(r.id.startswith("arn:aws:s3") for r in result.inventory.resources)  # the rest merged


def test_aws_live_session_is_refused_for_dask_with_a_clear_error(estate, dask_client):
    with pytest.raises(InputError, match=r"live boto3\.Session cannot be sent to remote Dask workers"):
        posture.scan_aws(boto3.Session(region_name=REGION), regions=[REGION], client=dask_client)


def test_aws_cli_dask_scheduler(estate, dask_client, tmp_path):
    endpoint, ids = estate
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    out = tmp_path / "report.json"
    env = {**os.environ, "CI": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "posture", "scan", "aws", "--region", REGION, "--dask-scheduler", address,
         "--format", "json", "-o", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1, proc.stderr  # findings at or above "low"
    doc = json.loads(out.read_text())
    expected = _fingerprints(posture.scan_aws(regions=[REGION]))
    assert sorted(f["fingerprint"] for f in doc["findings"]) == expected
    for text in (proc.stdout, proc.stderr, out.read_text()):
        assert SECRET not in text

