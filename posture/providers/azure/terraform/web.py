"""Azure application gateways and App Service of a Terraform plan (listeners, TLS, access logs)."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind, Resource
from posture.providers.azure.terraform.common import diagnostic_logs
from posture.providers.azure.terraform.common import res as _res
from posture.providers.azure.terraform.network import Out, _public_ips
from posture.providers.azure.terraform.stores import _min_tls_listener
from posture.providers.kit.builders import blocks, default_tls_policy, edge, listed, tls_policy
from posture.providers.kit.values import any_of, as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


# -- application gateway and app service ---------------------------------------------------------------------
def _ssl_policy_tls(policy: Any) -> dict[str, Any]:
    if policy is UNKNOWN:
        return tls_policy("azure", UNKNOWN, "app_gateway")
    if not policy:
        return default_tls_policy("azure", "app_gateway")
    ptype = policy.get("policy_type")
    name = policy.get("policy_name")
    if ptype in ("Custom", "CustomV2"):
        minimum = policy.get("min_protocol_version")
        tls = (
            tls_policy("azure", minimum, "storage_min_tls")
            if isinstance(minimum, str)
            else tls_policy("azure", UNKNOWN, "app_gateway")
        )
        tls["policy"] = ptype
        suites = policy.get("cipher_suites")
        tls["ciphers"] = list(suites) if isinstance(suites, list) and suites else UNKNOWN
        return tls
    if name in (None, ""):
        return default_tls_policy("azure", "app_gateway")
    return tls_policy("azure", name, "app_gateway")


_ACCESS_LOG_CATEGORIES = {"azurerm_application_gateway": "applicationgatewayaccesslog"}


def _diagnostic_access_logs(raw: RawResource, index: PlanIndex) -> Any:
    """Whether a diagnostic setting of the resource exports its access log category (or the allLogs group).

    Judged from the code alone: a setting deployed outside it (Azure Policy DeployIfNotExists) is not seen.
    """
    wanted = _ACCESS_LOG_CATEGORIES[raw.type]
    verdicts: list[Any] = []
    for setting in index.referrers(raw.address, ("azurerm_monitor_diagnostic_setting",), "target_resource_id"):
        entries = diagnostic_logs(setting)
        if entries is UNKNOWN:
            verdicts.append(UNKNOWN)
            continue
        for entry in entries:
            names = [entry.get("category"), entry.get("category_group")]
            if UNKNOWN in names:
                verdicts.append(UNKNOWN)
            else:
                verdicts.append(any(isinstance(n, str) and n.lower() in (wanted, "alllogs") for n in names))
    return any_of(verdicts)


def _app_gateway(raw: RawResource, index: PlanIndex) -> Out:
    frontends = blocks(raw.values, "frontend_ip_configuration")
    public = (
        any(f.get("public_ip_address_id") not in (None, "") for f in listed(frontends))
        if isinstance(frontends, list)
        else UNKNOWN
    )
    attrs = {
        "scheme": UNKNOWN if public is UNKNOWN else ("internet-facing" if public else "internal"),
        "lb_type": "app_gateway",
        "public_ips": _public_ips(index, raw, "frontend_ip_configuration.public_ip_address_id") if public else [],
        "access_logs": _diagnostic_access_logs(raw, index),
    }
    out: Out = [_res(raw, index, Kind.LOAD_BALANCER, attrs)]
    ports = (
        {p.get("name"): as_int(p.get("port")) for p in listed(blocks(raw.values, "frontend_port"))}
        if isinstance(blocks(raw.values, "frontend_port"), list)
        else {}
    )
    gateway_tls = _ssl_policy_tls(block(raw, "ssl_policy"))
    profiles = {
        p.get("name"): _ssl_policy_tls(block(p, "ssl_policy"))
        for p in listed(blocks(raw.values, "ssl_profile"))
        if isinstance(p, dict)
    }
    redirects = {r.get("name"): r for r in listed(blocks(raw.values, "redirect_configuration")) if isinstance(r, dict)}
    listeners = blocks(raw.values, "http_listener")
    by_name = {lst.get("name"): lst for lst in listed(listeners)} if isinstance(listeners, list) else {}
    redirecting: dict[str, Any] = {}
    for rr in listed(blocks(raw.values, "request_routing_rule")):
        target = redirects.get(rr.get("redirect_configuration_name"))
        if target is None:
            continue
        dest = by_name.get(target.get("target_listener_name"))
        to_https = (
            (str(dest.get("protocol", "")).lower() == "https")
            if dest
            else str(target.get("target_url", "")).lower().startswith("https://")
        )
        redirecting[rr.get("http_listener_name")] = to_https
    for lst in listeners if isinstance(listeners, list) else []:
        proto_raw = lst.get("protocol")
        proto = UNKNOWN if proto_raw is UNKNOWN else str(proto_raw).lower()
        name = lst.get("name") if isinstance(lst.get("name"), str) else "listener"
        rid = f"{raw.address}/listener/{name}"
        tls: Any
        if proto == "https":
            tls = profiles.get(lst.get("ssl_profile_name"), gateway_tls)
        elif proto is UNKNOWN:
            tls = UNKNOWN
        else:
            tls = None
        lattrs = {
            "protocol": proto,
            "port": ports.get(lst.get("frontend_port_name")),
            "tls": tls,
            "redirects_to_https": redirecting.get(lst.get("name"), False) if proto == "http" else False,
            "load_balancer": raw.address,
            "certificates": [lst.get("ssl_certificate_name")] if lst.get("ssl_certificate_name") else [],
        }
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                lattrs,
                rid=rid,
                name=f"{raw.get('name')}/{name}",
                native_type="azurerm_application_gateway.http_listener",
                tags={},
            )
        )
        out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
    return out


def _fix_http_redirect(out: Out) -> Out:
    """App Service ``https_only`` makes the plain-HTTP side redirect to HTTPS."""
    fixed: Out = []
    for item in out:
        if isinstance(item, Resource) and item.kind == "listener":
            attrs = dict(item.attrs)
            flag = attrs.pop("redirects_to_https_when_http", None)
            if attrs["protocol"] == "http":
                attrs["redirects_to_https"] = flag if flag is not None else attrs["redirects_to_https"]
            item = Resource(
                item.id,
                item.kind,
                item.native_type,
                item.provider,
                item.name,
                item.account,
                item.region,
                item.tags,
                attrs,
                item.source,
                item.location,
            )
        fixed.append(item)
    return fixed


def _web_app_listeners(raw: RawResource, index: PlanIndex) -> Out:
    site = block(raw, "site_config")
    key = "min_tls_version" if raw.type in ("azurerm_app_service", "azurerm_function_app") else "minimum_tls_version"
    setting = UNKNOWN if site is UNKNOWN else (site.get(key) if site else None)
    if setting is UNKNOWN and raw.is_configured(f"site_config.0.{key}") is False:
        setting = None
    https_only = tri(raw.get("https_only"), False)
    # Both the HTTPS and the plain-HTTP side exist; https_only turns the latter into a redirect.
    out = _min_tls_listener(
        raw, index, "app_service_min_tls", setting, "1.2", False, {"redirects_to_https_when_http": https_only}
    )
    compute = _res(
        raw,
        index,
        Kind.COMPUTE,
        {
            "public_ips": [],
            "network_tags": [],
            "service_accounts": [],
            "subnet": None,
            "image": None,
            "imds_v2_required": None,
            "role": None,
            "app_service": True,
        },
    )
    return [compute, *_fix_http_redirect(out)]
