"""Azure collection fanned out on a real Dask LocalCluster: workers build their own credential and clients
from a picklable recipe (here: the recorded ARM answers of tests/fixtures/azure/estate)."""

from __future__ import annotations

import json

import pytest

import posture
from posture.cli import main
from posture.errors import InputError
from posture.providers.azure import REPLAY_ENV
from posture.providers.azure.collect import CredentialRecipe
from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential
from tests.helpers.paths import FIXTURES

distributed = pytest.importorskip("distributed")

ESTATE = FIXTURES / "azure" / "estate"


@pytest.fixture(scope="module")
def dask_client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=2, processes=False, protocol="tcp",
                                       host="127.0.0.1", dashboard_address=":0")
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def _pooled():
    kwargs = {"transport": ReplayTransport.from_directory(ESTATE), "retry_backoff_factor": 0.0}
    return posture.scan_azure(StaticTokenCredential(), client_kwargs=kwargs, progress=False)


def _fingerprints(result) -> list[str]:
    return sorted(f.fingerprint for f in result.findings)


def test_azure_dask_cluster_and_thread_pool_give_identical_findings(dask_client):
    pooled = _pooled()
    dasked = posture.scan_azure(CredentialRecipe(str(ESTATE)), client=dask_client, progress=False)
    assert dasked.findings and _fingerprints(dasked) == _fingerprints(pooled)
    assert [r.id for r in dasked.inventory.resources] == [r.id for r in pooled.inventory.resources]
    assert dasked.inventory.gaps == pooled.inventory.gaps
    ran = dask_client.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
    assert "run_service" in ran  # the tasks really went through the cluster


def test_azure_live_credential_is_refused_for_dask_with_a_clear_error(dask_client):
    with pytest.raises(InputError, match=r"live credential or transport cannot be sent to remote Dask workers"):
        posture.scan_azure(StaticTokenCredential(), client=dask_client)
    with pytest.raises(InputError, match=r"live credential or transport"):
        posture.scan_azure(client_kwargs={"transport": ReplayTransport.from_directory(ESTATE)}, client=dask_client)


def test_azure_cli_dask_scheduler(dask_client, monkeypatch, tmp_path):
    monkeypatch.setenv(REPLAY_ENV, str(ESTATE))
    out = tmp_path / "report.json"
    code = main(["scan", "azure", "--dask-scheduler", dask_client.scheduler.address, "--format", "json",
                 "-o", str(out), "--quiet"])
    assert code == 1
    doc = json.loads(out.read_text())
    assert sorted(f["fingerprint"] for f in doc["findings"]) == _fingerprints(_pooled())
