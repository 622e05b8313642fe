"""Azure collection through the real azure-mgmt clients over recorded ARM answers.

The SDK's own pipeline runs: bearer-token policy, retry policy (Retry-After), paging (nextLink),
deserialisation and HttpResponseError mapping. Only the socket is replaced (ReplayTransport).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from posture.providers.azure import AzureOptions, collect_azure
from posture.providers.azure.collect import scrub
from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential, request_key
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "azure" / "estate"
SUB_A = "11111111-1111-1111-1111-111111111111"
SUB_B = "22222222-2222-2222-2222-222222222222"
SUB_C = "33333333-3333-3333-3333-333333333333"


def _collect(**kw):
    transport = ReplayTransport.from_directory(ESTATE)
    inv = collect_azure(AzureOptions(credential=StaticTokenCredential(),
                                     client_kwargs={"transport": transport, "retry_backoff_factor": 0.0},
                                     progress=False, **kw))
    return inv, transport


@pytest.fixture(scope="module")
def estate():
    return _collect()


def _names(inv, kind: str) -> set[str]:
    return {r.name for r in inv.resources if r.kind == kind}


def _gap(inv, service: str, account: str):
    found = [g for g in inv.gaps if g.service == service and g.account == account]
    assert found, f"no gap for {service} in {account}: {inv.gaps}"
    return found


def test_azure_every_recorded_answer_is_used_and_nothing_unrecorded_is_asked(estate):
    inv, transport = estate
    assert transport.unmatched == []
    assert not any(SUB_C in key for key in transport.requests), "a disabled subscription must not be read"
    assert inv.meta["subscriptions"] == (SUB_A, SUB_B)


def test_azure_lists_follow_next_link_across_pages(estate):
    inv, transport = estate
    assert _names(inv, "firewall") == {"nsg-web", "nsg-open-rdp", "nsg-deny-first"}  # 3 NSGs on 2 pages
    assert _names(inv, "network") == {"vnet-prod", "vnet-hub"}
    assert {"satls10", "satls12"} <= _names(inv, "datastore")
    assert {"key-norotation", "key-rotated", "key-ec"} == _names(inv, "key")
    assert {"db-tde-off", "db-tde-on"} <= _names(inv, "datastore")
    assert any("$skiptoken=nsg2" in k for k in transport.requests)
    assert any("$skipToken=sa2" in k for k in transport.requests)


def test_azure_429_is_retried_by_the_sdk_honouring_retry_after(estate):
    inv, transport = estate
    nsg_calls = [k for k in transport.requests
                 if k == f"GET /subscriptions/{SUB_A}/providers/microsoft.network/networksecuritygroups"]
    assert len(nsg_calls) == 2  # throttled once, then answered
    assert 2.0 in transport.sleeps  # the Retry-After: 2 of the recorded 429
    assert not [g for g in inv.gaps if g.service == "network" and g.account == SUB_A]


def test_azure_throttling_that_never_ends_becomes_a_gap(estate):
    inv, _ = estate
    (gap,) = _gap(inv, "network", SUB_B)
    assert gap.code == "TooManyRequests" and "application gateways" in gap.reason and gap.source == "azure"


def test_azure_403_becomes_a_gap_and_the_rest_of_the_subscription_is_read(estate):
    inv, transport = estate
    (storage,) = _gap(inv, "storage", SUB_B)
    assert storage.code == "AuthorizationFailed" and "HTTP 403" in storage.reason
    (compute,) = _gap(inv, "compute", SUB_B)
    assert compute.code == "AuthorizationFailed" and "virtual machines" in compute.reason
    # the denied VM list did not stop the disk and encryption-set lists of the same task
    assert f"GET /subscriptions/{SUB_B}/providers/microsoft.compute/disks" in transport.requests
    assert f"GET /subscriptions/{SUB_B}/providers/microsoft.compute/diskencryptionsets" in transport.requests


def test_azure_404_on_a_child_list_is_a_gap_naming_the_parent(estate):
    inv, _ = estate
    (gap,) = _gap(inv, "keyvault", SUB_B)
    assert gap.code == "ResourceNotFound" and gap.target.endswith("/vaults/kv-gone")


def test_azure_unregistered_provider_is_a_gap_not_a_registration(estate):
    inv, transport = estate
    (gap,) = _gap(inv, "sql", SUB_B)
    assert gap.code == "MissingSubscriptionRegistration"
    # the SDK's auto-registration policy tried (and a Reader is refused); the scan went on
    assert f"POST /subscriptions/{SUB_B}/providers/microsoft.sql/register" in transport.requests


def test_azure_disabled_subscription_is_reported(estate):
    inv, _ = estate
    (gap,) = _gap(inv, "subscriptions", SUB_C)
    assert gap.code == "SubscriptionDisabled"


def test_azure_explicit_subscriptions_skip_discovery_and_services_filter():
    inv, transport = _collect(subscriptions=[SUB_A], services=["storage"])
    assert transport.requests == [
        f"GET /subscriptions/{SUB_A}/providers/microsoft.storage/storageaccounts",
        f"GET /subscriptions/{SUB_A}/providers/microsoft.storage/storageaccounts?$skipToken=sa2",
    ]
    assert _names(inv, "datastore") == {"satls10", "satls12"} and inv.gaps == ()


def test_azure_tasks_run_on_the_executor_passed_in():
    class Counting(ThreadPoolExecutor):
        submitted = 0

        def submit(self, fn, /, *args, **kwargs):
            Counting.submitted += 1
            return super().submit(fn, *args, **kwargs)

    with Counting(max_workers=2) as pool:
        inv, _ = _collect(subscriptions=[SUB_A, SUB_B], executor=pool)
        assert Counting.submitted == 12  # 2 subscriptions x 6 services
        assert pool.submit(lambda: 42).result() == 42  # the caller's executor is not shut down
    assert "nsg-open-rdp" in _names(inv, "firewall")


def test_azure_no_secret_reaches_records_or_resources(estate):
    inv, _ = estate
    text = json.dumps([r.to_dict() for r in inv.resources]) + json.dumps([g.to_dict() for g in inv.gaps])
    assert "hunter2" not in text and "replay-token" not in text
    assert scrub({"properties": {"connectionStrings": [{"connectionString": "x"}], "publishingPassword": "p",
                                 "minTlsVersion": "1.2"}}) == {"properties": {"minTlsVersion": "1.2"}}


def test_azure_unusable_credential_is_a_one_line_input_error():
    from azure.core.exceptions import ClientAuthenticationError

    from posture.errors import InputError

    class NoCredential:
        def get_token(self, *scopes, **kwargs):
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token\nmore detail")

    transport = ReplayTransport.from_directory(ESTATE)
    with pytest.raises(InputError, match="no usable Azure credential: DefaultAzureCredential failed"):
        collect_azure(AzureOptions(credential=NoCredential(), client_kwargs={"transport": transport}, progress=False))
    with pytest.raises(InputError, match=r"no usable Azure credential: .*DefaultAzureCredential failed"):
        collect_azure(AzureOptions(credential=NoCredential(), subscriptions=[SUB_A],
                                   client_kwargs={"transport": transport}, progress=False))
    assert transport.requests == []  # no token, no request


def test_azure_replay_keys_ignore_api_version_and_case():
    assert request_key("get", "https://management.azure.com/Subscriptions/X/?api-version=2024-01-01&$top=5") == \
        "GET /subscriptions/x?$top=5"
