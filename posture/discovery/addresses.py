"""Addresses and name resolution for the probe (kept free of heavy imports).

Scope decisions compare addresses in one canonical form (:func:`normalise_address`): an IPv6 address that
carries an IPv4 address and reaches it — IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``
(RFC 4291, deprecated), the NAT64 well-known prefix ``64:ff9b::/96`` (RFC 6052) — is the IPv4 address; a
zone index (``fe80::1%eth0``) is dropped. :func:`address_forms` also lists the IPv4 addresses a 6to4 or
Teredo address names, so an exclusion can never be walked around through a tunnel form.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str], list[str]]

_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPAT = ipaddress.IPv6Network("::/96")  # minus :: and ::1, which are IPv6's own
_V4_CARRIERS = (_MAPPED, _NAT64, _COMPAT)


def resolve_host(host: str) -> list[str]:
    """Every address ``host`` resolves to (IPv4 and IPv6), deduplicated, in resolver order."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise LookupError(f"cannot resolve {host}: {e}") from None
    out: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%", 1)[0]
        if addr not in out:
            out.append(addr)
    return out


def _as_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    value = int(ip)
    if ip in _COMPAT and value <= 1:
        return None
    if any(ip in carrier for carrier in _V4_CARRIERS):
        return ipaddress.IPv4Address(value & 0xFFFFFFFF)
    return None


def normalise_address(value: str | IPAddress) -> IPAddress | None:
    """The canonical form of an address (see the module docstring); None when ``value`` is not an address."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        try:
            ip: IPAddress = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            return None
    else:
        ip = ipaddress.ip_address(str(value).split("%", 1)[0])
    if ip.version == 6:
        return _as_ipv4(ip) or ip  # type: ignore[arg-type]
    return ip


def parse_address(value: str) -> IPAddress | None:
    """An IP address literal (brackets allowed) in canonical form, or None for anything else."""
    return normalise_address(value)


def address_forms(ip: IPAddress) -> list[IPAddress]:
    """Every form of ``ip`` an exclusion must catch: itself, its canonical form, and the IPv4 address of a
    6to4 or Teredo tunnel address."""
    forms: list[IPAddress] = [ip]
    canonical = normalise_address(ip)
    if canonical is not None and canonical != ip:
        forms.append(canonical)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.sixtofour is not None:
            forms.append(ip.sixtofour)
        if ip.teredo is not None:
            forms.extend(ip.teredo)
    return forms


def normalise_network(net: IPNetwork) -> IPNetwork:
    """A scope CIDR in canonical form: a network inside an IPv4-carrying IPv6 prefix becomes the IPv4 network."""
    if net.version == 6 and net.prefixlen >= 96:
        first = _as_ipv4(net.network_address)  # type: ignore[arg-type]
        if first is not None and (net.network_address not in _COMPAT or int(net.network_address) > 1):
            return ipaddress.IPv4Network((int(first), net.prefixlen - 96))
    return net
