"""Azure encryption in transit of a Terraform plan beyond storage, databases and web apps (docs/model.md).

API Management gateways and Spring Cloud API portals are client endpoints (``listener`` parts
``<address>/https`` and ``<address>/http``): the gateway accepts the TLS versions its ``security`` block enables
(TLS 1.2 and 1.3 always; SSL 3.0, TLS 1.0 and 1.1 only when turned on, off by default), and a public API portal
serves plain HTTP unless ``https_only_enabled``. An API Management backend is the ``connection`` the gateway
makes to the service behind it: encrypted only when its ``url`` is https.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.azure.terraform.common import res
from posture.providers.kit.values import tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

Out = list[Any]

# (azurerm 4 name, azurerm 3 name) of each legacy frontend protocol switch, and the version it enables
_FRONTEND = ((("frontend_ssl30_enabled", "enable_frontend_ssl30"), "ssl3"),
             (("frontend_tls10_enabled", "enable_frontend_tls10"), "1.0"),
             (("frontend_tls11_enabled", "enable_frontend_tls11"), "1.1"))


def _endpoint(raw: RawResource, index: PlanIndex, proto: str, tls: Any, redirects: Any = False) -> Any:
    name = raw.get("name") if isinstance(raw.get("name"), str) else raw.name
    attrs = {"protocol": proto, "port": 443 if proto == "https" else 80, "tls": tls, "redirects_to_https": redirects,
             "load_balancer": None, "certificates": [], "endpoint_of": raw.address}
    return res(raw, index, Kind.LISTENER, attrs, rid=f"{raw.address}/{proto}", name=f"{name}/{proto}",
               native_type=f"{raw.type}.{proto}", tags={})


def _switch(security: dict[str, Any], names: tuple[str, ...]) -> Any:
    values = [security.get(n) for n in names]
    if UNKNOWN in values:
        return UNKNOWN
    return any(tri(v, False) for v in values)


def _api_management(raw: RawResource, index: PlanIndex) -> Out:
    security = block(raw, "security")
    if security is UNKNOWN and raw.is_configured("security") is False:
        security = {}
    if security is UNKNOWN:
        versions: Any = UNKNOWN
    else:
        flags = [(_switch(security or {}, names), version) for names, version in _FRONTEND]
        versions = UNKNOWN if any(on is UNKNOWN for on, _ in flags) else [v for on, v in flags if on] + ["1.2", "1.3"]
    tls = {"policy": None, "setting": "security", "versions": versions,
           "min_version": versions[0] if isinstance(versions, list) else UNKNOWN, "ciphers": UNKNOWN}
    return [_endpoint(raw, index, "https", tls)]


def _spring_api_portal(raw: RawResource, index: PlanIndex) -> Out:
    """The portal's plain-HTTP endpoint: public (``public_network_access_enabled``) and not HTTPS-only."""
    public = tri(raw.get("public_network_access_enabled"), False)
    https_only = tri(raw.get("https_only_enabled"), False)
    if public is not True or https_only is True:
        return []
    return [_endpoint(raw, index, "http", None, UNKNOWN if https_only is UNKNOWN else False)]


def _api_backend(raw: RawResource, index: PlanIndex) -> Out:
    url = raw.get("url")
    scheme = url.split("://", 1)[0].lower() if isinstance(url, str) and "://" in url else None
    tls = UNKNOWN if url is UNKNOWN else (scheme == "https" if scheme in ("http", "https") else None)
    attrs = {"transport": {"tls_required": tls, "min_tls_version": None}, "protocol": scheme,
             "target": url if isinstance(url, str) else UNKNOWN if url is UNKNOWN else None}
    return [res(raw, index, Kind.CONNECTION, attrs)]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "azurerm_api_management_backend": _api_backend,
}

PARTS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "azurerm_api_management": _api_management,
    "azurerm_spring_cloud_api_portal": _spring_api_portal,
}
"""Client endpoints (listener parts) of services the exposure table normalises."""
"""Types this module normalises."""
