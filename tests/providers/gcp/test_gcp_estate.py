"""A recorded GCP estate with one planted fault per mission category and a clean twin of each,
scanned end to end: real SDK clients -> normalisers -> graph -> the real rule engine."""

from __future__ import annotations

import json

import pytest
from google.auth.credentials import AnonymousCredentials

import posture
from posture.api import evaluate, load_snapshot, save_snapshot
from posture.providers.gcp.collect import RetryPolicy
from posture.providers.gcp.replay import Replay
from tests.helpers.paths import FIXTURES

ESTATE = FIXTURES / "gcp" / "estate"
FW = "//compute.googleapis.com/projects/acme-prod/global/firewalls/"
PROXY = "//compute.googleapis.com/projects/acme-prod/global/targetHttpsProxies/"
SQL = "//cloudsql.googleapis.com/projects/acme-prod/instances/"
KEY = "//cloudkms.googleapis.com/projects/acme-prod/locations/us-central1/keyRings/app-ring/cryptoKeys/"

FAULTS = {
    ("POSTURE-NET-001", FW + "allow-ssh-world"),  # SSH from 0.0.0.0/0
    ("POSTURE-TLS-004", SQL + "orders-db"),  # Cloud SQL accepts plaintext
    ("POSTURE-TLS-001", PROXY + "shop-proxy-legacy"),  # COMPATIBLE / TLS 1.0 policy
    ("POSTURE-TLS-001", PROXY + "shop-proxy-default"),  # no policy: GCP default COMPATIBLE / TLS 1.0
    ("POSTURE-KEY-001", KEY + "no-rotation"),  # no rotation period
    ("POSTURE-KEY-002", KEY + "slow-rotation"),  # rotates every 730 days
    # the same faults seen through the graph: the bastion's public IP is reachable on SSH via allow-ssh-world,
    # and orders-db authorises 0.0.0.0/0 on its public IP
    ("POSTURE-SEG-002", "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/bastion-1"),
    ("POSTURE-SEG-003", SQL + "orders-db"),
}
# What the wider packs also report on this estate: each is true of the recorded resources (no flow logs on
# the networks, backups off and zonal Cloud SQL, the COMPATIBLE profile's 3DES suite, a default-network
# allow rule, and a world-open 8000-8080 range that covers HDFS 8020).
WIDER = {
    ("POSTURE-BAK-001", SQL + "orders-db"),
    ("POSTURE-BAK-003", SQL + "legacy-db"),
    ("POSTURE-BAK-003", SQL + "orders-db"),
    ("POSTURE-LOG-004", "//compute.googleapis.com/projects/acme-prod/global/networks/default"),
    ("POSTURE-LOG-004", "//compute.googleapis.com/projects/acme-prod/global/networks/vpc-main"),
    ("POSTURE-LOG-004", "//compute.googleapis.com/projects/acme-prod/regions/europe-west1/subnetworks/data"),
    ("POSTURE-LOG-004", "//compute.googleapis.com/projects/acme-prod/regions/us-central1/subnetworks/default"),
    ("POSTURE-NET-002", FW + "allow-https"),
    ("POSTURE-NET-004", FW + "default-allow-icmp"),
    ("POSTURE-TLS-005", PROXY + "shop-proxy-default"),
    ("POSTURE-TLS-005", PROXY + "shop-proxy-legacy"),
    ("POSTURE-TLS-005", "//compute.googleapis.com/projects/acme-prod/global/sslPolicies/legacy-compat"),
    ("POSTURE-TLS-001", "//compute.googleapis.com/projects/acme-prod/global/sslPolicies/legacy-compat"),
    # the bastion's external IP as an exposure of its own
    ("POSTURE-SEG-008", "//compute.googleapis.com/projects/acme-prod/zones/us-central1-a/instances/bastion-1"),
}
PLANTED_RULES = {rule for rule, _ in FAULTS}
TWINS = {
    FW + "allow-ssh-web",  # cancelled by deny-ssh-web at priority 900
    FW + "deny-ssh-web",
    FW + "allow-rdp-disabled",  # disabled
    FW + "allow-ssh-corp",  # corporate range only
    FW + "allow-https",  # not an administrative port
    SQL + "billing-db",  # ENCRYPTED_ONLY
    SQL + "legacy-db",  # requireSsl
    PROXY + "shop-proxy-modern",  # MODERN / TLS 1.2
    "//compute.googleapis.com/projects/acme-prod/global/targetSslProxies/tcp-proxy-modern",
    KEY + "rotated-90d",  # 90-day rotation
    KEY + "signing",  # asymmetric: cannot rotate automatically
}


