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


class _Compiled:
    """One ingress rule with protocol, ports and peers decoded once (not once per port asked about)."""

    __slots__ = ("deny", "error", "internet", "protocols", "ranges", "rule")

    def __init__(self, rule: Mapping[str, Any]) -> None:
        self.rule = rule
        p = str(rule.get("protocol", "all")).lower()
        self.protocols = None if p in _ALL_PROTOCOLS else p  # None: every protocol
        ports = rule.get("ports")
        self.error: Exception | None = None
        self.ranges: list[tuple[int, int]] | None
        if ports is None or ports == ():
            # no port list: every port for tcp/udp/all (ICMP rules carry [] but never match a port)
            self.ranges = None if p in _ALL_PROTOCOLS | {"tcp", "udp"} else []
        else:
            try:
                self.ranges = parse_ports(ports)
            except (TypeError, ValueError) as e:  # raised when a port is asked about, as before compiling
                self.ranges, self.error = [], e
        peers = rule.get("peers")
        self.internet = None if peers is UNKNOWN else any(
            str(x).strip().lower() in INTERNET_PEERS for x in peers or ())
        self.deny = rule.get("action", "allow") == "deny"

    def covers(self, protocol: str, port: int) -> bool:
        if self.protocols is not None and self.protocols != protocol:
            return False
        if self.error is not None:
            raise self.error
        return self.ranges is None or any(lo <= port <= hi for lo, hi in self.ranges)


def _compile(rules: Sequence[Mapping[str, Any]] | Any) -> tuple[list[_Compiled], bool]:
    """Enabled ingress rules in evaluation order, and whether priorities decide (first match wins)."""
    ingress = [r for r in rules or () if r.get("direction") == "ingress" and not r.get("disabled")]
    ordered = sorted(ingress, key=lambda r: (r.get("priority") is None, r.get("priority") or 0))
    return [_Compiled(r) for r in ordered], any(r.get("priority") is not None for r in ingress)


def internet_ingress(
    rules: Sequence[Mapping[str, Any]] | Any, ports: Iterable[int], protocol: str = "tcp"
) -> tuple[list[int], list[int], list[Mapping[str, Any]]]:
    """Ports (of ``ports``) open to the whole internet, ports undecidable, and the allowing rules.

    Returns ``(open_ports, unknown_ports, proving_rules)``.
    """
    if rules is UNKNOWN:
        return [], sorted(set(ports)), []
    ordered, prioritised = _compile(rules)
    open_ports: list[int] = []
    unknown_ports: list[int] = []
    proof: list[Mapping[str, Any]] = []
    for port in sorted(set(ports)):
        decision: bool | None = False
        for c in ordered:
            if not c.covers(protocol, port):
                continue
            if c.internet is None:
                decision = None
                if prioritised:
                    break
                continue
            if not c.internet:
                continue  # a rule for a narrower source neither opens nor closes the internet path
            if c.deny:
                decision = False if decision is not None else None
                if prioritised:
                    break
                continue
            decision = True
            if c.rule not in proof:
                proof.append(c.rule)
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
