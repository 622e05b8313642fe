"""Which instances a GCP firewall rule applies to: those of its network matched by its targets.

A rule targets every instance of its network (no target tags and no target service accounts), the instances
carrying one of its target tags, or those running as one of its target service accounts
(https://cloud.google.com/firewall/docs/firewalls#rule_assignment). Both sides are reduced to keys and a rule
applies to an instance of its network when they share one, so every reader finds candidates by lookup instead
of testing each rule of a network. The live normaliser, the Terraform normalisers and the graph step
(:mod:`posture.providers.gcp.links`) all match with these keys.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TargetKey = tuple[str, Any]

EVERY_INSTANCE: TargetKey = ("all", True)


def _items(values: Any) -> list[Any]:
    # a list known only after apply (UNKNOWN) yields no key: nothing is matched through it
    return list(values) if isinstance(values, (list, tuple)) else []


def target_keys(targets: Any) -> list[TargetKey]:
    """Keys of a rule's ``targets`` ({all, tags, service_accounts}); none when it has no such object."""
    if not isinstance(targets, Mapping):
        return []
    if targets.get("all") is True:
        return [EVERY_INSTANCE]
    return [*(("tag", t) for t in _items(targets.get("tags"))),
            *(("sa", s) for s in _items(targets.get("service_accounts")))]


def instance_keys(tags: Iterable[Any] | Any, service_accounts: Iterable[Any] | Any) -> list[TargetKey]:
    """Keys of an instance with these network tags and service accounts (every instance has ``EVERY_INSTANCE``)."""
    return [EVERY_INSTANCE, *(("tag", t) for t in _items(tags)), *(("sa", s) for s in _items(service_accounts))]


def applies(targets: Any, tags: Iterable[Any] | Any, service_accounts: Iterable[Any] | Any) -> bool:
    """Does a rule with ``targets`` apply to an instance of its network with these tags and accounts?"""
    return not set(target_keys(targets)).isdisjoint(instance_keys(tags, service_accounts))
