"""AWS load balancing and TLS in a Terraform plan: load balancers, listeners, CloudFront, API domains, ACM, KMS keys."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts import transport as aws_transport
from posture.providers.aws.facts.kms import key_usage
from posture.providers.aws.terraform.common import (
    CERT_TYPES,
    LB_TYPES,
    SUBNET_TYPES,
    Out,
    _first_str,
    _protected_by,
    _res,
    _unset_default,
)
from posture.providers.kit.builders import blocks, default_tls_policy, edge, key_spec, tls_policy
from posture.providers.kit.values import as_int, tri
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block

# -- load balancing and TLS ----------------------------------------------------------------------------------
# ``access_logs.enabled`` when the block is present but does not set it (provider docs: aws_lb "defaults to
# false, even when bucket is specified"; aws_elb defaults to true).
_ACCESS_LOGS_ENABLED_DEFAULT = {"aws_lb": False, "aws_alb": False, "aws_elb": True}


def _lb_access_logs(raw: RawResource) -> Any:
    logs = block(raw, "access_logs")
    if logs is UNKNOWN:
        return False if raw.is_configured("access_logs") is False else UNKNOWN
    if not logs:
        return False
    default = _ACCESS_LOGS_ENABLED_DEFAULT[raw.type]
    enabled = logs.get("enabled")
    if enabled is UNKNOWN and raw.is_configured("access_logs.0.enabled") is False:
        enabled = default
    return tri(enabled, default)


def _lb(raw: RawResource, index: PlanIndex) -> Out:
    internal = _unset_default(raw, "internal", False)
    lb_type = "classic" if raw.type == "aws_elb" else _first_str(raw.get("load_balancer_type"), "application")
    attrs: dict[str, Any] = {
        "scheme": UNKNOWN if internal is UNKNOWN else ("internal" if internal else "internet-facing"),
        "lb_type": lb_type,
        "public_ips": [],
    }
    if lb_type != "gateway":  # gateway load balancers forward packets and have no access logs
        attrs["access_logs"] = _lb_access_logs(raw)
    sgs, sg_edges = _protected_by(index, raw, raw.address, "security_groups")
    attrs["firewalls"] = sgs
    out: Out = [_res(raw, index, Kind.LOAD_BALANCER, attrs), *sg_edges]
    out += [edge(s, raw.address, EdgeKind.CONTAINS) for s in index.targets(raw, "subnets", SUBNET_TYPES)]
    if raw.type == "aws_elb":
        out += _classic_listeners(raw, index)
    return out


def _classic_listeners(raw: RawResource, index: PlanIndex) -> Out:
    out: Out = []
    listeners = blocks(raw.values, "listener")
    if listeners is UNKNOWN:
        return out
    for i, lst in enumerate(listeners):
        proto = _first_str(lst.get("lb_protocol"), UNKNOWN)
        proto = proto.lower() if isinstance(proto, str) else proto
        port = as_int(lst.get("lb_port"))
        rid = f"{raw.address}/listener/{port}"
        tls = None
        certs: list[Any] = []
        if proto in ("https", "ssl"):
            policies = [
                p
                for p in index.referrers(raw.address, ("aws_lb_ssl_negotiation_policy",), "load_balancer")
                if as_int(p.get("lb_port")) == port
            ]
            tls = tls_policy("aws", policies[0].get("name"), "elb") if policies else default_tls_policy("aws", "elb")
            cert = index.target(raw, f"listener.{i}.ssl_certificate_id", CERT_TYPES, ("arn",))
            certs = [cert or lst.get("ssl_certificate_id")]
        attrs = {
            "protocol": proto,
            "port": port,
            "tls": tls,
            "redirects_to_https": False,
            "load_balancer": raw.address,
            "certificates": certs,
        }
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                attrs,
                rid=rid,
                name=f"{raw.name}:{port}",
                tags={},
                native_type="aws_elb.listener",
            )
        )
        out.append(edge(rid, raw.address, EdgeKind.ATTACHED_TO))
        out += [edge(rid, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    return out


def _redirects_to_https(actions: Any) -> Any:
    if actions is UNKNOWN:
        return UNKNOWN
    for a in actions or []:
        if a.get("type") == "redirect":
            redirect = block(a, "redirect")
            if redirect is UNKNOWN:
                return UNKNOWN
            return str(redirect.get("protocol", "")).upper() == "HTTPS"
    return False


def _default_listener_protocol(lb: RawResource) -> Any:
    """An unset listener protocol: HTTP on an application load balancer (the ELBv2 default; ``load_balancer_type``
    itself defaults to application), required on network and gateway load balancers (UNKNOWN)."""
    lb_type = lb.get("load_balancer_type")
    if lb_type is UNKNOWN and lb.is_configured("load_balancer_type") is not True:
        lb_type = None
    return "http" if lb_type in (None, "", "application") else UNKNOWN


def _lb_listener(raw: RawResource, index: PlanIndex) -> Out:
    protocol = raw.get("protocol")
    proto = UNKNOWN if protocol is UNKNOWN else str(protocol or "").lower() or UNKNOWN
    lb = index.target(raw, "load_balancer_arn", LB_TYPES, ("arn", "id"))
    if proto is UNKNOWN and raw.is_configured("protocol") is not True and lb:
        proto = _default_listener_protocol(index.by_address[lb])
    policy = raw.get("ssl_policy")
    tls: Any
    if proto in ("https", "tls"):
        if (policy is UNKNOWN and raw.is_configured("ssl_policy") is False) or policy in (None, ""):
            tls = default_tls_policy("aws", "elbv2")
        else:
            tls = tls_policy("aws", policy, "elbv2")
    elif proto is UNKNOWN:
        tls = UNKNOWN
    else:
        tls = None  # plain protocol: an ssl_policy name on an HTTP listener means nothing
    cert = index.target(raw, "certificate_arn", CERT_TYPES, ("arn",))
    cert_value = cert or raw.get("certificate_arn")
    certs = [cert_value] if cert_value not in (None, "") else []
    certs += [
        index.target(c, "certificate_arn", CERT_TYPES, ("arn",)) or c.get("certificate_arn")
        for c in index.referrers(raw.address, ("aws_lb_listener_certificate",), "listener_arn", ("arn",))
    ]
    attrs = {
        "protocol": proto,
        "port": as_int(raw.get("port")),
        "tls": tls,
        "redirects_to_https": _redirects_to_https(raw.get("default_action")) if proto == "http" else False,
        "load_balancer": lb or raw.get("load_balancer_arn"),
        "certificates": certs,
    }
    out: Out = [_res(raw, index, Kind.LISTENER, attrs, name=f"{raw.name}:{attrs['port']}")]
    if lb:
        out.append(edge(raw.address, lb, EdgeKind.ATTACHED_TO))
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    return out


def _cloudfront_origin_tls(raw: RawResource, http_redirect: Any) -> Any:
    """``origin_tls`` from the custom origins' protocol policies (posture.providers.aws.facts.transport)."""
    origins = blocks(raw.values, "origin")
    if origins is UNKNOWN:
        return UNKNOWN
    customs = [block(o, "custom_origin_config") for o in origins]
    policies = [UNKNOWN if c is UNKNOWN else c.get("origin_protocol_policy") for c in customs if c != {}]
    return aws_transport.origin_tls(policies, http_redirect)


