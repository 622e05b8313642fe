"""Firewall semantics written once: which traffic from the internet a rule list lets in.

Normalised firewall rules (docs/model.md) carry direction, action, protocol,
ports, peers and priority. Where priorities exist (NSG, GCP, NACL) the first
matching rule in priority order decides; where they do not (AWS security
groups) allow rules are a union. Provider implied rules are already in the
list, so nothing here knows which cloud it is looking at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from posture.model import UNKNOWN
from posture.rules.operators import INTERNET_PEERS, parse_ports

_ALL_PROTOCOLS = {"all", "*", "-1", "any"}


def _protocol_matches(rule_protocol: Any, protocol: str) -> bool:
    p = str(rule_protocol).lower()
    return p in _ALL_PROTOCOLS or p == protocol


def _covers_port(rule: Mapping[str, Any], port: int) -> bool:
    ports = rule.get("ports")
    if ports is None or ports == ():
        # no port list: every port for tcp/udp/all (ICMP rules carry [] but never match a port)
        return str(rule.get("protocol", "all")).lower() in _ALL_PROTOCOLS | {"tcp", "udp"}
    return any(lo <= port <= hi for lo, hi in parse_ports(ports))


def _from_internet(rule: Mapping[str, Any]) -> bool | None:
    peers = rule.get("peers")
    if peers is UNKNOWN:
        return None
    if any(p is not UNKNOWN and str(p).strip().lower() in INTERNET_PEERS for p in peers or ()):
        return True
    return None if any(p is UNKNOWN for p in peers or ()) else False  # an unknown peer may be the internet


def internet_ingress(
    rules: Sequence[Mapping[str, Any]] | Any, ports: Iterable[int], protocol: str = "tcp"
) -> tuple[list[int], list[int], list[Mapping[str, Any]]]:
    """Ports (of ``ports``) open to the whole internet, ports undecidable, and the allowing rules.

    Returns ``(open_ports, unknown_ports, proving_rules)``.
    """
    if rules is UNKNOWN:
        return [], sorted(set(ports)), []
    unknown_rule = any(r is UNKNOWN for r in rules or ())  # e.g. a dynamic block over an unknown list
    ingress = [r for r in rules or () if r is not UNKNOWN and r.get("direction") == "ingress" and not r.get("disabled")]
    ordered = sorted(ingress, key=lambda r: (r.get("priority") is None, r.get("priority") or 0))
    prioritised = any(r.get("priority") is not None for r in ingress)
    open_ports: list[int] = []
    unknown_ports: list[int] = []
    proof: list[Mapping[str, Any]] = []
    for port in sorted(set(ports)):
        decision: bool | None = False
        for r in ordered:
            if r.get("protocol") is UNKNOWN or r.get("ports") is UNKNOWN:
                matches: bool | None = None  # protocol/ports unknown until apply
            elif not _protocol_matches(r.get("protocol", "all"), protocol) or not _covers_port(r, port):
                continue
            else:
                matches = True
            internet = _from_internet(r)
            if matches is None and internet is not False:
                internet = None
            if internet is None:
                decision = None
                if prioritised:
                    break
                continue
            if not internet:
                continue  # a rule for a narrower source neither opens nor closes the internet path
            if r.get("action", "allow") == "deny":
                decision = False if decision is not None else None
                if prioritised:
                    break
                continue
            decision = True
            if r not in proof:
                proof.append(r)
            break
        if decision is False and unknown_rule:
            decision = None
        if decision is True:
            open_ports.append(port)
        elif decision is None:
            unknown_ports.append(port)
    return open_ports, unknown_ports, proof
