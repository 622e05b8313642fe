"""Benchmark: `posture.scan_gcp` over a synthetic recorded estate (real SDK clients, replay transport).

Usage: python benchmarks/gcp_scan.py [--public] [projects] [firewalls_per_project] [instances_per_project]
Prints the time spent collecting (SDK deserialisation + paging), normalising and evaluating.
``--public`` places the instances in a subnetwork and gives every tenth an external address, so internet
reachability follows every rule that targets them (the GCP graph step and the reachability enricher).
"""

from __future__ import annotations

import sys
import time

from google.auth.credentials import AnonymousCredentials

from posture.api import scan_inventory
from posture.providers.gcp import GcpOptions, collect_gcp
from posture.providers.gcp.collect import RetryPolicy
from posture.providers.gcp.replay import Replay

PAGE = 100


def _pages(path: str, key: str, items: list[dict]) -> list[dict]:
    routes = []
    for n, start in enumerate(range(0, max(len(items), 1), PAGE)):
        body: dict = {key: items[start:start + PAGE]}
        if start + PAGE < len(items):
            body["nextPageToken"] = f"t{n + 1}"
        routes.append({"path": path, "query": {"pageToken": f"t{n}"} if n else {}, "body": body})
    return routes


def _port(i: int) -> str:
    return str(22 if i % 30 == 0 else 20 + i % 50)  # some SSH rules, a tenth of them open to the internet


def estate(projects: int, firewalls: int, instances: int, public: bool = False) -> list[dict]:
    routes: list[dict] = []
    for p in range(projects):
        proj = f"bench-{p}"
        c = f"https://www.googleapis.com/compute/v1/projects/{proj}"
        net = f"{c}/global/networks/main"
        subnet = f"{c}/regions/us-east1/subnetworks/main"
        fws = [{"name": f"fw-{i}", "network": net, "selfLink": f"{c}/global/firewalls/fw-{i}",
                "priority": 1000 + i % 7, "sourceRanges": ["0.0.0.0/0" if i % 10 == 0 else "10.0.0.0/8"],
                "targetTags": [f"t{i % 20}"],
                **({"denied": [{"IPProtocol": "tcp", "ports": ["22"]}]} if i % 9 == 0 else
                   {"allowed": [{"IPProtocol": "tcp", "ports": [_port(i), "8000-8100"]}]})}
               for i in range(firewalls)]
        vms = [{"name": f"vm-{i}", "zone": f"{c}/zones/us-east1-b",
                "selfLink": f"{c}/zones/us-east1-b/instances/vm-{i}",
                "tags": {"items": [f"t{i % 20}"]},
                "networkInterfaces": [{"network": net, "networkIP": f"10.0.{i // 250}.{i % 250}",
                                       **({"subnetwork": subnet} if public else {}),
                                       **({"accessConfigs": [{"natIP": f"34.{p}.{i // 250}.{i % 250}"}]}
                                          if public and i % 10 == 0 else {})}]}
               for i in range(instances)]
        routes.append({"path": f"/compute/v1/projects/{proj}/global/networks",
                       "body": {"items": [{"name": "main", "selfLink": net}]}})
        if public:
            routes.append({"path": f"/compute/v1/projects/{proj}/aggregated/subnetworks",
                           "body": {"items": {"regions/us-east1": {"subnetworks": [
                               {"name": "main", "selfLink": subnet, "network": net, "region": f"{c}/regions/us-east1",
                                "ipCidrRange": "10.0.0.0/16"}]}}}})
        routes += _pages(f"/compute/v1/projects/{proj}/global/firewalls", "items", fws)
        for n, start in enumerate(range(0, max(len(vms), 1), PAGE)):
            body: dict = {"items": {"zones/us-east1-b": {"instances": vms[start:start + PAGE]}}}
            if start + PAGE < len(vms):
                body["nextPageToken"] = f"t{n + 1}"
            routes.append({"path": f"/compute/v1/projects/{proj}/aggregated/instances",
                           "query": {"pageToken": f"t{n}"} if n else {}, "body": body})
    return routes


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--public"]
    public = len(args) < len(sys.argv) - 1
    projects, firewalls, instances = (int(a) for a in (args + ["10", "500", "500"][len(args):]))
    replay = Replay(estate(projects, firewalls, instances, public))
    t0 = time.perf_counter()
    services = ["networks", "firewalls", "instances", *(["subnetworks"] if public else [])]
    inv = collect_gcp(GcpOptions(credentials=AnonymousCredentials(), projects=[f"bench-{p}" for p in range(projects)],
                                 replay=replay, services=services,
                                 retry=RetryPolicy(max_delay=0.0), progress=False))
    t1 = time.perf_counter()
    result = scan_inventory(inv)
    t2 = time.perf_counter()
    print(f"projects={projects} firewalls/project={firewalls} instances/project={instances} public={public}")
    print(f"requests={len(replay.requests)} resources={len(inv.resources)} edges={len(inv.edges)} "
          f"findings={len(result.findings)} gaps={len(inv.gaps)}")
    print(f"collect+normalise: {t1 - t0:.2f} s   graph+rules: {t2 - t1:.2f} s   total: {t2 - t0:.2f} s")


if __name__ == "__main__":
    main()
