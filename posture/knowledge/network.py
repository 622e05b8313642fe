"""Network facts as data (``network_defaults.yaml``): rules providers apply without their being written,
IP protocol numbers, the peers that mean "any address", and the provider of a Terraform resource type.

Plan and live sources read the same rows, so a plan scan and a live scan of one estate agree.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from posture.knowledge import load_table

_TABLE = load_table("network_defaults")

RULE_TABLES: tuple[str, ...] = ("azure_nsg_default_rules", "gcp_implied_firewall_rules", "gcp_default_network_rules",
                                 "aws_nacl_final_rules")
"""Sections of the table that list rules, each with its source."""

IP_PROTOCOLS: Mapping[str, str] = {**_TABLE["ip_protocols"]["numbers"], **_TABLE["ip_protocols"]["aliases"]}
"""IANA protocol numbers and provider aliases -> the model's protocol names (names map to themselves)."""

ALL_PROTOCOLS: frozenset[str] = frozenset({"all"} | {k for k, v in IP_PROTOCOLS.items() if v == "all"})
"""Every spelling (lower-case) of "all protocols": the model's ``all`` and the provider aliases for it."""

INTERNET_PEERS: frozenset[str] = frozenset(_TABLE["internet_peers"]["peers"])
"""Peers (lower-case) that mean any address: the IPv4 and IPv6 default routes and Azure's ``*``/Any/Internet."""

DEFAULT_ROUTES: frozenset[str] = frozenset(p for p in INTERNET_PEERS if "/" in p)
"""The internet peers that are CIDRs (``0.0.0.0/0``, ``::/0``): what a cloud taking only addresses accepts."""

INTERNET_ALIASES: frozenset[str] = INTERNET_PEERS - DEFAULT_ROUTES
"""The internet peers that are names, not CIDRs (Azure's ``*``, ``any``, ``internet``)."""

TERRAFORM_PROVIDER_PREFIXES: tuple[tuple[str, str], ...] = tuple(
    _TABLE["terraform_provider_prefixes"]["prefixes"].items()
)
"""Terraform resource type prefix -> posture provider name."""


def rules(section: str) -> list[dict[str, Any]]:
    """A fresh copy of the rule rows of ``section`` (one of :data:`RULE_TABLES`)."""
    if section not in RULE_TABLES:
        raise KeyError(f"unknown rule table {section!r}; known: {', '.join(RULE_TABLES)}")
    return copy.deepcopy(_TABLE[section]["rules"])


def reachability_default(provider: str, layer: str, fallback: str) -> str:
    """What applies when the estate does not describe ``layer`` (``no_instance_firewall``,
    ``route_without_table``) for ``provider``; ``fallback`` for a provider the table does not list."""
    entry = _TABLE["reachability_defaults"]["providers"].get(provider, {}).get(layer)
    return str(entry["value"]) if entry else fallback


def source(section: str) -> str:
    """The documentation URL of a section of the table."""
    return str(_TABLE[section]["source"])


def protocol_name(value: str) -> str:
    """``"6"`` -> ``"tcp"``, ``"-1"`` -> ``"all"``, ``"ipv6-icmp"`` -> ``"icmpv6"``; other values unchanged."""
    return IP_PROTOCOLS.get(value, value)


def terraform_provider(native_type: str) -> str | None:
    """The posture provider of a Terraform resource type (``aws_s3_bucket`` -> ``aws``), None when unknown."""
    return next((name for prefix, name in TERRAFORM_PROVIDER_PREFIXES if native_type.startswith(prefix)), None)
