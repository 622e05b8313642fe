"""The scope of a live probe: what may be touched, how hard, and when.

A scope file is YAML validated with pydantic at the boundary; any error names
the file and the field. Every target — each resolved address of a hostname,
each inventory endpoint — goes through :meth:`Scope.decide` before a single
packet is sent: out-of-scope targets are refused and listed, never contacted.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timezone
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from posture import inputs
from posture.discovery.addresses import (
    IPNetwork,
    Resolver,
    address_forms,
    normalise_address,
    normalise_network,
    parse_address,
    resolve_host,
)
from posture.errors import InputError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _networks(values: Sequence[str]) -> list[str]:
    for v in values:
        ipaddress.ip_network(v, strict=False)  # raises ValueError -> pydantic names the field
    return list(values)


def _hostnames(values: Sequence[str]) -> list[str]:
    out = []
    for v in values:
        name = v.strip().lower().rstrip(".")
        if not name or any(c in name for c in " /:"):
            raise ValueError(f"not a hostname pattern: {v!r}")
        out.append(name)
    return out


class HostSet(_Strict):
    """CIDRs (``10.0.0.0/8``, ``203.0.113.7``) and hostnames (``www.example.com``, ``*.example.com``)."""

    cidrs: list[str] = Field(default_factory=list)
    hostnames: list[str] = Field(default_factory=list)

    @field_validator("cidrs")
    @classmethod
    def _v_cidrs(cls, v: list[str]) -> list[str]:
        return _networks(v)

    @field_validator("hostnames")
    @classmethod
    def _v_hosts(cls, v: list[str]) -> list[str]:
        return _hostnames(v)


class Exclusions(HostSet):
    """Addresses, hostnames and ports never to touch, even when an allow entry covers them."""

    ports: list[int] = Field(default_factory=list)


class PortSpec(_Strict):
    """Ports to scan: the ``top`` most common TCP ports (nmap-services), plus ``include``."""

    top: int = Field(default=1000, ge=0, le=65535)
    include: list[int] = Field(default_factory=list)
    inventory: bool = True  # add the listener ports found in the inventory (when a source is given)

    @field_validator("include")
    @classmethod
    def _port_range(cls, v: list[int]) -> list[int]:
        bad = [p for p in v if not 1 <= p <= 65535]
        if bad:
            raise ValueError(f"ports must be 1-65535, got {bad}")
        return v


class Limits(_Strict):
    """How hard the probe may push: rates, concurrency and timeouts (seconds)."""

    rate: float = Field(default=100.0, gt=0, description="max packets/s for discovery, and new TLS targets/s")
    concurrency: int = Field(default=10, ge=1, le=256, description="targets probed at the same time")
    per_server: int = Field(default=5, ge=1, le=64, description="concurrent connections to one server")
    connect_timeout: float = Field(default=5.0, gt=0, le=120)
    target_timeout: float = Field(default=120.0, gt=0, le=3600)
    retries: int = Field(default=1, ge=0, le=5)


class Window(_Strict):
    """When the scan may run: an absolute period and/or daily UTC hours (``"22:00-06:00"``)."""

    start: datetime | None = None
    end: datetime | None = None
    daily: str | None = None

    @field_validator("daily")
    @classmethod
    def _daily(cls, v: str | None) -> str | None:
        if v is not None:
            _daily_bounds(v)
        return v

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start and self.end and _utc(self.start) >= _utc(self.end):
            raise ValueError("start must be before end")
        return self

    def allows(self, now: datetime) -> bool:
        now = _utc(now)
        if self.start and now < _utc(self.start):
            return False
        if self.end and now > _utc(self.end):
            return False
        if self.daily:
            lo, hi = _daily_bounds(self.daily)
            t = now.time()
            return lo <= t <= hi if lo <= hi else (t >= lo or t <= hi)
        return True


def _utc(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _daily_bounds(text: str) -> tuple[time, time]:
    try:
        lo, hi = (time.fromisoformat(p.strip()) for p in text.split("-"))
    except ValueError:
        raise ValueError(f"daily must look like '22:00-06:00' (UTC), got {text!r}") from None
    return lo, hi


class ScopeModel(_Strict):
    """The scope file. ``allow`` is required: nothing is in scope by default."""

    version: Literal[1] = 1
    name: str = ""
    allow: HostSet
    exclude: Exclusions = Field(default_factory=Exclusions)
    targets: list[str] = Field(default_factory=list, description="what to scan; default: every allow entry")
    ports: PortSpec = Field(default_factory=PortSpec)
    limits: Limits = Field(default_factory=Limits)
    window: Window = Field(default_factory=Window)
    service_detection: bool = False

    @model_validator(mode="after")
    def _something_allowed(self) -> ScopeModel:
        if not self.allow.cidrs and not self.allow.hostnames:
            raise ValueError("allow must name at least one CIDR or hostname")
        return self


@dataclass(frozen=True)
class Decision:
    """The verdict on one address (and port): allowed, or refused with the reason.

    ``address`` is the canonical form that was checked (``::ffff:10.0.0.1`` -> ``10.0.0.1``): connect to it.
    """

    allowed: bool
    reason: str = ""
    address: str = ""


@dataclass(frozen=True)
class Scope:
    """A validated scope, answering "may I touch this?" for hosts, addresses and ports."""

    model: ScopeModel
    origin: str = "<scope>"

    @property
    def limits(self) -> Limits:
        return self.model.limits

    @functools.cached_property
    def _allowed_nets(self) -> tuple[IPNetwork, ...]:
        return tuple(normalise_network(ipaddress.ip_network(v, strict=False)) for v in self.model.allow.cidrs)

    @functools.cached_property
    def _excluded_nets(self) -> tuple[IPNetwork, ...]:
        nets = [ipaddress.ip_network(v, strict=False) for v in self.model.exclude.cidrs]
        return tuple(dict.fromkeys([*nets, *(normalise_network(n) for n in nets)]))

    def hostname_allowed(self, host: str) -> Decision:
        name = host.lower().rstrip(".")
        if any(fnmatch.fnmatchcase(name, p) for p in self.model.exclude.hostnames):
            return Decision(False, f"hostname {host} is excluded by the scope")
        if not any(fnmatch.fnmatchcase(name, p) for p in self.model.allow.hostnames):
            return Decision(False, f"hostname {host} is not in the scope's allowed hostnames")
        return Decision(True)

    def address_allowed(self, address: str, port: int | None = None) -> Decision:
        """Allowed when the canonical address is in an allowed CIDR of its own family and no form of it
        (as written, canonical, or the IPv4 end of a tunnel address) is excluded."""
        ip = normalise_address(address)
        if ip is None:
            return Decision(False, f"{address} is not an IP address")
        raw = ipaddress.ip_address(address.strip().strip("[]").split("%", 1)[0])
        shown = f"{address} ({ip})" if str(raw) != str(ip) else str(ip)
        forms = address_forms(raw)
        if any(f.version == n.version and f in n for f in forms for n in self._excluded_nets):
            return Decision(False, f"address {shown} is excluded by the scope")
        if not any(ip.version == n.version and ip in n for n in self._allowed_nets):
            return Decision(False, f"address {shown} is outside the scope's allowed CIDRs")
        if port is not None and port in self.model.exclude.ports:
            return Decision(False, f"port {port} is excluded by the scope")
        return Decision(True, address=str(ip))

    def decide(self, host: str, address: str, port: int | None = None) -> Decision:
        """May ``address`` (resolved from ``host``, which may be the address itself) be contacted on ``port``?

        A hostname must be allowed by name *and* every address it is probed at must be in an
        allowed CIDR: a name that resolves outside the scope is refused.
        """
        if parse_address(host) is None:
            d = self.hostname_allowed(host)
            if not d.allowed:
                return d
        return self.address_allowed(address, port)

    def check_window(self, now: datetime | None = None) -> None:
        """Raise InputError when the scan is attempted outside the scope's window."""
        now = now or datetime.now(timezone.utc)
        if not self.model.window.allows(now):
            w = self.model.window
            raise InputError(
                f"outside the scan window (start={w.start}, end={w.end}, daily={w.daily}; now {now:%Y-%m-%dT%H:%MZ})",
                where=f"{self.origin}: window",
            )

    def targets(self) -> list[str]:
        """Scan targets: ``targets`` if given, else every allowed CIDR and (non-wildcard) hostname."""
        if self.model.targets:
            return list(self.model.targets)
        return list(self.model.allow.cidrs) + [h for h in self.model.allow.hostnames if "*" not in h]


