"""Ports and address literals as every source spells them: ``"22"``, ``"1000-2000"``, ``"*"``, pairs, CIDRs."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from posture.model import UNKNOWN
from posture.providers.kit.values import as_int

ALL_PORTS = [[0, 65535]]
"""Every port, as the model writes a port list."""


def port_span(text: Any) -> list[int]:
    """``"22"`` -> ``[22, 22]``, ``"1000-2000"`` -> ``[1000, 2000]`` (ValueError when not a port or range)."""
    lo, _, hi = str(text).strip().partition("-")
    return [int(lo), int(hi or lo)]


# -- network -------------------------------------------------------------------------------------------------
def port_range(from_port: Any, to_port: Any) -> Any:
    """[[from, to]] from a pair of port values (UNKNOWN if either is unknown)."""
    f, t = as_int(from_port), as_int(to_port)
    if f is UNKNOWN or t is UNKNOWN:
        return UNKNOWN
    if f is None and t is None:
        return ALL_PORTS
    f = 0 if f is None else f
    t = 65535 if t is None else t
    return [[f, t]]



def parse_port_spec(spec: Any) -> Any:
    """ "22" / "1000-2000" / "*" / 22 / "80, 443-445" -> [[from, to], ...]; UNKNOWN passes; unparsable -> UNKNOWN.

    Comma-separated lists are accepted because configurations (and the public test suites) write them in
    single-port fields; each element is parsed on its own.
    """
    if spec is UNKNOWN:
        return UNKNOWN
    if spec is None:
        return []
    s = str(spec).strip()
    if s in ("*", "", "0-65535"):
        return ALL_PORTS
    if "," in s:
        return merge_port_specs(part for part in s.split(",") if part.strip())
    try:
        return [port_span(s)]
    except ValueError:
        return UNKNOWN



def merge_port_specs(specs: Iterable[Any]) -> Any:
    """Concatenate several port specs; any UNKNOWN makes the whole UNKNOWN."""
    out: list[list[int]] = []
    for s in specs:
        p = parse_port_spec(s)
        if p is UNKNOWN:
            return UNKNOWN
        out.extend(p)
    return out



def is_cidr(value: Any) -> bool:
    """True for a literal IPv4/IPv6 network or address."""
    if not isinstance(value, str):
        return False
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True
