"""Azure's default NSG rules in the ARM REST shape of ``defaultSecurityRules``, built from the knowledge table.

Every network security group carries these six rules; they cannot be removed, only overridden by
rules with a lower priority number. ARM returns them in ``properties.defaultSecurityRules``; the live
source uses this shape when an answer lacks them, and the Terraform source reads the same rows, so a
normalised NSG always carries its implied rules (``knowledge/network_defaults.yaml``).
"""

from __future__ import annotations

from posture.knowledge.network import rules, source

SOURCE = source("azure_nsg_default_rules")


def _arm(row: dict[str, object]) -> dict[str, object]:
    return {
        "name": row["name"],
        "properties": {
            "description": f"Azure default rule ({SOURCE})",
            "protocol": "*",
            "sourcePortRange": "*",
            "destinationPortRange": "*",
            "sourceAddressPrefix": row["source"],
            "destinationAddressPrefix": row["destination"],
            "access": row["access"],
            "priority": row["priority"],
            "direction": row["direction"],
        },
    }


DEFAULT_SECURITY_RULES: tuple[dict[str, object], ...] = tuple(_arm(r) for r in rules("azure_nsg_default_rules"))
