"""network.exposure rules that need firewall semantics (priority, deny, implied rules)."""

from __future__ import annotations

from collections.abc import Iterator

from posture.model import Resource
from posture.rules.base import RuleContext, RuleFixture, Violation, rule
from posture.rules.netlogic import internet_ingress

ADMIN_PORTS = [22, 3389]


@rule(
    id="POSTURE-NET-001",
    title="Firewall allows ingress from the internet to administrative ports",
    severity="high",
    category="network.exposure",
    kinds=["firewall"],
    controls=["SOC2:CC6.6", "ISO27001:8.20", "CIS-AWS:5.2", "CIS-AZURE:6.1", "CIS-GCP:3.6", "PCI:1.3.1",
              "NIST:SC-7"],
    remediation="Remove the rule or restrict its source to a bastion, VPN or corporate range; prefer "
    "session managers (SSM, Azure Bastion, IAP) over open SSH/RDP.",
    expected="no ingress from 0.0.0.0/0 or ::/0 to the administrative ports",
    params={"ports": ADMIN_PORTS},
    local=True,
    fixtures=[
        RuleFixture("../plans/aws/network/plan.json", fail=("aws_security_group.app",),
                    pass_=("aws_security_group.web", "aws_default_security_group.default")),
        RuleFixture("../plans/legacy-0.1/plan.json", fail=("aws_security_group.existing",), pass_=()),
        RuleFixture("../../../examples/multicloud/plan.json",
                    fail=("azurerm_network_security_group.app", "google_compute_firewall.ssh_world"),
                    pass_=("google_compute_firewall.internal", "google_compute_firewall.disabled")),
    ],
)
def admin_ports_from_internet(resource: Resource, ctx: RuleContext) -> Iterator[Violation]:
    """SSH and RDP reachable from anywhere are the first thing internet-wide scanners brute-force."""
    ports = [int(p) for p in ctx.params["ports"]]
    open_ports, unknown, proof = internet_ingress(resource.get("rules"), ports)
    if open_ports:
        yield Violation(
            f"{resource.name or resource.id} allows ingress from the internet to port(s) "
            f"{', '.join(map(str, open_ports))}",
            observed={"open_ports": open_ports, "rules": proof},
            expected=ctx.rule.expected,
        )
    elif unknown:
        yield Violation(
            f"cannot verify ports {', '.join(map(str, unknown))}: rule sources unknown until apply",
            observed={"unknown_ports": unknown},
            unverified=True,
        )
