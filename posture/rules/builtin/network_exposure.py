"""network.exposure rules that need firewall semantics (priority, deny, implied rules, port ranges).

All of them go through :mod:`posture.rules.netlogic`, so AWS security groups and NACLs, Azure NSGs and
GCP firewall rules are judged by one implementation. Instances with other ports live in
``rules.d/network.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from posture.model import UNKNOWN, EdgeKind, Resource, Severity
from posture.rules.base import RuleContext, RuleFixture, Violation, rule, unknown_words
from posture.rules.netlogic import (
    Range,
    broad_public_peers,
    internet_ingress,
    internet_open_ranges,
    intersect_ranges,
    port_count,
)

# Remote administration: SSH, Telnet, Windows RPC/NetBIOS/SMB, RDP, VNC, WinRM, Docker daemon, kubelet.
ADMIN_PORTS = [22, 23, 135, 139, 445, 2375, 2376, 3389, 5900, 5985, 5986, 10250]
_NET = "network/"


def _covers(deny_targets: Any, allow_targets: Any) -> bool:
    """A GCP deny rule's targets include every instance the allow rule targets."""
    if not isinstance(deny_targets, Mapping):
        return True  # no target selector: applies to every instance of the network
    if deny_targets.get("all") is True:
        return True
    if not isinstance(allow_targets, Mapping) or allow_targets.get("all") is True:
        return False
    for key in ("tags", "service_accounts"):
        allow, deny = allow_targets.get(key) or (), deny_targets.get(key) or ()
        if allow and allow is not UNKNOWN and deny is not UNKNOWN and set(allow) <= set(deny):
            return True
    return False


def effective_rules(resource: Resource, ctx: RuleContext) -> Any:
    """The firewall's rules plus, for per-rule firewalls (GCP), the deny rules of other firewalls of the
    same network that apply to every instance this one targets (a higher-priority deny cancels an allow)."""
    rules = resource.get("rules")
    targets, network = resource.get("targets"), resource.get("network")
    if rules is UNKNOWN or targets is None or network is UNKNOWN or not network:
        return rules
    extra = []
    for other in _firewalls_of_network(ctx, resource.provider, network):
        if other.id == resource.id:
            continue
        if other.get("disabled") is True or not _covers(other.get("targets"), targets):
            continue
        other_rules = other.get("rules")
        if other_rules is UNKNOWN:
            continue
        extra += [r for r in other_rules or () if r is not UNKNOWN and r.get("action") == "deny"
                  and not r.get("implied")]
    return list(rules or ()) + extra


def _firewalls_of_network(ctx: RuleContext, provider: str, network: Any) -> list[Resource]:
    """Firewalls by (provider, network), indexed once per rule evaluation (not one scan per firewall)."""
    index: dict[tuple[str, Any], list[Resource]] | None = ctx.memo.get("firewalls_by_network")
    if index is None:
        index = ctx.memo["firewalls_by_network"] = {}
        for fw in ctx.graph.by_kind("firewall"):
            try:
                index.setdefault((fw.provider, fw.get("network")), []).append(fw)
            except TypeError:  # an unhashable network value never equals a usable one
                continue
    try:
        return index.get((provider, network), [])
    except TypeError:
        return [f for f in ctx.graph.by_kind("firewall") if f.provider == provider and f.get("network") == network]


DEFENCE_IN_DEPTH = ("defence in depth: no resource behind this subnet filter is reachable from the internet "
                    "through it on these ports (the instance firewalls deny, or nothing behind it has a public "
                    "address)")


def _behind(ctx: RuleContext, subnet_filter: Resource) -> list[Resource]:
    """The resources in the subnets a subnet-level filter (NACL, subnet NSG) protects."""
    graph, out = ctx.graph, []
    for subnet in graph.neighbours(subnet_filter.id, EdgeKind.PROTECTED_BY, "in"):
        for r in graph.neighbours(subnet.id, EdgeKind.CONTAINS):
            out += graph.neighbours(r.id, EdgeKind.ATTACHED_TO) if r.kind == "interface" else [r]
    return out


