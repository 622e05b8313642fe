"""Firewall semantics written once: which traffic from (or to) the internet a rule list lets through.

Normalised firewall rules (docs/model.md) carry direction, action, protocol,
ports, peers and priority. Where priorities exist (NSG, GCP, NACL) the first
matching rule in priority order decides; where they do not (AWS security
groups) allow rules are a union. Provider implied rules are already in the
list, so nothing here knows which cloud it is looking at.

IPv4 and IPv6 are decided separately: a deny of ``0.0.0.0/0`` does not close
a port that an allow of ``::/0`` opens. ``*`` / ``Internet`` / ``any`` mean both.
Anything unknown at plan time (a rule, its peers, ports, protocol or action)
makes the answer unknown rather than guessed.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import pairwise
from typing import Any

from posture.knowledge.network import ALL_PROTOCOLS, DEFAULT_ROUTES, INTERNET_PEERS
from posture.model import UNKNOWN
from posture.rules.operators import parse_ports

_FAMILIES = ("v4", "v6")
_FAMILY_OF = {r: (f"v{ipaddress.ip_network(r).version}",) for r in DEFAULT_ROUTES}
MAX_PORT = 65535

Rules = Sequence[Mapping[str, Any]]
Range = tuple[int, int]


def _protocol_matches(rule: Mapping[str, Any], protocol: str) -> bool | None:
    p = rule.get("protocol", "all")
    if p is UNKNOWN:
        return None
    p = str(p).lower()
    return p in ALL_PROTOCOLS or p == protocol


def _peer_families(peer: Any) -> tuple[str, ...]:
    s = str(peer).strip().lower()
    if s in _FAMILY_OF:
        return _FAMILY_OF[s]
    if s.endswith("/0"):  # a /0 written from a host address ("34.15.11.3/0") is still the whole internet
        try:
            return ("v4",) if ipaddress.ip_network(s, strict=False).version == 4 else ("v6",)
        except ValueError:
            return ()
    return _FAMILIES if s in INTERNET_PEERS else ()


def _from_internet(rule: Mapping[str, Any], family: str) -> bool | None:
    """The rule's peers include the whole internet of ``family`` (None: some peer is unknown)."""
    peers = rule.get("peers")
    if peers is UNKNOWN:
        return None
    unknown = False
    for p in peers or ():
        if p is UNKNOWN:
            unknown = True
        elif family in _peer_families(p):
            return True
    return None if unknown else False


def _relevant(rules: Rules | Any, direction: str) -> tuple[list[Any], bool]:
    """Enabled rules of ``direction`` (unknown rules kept as UNKNOWN) in evaluation order, and whether
    they are prioritised (first match wins) rather than a union of allows."""
    out: list[Any] = []
    for r in rules or ():
        if r is UNKNOWN or r.get("direction") is UNKNOWN:
            out.append(UNKNOWN)
        elif r.get("direction") == direction and r.get("disabled") is not True:
            out.append(r)
    known = [r for r in out if r is not UNKNOWN]
    prioritised = any(r.get("priority") is not None for r in known)
    if prioritised:
        # an unknown rule has no known place in the order: it is put first, so it can only add doubt
        known.sort(key=lambda r: (r.get("priority") is None, r.get("priority") or 0))
        return [r for r in out if r is UNKNOWN] + known, True
    return out, False


class _Prepared:
    """One relevant rule decoded once per question (protocol fixed), not once per port and family.

    Tri-state per port: protocol match, port coverage (no port list: every port for tcp/udp/all; ICMP
    rules carry [] and never match a port), internet peer per family. The port list is parsed once; a
    malformed one raises when the rule is first reached.
    """

    __slots__ = ("action", "error", "internet", "protocol", "ranges", "rule", "unknown")

    def __init__(self, r: Any, protocol: str) -> None:
        self.rule = r
        self.unknown = r is UNKNOWN
        self.error: Exception | None = None
        self.ranges: list[Range] | bool | None = None  # bool/None: the same answer for every port
        if self.unknown:
            return
        self.action = r.get("action", "allow")
        self.protocol = _protocol_matches(r, protocol)
        self.internet = {f: _from_internet(r, f) for f in _FAMILIES}
        ports = r.get("ports")
        if ports is UNKNOWN or (isinstance(ports, (list, tuple)) and UNKNOWN in ports):
            self.ranges = None
        elif ports is None or ports == ():
            self.ranges = str(r.get("protocol", "all")).lower() in ALL_PROTOCOLS | {"tcp", "udp"}
        else:
            try:
                self.ranges = parse_ports(ports)
            except (TypeError, ValueError) as e:
                self.ranges, self.error = False, e

    def covers(self, port: int) -> bool | None:
        if self.error is not None:
            raise self.error
        if self.ranges is None or isinstance(self.ranges, bool):
            return self.ranges
        return any(lo <= port <= hi for lo, hi in self.ranges)


def _prepare(ordered: list[Any], protocol: str) -> list[_Prepared]:
    return [_Prepared(r, protocol) for r in ordered]


