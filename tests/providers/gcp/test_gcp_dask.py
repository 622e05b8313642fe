"""GCP collection fanned out on a real Dask LocalCluster: workers build their own SDK clients from a
picklable credentials recipe (here: the recorded responses of tests/fixtures/gcp/estate)."""

from __future__ import annotations

import json

import pytest
from google.auth.credentials import AnonymousCredentials

import posture
from posture.cli import main
from posture.errors import InputError
from posture.providers.gcp import REPLAY_ENV
from posture.providers.gcp.clients import CredentialsRecipe
from posture.providers.gcp.collect import RetryPolicy
from posture.providers.gcp.replay import Replay
from tests.helpers.paths import FIXTURES

distributed = pytest.importorskip("distributed")

ESTATE = FIXTURES / "gcp" / "estate"
FAST = RetryPolicy(base_delay=0.0, max_delay=0.0)


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, protocol="tcp",
                                       host="127.0.0.1", dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _fingerprints(result) -> list[str]:
    return sorted(f.fingerprint for f in result.findings)


def test_gcp_dask_cluster_and_thread_pool_give_identical_findings(dask_client):
    pooled = posture.scan_gcp(AnonymousCredentials(), replay=Replay.from_directory(ESTATE), retry=FAST)
    dasked = posture.scan_gcp(CredentialsRecipe(str(ESTATE)), client=dask_client, retry=FAST)
    assert dasked.findings and _fingerprints(dasked) == _fingerprints(pooled)
    assert sorted(r.id for r in dasked.inventory.resources) == sorted(r.id for r in pooled.inventory.resources)
    assert dasked.inventory.gaps == pooled.inventory.gaps and dasked.inventory.gaps  # the sandbox's denials
    ran = dask_client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "run_one" in ran  # the tasks really went through the cluster


def test_gcp_live_credentials_are_refused_for_dask_with_a_clear_error(dask_client):
    with pytest.raises(InputError, match=r"live credentials cannot be sent to remote Dask workers"):
        posture.scan_gcp(AnonymousCredentials(), ["acme-prod"], client=dask_client)
    with pytest.raises(InputError, match=r"live credentials"):
        posture.scan_gcp(CredentialsRecipe(), ["acme-prod"], replay=Replay.from_directory(ESTATE),
                         client=dask_client)


def test_gcp_cli_dask_scheduler(dask_client, monkeypatch, tmp_path):
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    out = tmp_path / "report.json"
    address = dask_client.scheduler.address
    code = main(["scan", "gcp", "--project", "acme-prod", "--dask-scheduler", address, "--format", "json",
                 "-o", str(out), "--quiet"])
    assert code == 1
    doc = json.loads(out.read_text())
    expected = _fingerprints(posture.scan_gcp(AnonymousCredentials(), ["acme-prod"],
                                              replay=Replay.from_directory(ESTATE), retry=FAST))
    assert sorted(f["fingerprint"] for f in doc["findings"]) == expected
