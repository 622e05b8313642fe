"""Port discovery with nmap (python-nmap): TCP connect scan, so no root is needed.

Only addresses that passed the scope are handed to nmap, as an explicit list, with
``-n`` so nmap resolves nothing itself. python-nmap drops the ``tunnel="ssl"``
service attribute; it is read back from nmap's raw XML.
"""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from posture.errors import InputError

TLS_SERVICE_NAMES = frozenset({"https", "ssl", "imaps", "pop3s", "smtps", "ldaps", "ftps", "https-alt", "submissions"})


@dataclass(frozen=True)
class OpenPort:
    address: str
    port: int
    service: dict[str, str] = field(default_factory=dict)  # name, product, version, extrainfo, tunnel

    @property
    def tls_hint(self) -> bool | None:
        """True/False when version detection said so, None when nmap did not look."""
        if self.service.get("method") != "probed":
            return None
        name = self.service.get("name", "")
        return self.service.get("tunnel") == "ssl" or name in TLS_SERVICE_NAMES or name.startswith("ssl/")


def nmap_binary() -> str:
    path = shutil.which("nmap")
    if path is None:
        raise InputError("the nmap binary is required for discovery (apt-get install nmap)", where="nmap")
    return path


@cache
def _services_file() -> Path:
    binary = Path(nmap_binary()).resolve()
    for candidate in (binary.parent.parent / "share" / "nmap" / "nmap-services", Path("/usr/share/nmap/nmap-services")):
        if candidate.is_file():
            return candidate
    raise InputError("cannot find nmap-services next to the nmap binary", where=str(binary))


def top_ports(n: int) -> list[int]:
    """The ``n`` most frequently open TCP ports by nmap's own frequency table (what ``--top-ports`` uses)."""
    if n <= 0:
        return []
    freq: list[tuple[float, int]] = []
    for line in _services_file().read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        if len(parts) < 3 or not parts[1].endswith("/tcp"):
            continue
        freq.append((float(parts[2]), int(parts[1].split("/")[0])))
    freq.sort(key=lambda fp: (-fp[0], fp[1]))
    return sorted(p for _, p in freq[:n])


def port_ranges(ports: Iterable[int]) -> str:
    """``1-3,7,9-10`` for nmap's ``-p``."""
    out: list[str] = []
    sorted_ports = sorted(set(ports))
    i = 0
    while i < len(sorted_ports):
        j = i
        while j + 1 < len(sorted_ports) and sorted_ports[j + 1] == sorted_ports[j] + 1:
            j += 1
        out.append(str(sorted_ports[i]) if i == j else f"{sorted_ports[i]}-{sorted_ports[j]}")
        i = j + 1
    return ",".join(out)


def nmap_arguments(*, rate: float, service_detection: bool, host_timeout: float) -> list[str]:
    """The nmap options posture uses: TCP connect, no ping, no DNS, rate-limited, bounded per host."""
    args = ["-sT", "-Pn", "-n", "--max-rate", f"{rate:g}", "--host-timeout", f"{int(host_timeout)}s", "--open"]
    if service_detection:
        args += ["-sV", "--version-light"]
    return args


def _tunnels(xml_text: str | bytes) -> dict[tuple[str, int], dict[str, str]]:
    root = ET.fromstring(xml_text)
    out: dict[tuple[str, int], dict[str, str]] = {}
    for host in root.iter("host"):
        addr_el = next((a for a in host.iter("address") if a.get("addrtype") in ("ipv4", "ipv6")), None)
        if addr_el is None:
            continue
        for port in host.iter("port"):
            svc = port.find("service")
            if svc is not None:
                out[(str(addr_el.get("addr")), int(port.get("portid", "0")))] = dict(svc.attrib)
    return out


def discover(addresses: Sequence[str], ports: Sequence[int], arguments: Sequence[str]) -> list[OpenPort]:
    """Run nmap on exactly ``addresses`` x ``ports`` and return the open TCP ports."""
    import nmap

    if not addresses or not ports:
        return []
    scanner = nmap.PortScanner(nmap_search_path=(nmap_binary(),))
    v6 = [a for a in addresses if ":" in a]
    v4 = [a for a in addresses if ":" not in a]
    found: list[OpenPort] = []
    for group, extra in ((v4, []), (v6, ["-6"])):
        if not group:
            continue
        try:
            scanner.scan(hosts=" ".join(group), ports=port_ranges(ports), arguments=" ".join([*arguments, *extra]))
        except nmap.PortScannerError as e:
            raise InputError(f"nmap failed: {str(e).strip()[:300]}", where="nmap") from None
        raw = _tunnels(scanner.get_nmap_last_output())
        for host in scanner.all_hosts():
            for port, info in scanner[host].get("tcp", {}).items():
                if info.get("state") != "open":
                    continue
                service = {k: str(v) for k, v in info.items() if k in ("name", "product", "version", "extrainfo") and v}
                attrs: dict[str, Any] = raw.get((host, int(port)), {})
                for k in ("tunnel", "method"):
                    if attrs.get(k):
                        service[k] = str(attrs[k])
                found.append(OpenPort(host, int(port), service))
    return sorted(found, key=lambda o: (o.address, o.port))
