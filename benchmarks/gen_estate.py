#!/usr/bin/env python3
"""Generate a synthetic, realistic multi-account estate as posture snapshots (one per account, or one file).

Each account holds repeating network "stacks" in the normalised model (docs/model.md):

- AWS (2 accounts in 3): a VPC with 4 subnets, a public and a private route table, an internet and a NAT
  gateway, a NACL, web/app/db security groups referencing each other (``sg:`` peers), instances behind
  network interfaces, an internet-facing load balancer with listeners, an RDS database, buckets, a KMS key.
- GCP (1 in 6): a network with subnetworks, firewall rules applying by network + target tags (and the implied
  deny), tagged instances; service-project instances placed in a host project's subnet (shared VPC).
- Azure (1 in 6): a VNet, subnets with a subnet NSG, NICs with their own NSG, VMs, a storage account, a SQL server.

Networks of neighbouring accounts peer (cross-account ``peers_with`` edges, resolved only once the accounts
are merged). About 1 in 10 stacks carries planted faults (SSH open to the world, unencrypted store, default
network, public database ...), so rules have real work to do. Output is deterministic for a given size.

    python benchmarks/gen_estate.py 100000 -o /tmp/estate-100k.jsonl
    python benchmarks/gen_estate.py 20000 --per-account /tmp/estate-20k/   # account-<n>.jsonl shards
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from posture.model import Edge, Inventory, Resource

STACKS_PER_ACCOUNT = 25
ANY = ["0.0.0.0/0"]


def _rule(ports: list[list[int]] | None, peers: list[str], *, direction: str = "ingress", action: str = "allow",
          protocol: str = "tcp", priority: int | None = None, implied: bool = False) -> dict[str, Any]:
    return {"direction": direction, "action": action, "protocol": protocol, "ports": ports or [], "peers": peers,
            "priority": priority, "description": None, "implied": implied}


class _Builder:
    def __init__(self, provider: str, account: str, region: str) -> None:
        self.provider, self.account, self.region = provider, account, region
        self.resources: list[Resource] = []
        self.edges: list[Edge] = []

    def add(self, rid: str, kind: str, native: str, name: str, attrs: dict[str, Any],
            tags: dict[str, str] | None = None) -> str:
        self.resources.append(Resource(rid, kind, native, self.provider, name=name, account=self.account,
                                       region=self.region, tags=tags or {}, attrs=attrs, source="synthetic"))
        return rid

    def edge(self, src: str, dst: str, kind: str) -> None:
        self.edges.append(Edge(src, dst, kind))


def _enc(at_rest: bool, key: str | None = None) -> dict[str, Any]:
    return {"at_rest": at_rest, "algorithm": "AES-256" if at_rest else None, "key_id": key,
            "key_manager": "customer" if key else ("provider" if at_rest else None),
            "basis": "explicit" if at_rest else None, "default_source": None}


def _aws_stack(b: _Builder, a: int, s: int, bad: bool) -> str:
    p = f"arn:aws:ec2:{b.region}:{b.account}"
    net = f"10.{s % 250}.0.0/16"
    env = {"env": "prod" if s % 2 else "dev"}
    vpc = b.add(f"{p}:vpc/vpc-{a}-{s}", "network", "aws_vpc", f"vpc-{s}",
                {"cidrs": [net], "is_default": bad and s % 20 == 0, "flow_logs": not bad}, env)
    igw = b.add(f"{p}:internet-gateway/igw-{a}-{s}", "gateway", "aws_internet_gateway", f"igw-{s}",
                {"gateway_type": "internet", "network": vpc})
    nat = b.add(f"{p}:natgateway/nat-{a}-{s}", "gateway", "aws_nat_gateway", f"nat-{s}",
                {"gateway_type": "nat", "network": vpc})
    rt_pub = b.add(f"{p}:route-table/rtb-pub-{a}-{s}", "route_table", "aws_route_table", f"public-{s}",
                   {"routes": [{"destination": "0.0.0.0/0", "target": igw, "target_kind": "internet_gateway"}]})
    rt_priv = b.add(f"{p}:route-table/rtb-priv-{a}-{s}", "route_table", "aws_route_table", f"private-{s}",
                    {"routes": [{"destination": "0.0.0.0/0", "target": nat, "target_kind": "nat_gateway"}]})
    b.edge(rt_pub, igw, "routes_to")
    b.edge(rt_priv, nat, "routes_to")
    nacl = b.add(f"{p}:network-acl/acl-{a}-{s}", "firewall", "aws_network_acl", f"acl-{s}", {
        "layer": "subnet", "stateful": False, "is_default": False, "network": vpc,
        "rules": [_rule([[3389, 3389]], ANY, action="deny", priority=90),
                  _rule([[0, 65535]], ANY, protocol="all", priority=100),
                  _rule([[0, 65535]], ANY, protocol="all", action="deny", priority=32767, implied=True)]})
    subnets = []
    for i in range(4):
        sn = b.add(f"{p}:subnet/subnet-{a}-{s}-{i}", "subnet", "aws_subnet", f"sn-{s}-{i}",
                   {"cidrs": [f"10.{s % 250}.{i}.0/24"], "network": vpc, "map_public_ip": bad and i == 0})
        b.edge(vpc, sn, "contains")
        b.edge(sn, rt_pub if i < 2 else rt_priv, "routes_to")
        b.edge(sn, nacl, "protected_by")
        subnets.append(sn)
    sg = {}
    for tier, rules in (
        ("web", [_rule([[443, 443]], ANY), _rule([[80, 80]], ANY)]),
        ("app", [_rule([[8080, 8080]], [f"sg:{p}:security-group/sg-web-{a}-{s}"]),
                 _rule([[22, 22]], ANY if bad else [net])]),
        ("db", [_rule([[5432, 5432]], [f"sg:{p}:security-group/sg-app-{a}-{s}"])]),
    ):
        sg[tier] = b.add(f"{p}:security-group/sg-{tier}-{a}-{s}", "firewall", "aws_security_group",
                         f"{tier}-{s}", {"layer": "instance", "stateful": True, "is_default": False, "network": vpc,
                                         "rules": [*rules, _rule([[0, 65535]], ANY, direction="egress",
                                                                 protocol="all")]})
    key = b.add(f"arn:aws:kms:{b.region}:{b.account}:key/k-{a}-{s}", "key", "aws_kms_key", f"key-{s}",
                {"manager": "customer", "algorithm": "AES-256", "bits": 256, "usage": "encrypt", "enabled": True,
                 "rotation": {"enabled": not bad, "period_days": 365}, "protection": "software"})
    for n in range(6):
        public = n == 0
        sn = subnets[0 if public else 2 + n % 2]
        tier = "web" if public else "app"
        vm = b.add(f"{p}:instance/i-{a}-{s}-{n}", "compute", "aws_instance", f"{tier}-{s}-{n}",
                   {"public_ips": [f"3.{a % 250}.{s % 250}.{n}"] if public else [], "subnet": sn,
                    "image": "ami-1", "imds_v2_required": not bad, "network_tags": [], "service_accounts": []},
                   {**env, "tier": tier})
        eni = b.add(f"{p}:network-interface/eni-{a}-{s}-{n}", "interface", "aws_network_interface",
                    f"eni-{s}-{n}", {"subnet": sn, "private_ips": [f"10.{s % 250}.2.{n + 10}"],
                                     "public_ips": [], "firewalls": [sg[tier]]})
        b.edge(sn, eni, "contains")
        b.edge(eni, vm, "attached_to")
        b.edge(eni, sg[tier], "protected_by")
        vol = b.add(f"{p}:volume/vol-{a}-{s}-{n}", "datastore", "aws_ebs_volume", f"vol-{s}-{n}",
                    {"store_type": "block_volume", "encryption": _enc(not (bad and n == 1), key if n % 2 else None)})
        if n % 2:
            b.edge(vol, key, "encrypted_by")
    db = b.add(f"arn:aws:rds:{b.region}:{b.account}:db:db-{a}-{s}", "datastore", "aws_db_instance", f"db-{s}",
               {"store_type": "database", "engine": "postgres", "public": bad, "multi_az": not bad,
                "encryption": _enc(not bad, key), "backup": {"retention_days": 7, "enabled": True},
                "transport": {"tls_required": not bad, "min_tls_version": "1.2"},
                "public_ips": ["3.9.9.9"] if bad else []}, env)
    b.edge(subnets[3], db, "contains")
    b.edge(db, sg["db"], "protected_by")
    b.edge(db, key, "encrypted_by")
    lb = b.add(f"arn:aws:elasticloadbalancing:{b.region}:{b.account}:loadbalancer/app/lb-{a}-{s}",
               "load_balancer", "aws_lb", f"lb-{s}", {"scheme": "internet-facing", "lb_type": "application"})
    b.edge(subnets[0], lb, "contains")
    b.edge(lb, sg["web"], "protected_by")
    for port, proto in ((443, "https"), (80, "http")):
        li = b.add(f"{lb}/listener/{port}", "listener", "aws_lb_listener", f"lb-{s}-{port}", {
            "protocol": proto, "port": port, "load_balancer": lb, "certificates": [],
            "redirects_to_https": proto == "http" and not bad,
            "tls": {"policy": "p", "min_version": "1.0" if bad else "1.2",
                    "versions": ["1.0", "1.1", "1.2"] if bad else ["1.2", "1.3"], "ciphers": []}
            if proto == "https" else None})
        b.edge(li, lb, "attached_to")
    for n in range(3):
        b.add(f"arn:aws:s3:::bucket-{a}-{s}-{n}", "datastore", "aws_s3_bucket", f"bucket-{a}-{s}-{n}",
              {"store_type": "object_storage", "public": bad and n == 0, "encryption": _enc(True, None)})
    return vpc


def _gcp_stack(b: _Builder, a: int, s: int, bad: bool, host_subnet: str | None) -> str:
    p = f"projects/proj-{a}"
    net = b.add(f"{p}/global/networks/net-{s}", "network", "compute.v1.network", f"net-{s}",
                {"cidrs": [], "is_default": bad and s % 20 == 0, "auto_create_subnetworks": False})
    subnets = []
    for i in range(3):
        sn = b.add(f"{p}/regions/{b.region}/subnetworks/sn-{s}-{i}", "subnet", "compute.v1.subnetwork",
                   f"sn-{s}-{i}", {"cidrs": [f"10.{s % 250}.{i}.0/24"], "network": net, "private_access": True})
        b.edge(net, sn, "contains")
        subnets.append(sn)
    for name, tags, rules in (
        ("allow-web", ["web"], [_rule([[443, 443], [80, 80]], ANY, priority=1000)]),
        ("allow-ssh", ["ssh"], [_rule([[22, 22]], ANY if bad else ["35.235.240.0/20"], priority=1000)]),
        ("allow-internal", [], [_rule([[0, 65535]], ["10.0.0.0/8"], protocol="all", priority=65534)]),
    ):
        b.add(f"{p}/global/firewalls/{name}-{s}", "firewall", "compute.v1.firewall", f"{name}-{s}", {
            "layer": "instance", "stateful": True, "is_default": False, "network": net,
            "targets": {"all": not tags, "tags": tags, "service_accounts": []},
            "rules": [*rules, _rule([[0, 65535]], ANY, protocol="all", action="deny", priority=65535, implied=True)]})
    for n in range(6):
        sn = host_subnet if (host_subnet and n == 5) else subnets[n % 3]
        b.add(f"{p}/zones/{b.region}-a/instances/vm-{s}-{n}", "compute", "compute.v1.instance", f"vm-{s}-{n}", {
            "public_ips": [f"34.{a % 250}.{s % 250}.{n}"] if n < 2 else [], "subnet": sn,
            "network": net if sn != host_subnet else "", "network_tags": ["web", "ssh"] if n < 2 else ["app"],
            "service_accounts": [f"sa-{a}@proj-{a}.iam.gserviceaccount.com"]}, {"tier": "web" if n < 2 else "app"})
        b.edge(sn, f"{p}/zones/{b.region}-a/instances/vm-{s}-{n}", "contains")
    b.add(f"{p}/buckets/b-{s}", "datastore", "storage.v1.bucket", f"b-{a}-{s}",
          {"store_type": "object_storage", "public": bad, "encryption": _enc(True, None)})
    return net


def _azure_stack(b: _Builder, a: int, s: int, bad: bool) -> str:
    p = f"/subscriptions/sub-{a}/resourceGroups/rg-{s}/providers"
    vnet = b.add(f"{p}/Microsoft.Network/virtualNetworks/vnet-{s}", "network",
                 "Microsoft.Network/virtualNetworks", f"vnet-{s}", {"cidrs": [f"10.{s % 250}.0.0/16"],
                                                                    "is_default": False})
    implied = [_rule([[0, 65535]], ["VirtualNetwork"], protocol="all", priority=65000, implied=True),
               _rule([[0, 65535]], ANY, protocol="all", action="deny", priority=65500, implied=True)]
    sub_nsg = b.add(f"{p}/Microsoft.Network/networkSecurityGroups/nsg-sn-{s}", "firewall",
                    "Microsoft.Network/networkSecurityGroups", f"nsg-sn-{s}", {
                        "layer": "subnet", "stateful": True, "network": vnet,
                        "rules": [_rule([[443, 443], [22, 22]], ANY, priority=100), *implied]})
    nic_nsg = b.add(f"{p}/Microsoft.Network/networkSecurityGroups/nsg-nic-{s}", "firewall",
                    "Microsoft.Network/networkSecurityGroups", f"nsg-nic-{s}", {
                        "layer": "instance", "stateful": True, "network": vnet,
                        "rules": [_rule([[22, 22]], ANY if bad else ["10.0.0.0/8"], priority=100),
                                  _rule([[443, 443]], ANY, priority=110), *implied]})
    subnets = []
    for i in range(2):
        sn = b.add(f"{vnet}/subnets/sn-{i}", "subnet", "Microsoft.Network/virtualNetworks/subnets", f"sn-{s}-{i}",
                   {"cidrs": [f"10.{s % 250}.{i}.0/24"], "network": vnet})
        b.edge(vnet, sn, "contains")
        b.edge(sn, sub_nsg, "protected_by")
        subnets.append(sn)
    for n in range(5):
        vm = b.add(f"{p}/Microsoft.Compute/virtualMachines/vm-{s}-{n}", "compute",
                   "Microsoft.Compute/virtualMachines", f"vm-{s}-{n}",
                   {"public_ips": [f"20.{a % 250}.{s % 250}.{n}"] if n == 0 else [], "subnet": subnets[n % 2]})
        nic = b.add(f"{p}/Microsoft.Network/networkInterfaces/nic-{s}-{n}", "interface",
                    "Microsoft.Network/networkInterfaces", f"nic-{s}-{n}",
                    {"subnet": subnets[n % 2], "private_ips": [f"10.{s % 250}.{n % 2}.{n + 4}"], "public_ips": [],
                     "firewalls": [nic_nsg]})
        b.edge(subnets[n % 2], nic, "contains")
        b.edge(nic, vm, "attached_to")
        b.edge(nic, nic_nsg, "protected_by")
    b.add(f"{p}/Microsoft.Storage/storageAccounts/st{a}x{s}", "datastore", "Microsoft.Storage/storageAccounts",
          f"st{a}x{s}", {"store_type": "storage_account", "public": bad, "encryption": _enc(True, None),
                         "transport": {"tls_required": True, "min_tls_version": "1.0" if bad else "1.2"}})
    b.add(f"{p}/Microsoft.Sql/servers/sql-{s}", "datastore", "Microsoft.Sql/servers", f"sql-{s}",
          {"store_type": "sql_server", "public": bad, "encryption": _enc(not bad, None)})
    return vnet


def _account_level(b: _Builder, a: int) -> None:
    """Account settings, an audit trail (missing in 1 account in 10) and a few users."""
    b.add(f"{b.provider}:account:{b.account}:{b.region}", "account", f"{b.provider}_account", b.account, {
        "ebs_default_encryption": a % 10 != 0, "root_access_keys": 1 if a % 10 == 0 else 0, "root_mfa": a % 10 != 0,
        "password_policy": {"min_length": 14, "require_symbols": True, "max_age_days": 90}})
    if a % 10 != 3:
        b.add(f"{b.provider}:trail:{b.account}", "log_sink", f"{b.provider}_audit_trail", f"trail-{a}", {
            "multi_region": True, "enabled": True, "log_validation": a % 10 != 0, "covers": "account",
            "retention_days": 365, "encryption": _enc(True, None), "log_types": None})
    for u in range(3):
        b.add(f"{b.provider}:user:{b.account}:u{u}", "identity", f"{b.provider}_user", f"user-{a}-{u}", {
            "user_type": "user", "mfa": u != 2 or a % 10 != 0, "privileged": u == 0, "access_keys": []})


def provider_of(account: int) -> str:
    return {0: "aws", 1: "aws", 2: "gcp", 3: "aws", 4: "aws", 5: "azure"}[account % 6]


def _account_id(a: int) -> str:
    return {"aws": f"{100000000000 + a}", "gcp": f"proj-{a}", "azure": f"sub-{a}"}[provider_of(a)]


def account_estate(a: int, stacks: int = STACKS_PER_ACCOUNT) -> Inventory:
    """Account ``a`` of the synthetic organisation, with ``stacks`` network stacks (about 40 resources each).

    Its first network peers with the first network of account ``a - 1`` when both are AWS (a cross-account
    edge whose other end lives in another account's shard); GCP projects that follow a GCP host project
    place one instance per stack in the host's subnet (shared VPC).
    """
    provider = provider_of(a)
    region = {"aws": "eu-west-1", "gcp": "europe-west1", "azure": "westeurope"}[provider]
    b = _Builder(provider, _account_id(a), region)
    host = None
    if provider == "gcp" and a >= 6 and provider_of(a - 6) == "gcp":
        host = f"projects/proj-{a - 6}/regions/{region}/subnetworks/sn-0-0"
    nets = []
    for s in range(stacks):
        bad = (a * stacks + s) % 10 == 0
        if provider == "aws":
            nets.append(_aws_stack(b, a, s, bad))
        elif provider == "gcp":
            nets.append(_gcp_stack(b, a, s, bad, host))
        else:
            nets.append(_azure_stack(b, a, s, bad))
    _account_level(b, a)
    for spoke in nets[1:]:  # hub and spoke inside the account
        b.edge(nets[0], spoke, "peers_with")
        b.edge(spoke, nets[0], "peers_with")
    if provider == "aws" and a > 0 and provider_of(a - 1) == "aws":
        other = f"arn:aws:ec2:{region}:{_account_id(a - 1)}:vpc/vpc-{a - 1}-0"
        b.edge(nets[0], other, "peers_with")
        b.edge(other, nets[0], "peers_with")
    return Inventory(tuple(b.resources), tuple(b.edges), (), {"account": b.account})


def accounts_for(n: int, stacks: int = STACKS_PER_ACCOUNT) -> int:
    """How many accounts make about ``n`` resources."""
    cycle = sum(len(account_estate(a, stacks).resources) for a in range(6))  # the provider mix repeats every 6
    return max(1, round(n * 6 / cycle))


def estate(n: int, stacks: int = STACKS_PER_ACCOUNT) -> Iterator[Inventory]:
    """The accounts of an estate of about ``n`` resources, one Inventory each."""
    for a in range(accounts_for(n, stacks)):
        yield account_estate(a, stacks)


def combine(parts: list[Inventory]) -> Inventory:
    """One inventory from account inventories (linear, unlike repeated ``Inventory.merge``)."""
    return Inventory(tuple(r for p in parts for r in p.resources), tuple(e for p in parts for e in p.edges),
                     tuple(g for p in parts for g in p.gaps))


def main() -> int:
    from posture.providers.snapshot import save_snapshot

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("resources", type=int)
    ap.add_argument("-o", "--output", help="one snapshot file for the whole estate")
    ap.add_argument("--per-account", metavar="DIR", help="one snapshot per account: DIR/account-<n>.jsonl")
    args = ap.parse_args()
    if not args.output and not args.per_account:
        ap.error("give -o FILE and/or --per-account DIR")
    parts = []
    for a, inv in enumerate(estate(args.resources)):
        if args.per_account:
            Path(args.per_account).mkdir(parents=True, exist_ok=True)
            save_snapshot(inv, Path(args.per_account) / f"account-{a:05d}.jsonl")
        parts.append(inv)
    whole = combine(parts)
    if args.output:
        save_snapshot(whole, args.output)
    count = len(whole.resources)
    print(f"{count} resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
