"""TLS-in-transit facts about AWS resources, shared by the live and Terraform sources.

Pure functions over parsed values; a value from HCL may be UNKNOWN, and every answer is then True / False /
UNKNOWN (Kleene logic), so one reading serves a plan and a live account alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture import knowledge
from posture.model import UNKNOWN
from posture.providers.aws.facts.s3_public import statements
from posture.providers.kit.values import all_of, any_of, as_int, json_document, tri

# Engine families -> (parameter that makes the server refuse non-TLS connections, values that turn it on,
# default of the engine's default parameter group: a bool, or {minimum major version: True}).
# https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/PostgreSQL.Concepts.General.SSL.html (rds.force_ssl
# defaults to 1 from PostgreSQL 15), .../mysql-ssl-connections.html and .../mariadb-ssl-connections.html
# (require_secure_transport OFF), .../SQLServer.Concepts.General.SSL.Using.html (rds.force_ssl 0),
# https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html (Aurora
# PostgreSQL rds.force_ssl defaults to 1 from version 16), .../AuroraMySQL.Security.html (OFF).
RDS_TLS_PARAMETERS: dict[str, tuple[str, frozenset[str], Any]] = {
    "postgres": ("rds.force_ssl", frozenset({"1"}), {15: True}),
    "mysql": ("require_secure_transport", frozenset({"1", "ON"}), False),
    "mariadb": ("require_secure_transport", frozenset({"1", "ON"}), False),
    "sqlserver": ("rds.force_ssl", frozenset({"1"}), False),
    "aurora-postgresql": ("rds.force_ssl", frozenset({"1"}), {16: True}),
    "aurora-mysql": ("require_secure_transport", frozenset({"1", "ON"}), False),
    # https://docs.aws.amazon.com/documentdb/latest/developerguide/security.encryption.ssl.html: tls is
    # "enabled" in the default cluster parameter group; "disabled" is the only value that accepts plain text.
    "docdb": ("tls", frozenset({"ENABLED", "TLS1.2+", "TLS1.3+", "FIPS-140-3"}), True),
}


def policy_denies_http(policy: Any) -> Any:
    """Whether a resource policy (JSON text, or from HCL an object with unknown leaves) has a Deny statement
    for requests with ``aws:SecureTransport`` false (S3, SQS and SNS all use this pattern)."""
    sts = statements(json_document(policy))
    if sts is UNKNOWN:
        return UNKNOWN
    verdict: Any = False
    for st in sts:
        if not isinstance(st, Mapping):
            verdict = UNKNOWN
            continue
        effect = st.get("Effect")
        cond = st.get("Condition") or {}
        tests = [cond.get(op) for op in ("Bool", "BoolIfExists")] if isinstance(cond, Mapping) else []
        found = [t.get("aws:SecureTransport") for t in tests if isinstance(t, Mapping)]
        values = [v for value in found for v in (value if isinstance(value, list) else [value])]
        if effect is UNKNOWN or cond is UNKNOWN or UNKNOWN in values:
            verdict = UNKNOWN
        elif effect == "Deny" and any(str(v).lower() == "false" for v in values if v is not None):
            return True
    return verdict


def policies_deny_http(policies: Iterable[Any]) -> Any:
    """True when one of the resource's policies denies aws:SecureTransport = false; False for none."""
    return any_of(policy_denies_http(p) for p in policies)


def viewer_http_redirect(policies: Iterable[Any]) -> Any:
    """Whether a CloudFront distribution's plain-HTTP side redirects to HTTPS, from the ``viewer_protocol_policy``
    of every cache behaviour: None when all are ``https-only`` (no plain-HTTP side), UNKNOWN when one is unknown."""
    policies = list(policies)
    if any(p is UNKNOWN for p in policies):
        return UNKNOWN
    if policies and all(p == "https-only" for p in policies):
        return None
    return all(p in ("redirect-to-https", "https-only") for p in policies)


