"""Load balancers, listeners, certificates and CloudFront -> load_balancer, listener, certificate."""

from __future__ import annotations

from typing import Any

from posture import knowledge
from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts import transport as aws_transport
from posture.providers.aws.norm_common import Index, Out, arn, ec2_arn, tls_from_knowledge, tls_from_live
from posture.providers.kit.pem import certificate_facts

TLS_PROTOCOLS = ("https", "tls", "ssl")


def _serves(out: Out, listener: str, certs: list[str]) -> None:
    for cert in certs:
        if ":acm:" in cert or ":server-certificate/" in cert:
            out.edge(listener, cert, EdgeKind.SERVES_TLS)


def _lb_common(out: Out, lb: dict[str, Any], rid: str, lb_type: str, subnets: list[str], sgs: list[str],
               name: str) -> None:
    sg_ids = [ec2_arn(lb, "security-group", g) for g in sgs]
    attrs = {"scheme": lb.get("Scheme"), "lb_type": lb_type, "public_ips": [], "firewalls": sg_ids}
    out.add(lb, rid, Kind.LOAD_BALANCER, f"{'elb' if lb_type == 'classic' else 'elbv2'}.load_balancer", attrs,
            name=name)
    for sn in subnets:
        out.edge(ec2_arn(lb, "subnet", sn), rid, EdgeKind.CONTAINS)
    for sg in sg_ids:
        out.edge(rid, sg, EdgeKind.PROTECTED_BY)


