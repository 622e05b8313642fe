#!/usr/bin/env python3
"""Time `scan_azure` on a synthetic estate served by the replay transport (real SDK clients, no network).

Each subscription gets N NSGs (two pages), N storage accounts, N VMs with NICs, a key vault with N keys and a
SQL server with N databases. `--latency` adds a per-request delay (seconds) standing in for ARM's round trip,
which shows what the bounded thread pool buys; the SDK's own pipeline (auth, retry, paging,
deserialisation) runs for every request.

    python benchmarks/azure_scan.py --subscriptions 4 --per-kind 50 --latency 0.02 --workers 1 8
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from posture.api import scan_azure
from posture.providers.azure.replay import ReplayTransport, StaticTokenCredential


def subscription_ids(subs: int) -> list[str]:
    return [f"{s:08d}-0000-0000-0000-000000000000" for s in range(subs)]


def _estate(subs: int, n: int) -> list[dict[str, Any]]:
    ex: list[dict[str, Any]] = []

    def page(path: str, items: list[dict[str, Any]], token: str | None = None) -> None:
        body: dict[str, Any] = {"value": items}
        if token:
            body["nextLink"] = f"https://management.azure.com{path}?api-version=x&$skiptoken={token}"
        ex.append({"request": f"GET {path}", "body": body})

    def rule(i: int) -> dict[str, Any]:
        return {"name": "r", "properties": {
            "priority": 100 + i, "access": "Allow", "direction": "Inbound", "protocol": "Tcp",
            "sourceAddressPrefix": "Internet", "destinationPortRange": str(3389 if i % 10 == 0 else 443)}}

    for sub in subscription_ids(subs):
        base, prov = f"/subscriptions/{sub}", f"/subscriptions/{sub}/resourceGroups/rg/providers"
        nsgs = [{"id": f"{prov}/Microsoft.Network/networkSecurityGroups/nsg{i}", "name": f"nsg{i}", "properties": {
            "securityRules": [rule(i)],
            "networkInterfaces": [{"id": f"{prov}/Microsoft.Network/networkInterfaces/nic{i}"}]}} for i in range(n)]
        nsg_path = f"{base}/providers/Microsoft.Network/networkSecurityGroups"
        page(nsg_path, nsgs[: n // 2], "p2")
        ex.append({"request": f"GET {nsg_path}?$skiptoken=p2", "body": {"value": nsgs[n // 2:]}})
        for kind in ("virtualNetworks", "publicIPAddresses", "applicationGateways"):
            page(f"{base}/providers/Microsoft.Network/{kind}", [])
        page(f"{base}/providers/Microsoft.Network/networkInterfaces", [
            {"id": f"{prov}/Microsoft.Network/networkInterfaces/nic{i}", "name": f"nic{i}", "properties": {
                "networkSecurityGroup": {"id": nsgs[i]["id"]},
                "virtualMachine": {"id": f"{prov}/Microsoft.Compute/virtualMachines/vm{i}"},
                "ipConfigurations": [{"properties": {"privateIPAddress": f"10.0.{i // 250}.{i % 250 + 4}"}}]}}
            for i in range(n)])
        page(f"{base}/providers/Microsoft.Compute/virtualMachines", [
            {"id": f"{prov}/Microsoft.Compute/virtualMachines/vm{i}", "name": f"vm{i}", "properties": {
                "networkProfile": {"networkInterfaces": [
                    {"id": f"{prov}/Microsoft.Network/networkInterfaces/nic{i}"}]}}} for i in range(n)])
        page(f"{base}/providers/Microsoft.Compute/disks", [
            {"id": f"{prov}/Microsoft.Compute/disks/d{i}", "name": f"d{i}", "properties": {}} for i in range(n)])
        page(f"{base}/providers/Microsoft.Compute/diskEncryptionSets", [])
        page(f"{base}/providers/Microsoft.Storage/storageAccounts", [
            {"id": f"{prov}/Microsoft.Storage/storageAccounts/sa{i}", "name": f"sa{i}", "properties": {
                "minimumTlsVersion": "TLS1_0" if i % 10 == 0 else "TLS1_2", "supportsHttpsTrafficOnly": True,
                "publicNetworkAccess": "Disabled", "encryption": {"keySource": "Microsoft.Storage"}}}
            for i in range(n)])
        vault = f"{prov}/Microsoft.KeyVault/vaults/kv"
        page(f"{base}/providers/Microsoft.KeyVault/vaults", [{"id": vault, "name": "kv", "properties": {}}])
        page(f"{vault}/keys", [{"id": f"{vault}/keys/k{i}", "name": f"k{i}"} for i in range(n)])
        for i in range(n):
            policy = {"lifetimeActions": [{"trigger": {"timeAfterCreate": "P90D"}, "action": {"type": "rotate"}}]}
            kprops = {"kty": "RSA", "keySize": 2048, **({} if i % 10 == 0 else {"rotationPolicy": policy})}
            ex.append({"request": f"GET {vault}/keys/k{i}",
                       "body": {"id": f"{vault}/keys/k{i}", "name": f"k{i}", "properties": kprops}})
        server = f"{prov}/Microsoft.Sql/servers/sql"
        page(f"{base}/providers/Microsoft.Sql/servers",
             [{"id": server, "name": "sql", "properties": {"minimalTlsVersion": "1.2"}}])
        ex.append({"request": f"GET {server}/encryptionProtector/current", "body": {
            "id": f"{server}/encryptionProtector/current", "properties": {"serverKeyType": "ServiceManaged"}}})
        page(f"{server}/databases", [{"id": f"{server}/databases/db{i}", "name": f"db{i}"} for i in range(n)])
        for i in range(n):
            page(f"{server}/databases/db{i}/transparentDataEncryption", [
                {"id": f"{server}/databases/db{i}/transparentDataEncryption/current",
                 "properties": {"state": "Disabled" if i % 10 == 0 else "Enabled"}}])
        page(f"{base}/providers/Microsoft.Web/sites", [])
    return ex


class _SlowReplay(ReplayTransport):
    latency = 0.0

    def send(self, request: Any, **kwargs: Any) -> Any:
        if self.latency:
            time.sleep(self.latency)
        return super().send(request, **kwargs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscriptions", type=int, default=4)
    ap.add_argument("--per-kind", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.02, help="seconds added to every request")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    args = ap.parse_args()
    exchanges = _estate(args.subscriptions, args.per_kind)
    subs = subscription_ids(args.subscriptions)
    scan_azure(StaticTokenCredential(), subs, client_kwargs={"transport": ReplayTransport(exchanges)},
               progress=False)  # warm-up: SDK imports
    for workers in args.workers:
        transport = _SlowReplay(exchanges)
        transport.latency = args.latency
        t0 = time.perf_counter()
        result = scan_azure(StaticTokenCredential(), subs, client_kwargs={"transport": transport},
                            max_workers=workers, progress=False)
        took = time.perf_counter() - t0
        print(f"workers={workers:<3} subscriptions={args.subscriptions} requests={len(transport.requests)} "
              f"resources={len(result.graph)} findings={len(result.findings)} gaps={len(result.gaps)} "
              f"unmatched={len(transport.unmatched)} seconds={took:.2f}")


if __name__ == "__main__":
    main()
