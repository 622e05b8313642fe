"""AWS encryption in transit of a Terraform plan beyond load balancers and data stores (docs/model.md).

Endpoints a service terminates are ``listener`` resources (CloudSearch domains, Transfer Family FTP); a
classic load balancer policy is a ``tls_policy``; a DMS endpoint's connection TLS is the ``transport`` of the
``connection`` store its at-rest row builds (a facet). TLS versions come from posture/knowledge/tls_policies.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.terraform.common import Out, _first_str, _res, _unset_default
from posture.providers.kit.builders import blocks, listed, tls_policy
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


def _listener(raw: RawResource, index: PlanIndex, proto: str, port: int, tls: Any, **extra: Any) -> Any:
    """One client endpoint of ``raw`` (``<address>/<proto>``); not behind a load balancer of the scan.

    ``extra`` overrides attributes (an UNKNOWN ``protocol`` when the offered protocols are not known yet).
    """
    name = _first_str(raw.get("domain_name"), raw.get("name"), raw.name)
    attrs = {"protocol": proto, "port": port, "tls": tls, "redirects_to_https": False, "load_balancer": None,
             "certificates": [], "endpoint_of": raw.address, **extra}
    return _res(raw, index, Kind.LISTENER, attrs, rid=f"{raw.address}/{proto}",
                name=f"{name if isinstance(name, str) else raw.name}/{proto}", native_type=f"{raw.type}.{proto}",
                tags={})


def _cloudsearch(raw: RawResource, index: PlanIndex) -> Out:
    """A CloudSearch domain's public endpoint: HTTPS with its TLS policy, and plain HTTP unless HTTPS is enforced.

    EnforceHTTPS defaults to false and TLSSecurityPolicy to Policy-Min-TLS-1-0-2019-07 (the API's defaults,
    which the provider leaves to the API when ``endpoint_options`` is unset).
    """
    options = block(raw, "endpoint_options")
    if options is UNKNOWN and raw.is_configured("endpoint_options") is False:
        options = {}
    if options is UNKNOWN:
        return [_listener(raw, index, "https", 443, tls_policy("aws", UNKNOWN, "cloudsearch"))]
    policy = options.get("tls_security_policy")
    if policy is UNKNOWN and raw.is_configured("endpoint_options.0.tls_security_policy") is False:
        policy = None
    setting = policy if policy not in (None, "") else "Policy-Min-TLS-1-0-2019-07"
    tls = tls_policy("aws", setting, "cloudsearch")
    if isinstance(setting, str):  # a minimum-version setting, not a policy with configurable suites
        tls["policy"], tls["setting"] = None, setting
    out: Out = [_listener(raw, index, "https", 443, tls)]
    enforced = options.get("enforce_https")
    if enforced is UNKNOWN and raw.is_configured("endpoint_options.0.enforce_https") is False:
        enforced = False
    if enforced is not True:
        out.append(_listener(raw, index, "http", 80, None,
                             **({"redirects_to_https": UNKNOWN} if enforced is UNKNOWN else {})))
    return out


_PROTOCOL_ATTR = {"Protocol-SSLv2": "ssl2", "Protocol-SSLv3": "ssl3", "Protocol-TLSv1": "1.0",
                  "Protocol-TLSv1.1": "1.1", "Protocol-TLSv1.2": "1.2", "Protocol-TLSv1.3": "1.3"}
_NOT_CIPHERS = ("Protocol-", "Reference-Security-Policy", "Server-Defined-Cipher-Order")


def _lb_policy(raw: RawResource, index: PlanIndex) -> Out:
    """A classic load balancer SSL negotiation policy: the versions and suites it enables.

    A policy that names a ``Reference-Security-Policy`` takes that predefined policy's versions and suites;
    otherwise the ``Protocol-*`` and suite attributes set to true are what it enables. Other policy types
    (proxy protocol, stickiness) carry no TLS and yield nothing.
    """
    ptype = raw.get("policy_type_name")
    if ptype is not UNKNOWN and ptype != "SSLNegotiationPolicyType":
        return []
    attributes = blocks(raw.values, "policy_attribute")
    if ptype is UNKNOWN or attributes is UNKNOWN:
        tls = tls_policy("aws", UNKNOWN, "elb")
    else:
        pairs = {a.get("name"): a.get("value") for a in listed(attributes) if isinstance(a, Mapping)}
        reference = pairs.get("Reference-Security-Policy")
        if reference not in (None, ""):
            tls = tls_policy("aws", reference, "elb")
        elif UNKNOWN in pairs or UNKNOWN in pairs.values():
            tls = tls_policy("aws", UNKNOWN, "elb")
        else:
            on = [k for k, v in pairs.items() if str(v).strip().lower() == "true"]
            versions = sorted((_PROTOCOL_ATTR[k] for k in on if k in _PROTOCOL_ATTR),
                              key=list(_PROTOCOL_ATTR.values()).index)
            ciphers = [k for k in on if isinstance(k, str) and not k.startswith(_NOT_CIPHERS)]
            tls = {"policy": None, "versions": versions, "min_version": versions[0] if versions else None,
                   "ciphers": ciphers}
    attrs = {"min_version": tls.get("min_version"), "versions": tls.get("versions"), "ciphers": tls.get("ciphers"),
             "policy": tls.get("policy")}
    return [_res(raw, index, Kind.TLS_POLICY, attrs, name=_first_str(raw.get("policy_name"), raw.name))]


def _transfer_server(raw: RawResource, index: PlanIndex) -> Out:
    """A Transfer Family server's plain FTP endpoint, when ``protocols`` (default ``["SFTP"]``) offers FTP.

    FTP carries credentials and files in clear; SFTP and FTPS are encrypted by their protocol (their algorithms
    come from the server's security policy, which is not resolved here), so only FTP is an endpoint of the model.
    """
    protocols = _unset_default(raw, "protocols", ["SFTP"])
    if protocols is UNKNOWN or UNKNOWN in listed(protocols):
        return [_listener(raw, index, "ftp", 21, None, protocol=UNKNOWN)]
    if "ftp" in {str(p).lower() for p in listed(protocols)}:
        return [_listener(raw, index, "ftp", 21, None)]
    return []


_DMS_API_ENGINES = frozenset({"s3", "dynamodb", "kinesis", "kafka", "elasticsearch", "opensearch", "neptune",
                              "redis", "azure-sql-managed-instance"})
"""DMS engines reached over an AWS or vendor API rather than a database wire protocol: ``ssl_mode`` does not
apply (Redis is judged by its own ``ssl_security_protocol``)."""


def _dms_transport(raw: RawResource, index: PlanIndex) -> Mapping[str, Any]:
    """``transport`` of a DMS endpoint: SslMode ``none`` (the API default) connects without TLS."""
    engine = raw.get("engine_name")
    if engine is UNKNOWN:
        return {"transport": {"tls_required": UNKNOWN, "min_tls_version": None}}
    engine = str(engine).lower()
    if engine == "redis":
        protocol = _unset_default(raw, "redis_settings.0.ssl_security_protocol", "ssl-encryption")
        required = UNKNOWN if protocol is UNKNOWN else str(protocol or "ssl-encryption").lower() != "plaintext"
    elif engine in _DMS_API_ENGINES:
        return {}
    else:
        mode = _unset_default(raw, "ssl_mode", "none")
        required = UNKNOWN if mode is UNKNOWN else str(mode or "none").lower() != "none"
    return {"transport": {"tls_required": required, "min_tls_version": None}}


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_cloudsearch_domain": _cloudsearch,
    "aws_load_balancer_policy": _lb_policy,
    "aws_transfer_server": _transfer_server,
}
"""Types this module normalises."""

FACETS: dict[str, Callable[[RawResource, PlanIndex], Mapping[str, Any]]] = {
    "aws_dms_endpoint": _dms_transport,
}
"""In-transit attributes added to resources other tables build."""
