"""GCP KMS keys, certificates, SSL policies and target proxies of a Terraform plan."""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.gcp.facts import kms as gcp_kms
from posture.providers.gcp.terraform.common import _LINK_ATTRS, CERT_TYPES, Out, _res
from posture.providers.kit.builders import default_tls_policy, edge, gcp_ssl_policy, key_spec, listed, mapping, str_list
from posture.providers.kit.values import as_int, duration_days
from posture.providers.terraform.plan_index import PlanIndex, RawResource
from posture.providers.terraform.resource import block


# -- keys and TLS --------------------------------------------------------------------------------------------
def _crypto_key(raw: RawResource, index: PlanIndex) -> Out:
    period = duration_days(raw.get("rotation_period"))
    template = block(raw, "version_template")
    algo = template.get("algorithm") if isinstance(template, dict) and template else None
    if algo in (None, "") and raw.get("purpose") in (None, "ENCRYPT_DECRYPT"):
        algo = "GOOGLE_SYMMETRIC_ENCRYPTION"
    spec = key_spec("gcp", algo) if isinstance(algo, str) else None
    purpose = raw.get("purpose")
    protection = template.get("protection_level") if isinstance(template, dict) and template else "SOFTWARE"
    attrs = {
        "manager": "customer",
        "algorithm": spec.get("algorithm") if spec else UNKNOWN,
        "bits": spec.get("bits") if spec else UNKNOWN,
        "usage": UNKNOWN if purpose is UNKNOWN else gcp_kms.key_usage(purpose),
        # Cloud KMS rotates only symmetric encryption keys automatically
        # (https://cloud.google.com/kms/docs/key-rotation#automatic_rotation).
        "rotation": {"enabled": UNKNOWN if period is UNKNOWN else period is not None, "period_days": period,
                     "supported": UNKNOWN if purpose is UNKNOWN
                     else (purpose or gcp_kms.DEFAULT_PURPOSE) in gcp_kms.AUTO_ROTATION_PURPOSES},
        "enabled": True,
        "expires": None,
        "protection": UNKNOWN if protection is UNKNOWN else gcp_kms.protection(protection),
    }
    return [_res(raw, index, Kind.KEY, attrs)]


def _policy_tls(raw: RawResource) -> dict[str, Any]:
    profile = raw.get("profile")
    if (profile is UNKNOWN and raw.is_configured("profile") is False) or profile in (None, ""):
        profile = "COMPATIBLE"
    minimum = raw.get("min_tls_version")
    if (minimum is UNKNOWN and raw.is_configured("min_tls_version") is False) or minimum in (None, ""):
        minimum = "TLS_1_0"
    features = raw.get("custom_features")
    tls = gcp_ssl_policy(profile, minimum, features if isinstance(features, list) and features else None)
    tls["profile"] = profile
    return tls


def _ssl_policy(raw: RawResource, index: PlanIndex) -> Out:
    tls = _policy_tls(raw)
    attrs = {
        "min_version": tls["min_version"],
        "versions": tls["versions"],
        "ciphers": tls["ciphers"],
        "profile": tls["profile"],
    }
    return [_res(raw, index, Kind.TLS_POLICY, attrs)]


def _target_proxy(raw: RawResource, index: PlanIndex) -> Out:
    policies = index.targets(raw, "ssl_policy", ("google_compute_ssl_policy",), _LINK_ATTRS)
    value = raw.get("ssl_policy")
    if policies:
        tls = _policy_tls(index.by_address[policies[0]])
        tls["policy"] = policies[0]
    elif value in (None, "") or (value is UNKNOWN and raw.is_configured("ssl_policy") is False):
        tls = default_tls_policy("gcp", "gcp_ssl_policy")
    else:
        tls = {"policy": value, "min_version": UNKNOWN, "versions": UNKNOWN, "ciphers": UNKNOWN}
    tls.pop("profile", None)
    certs = index.targets(raw, "ssl_certificates", CERT_TYPES, _LINK_ATTRS)
    if not certs:
        certs = [c for c in listed(str_list(raw.get("ssl_certificates"))) if isinstance(c, str)]
    rules = index.referrers(
        raw.address, ("google_compute_global_forwarding_rule", "google_compute_forwarding_rule"), "target", _LINK_ATTRS
    )
    port: Any = 443 if raw.type == "google_compute_target_https_proxy" else None
    if rules:
        pr = rules[0].get("port_range")
        port = UNKNOWN if pr is UNKNOWN else (as_int(str(pr).split("-")[0]) if pr not in (None, "") else port)
    attrs = {
        "protocol": "https" if raw.type == "google_compute_target_https_proxy" else "tls",
        "port": port,
        "tls": tls,
        "redirects_to_https": False,
        "load_balancer": None,
        "certificates": certs,
    }
    out: Out = [_res(raw, index, Kind.LISTENER, attrs)]
    out += [edge(raw.address, p, EdgeKind.USES_POLICY) for p in policies]
    out += [edge(raw.address, c, EdgeKind.SERVES_TLS) for c in certs if c in index.by_address]
    return out


def _certificate(raw: RawResource, index: PlanIndex) -> Out:
    managed = raw.type == "google_compute_managed_ssl_certificate"
    domains = str_list(mapping(block(raw, "managed")).get("domains")) if managed else UNKNOWN
    attrs = {
        "key_algorithm": UNKNOWN,  # chosen by Google for managed certificates; not in the plan for uploaded ones
        "key_bits": UNKNOWN,
        "domains": domains,
        "managed": managed,
        "not_after": raw.get("expire_time") if isinstance(raw.get("expire_time"), str) else UNKNOWN,
    }
    return [_res(raw, index, Kind.CERTIFICATE, attrs)]