def origin_tls(origin_policies: Iterable[Any], http_redirect: Any) -> Any:
    """Whether a CloudFront distribution reaches every custom origin over HTTPS.

    ``origin_policies`` holds the ``origin_protocol_policy`` of each *custom* origin (S3 and other AWS
    origins are not judged); ``http_redirect`` is whether the viewer's plain-HTTP side redirects (None when
    every behaviour is https-only). ``match-viewer`` forwards plain HTTP when viewers may use it. None when
    there is no custom origin.
    """
    verdicts = []
    for policy in origin_policies:
        if policy == "match-viewer":
            verdicts.append(UNKNOWN if http_redirect is UNKNOWN else http_redirect is not False)
        else:
            verdicts.append(policy == "https-only" if policy in ("https-only", "http-only") else UNKNOWN)
    return all_of(*verdicts) if verdicts else None


def _family(engine: str) -> str:
    return "sqlserver" if engine.startswith("sqlserver") else engine


def rds_tls_parameter(engine: str) -> str | None:
    """The parameter that makes an RDS / Aurora / DocumentDB engine refuse plain connections (None: none)."""
    entry = RDS_TLS_PARAMETERS.get(_family(engine))
    return entry[0] if entry else None


def rds_tls_required(engine: str, value: Any, engine_version: Any) -> Any:
    """Whether a server of ``engine`` refuses unencrypted connections, given the value its parameter group sets
    for :func:`rds_tls_parameter` (None: the group does not set it, so the engine's default group applies,
    which for some engines depends on the major version; UNKNOWN when that version is not known)."""
    _, on, default = RDS_TLS_PARAMETERS[_family(engine)]
    if value is not None:
        return str(value).upper() in on
    if isinstance(default, bool):
        return default
    major = as_int(engine_version.split(".")[0]) if isinstance(engine_version, str) else None
    if not isinstance(major, int):
        return UNKNOWN  # the default version changes over time
    return any(major >= v for v in default)


def search_min_tls(policy: Any) -> Any:
    """Lowest TLS version an OpenSearch / Elasticsearch domain endpoint accepts under its TLSSecurityPolicy
    (the knowledge table's ``opensearch`` family); UNKNOWN for an unknown or not yet known policy name."""
    entry = knowledge.tls_policy("aws", policy, "opensearch") if isinstance(policy, str) and policy else None
    return entry["min_version"] if entry else UNKNOWN


def msk_client_tls(client_broker: Any) -> Any:
    """Whether MSK brokers accept only TLS from clients: ClientBroker ``TLS`` (the API default when unset);
    ``TLS_PLAINTEXT`` and ``PLAINTEXT`` also accept plain text."""
    return UNKNOWN if client_broker is UNKNOWN else client_broker in (None, "", "TLS")


def redshift_tls_required(require_ssl: Any) -> Any:
    """Whether a Redshift cluster refuses plain connections, from the ``require_ssl`` value its parameter group
    sets (None: not set, the default group's value, not judged).

    https://docs.aws.amazon.com/redshift/latest/mgmt/connecting-ssl-support.html: "By default, cluster
    databases accept a connection whether it uses SSL or not". A cluster on the AWS-managed default group is
    still not judged (UNKNOWN): neither a plan nor the cluster record carries that group's effective value,
    and posture does not read default groups, so "cannot verify" is the honest answer."""
    return UNKNOWN if require_ssl is None or require_ssl is UNKNOWN else tri(str(require_ssl).lower())


def elb_backend_tls(lb_protocol: Any, instance_protocol: Any) -> Any:
    """Whether a classic load balancer listener reaches its instances over TLS.

    HTTPS/SSL to the instances is encrypted; HTTP is not, and neither is TCP behind a TLS-terminating (HTTPS/SSL)
    front end; TCP behind TCP passes the client's bytes through unchanged (TLS may end on the instances), so the
    configuration does not decide it (None). UNKNOWN when either protocol is not known yet.
    """
    if lb_protocol is UNKNOWN or instance_protocol is UNKNOWN:
        return UNKNOWN
    front, back = str(lb_protocol or "").lower(), str(instance_protocol or "").lower()
    if back in ("https", "ssl"):
        return True
    if back == "http" or front in ("https", "ssl"):
        return False
    return None
