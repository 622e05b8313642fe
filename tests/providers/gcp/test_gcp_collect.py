"""GCP collection through the real SDK clients over recorded responses (paging, errors, retries)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from google.auth.credentials import AnonymousCredentials

from posture.providers.gcp.clients import GcpClients
from posture.providers.gcp.collect import (
    TASKS,
    RetryPolicy,
    collect,
    collect_buckets,
    collect_firewalls,
    collect_instances,
    collect_kms,
    collect_sql_instances,
    collect_subnetworks,
    list_projects,
)
from posture.providers.gcp.replay import Replay
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "gcp" / "estate"
FAST = RetryPolicy(base_delay=0.0, max_delay=0.0)


@pytest.fixture
def replay() -> Replay:
    return Replay.from_directory(ESTATE)


@pytest.fixture
def clients(replay: Replay) -> GcpClients:
    return GcpClients(AnonymousCredentials(), replay)


def _names(records):
    return [r["data"]["name"] for r in records]


def test_gcp_compute_list_follows_next_page_token(clients, replay):
    records = collect_firewalls(clients, "acme-prod", FAST)
    assert len(records) == 9
    assert "allow-ssh-world" in _names(records) and "default-allow-icmp" in _names(records)
    assert ("GET", "/compute/v1/projects/acme-prod/global/firewalls") in [
        (m, p.split("?")[0]) for m, p in replay.requests]
    assert any("pageToken=fw-2" in p for _, p in replay.requests)
    # proto-plus messages become REST-shaped dicts: JSON field names, defaults for absent repeated fields
    world = next(r["data"] for r in records if r["data"]["name"] == "allow-ssh-world")
    assert world["allowed"] == [{"IPProtocol": "tcp", "ports": ["22"]}]
    assert world["sourceRanges"] == ["0.0.0.0/0"] and world["targetTags"] == ["bastion"]


def test_gcp_aggregated_lists_page_and_skip_empty_scopes(clients):
    instances = collect_instances(clients, "acme-prod", FAST)
    assert sorted(_names(instances)) == ["bastion-1", "web-1"]  # one per page
    subnets = collect_subnetworks(clients, "acme-prod", FAST)
    assert sorted(_names(subnets)) == ["app", "data", "default"]  # the warning-only scope adds nothing


def test_gcp_kms_pages_locations_and_crypto_keys(clients, replay):
    records = collect_kms(clients, "acme-prod", FAST)
    rings = [r for r in records if r["type"] == "kms.keyRing"]
    keys = [r["data"] for r in records if r["type"] == "kms.cryptoKey"]
    assert len(rings) == 1
    assert [k["name"].rsplit("/", 1)[1] for k in keys] == ["no-rotation", "rotated-90d", "signing", "slow-rotation"]
    rotated = keys[1]
    assert rotated["rotationPeriod"] == "7776000s" and rotated["versionTemplate"]["protectionLevel"] == "HSM"
    assert keys[2]["purpose"] == "ASYMMETRIC_SIGN"  # enum names, not integers
    assert any("pageToken=loc-2" in p for _, p in replay.requests)


def test_gcp_sql_admin_pages_with_googleapiclient_and_drops_certificates(clients, replay):
    records = collect_sql_instances(clients, "acme-prod", FAST)
    assert _names(records) == ["orders-db", "billing-db", "legacy-db"]
    assert all("serverCaCert" not in r["data"] for r in records)
    assert any("pageToken=sql-2" in p for _, p in replay.requests)


def test_gcp_storage_buckets_paged_with_public_settings(clients):
    records = collect_buckets(clients, "acme-prod", FAST)
    data = {r["data"]["name"]: r["data"] for r in records}
    assert set(data) == {"acme-logs", "acme-data"}
    assert data["acme-data"]["defaultKmsKeyName"].endswith("cryptoKeys/rotated-90d")
    assert data["acme-data"]["publicAccessPrevention"] == "enforced"
    assert data["acme-logs"]["uniformBucketLevelAccess"] is True


def test_gcp_resource_manager_lists_active_projects_across_pages(clients):
    projects, gaps = list_projects(clients, FAST)
    assert projects == ["acme-prod", "acme-sandbox"] and gaps == []


def test_gcp_retry_after_is_honoured_on_429(clients, replay):
    slept: list[float] = []
    records = collect_buckets(clients, "acme-sandbox", RetryPolicy(sleep=slept.append))
    assert _names(records) == ["sandbox-scratch"]
    assert slept == [2.0]
    assert sum(1 for _, p in replay.requests if p.startswith("/storage/v1/b") and "acme-sandbox" in p) == 2


def test_gcp_throttling_that_never_ends_becomes_a_gap():
    replay = Replay([{"path": "/compute/v1/projects/p/global/firewalls", "status": 429,
                      "body": {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}}])
    slept: list[float] = []
    records, gaps = collect(GcpClients(AnonymousCredentials(), replay), ["p"], tasks=["firewalls"],
                            retry=RetryPolicy(attempts=3, base_delay=0.01, sleep=slept.append))
    assert records == [] and len(replay.requests) == 3 and len(slept) == 2
    assert slept[1] > slept[0] * 1.0  # exponential (jittered) backoff without Retry-After
    (gap,) = gaps
    assert (gap.source, gap.service, gap.account, gap.code) == ("gcp", "compute", "p", "TooManyRequests")
    assert "429" in gap.reason


def test_gcp_disabled_api_denied_and_missing_become_gaps_and_scan_goes_on(clients):
    records, gaps = collect(clients, ["acme-sandbox"], retry=FAST)
    by_service = {g.service: g for g in gaps}
    assert set(by_service) == {"compute", "cloudkms", "sqladmin"}
    compute = by_service["compute"]  # eight compute tasks, one disabled API: one gap
    assert compute.code == "SERVICE_DISABLED" and compute.account == "acme-sandbox"
    assert "firewalls" in compute.reason and "Compute Engine API" in compute.reason
    assert by_service["cloudkms"].code == "IAM_PERMISSION_DENIED"
    assert by_service["sqladmin"].code == "notFound" and "404" in by_service["sqladmin"].reason
    assert _names(records) == ["sandbox-scratch"]  # storage still collected


def test_gcp_runs_on_an_injected_executor(clients):
    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, *args, **kwargs):
            Counting.submitted += 1
            return super().submit(*args, **kwargs)

    with Counting(max_workers=2) as pool:
        records, gaps = collect(clients, ["acme-prod", "acme-sandbox"], executor=pool, retry=FAST)
        assert not pool._shutdown  # ours to close, not the collector's
    assert Counting.submitted == 2 * len(TASKS)
    assert {r["project"] for r in records} == {"acme-prod", "acme-sandbox"}
    assert len(gaps) == 3


def test_gcp_unrecorded_request_is_a_not_found_gap_never_a_crash():
    replay = Replay([])
    records, gaps = collect(GcpClients(AnonymousCredentials(), replay), ["ghost"], tasks=["networks", "sql_instances"],
                            retry=FAST)
    assert records == [] and len(replay.unmatched) == 2
    assert {(g.target, g.code, g.account) for g in gaps} == {("networks", "notFound", "ghost"),
                                                               ("sql_instances", "notFound", "ghost")}


def test_gcp_credentials_are_applied_but_never_recorded(replay):
    from google.auth.credentials import Credentials

    class StaticToken(Credentials):
        def __init__(self) -> None:
            super().__init__()
            self.token = "ya29.not-a-real-token-SECRET"

        def refresh(self, request) -> None:  # never needed: the token does not expire
            pass

    clients = GcpClients(StaticToken(), replay)
    collect(clients, ["acme-prod"], tasks=["firewalls", "sql_instances", "buckets"], retry=FAST)
    assert replay.authorized == len(replay.requests) >= 4  # every SDK sent the Authorization header
    assert "SECRET" not in repr(replay.requests)


def test_gcp_googleapiclient_errors_rate_limit_403_retried_and_disabled_api_gap():
    path = "/v1/projects/{}/instances"
    disabled = {"error": {"code": 403, "message": "Cloud SQL Admin API has not been used in project 1 before or it "
                          "is disabled.", "errors": [{"reason": "accessNotConfigured", "domain": "usageLimits"}],
                          "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                       "reason": "SERVICE_DISABLED", "domain": "googleapis.com"}]}}
    limited = {"error": {"code": 403, "message": "Rate limit exceeded", "errors": [{"reason": "rateLimitExceeded"}]}}
    replay = Replay([
        {"path": path.format("busy"), "responses": [{"status": 403, "headers": {"Retry-After": "3"}, "body": limited},
                                                    {"body": {"items": [{"name": "db"}]}}]},
        {"path": path.format("off"), "status": 403, "body": disabled},
    ])
    slept: list[float] = []
    records, gaps = collect(GcpClients(AnonymousCredentials(), replay), ["busy", "off"], tasks=["sql_instances"],
                            retry=RetryPolicy(sleep=slept.append))
    assert _names(records) == ["db"] and slept == [3.0]
    (gap,) = gaps
    assert (gap.account, gap.service, gap.code) == ("off", "sqladmin", "SERVICE_DISABLED")
    assert gap.reason.startswith("sql_instances: HTTP 403: Cloud SQL Admin API has not been used")
