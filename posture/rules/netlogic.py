"""Firewall semantics written once: which traffic from the internet a rule list lets in.

Normalised firewall rules (docs/model.md) carry direction, action, protocol,
ports, peers and priority. Where priorities exist (NSG, GCP, NACL) the first
matching rule in priority order decides; where they do not (AWS security
groups) allow rules are a union. Provider implied rules are already in the
list, so nothing here knows which cloud it is looking at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
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
    return any(str(p).strip().lower() in INTERNET_PEERS for p in peers or ())


def internet_ingress(
    rules: Sequence[Mapping[str, Any]] | Any, ports: Iterable[int], protocol: str = "tcp"
) -> tuple[list[int], list[int], list[Mapping[str, Any]]]:
    """Ports (of ``ports``) open to the whole internet, ports undecidable, and the allowing rules.

    Returns ``(open_ports, unknown_ports, proving_rules)``.
    """
    if rules is UNKNOWN:
        return [], sorted(set(ports)), []
    ingress = [r for r in rules or () if r.get("direction") == "ingress" and not r.get("disabled")]
    ordered = sorted(ingress, key=lambda r: (r.get("priority") is None, r.get("priority") or 0))
    prioritised = any(r.get("priority") is not None for r in ingress)
    open_ports: list[int] = []
    unknown_ports: list[int] = []
    proof: list[Mapping[str, Any]] = []
    for port in sorted(set(ports)):
        decision: bool | None = False
        for r in ordered:
            if not _protocol_matches(r.get("protocol", "all"), protocol) or not _covers_port(r, port):
                continue
            internet = _from_internet(r)
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
        if decision is True:
            open_ports.append(port)
        elif decision is None:
            unknown_ports.append(port)
    return open_ports, unknown_ports, proof


def _boundaries(rules: Sequence[Mapping[str, Any]]) -> list[int]:
    points = {0, 65536}
    for r in rules:
        ports = r.get("ports")
        if ports is UNKNOWN:
            continue
        for lo, hi in parse_ports(ports) if ports else [(0, 65535)]:
            points.add(max(0, lo))
            points.add(min(65536, hi + 1))
    return sorted(points)


def internet_open_ranges(
    rules: Sequence[Mapping[str, Any]] | Any, protocol: str = "tcp"
) -> tuple[list[tuple[int, int]], list[tuple[int, int]], list[Mapping[str, Any]]]:
    """Port ranges open to the whole internet under ``rules`` (same semantics as :func:`internet_ingress`).

    Evaluates one representative port per elementary interval between rule boundaries, so the cost
    is proportional to the number of rules, not to 65,536 ports. Returns ``(open, unknown, proof)``.
    """
    if rules is UNKNOWN:
        return [], [(0, 65535)], []
    ingress = [r for r in rules or () if r.get("direction") == "ingress"]
    points = _boundaries(ingress)
    starts = points[:-1]
    open_ports, unknown_ports, proof = internet_ingress(ingress, starts, protocol)
    opened, unknown = set(open_ports), set(unknown_ports)
    return _merge(points, opened), _merge(points, unknown), proof


def _merge(points: list[int], chosen: set[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, nxt in pairwise(points):
        if lo in chosen:
            if out and out[-1][1] == lo - 1:
                out[-1] = (out[-1][0], nxt - 1)
            else:
                out.append((lo, nxt - 1))
    return out


def intersect_ranges(a: Sequence[tuple[int, int]], b: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Intersection of two sorted lists of inclusive port ranges."""
    out: list[tuple[int, int]] = []
    for alo, ahi in a:
        for blo, bhi in b:
            lo, hi = max(alo, blo), min(ahi, bhi)
            if lo <= hi:
                out.append((lo, hi))
    return sorted(out)
