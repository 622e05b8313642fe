"""Azure's default NSG rules, as data, in the ARM REST shape of ``defaultSecurityRules``.

Every network security group carries these six rules; they cannot be removed, only overridden by
rules with a lower priority number. ARM returns them in ``properties.defaultSecurityRules``; this
table is used when an answer lacks them, so a normalised NSG always carries its implied rules.
"""

from __future__ import annotations

SOURCE = "https://learn.microsoft.com/en-us/azure/virtual-network/network-security-groups-overview#default-security-rules"


def _rule(name: str, direction: str, priority: int, access: str, src: str, dst: str) -> dict[str, object]:
    return {
        "name": name,
        "properties": {
            "description": f"Azure default rule ({SOURCE})",
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": src,
            "destinationAddressPrefix": dst,
            "access": access,
            "priority": priority,
            "direction": direction,
        },
    }


DEFAULT_SECURITY_RULES: tuple[dict[str, object], ...] = (
    _rule("AllowVnetInBound", "Inbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
    _rule("AllowAzureLoadBalancerInBound", "Inbound", 65001, "Allow", "AzureLoadBalancer", "*"),
    _rule("DenyAllInBound", "Inbound", 65500, "Deny", "*", "*"),
    _rule("AllowVnetOutBound", "Outbound", 65000, "Allow", "VirtualNetwork", "VirtualNetwork"),
    _rule("AllowInternetOutBound", "Outbound", 65001, "Allow", "*", "Internet"),
    _rule("DenyAllOutBound", "Outbound", 65500, "Deny", "*", "*"),
)
