"""Collection tasks for the traffic edge: ELBv2, classic ELB, ACM, CloudFront."""

from __future__ import annotations

from typing import Any

from posture.providers.aws.reader import Reader
from posture.providers.aws.session import SessionSpec
from posture.providers.aws.tasks_data import chunked

ACM_KEY_TYPES = ["RSA_1024", "RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
"""list_certificates returns only RSA_2048 certificates unless asked for every key type."""

TLS_LISTENER_PROTOCOLS = ("HTTPS", "SSL", "TLS")


def elbv2(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Application/network load balancers; listeners in :func:`elbv2_listeners`; live SSL policies."""
    r = Reader(spec, account, region, "elbv2", "elbv2")
    lbs = r.pages("describe_load_balancers", "LoadBalancers")
    r.put("elbv2.load_balancer", lbs)
    chunked(r, "elbv2_listeners", "lb_arns", [lb["LoadBalancerArn"] for lb in lbs or []])
    if lbs:  # the policy catalogue is only needed to resolve listeners
        r.put("elbv2.ssl_policy", r.pages("describe_ssl_policies", "SslPolicies"))
    return r.result()


def elbv2_listeners(spec: SessionSpec, account: str, region: str, lb_arns: list[str]) -> dict[str, Any]:
    """describe_listeners per load balancer (the API takes one load balancer per call)."""
    r = Reader(spec, account, region, "elbv2", "elbv2_listeners")
    for arn in lb_arns:
        r.put("elbv2.listener", r.pages("describe_listeners", "Listeners", LoadBalancerArn=arn, target=arn))
    return r.result()


def elb(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Classic load balancers, and the SSL negotiation policies of their HTTPS/SSL listeners."""
    r = Reader(spec, account, region, "elb", "elb")
    lbs = r.pages("describe_load_balancers", "LoadBalancerDescriptions")
    for lb in lbs or []:
        names = sorted({p for d in lb.get("ListenerDescriptions", [])
                        if d["Listener"]["Protocol"].upper() in TLS_LISTENER_PROTOCOLS
                        for p in d.get("PolicyNames", [])})
        if not names:
            continue
        got = r.call("describe_load_balancer_policies", LoadBalancerName=lb["LoadBalancerName"], PolicyNames=names,
                     target=lb["LoadBalancerName"])
        if got is None:
            lb["_unread"] = ["policies"]
        else:
            lb["Policies"] = got.get("PolicyDescriptions", [])
    r.put("elb.load_balancer", lbs)
    return r.result()


def acm(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Certificates; the list summary carries key algorithm and expiry, so describe only when it does not."""
    r = Reader(spec, account, region, "acm", "acm")
    certs = r.pages("list_certificates", "CertificateSummaryList", Includes={"keyTypes": ACM_KEY_TYPES})
    for cert in certs or []:
        if "KeyAlgorithm" in cert and "NotAfter" in cert:
            continue
        got = r.call("describe_certificate", CertificateArn=cert["CertificateArn"], target=cert["CertificateArn"])
        if got is not None:
            cert.update(got.get("Certificate", {}))
    r.put("acm.certificate", certs)
    return r.result()


def cloudfront(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Distributions: viewer certificate, behaviours and origins are all in the list summary.

    moto's summary carries none of them; only then is get_distribution read for the configuration (never
    against real CloudFront, whose DistributionSummary always has Origins)."""
    r = Reader(spec, account, region, "cloudfront", "cloudfront")
    dists = r.pages("list_distributions", "DistributionList.Items")
    for d in dists or []:
        if "Origins" in d:
            continue
        got = r.call("get_distribution", Id=d["Id"], target=d.get("ARN", d["Id"]))
        if got is None:
            d["_unread"] = ["config"]
        else:
            config = (got.get("Distribution") or {}).get("DistributionConfig") or {}
            d.update({k: v for k, v in config.items() if k not in d})
    r.put("cloudfront.distribution", dists)
    return r.result()