def _redirects_to_https(actions: list[dict[str, Any]]) -> bool:
    return any(a.get("Type") == "redirect" and (a.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
               for a in actions)


def elbv2(idx: Index, out: Out) -> None:
    """ALB/NLB and listeners. ``Protocol`` decides first: a plain listener has no TLS whatever policy
    name it carries (moto reports one on HTTP listeners). Policies resolve through the live
    describe_ssl_policies answer, then the knowledge table."""
    live = {(p["_account"], p["_region"], p["Name"]): p for p in idx.records("elbv2.ssl_policy")}
    for lb in idx.records("elbv2.load_balancer"):
        _lb_common(out, lb, lb["LoadBalancerArn"], lb.get("Type", "application"),
                   [z["SubnetId"] for z in lb.get("AvailabilityZones", []) if z.get("SubnetId")],
                   lb.get("SecurityGroups", []), lb.get("LoadBalancerName", ""))
    for ls in idx.records("elbv2.listener"):
        rid = ls["ListenerArn"]
        proto = str(ls.get("Protocol", "")).lower()
        tls: Any = None
        if proto in TLS_PROTOCOLS:
            policy = str(ls.get("SslPolicy") or "")
            found = live.get((ls["_account"], ls["_region"], policy))
            tls = (tls_from_live(policy, found.get("SslProtocols", []), [c["Name"] for c in found.get("Ciphers", [])])
                   if found else None) or tls_from_knowledge(policy or None, "elbv2")
        certs = [c["CertificateArn"] for c in ls.get("Certificates", []) if c.get("CertificateArn")]
        attrs = {"protocol": proto, "port": ls.get("Port"), "tls": tls,
                 "redirects_to_https": proto == "http" and _redirects_to_https(ls.get("DefaultActions", [])),
                 "load_balancer": ls.get("LoadBalancerArn"), "certificates": certs}
        out.add(ls, rid, Kind.LISTENER, "elbv2.listener", attrs, name=f"{rid.split('/')[-3]}:{ls.get('Port')}")
        out.edge(rid, ls.get("LoadBalancerArn"), EdgeKind.ATTACHED_TO)
        _serves(out, rid, certs)


def _classic_tls(lb: dict[str, Any], names: list[str]) -> Any:
    """TLS of a classic HTTPS/SSL listener from its SSL negotiation policy attributes."""
    if "policies" in lb.get("_unread", []):
        return {"policy": UNKNOWN, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    for pol in lb.get("Policies", []):
        if pol.get("PolicyName") not in names or pol.get("PolicyTypeName", "SSLNegotiationPolicyType") \
                != "SSLNegotiationPolicyType":
            continue
        values = {a["AttributeName"]: a.get("AttributeValue") for a in pol.get("PolicyAttributeDescriptions", [])}
        reference = values.get("Reference-Security-Policy")
        on = [k for k, v in values.items() if str(v).lower() == "true"]
        protocols = [k for k in on if k.startswith("Protocol-")]
        ciphers = [k for k in on if not k.startswith("Protocol-") and k != "Server-Defined-Cipher-Order"]
        return tls_from_live(reference or pol["PolicyName"], protocols, ciphers) \
            or tls_from_knowledge(reference or pol["PolicyName"], "elb")
    return tls_from_knowledge(None, "elb")  # no negotiation policy: the documented default applies


def elb(idx: Index, out: Out) -> None:
    """Classic load balancers and their listeners."""
    for lb in idx.records("elb.load_balancer"):
        name = lb["LoadBalancerName"]
        rid = arn("elasticloadbalancing", lb["_region"], lb["_account"], f"loadbalancer/{name}")
        _lb_common(out, lb, rid, "classic", lb.get("Subnets", []), lb.get("SecurityGroups", []), name)
        for desc in lb.get("ListenerDescriptions", []):
            ls = desc["Listener"]
            proto = str(ls.get("Protocol", "")).lower()
            port = ls.get("LoadBalancerPort")
            lid = f"{rid}/listener/{port}"
            certs = [ls["SSLCertificateId"]] if ls.get("SSLCertificateId") else []
            attrs = {"protocol": proto, "port": port,
                     "tls": _classic_tls(lb, desc.get("PolicyNames", [])) if proto in TLS_PROTOCOLS else None,
                     "redirects_to_https": False, "load_balancer": rid, "certificates": certs}
            out.add(lb, lid, Kind.LISTENER, "elb.listener", attrs, name=f"{name}:{port}")
            out.edge(lid, rid, EdgeKind.ATTACHED_TO)
            _serves(out, lid, certs)
            back = str(ls.get("InstanceProtocol", "")).lower() or None
            backend = {"transport": {"tls_required": aws_transport.elb_backend_tls(proto, back),
                                     "min_tls_version": None}, "protocol": back, "target": "instances"}
            out.add(lb, f"{lid}/backend", Kind.CONNECTION, "elb.listener.backend", backend,
                    name=f"{name}:{port} -> instances")


def _acm_spec(value: str | None) -> dict[str, Any]:
    # list_certificates spells RSA_2048 / EC_prime256v1; describe_certificate spells RSA-2048 / EC-prime256v1
    spec = knowledge.key_spec("aws", (value or "").replace("-", "_"), "acm") if value else None
    return spec or {"algorithm": UNKNOWN, "bits": UNKNOWN}


def acm(idx: Index, out: Out) -> None:
    """ACM certificates: key algorithm and size, expiry, domains."""
    for c in idx.records("acm.certificate"):
        spec = _acm_spec(c.get("KeyAlgorithm"))
        sans = c.get("SubjectAlternativeNameSummaries") or c.get("SubjectAlternativeNames") or []
        domains = [c.get("DomainName"), *sans]
        attrs = {"key_algorithm": spec["algorithm"], "key_bits": spec["bits"],
                 "signature_algorithm": c.get("SignatureAlgorithm"), "not_after": c.get("NotAfter", UNKNOWN),
                 "domains": [d for d in dict.fromkeys(domains) if d], "managed": c.get("Type") == "AMAZON_ISSUED",
                 "status": c.get("Status"), "in_use": c.get("InUse")}
        out.add(c, c["CertificateArn"], Kind.CERTIFICATE, "acm.certificate", attrs, name=c.get("DomainName"))


def iam_server_certificates(idx: Index, out: Out) -> None:
    """IAM server certificates: key, signature hash and expiry from the uploaded body (IAM never renews them)."""
    for c in idx.records("iam.server_certificate"):
        facts = certificate_facts(c.get("CertificateBody"))
        if facts["not_after"] is UNKNOWN and c.get("Expiration"):
            facts["not_after"] = c["Expiration"]  # the reader keeps times as ISO text
        out.add(c, c["Arn"], Kind.CERTIFICATE, "iam.server_certificate", {**facts, "managed": False},
                name=c.get("ServerCertificateName"), region="")


def cloudfront(idx: Index, out: Out) -> None:
    """Distributions: the viewer-side HTTPS listener (minimum protocol version) and, unless every
    behaviour is https-only, the plain-HTTP side and whether it redirects."""
    for d in idx.records("cloudfront.distribution"):
        rid = d["ARN"]
        vc = d.get("ViewerCertificate") or {}
        certs = [vc["ACMCertificateArn"]] if vc.get("ACMCertificateArn") else []
        own_cert = certs or vc.get("IAMCertificateId")  # moto also reports CloudFrontDefaultCertificate true
        if not own_cert and vc.get("CloudFrontDefaultCertificate", True):
            tls = tls_from_knowledge("TLSv1", "cloudfront")  # forced with the *.cloudfront.net certificate
        else:
            tls = tls_from_knowledge(vc.get("MinimumProtocolVersion") or "TLSv1", "cloudfront")
        common = {"load_balancer": None, "certificates": certs, "domain": d.get("DomainName")}
        behaviours = [d.get("DefaultCacheBehavior") or {}, *list((d.get("CacheBehaviors") or {}).get("Items") or [])]
        policies = [b.get("ViewerProtocolPolicy", "allow-all") for b in behaviours]
        http_redirect = aws_transport.viewer_http_redirect(policies)
        attrs = {"protocol": "https", "port": 443, "tls": tls, "redirects_to_https": False, **common}
        if "config" in d.get("_unread", ()):
            attrs["origin_tls"] = UNKNOWN
        else:
            customs = [o["CustomOriginConfig"] for o in (d.get("Origins") or {}).get("Items") or []
                       if o.get("CustomOriginConfig")]
            origin = aws_transport.origin_tls([c.get("OriginProtocolPolicy") for c in customs], http_redirect)
            if origin is not None:
                attrs["origin_tls"] = origin
        out.add(d, rid, Kind.LISTENER, "cloudfront.distribution", attrs, name=d.get("DomainName") or d["Id"],
                region="global")
        _serves(out, rid, certs)
        if http_redirect is not None:
            out.add(d, f"{rid}/http", Kind.LISTENER, "cloudfront.distribution.http",
                    {"protocol": "http", "port": 80, "tls": None, "redirects_to_https": http_redirect, **common},
                    name=f"{d.get('DomainName') or d['Id']}:80", region="global")