@pytest.fixture(scope="module")
def scanned():
    replay = Replay.from_directory(ESTATE)
    slept: list[float] = []
    result = posture.scan_gcp(AnonymousCredentials(), replay=replay, retry=RetryPolicy(sleep=slept.append),
                              max_workers=4)
    return result, replay, slept


def test_gcp_estate_every_fault_found_and_no_twin_flagged(scanned):
    result, replay, _ = scanned
    found = {(f.rule_id, f.resource.id) for f in result.findings if not f.unverified}
    assert found == FAULTS | WIDER
    # a clean twin is clean for the rule of the fault it twins (it may differ in other respects)
    assert not any(f.resource.id in TWINS for f in result.findings if f.rule_id in PLANTED_RULES)
    assert replay.unmatched == []


def test_gcp_estate_covers_every_kind_and_reports_the_sandbox_gaps(scanned):
    result, _, slept = scanned
    kinds = {r.kind for r in result.graph.resources()}
    assert kinds == {"network", "subnet", "firewall", "compute", "datastore", "tls_policy", "listener", "key"}
    assert result.source["target"] == "acme-prod,acme-sandbox"  # from Resource Manager; acme-old is being deleted
    gaps = {(g.source, g.service, g.account, g.code) for g in result.gaps}
    assert gaps == {("gcp", "compute", "acme-sandbox", "SERVICE_DISABLED"),
                    ("gcp", "cloudkms", "acme-sandbox", "IAM_PERMISSION_DENIED"),
                    ("gcp", "sqladmin", "acme-sandbox", "notFound")}
    assert slept == [2.0]  # the throttled bucket listing waited as told, then succeeded
    assert result.graph.resource("//storage.googleapis.com/projects/_/buckets/sandbox-scratch") is not None


def test_gcp_estate_graph_links_instances_to_their_firewalls_and_keys(scanned):
    result, _, _ = scanned
    nx = result.graph.nx
    instances = "//compute.googleapis.com/projects/acme-prod/zones/"

    def firewalls(rid):
        return {dst.rsplit("/", 1)[1] for _, dst, k in nx.out_edges(instances + rid, keys=True) if k == "protected_by"}

    untargeted = {"allow-ssh-corp", "deny-egress-smtp"}  # rules without targets apply to every instance
    # a disabled rule still targets them (linked by the GCP graph step); its entries are never evaluated
    untargeted |= {"allow-rdp-disabled"}
    assert firewalls("us-central1-a/instances/bastion-1") == {"allow-ssh-world"} | untargeted
    assert firewalls("us-central1-b/instances/web-1") == {"allow-ssh-web", "deny-ssh-web", "allow-https"} | untargeted
    # the source itself links the enabled rules; the disabled one is linked once the graph is built
    linked = {e.dst.rsplit("/", 1)[1] for e in result.inventory.edges
              if e.kind == "protected_by" and e.src == instances + "us-central1-a/instances/bastion-1"}
    assert linked == {"allow-ssh-world"} | untargeted - {"allow-rdp-disabled"}
    reach = [e for e in result.graph.in_edges(instances + "us-central1-a/instances/bastion-1")
             if e.kind == "reachable_from_internet"]
    assert [list(p) for p in reach[0].attrs["ports"]] == [[22, 22]]  # 3389 stays closed: the rule is disabled
    web_disk = "//compute.googleapis.com/projects/acme-prod/zones/us-central1-b/disks/web-1"
    assert nx.has_edge(web_disk, KEY + "rotated-90d", key="encrypted_by")
    # rotated-90d protects the disk and a bucket; the findings carry no dangling-reference gaps
    assert not [g for g in result.gaps if g.code == "dangling_reference"]


def test_gcp_estate_snapshot_round_trip_keeps_findings_and_holds_no_secrets(scanned, tmp_path):
    result, _, _ = scanned
    path = save_snapshot(result, tmp_path / "gcp.jsonl")
    text = path.read_text()
    assert "BEGIN CERTIFICATE" not in text and "ya29" not in text
    again = evaluate(load_snapshot(path))
    assert {(f.rule_id, f.resource.id) for f in again.findings if not f.unverified} == FAULTS | WIDER
    assert "BEGIN CERTIFICATE" not in json.dumps(result.to_dict())


def test_gcp_progress_line_on_request(capsys):
    posture.scan_gcp(AnonymousCredentials(), ["acme-prod"], replay=Replay.from_directory(ESTATE),
                     services=["networks", "firewalls"], progress=True)
    err = capsys.readouterr().err
    assert "gcp: 2/2" in err