def _cloudfront_access_logs(raw: RawResource, index: PlanIndex) -> Any:
    """Standard logging (legacy ``logging_config``, its bucket is required) or standard logging v2: a CloudWatch
    log delivery source of type ACCESS_LOGS for the distribution that a ``aws_cloudwatch_log_delivery`` uses."""
    legacy = block(raw, "logging_config")
    if legacy is not UNKNOWN and legacy:
        return True
    sources = [
        s
        for s in index.referrers(raw.address, ("aws_cloudwatch_log_delivery_source",), "resource_arn", ("arn",))
        if s.get("log_type") in ("ACCESS_LOGS", UNKNOWN)
    ]
    delivered = any(
        index.referrers(s.address, ("aws_cloudwatch_log_delivery",), "delivery_source_name", ("name",))
        for s in sources
    )
    return True if delivered else (UNKNOWN if legacy is UNKNOWN else False)


def _cloudfront(raw: RawResource, index: PlanIndex) -> Out:
    vc = block(raw, "viewer_certificate")
    out: Out = []
    certs: list[Any] = []
    if vc is UNKNOWN:
        tls = tls_policy("aws", UNKNOWN, "cloudfront")
    elif vc.get("cloudfront_default_certificate") is True:
        tls = tls_policy("aws", "TLSv1", "cloudfront")  # forced with the *.cloudfront.net certificate
    else:
        policy = vc.get("minimum_protocol_version")
        policy = "TLSv1" if policy in (None, "") else policy
        tls = tls_policy("aws", policy, "cloudfront")
        cert = index.target(raw, "viewer_certificate.acm_certificate_arn", CERT_TYPES, ("arn",))
        value = cert or _first_str(vc.get("acm_certificate_arn"), vc.get("iam_certificate_id"))
        if value not in (None, ""):
            certs.append(value)
    behaviours = blocks(raw.values, "default_cache_behavior")
    ordered = blocks(raw.values, "ordered_cache_behavior")
    policies = [b.get("viewer_protocol_policy") for b in (behaviours if isinstance(behaviours, list) else [])]
    policies += [b.get("viewer_protocol_policy") for b in (ordered if isinstance(ordered, list) else [])]
    http_redirect = aws_transport.viewer_http_redirect(policies)
    common = {"load_balancer": None, "certificates": certs}
    attrs = {"protocol": "https", "port": 443, "tls": tls, "redirects_to_https": False, **common}
    origin_tls = _cloudfront_origin_tls(raw, http_redirect)
    if origin_tls is not None:
        attrs["origin_tls"] = origin_tls
    attrs["access_logs"] = _cloudfront_access_logs(raw, index)
    out.append(_res(raw, index, Kind.LISTENER, attrs))
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    if http_redirect is not None:
        out.append(
            _res(
                raw,
                index,
                Kind.LISTENER,
                {"protocol": "http", "port": 80, "tls": None, "redirects_to_https": http_redirect, **common},
                rid=f"{raw.address}/http",
                name=f"{raw.name}:80",
                native_type="aws_cloudfront_distribution.http",
            )
        )
    return out


