"""AWS network ACL facts both sources read: the final "*" rule that denies what no numbered rule matched."""

from __future__ import annotations

from typing import Any

from posture.providers.kit.builders import implied_rules


def nacl_final_rules() -> list[dict[str, Any]]:
    """The ingress and egress final deny rules (knowledge/network_defaults.yaml: aws_nacl_final_rules)."""
    return implied_rules("aws_nacl_final_rules")


FINAL_RULE_NUMBER: int = nacl_final_rules()[0]["priority"]
"""The number the EC2 API gives the final rule (32767): a listed entry with it is the implied rule."""