def _reached_through(resource: Resource, ctx: RuleContext) -> tuple[list[Range], list[list[str]]] | None:
    """For a subnet-level filter: the TCP ranges on which some resource is reachable from the internet through
    it, and the proving paths (from the ``reachable_from_internet`` edges the enricher derived). None for an
    instance firewall, or when a resource behind the filter has a public address the source does not state."""
    if resource.get("layer") != "subnet":
        return None
    from posture.enrich.reachability import has_public_address

    by_hop: dict[str, list[Any]] | None = ctx.memo.get("reachable_by_hop")
    if by_hop is None:
        by_hop = ctx.memo["reachable_by_hop"] = {}
        for e in ctx.graph.edges(EdgeKind.REACHABLE_FROM_INTERNET):
            for hop in e.attrs.get("path") or ():
                by_hop.setdefault(hop, []).append(e)
    if any(r.kind in ("compute", "datastore", "load_balancer") and has_public_address(r) is None
           for r in _behind(ctx, resource)):
        return None
    edges = by_hop.get(resource.id, [])
    return ([(int(a), int(b)) for e in edges for a, b in e.attrs.get("ports") or ()],
            [list(e.attrs.get("path") or ()) for e in edges])


def _exposure(resource: Resource, ctx: RuleContext, ranges: list[Range],
              min_ports: int = 1) -> tuple[Severity | None, dict[str, Any], tuple[str, ...]]:
    """Severity override, evidence details and proving path for an internet-open rule on ``ranges``: a subnet
    filter through which fewer than ``min_ports`` of them reach a resource is defence in depth (low);
    otherwise the rule's own severity, with the paths that cross the filter."""
    reached = _reached_through(resource, ctx)
    if reached is None:
        return None, {}, ()
    ports, paths = reached
    if port_count(intersect_ranges(sorted(ports), ranges)) >= min_ports:
        return None, {"reachable_through": paths}, tuple(paths[0]) if paths else ()
    return Severity.LOW, {"exposure": DEFENCE_IN_DEPTH, "reachable_through": paths}, ()


def _opens_every_port(rules: Any) -> bool:
    return port_count(internet_open_ranges(rules, "tcp")[0]) >= 65535


def _name(resource: Resource) -> str:
    return resource.name or resource.id


