"""DNSSEC signing keys of Cloud DNS managed zones (docs/model.md).

A zone with DNSSEC on and explicit ``default_key_specs`` yields one provider-managed ``key`` per spec
(``<address>/dnssec/<key_type>``) carrying its algorithm, length and signature algorithm, so the key-strength
rules judge it (RSASHA1 signs with SHA-1). Without explicit specs Cloud DNS uses RSASHA256 keys
(https://cloud.google.com/dns/docs/dnssec-advanced#choose_algorithms); nothing is emitted then.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.gcp.terraform.common import Out, _res
from posture.providers.kit.builders import blocks, listed
from posture.providers.kit.values import as_int
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


def _key_family(algorithm: Any) -> Any:
    """``RSA`` / ``EC`` of a DNSSEC algorithm name (``rsasha256``, ``ecdsap256sha256``...)."""
    if not isinstance(algorithm, str):
        return UNKNOWN
    low = algorithm.lower()
    return "RSA" if low.startswith("rsa") else "EC" if low.startswith("ecdsa") else algorithm.upper()


def _managed_zone(raw: RawResource, index: PlanIndex) -> Out:
    dnssec = block(raw, "dnssec_config")
    if not isinstance(dnssec, Mapping) or str(dnssec.get("state") or "off").lower() == "off":
        return []
    out: Out = []
    specs = blocks(dnssec, "default_key_specs")
    for i, spec in enumerate(listed(specs) if specs is not UNKNOWN else []):
        if not isinstance(spec, Mapping):
            continue
        algorithm = spec.get("algorithm")
        key_type = spec.get("key_type") if isinstance(spec.get("key_type"), str) else str(i)
        attrs = {
            "manager": "provider",
            "algorithm": _key_family(algorithm),
            "bits": as_int(spec.get("key_length")),
            "usage": "sign",
            "signature_algorithm": algorithm.upper() if isinstance(algorithm, str) else algorithm,
            "rotation": {"enabled": None, "period_days": None, "supported": False},  # rolled over by Cloud DNS
            "enabled": True,
            "expires": None,
        }
        zone = raw.get("dns_name") if isinstance(raw.get("dns_name"), str) else raw.get("name")
        out.append(_res(raw, index, Kind.KEY, attrs, rid=f"{raw.address}/dnssec/{key_type}",
                        name=f"{zone} DNSSEC {key_type}", native_type="google_dns_managed_zone.dnssec_key",
                        tags={}))
    return out


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {"google_dns_managed_zone": _managed_zone}
"""Types this module normalises."""