def _decide(prepared: list[_Prepared], prioritised: bool, port: int, family: str
            ) -> tuple[bool | None, Mapping[str, Any] | None]:
    """Is ``port`` open to the internet of ``family``? With the rule that opens it."""
    doubt = False
    for p in prepared:
        if p.unknown:
            matches: bool | None = None
        else:
            if p.error is not None:
                raise p.error
            internet = p.internet[family]
            if p.protocol is False or internet is False:
                continue
            covered = p.covers(port)
            if covered is False:
                continue
            matches = None if p.protocol is None or covered is None or internet is None else True
        action = None if p.unknown else p.action
        if matches is None or action is UNKNOWN:
            doubt = True
            if prioritised:
                break
            continue
        if action == "deny":
            if prioritised:
                return (None if doubt else False), None
            continue
        return (None if doubt and prioritised else True), p.rule
    return (None if doubt else False), None


def _port_verdict(prepared: list[_Prepared], prioritised: bool, port: int
                  ) -> tuple[bool | None, list[Mapping[str, Any]]]:
    verdicts = [_decide(prepared, prioritised, port, f) for f in _FAMILIES]
    proof = [r for v, r in verdicts if v is True and r is not None]
    if proof:
        return True, proof
    return (None if any(v is None for v, _ in verdicts) else False), []


def internet_ingress(
    rules: Rules | Any, ports: Iterable[int], protocol: str = "tcp", direction: str = "ingress"
) -> tuple[list[int], list[int], list[Mapping[str, Any]]]:
    """Ports (of ``ports``) open to the whole internet, ports undecidable, and the allowing rules.

    Returns ``(open_ports, unknown_ports, proving_rules)``. ``direction="egress"`` asks the same question
    for traffic *to* the internet.
    """
    if rules is UNKNOWN:
        return [], sorted(set(ports)), []
    ordered, prioritised = _relevant(rules, direction)
    prepared = _prepare(ordered, protocol)
    # every port between two rule boundaries gets the same verdict: decide each piece once
    points = sorted({0, MAX_PORT + 1, *(x for p in prepared if isinstance(p.ranges, list)
                                        for lo, hi in p.ranges for x in (max(lo, 0), min(hi, MAX_PORT) + 1))})
    pieces: dict[Any, tuple[bool | None, list[Mapping[str, Any]]]] = {}
    open_ports: list[int] = []
    unknown_ports: list[int] = []
    proof: list[Mapping[str, Any]] = []
    for port in sorted(set(ports)):
        piece = bisect_right(points, port) if 0 <= port <= MAX_PORT else ("outside", port)
        if piece not in pieces:
            pieces[piece] = _port_verdict(prepared, prioritised, port)
        verdict, rs = pieces[piece]
        if verdict is True:
            open_ports.append(port)
            proof.extend(r for r in rs if r not in proof)
        elif verdict is None:
            unknown_ports.append(port)
    return open_ports, unknown_ports, proof


def _breakpoints(ordered: list[Any]) -> list[int]:
    points = {0, MAX_PORT + 1}
    for r in ordered:
        ports = None if r is UNKNOWN else r.get("ports")
        if isinstance(ports, (list, tuple)) and UNKNOWN not in ports:
            for lo, hi in parse_ports(ports):
                points.update((max(lo, 0), min(hi, MAX_PORT) + 1))
    return sorted(p for p in points if 0 <= p <= MAX_PORT + 1)


def internet_open_ranges(
    rules: Rules | Any, protocol: str = "tcp", direction: str = "ingress"
) -> tuple[list[Range], list[Range], list[Mapping[str, Any]]]:
    """Every port range open to the whole internet (not just chosen ports), ranges undecidable, proof.

    The port space is cut at every rule boundary; each piece is decided once with the same
    semantics as :func:`internet_ingress`, so 65,536 ports cost a handful of evaluations.
    """
    if rules is UNKNOWN:
        return [], [(0, MAX_PORT)], []
    ordered, prioritised = _relevant(rules, direction)
    points = _breakpoints(ordered)
    prepared = _prepare(ordered, protocol)
    open_r: list[Range] = []
    unknown_r: list[Range] = []
    proof: list[Mapping[str, Any]] = []
    for lo, nxt in pairwise(points):
        verdict, rs = _port_verdict(prepared, prioritised, lo)
        target = open_r if verdict is True else unknown_r if verdict is None else None
        if target is None:
            continue
        proof.extend(r for r in rs if r not in proof)
        if target and target[-1][1] == lo - 1:
            target[-1] = (target[-1][0], nxt - 1)
        else:
            target.append((lo, nxt - 1))
    return open_r, unknown_r, proof


def intersect_ranges(a: Sequence[Range], b: Sequence[Range]) -> list[Range]:
    """Intersection of two sorted lists of inclusive port ranges."""
    out: list[Range] = []
    for alo, ahi in a:
        for blo, bhi in b:
            lo, hi = max(alo, blo), min(ahi, bhi)
            if lo <= hi:
                out.append((lo, hi))
    return sorted(out)


def port_count(ranges: Iterable[Range]) -> int:
    """How many ports the inclusive ranges cover."""
    return sum(hi - lo + 1 for lo, hi in ranges)


def broad_public_peers(peers: Any, max_prefix_v4: int, max_prefix_v6: int) -> list[str]:
    """Public CIDRs at least as wide as /max_prefix (but not the whole internet, which other rules report)."""
    out: list[str] = []
    for p in peers or () if peers is not UNKNOWN else ():
        if p is UNKNOWN or _peer_families(p):
            continue
        try:
            net = ipaddress.ip_network(str(p).strip(), strict=False)
        except ValueError:
            continue
        limit = max_prefix_v4 if net.version == 4 else max_prefix_v6
        if net.prefixlen <= limit and not (net.is_private or net.is_reserved or net.is_loopback):
            out.append(str(p))
    return out