@rule(
    id="POSTURE-NET-001",
    title="Firewall allows ingress from the internet to administrative ports",
    severity="high",
    category="network.exposure",
    kinds=["firewall"],
    controls=["SOC2:CC6.6", "ISO27001:8.20", "CIS-AWS:5.2", "CIS-AWS:5.3", "CIS-AZURE:6.1", "CIS-AZURE:6.2",
              "CIS-GCP:3.6", "CIS-GCP:3.7", "PCI:1.3.1", "NIST:SC-7"],
    rationale="Remote-administration ports (SSH 22, Telnet 23, Windows RPC/NetBIOS/SMB 135/139/445, RDP 3389, "
    "VNC 5900, WinRM 5985/5986, the Docker daemon 2375/2376, the kubelet 10250) reachable from anywhere are the "
    "first thing internet-wide scanners find and brute-force. "
    "The verdict honours port ranges, protocol all, IPv4 and IPv6 separately, rule priorities and deny rules "
    "(NSG, NACL, GCP), implied rules and rules disabled at the provider; a rule whose source is another "
    "security group, a private range or a service tag other than Internet is not internet exposure.",
    remediation="Remove the rule or restrict its source to a bastion, VPN or corporate range; prefer "
    "session managers (SSM, Azure Bastion, IAP) over open SSH/RDP.",
    expected="no ingress from 0.0.0.0/0 or ::/0 to the listed ports",
    params={"ports": ADMIN_PORTS, "protocols": ["tcp"]},
    fixtures=[RuleFixture(_NET + "aws/plan.json",
                          fail=("aws_security_group.open_ssh", "aws_security_group.rdp_range_ipv6",
                                "aws_security_group.all_protocols", "aws_security_group.separate_rule_ssh",
                                "aws_security_group.vpc_rule_ssh", "aws_network_acl.open_ssh"),
                          pass_=("aws_security_group.bastion_only", "aws_security_group.sg_reference",
                                 "aws_security_group.https_only", "aws_network_acl.deny_first",
                                 "aws_security_group.udp_only")),
              RuleFixture(_NET + "azure.jsonl",
                          fail=("azurerm_network_security_group.open_rdp", "azurerm_network_security_group.star_range"),
                          pass_=("azurerm_network_security_group.deny_first",
                                 "azurerm_network_security_group.vnet_only",
                                 "azurerm_network_security_group.ipv4_denied_v4_only")),
              RuleFixture(_NET + "gcp.jsonl",
                          fail=("google_compute_firewall.open_ssh", "google_compute_firewall.tagged_ssh"),
                          pass_=("google_compute_firewall.internal_ssh", "google_compute_firewall.disabled_ssh",
                                 "google_compute_firewall.shadowed_ssh", "google_compute_firewall.iap_only"))],
)
def ports_from_internet(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Internet ingress to chosen ports (instances in rules.d/network.yaml reuse this with other ports)."""
    ports = [int(p) for p in ctx.params["ports"]]
    rules = effective_rules(resource, ctx)
    open_by: dict[int, list[str]] = {}
    unknown: set[int] = set()
    proof: list[Any] = []
    for protocol in ctx.params["protocols"]:
        open_ports, unknown_ports, rs = internet_ingress(rules, ports, str(protocol))
        for p in open_ports:
            open_by.setdefault(p, []).append(str(protocol))
        unknown.update(unknown_ports)
        proof += [r for r in rs if r not in proof]
    if open_by:
        severity, details, path = _exposure(resource, ctx, [(p, p) for p in sorted(open_by)])
        if severity is not None and _opens_every_port(rules):
            return  # an unreached subnet filter open on every port: one low POSTURE-NET-003 finding says it
        listed = ", ".join(f"{p}/{'+'.join(protos)}" for p, protos in sorted(open_by.items()))
        yield Violation(f"{_name(resource)} allows ingress from the internet to {listed}"
                        + (" (defence in depth: nothing behind it is reachable on these ports)" if severity else ""),
                        observed={"open_ports": sorted(open_by), "rules": proof}, expected=ctx.rule.expected,
                        severity=severity, details=details, path=path)
    elif unknown - set(open_by):
        left = sorted(unknown - set(open_by))
        yield Violation(f"cannot verify ports {', '.join(map(str, left))}: rules {unknown_words(resource)}",
                        observed={"unknown_ports": left}, unverified=True)


@rule(
    id="POSTURE-NET-003",
    title="Firewall allows ingress from the internet to all ports",
    severity="critical",
    category="network.exposure",
    kinds=["firewall"],
    controls=["SOC2:CC6.6", "ISO27001:8.20", "CIS-AWS:5.2", "CIS-AZURE:6.1", "CIS-GCP:3.6", "PCI:1.3.1",
              "PCI:1.3.2", "NIST:SC-7", "NIST:AC-4"],
    rationale="A rule that opens every port (protocol all, 0-65535, or several ranges that add up) to the "
    "internet exposes every service on the host, including ones started later. Ranges are merged across "
    "rules and decided with the same priority/deny semantics as the other exposure rules.",
    remediation="Replace the rule with rules for the specific ports the service needs, from the sources "
    "that need them.",
    expected="fewer than all ports open to 0.0.0.0/0 or ::/0",
    params={"min_open_ports": 65535, "protocols": ["tcp", "udp"]},
    fixtures=[RuleFixture(_NET + "aws/plan.json",
                          fail=("aws_security_group.all_protocols", "aws_network_acl.allow_all"),
                          pass_=("aws_security_group.open_ssh", "aws_security_group.https_only",
                                 "aws_security_group.sg_reference", "aws_network_acl.deny_first")),
              RuleFixture(_NET + "azure.jsonl",
                          fail=("azurerm_network_security_group.star_range",),
                          pass_=("azurerm_network_security_group.open_rdp",
                                 "azurerm_network_security_group.vnet_only")),
              RuleFixture(_NET + "gcp.jsonl",
                          fail=("google_compute_firewall.all_ports",),
                          pass_=("google_compute_firewall.open_ssh", "google_compute_firewall.internal_ssh")),
              RuleFixture(_NET + "azure-gcp-plan.json",
                          fail=("azurerm_network_security_group.star_range", "google_compute_firewall.all_ports"),
                          pass_=("azurerm_network_security_group.open_sql", "azurerm_network_security_group.deny_first",
                                 "google_compute_firewall.open_mongo", "google_compute_firewall.disabled_mongo"))],
)
def all_ports_from_internet(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Every (or nearly every) port open to the internet."""
    rules = effective_rules(resource, ctx)
    threshold = int(ctx.params["min_open_ports"])
    unknown_any = False
    for protocol in ctx.params["protocols"]:
        open_r, unknown_r, proof = internet_open_ranges(rules, str(protocol))
        if port_count(open_r) >= threshold:
            severity, details, path = _exposure(resource, ctx, open_r, threshold)
            yield Violation(
                f"{_name(resource)} allows {protocol} ingress from the internet to {port_count(open_r)} ports"
                + (" (defence in depth: nothing behind it is reachable on every port)" if severity else ""),
                observed={"protocol": protocol, "open_ranges": open_r, "rules": proof},
                expected=ctx.rule.expected, discriminator=str(protocol), severity=severity, details=details,
                path=path)
            return
        unknown_any = unknown_any or port_count(open_r) + port_count(unknown_r) >= threshold
    if unknown_any:
        yield Violation(f"cannot verify: rules {unknown_words(resource)}", unverified=True)


@rule(
    id="POSTURE-NET-005",
    title="Firewall allows unrestricted egress to the internet",
    severity="low",
    category="network.exposure",
    kinds=["firewall"],
    local=True,
    controls=["SOC2:CC6.6", "ISO27001:8.20", "PCI:1.3.2", "NIST:SC-7", "NIST:SC-7(5)"],
    rationale="Allow-all egress lets a compromised workload download tools and exfiltrate data anywhere. "
    "Only rules someone wrote count: provider implied egress rules (GCP implied allow, Azure "
    "AllowInternetOutBound) and subnet-level stateless ACLs are not reported.",
    remediation="Limit egress to the destinations and ports the workload needs (package mirrors, APIs, "
    "VPC endpoints), or route it through a filtering proxy/NAT.",
    expected="egress limited to named destinations or ports",
    params={"min_open_ports": 65535},
    fixtures=[RuleFixture(_NET + "aws/plan.json",
                          fail=("aws_security_group.open_ssh",),
                          pass_=("aws_security_group.https_only", "aws_security_group.bastion_only",
                                 "aws_network_acl.allow_all")),
              RuleFixture(_NET + "gcp.jsonl",
                          fail=("google_compute_firewall.egress_all",),
                          pass_=("google_compute_firewall.open_ssh",))],
)
def unrestricted_egress(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Explicit allow-all egress on an instance-level firewall."""
    if resource.get("layer") == "subnet":
        return
    rules = resource.get("rules")
    if rules is UNKNOWN:
        return
    explicit = [r for r in rules or () if r is UNKNOWN or not r.get("implied")]
    open_r, _, proof = internet_open_ranges(explicit, "tcp", "egress")
    if port_count(open_r) >= int(ctx.params["min_open_ports"]):
        yield Violation(f"{_name(resource)} allows egress to the internet on every port",
                        observed={"open_ranges": open_r, "rules": proof}, expected=ctx.rule.expected)


@rule(
    id="POSTURE-NET-006",
    title="Firewall allows ingress from a very large public address range",
    severity="medium",
    category="network.exposure",
    kinds=["firewall"],
    local=True,
    controls=["SOC2:CC6.6", "ISO27001:8.20", "PCI:1.3.1", "NIST:SC-7"],
    rationale="A public range of /8 or wider (16 million addresses or more, e.g. 0.0.0.0/1 + 128.0.0.0/1) "
    "is the internet in all but name and escapes checks that look only for 0.0.0.0/0. Private ranges "
    "(RFC 1918, ULA) are not reported.",
    remediation="Narrow the source to the partner or office ranges that need access.",
    expected="ingress sources no wider than /8 (IPv4) or /32 (IPv6) unless private",
    params={"max_prefix_v4": 8, "max_prefix_v6": 32},
    fixtures=[RuleFixture(_NET + "aws/plan.json",
                          fail=("aws_security_group.half_internet",),
                          pass_=("aws_security_group.bastion_only", "aws_security_group.open_ssh",
                                 "aws_security_group.private_wide"))],
)
def broad_public_source(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """Ingress allowed from public CIDRs at least as wide as the parameter."""
    rules = resource.get("rules")
    if rules is UNKNOWN:
        return
    wide: list[str] = []
    for r in rules or ():
        if r is UNKNOWN or r.get("direction") != "ingress" or r.get("action", "allow") != "allow" \
                or r.get("disabled") is True:
            continue
        wide += [p for p in broad_public_peers(r.get("peers"), int(ctx.params["max_prefix_v4"]),
                                               int(ctx.params["max_prefix_v6"])) if p not in wide]
    if wide:
        yield Violation(f"{_name(resource)} allows ingress from {', '.join(wide)}",
                        observed={"sources": wide}, expected=ctx.rule.expected)