def scope_from_dict(data: Any, origin: str = "<scope>") -> Scope:
    """Validate a scope mapping; errors name ``origin`` and the field."""
    if not isinstance(data, dict):
        raise InputError("a scope file must be a YAML mapping", where=origin)
    return Scope(inputs.validate(data, ScopeModel, origin), origin)


def load_scope(path: str | os.PathLike[str]) -> Scope:
    """Read and validate a scope YAML file."""
    return scope_from_dict(inputs.load_yaml(path, "config", "scope file"), str(path))


def explicit_scope(hosts: Iterable[str], ports: Iterable[int], resolver: Resolver = resolve_host) -> Scope:
    """The implicit scope of ``posture probe tls HOST:PORT...`` without ``--scope``: exactly what was named.

    Hostnames named on the command line are allowed together with the addresses they resolve to now.
    """
    cidrs: list[str] = []
    names: list[str] = []
    for h in hosts:
        ip = parse_address(h)
        if ip is not None:
            cidrs.append(str(ip))
            continue
        names.append(h.lower())
        try:
            cidrs.extend(resolver(h))
        except LookupError:
            pass
    model = ScopeModel(allow=HostSet(cidrs=cidrs, hostnames=names),
                       ports=PortSpec(top=0, include=sorted(set(ports)), inventory=False))
    return Scope(model, "<command line>")