def _api_domain(raw: RawResource, index: PlanIndex) -> Out:
    """An API Gateway custom domain name: an HTTPS listener with the domain's security policy."""
    path = "security_policy" if raw.type == "aws_api_gateway_domain_name" else (
        "domain_name_configuration.0.security_policy")
    policy = raw.get(path)
    if raw.type == "aws_apigatewayv2_domain_name":
        tls = tls_policy("aws", "TLS_1_2", "apigateway")  # HTTP/WebSocket APIs accept only TLS_1_2
    elif policy in (None, "") or (policy is UNKNOWN and raw.is_configured(path) is False):
        tls = default_tls_policy("aws", "apigateway")
    else:
        tls = tls_policy("aws", policy, "apigateway")
    cert_paths = ("certificate_arn", "regional_certificate_arn", "domain_name_configuration.0.certificate_arn")
    certs = [index.target(raw, p, CERT_TYPES, ("arn",)) or raw.get(p) for p in cert_paths]
    certs = [c for c in certs if c not in (None, "")]
    attrs = {"protocol": "https", "port": 443, "tls": tls, "redirects_to_https": False, "load_balancer": None,
             "certificates": certs}
    out: Out = [_res(raw, index, Kind.LISTENER, attrs, name=_first_str(raw.get("domain_name"), raw.name))]
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if isinstance(c, str) and c in index.by_address]
    return out


def _acm(raw: RawResource, index: PlanIndex) -> Out:
    algo = raw.get("key_algorithm")
    if algo is UNKNOWN and raw.is_configured("key_algorithm") is False:
        algo = "RSA_2048"  # ACM's documented default for requested certificates
    spec = key_spec("aws", algo)
    if spec["algorithm"] is UNKNOWN and isinstance(algo, str):
        spec = _acm_spec(algo)
    domains = [raw.get("domain_name")]
    sans = raw.get("subject_alternative_names")
    domains += list(sans) if isinstance(sans, list) else []
    attrs = {
        "key_algorithm": spec["algorithm"],
        "key_bits": spec["bits"],
        "domains": [d for d in dict.fromkeys(domains) if isinstance(d, str) and d],
        "managed": not raw.is_configured("certificate_body") and raw.get("certificate_body") in (None, UNKNOWN),
        "not_after": raw.get("not_after") if isinstance(raw.get("not_after"), str) else UNKNOWN,
    }
    return [_res(raw, index, Kind.CERTIFICATE, attrs, name=raw.get("domain_name"))]


def _acm_spec(algo: str) -> dict[str, Any]:
    """ACM key_algorithm names: RSA_2048, EC_prime256v1, EC_secp384r1 ..."""
    if algo.startswith("RSA_") and algo[4:].isdigit():
        return {"algorithm": "RSA", "bits": int(algo[4:])}
    curves = {"EC_prime256v1": 256, "EC_secp384r1": 384, "EC_secp521r1": 521}
    if algo in curves:
        return {"algorithm": "EC", "bits": curves[algo]}
    return {"algorithm": UNKNOWN, "bits": UNKNOWN}


def _kms_key(raw: RawResource, index: PlanIndex) -> Out:
    spec_name = raw.get("customer_master_key_spec")
    if spec_name in (None, ""):
        spec_name = raw.get("key_spec")
    if spec_name in (None, "") or (spec_name is UNKNOWN and raw.is_configured("customer_master_key_spec") is False):
        spec_name = "SYMMETRIC_DEFAULT"
    spec = key_spec("aws", spec_name)  # the knowledge table (posture/knowledge/key_specs.yaml)
    rotation = raw.get("enable_key_rotation")
    enabled = tri(rotation, False)
    period = as_int(raw.get("rotation_period_in_days"))
    if enabled is True and period is UNKNOWN and raw.is_configured("rotation_period_in_days") is False:
        period = 365  # AWS KMS default rotation period
    usage = raw.get("key_usage")
    attrs = {
        "manager": "customer",
        "algorithm": spec["algorithm"],
        "bits": spec["bits"],
        "usage": UNKNOWN if usage is UNKNOWN else key_usage(usage),
        # KMS rotates only symmetric encryption keys automatically
        # (https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html).
        "rotation": {"enabled": enabled, "period_days": period if enabled is not False else None,
                     "supported": spec_name == "SYMMETRIC_DEFAULT" if isinstance(spec_name, str) else UNKNOWN},
        "enabled": tri(raw.get("is_enabled"), True),
        "expires": None,
        "protection": "hsm" if raw.get("custom_key_store_id") not in (None, "", UNKNOWN) else None,
    }
    return [_res(raw, index, Kind.KEY, attrs, name=_first_str(raw.get("description"), raw.name))]
