"""AWS encryption in transit of a Terraform plan beyond load balancers and data stores (docs/model.md).

Endpoints a service terminates are ``listener`` resources (CloudSearch domains, Transfer Family FTP); a
classic load balancer policy is a ``tls_policy``; a DMS endpoint's connection TLS is the ``transport`` of the
``connection`` store its at-rest row builds (a facet). Connections a service makes to another are ``connection``
resources: a classic load balancer's leg to its instances, an ECS task's EFS volumes, an SES configuration set's
mail delivery, a Glue connection. TLS versions come from posture/knowledge/tls_policies.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.facts import transport as aws_transport
from posture.providers.aws.terraform.common import Out, _first_str, _res, _unset_default
from posture.providers.kit.builders import blocks, default_tls_policy, listed, tls_policy
from posture.providers.kit.values import as_int
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

    EnforceHTTPS defaults to false and TLSSecurityPolicy to the TLS 1.0 policy (the API's defaults, which the
    provider leaves to the API when ``endpoint_options`` is unset).
    """
    options = block(raw, "endpoint_options")
    if options is UNKNOWN and raw.is_configured("endpoint_options") is False:
        options = {}
    if options is UNKNOWN:
        return [_listener(raw, index, "https", 443, tls_policy("aws", UNKNOWN, "cloudsearch"))]
    policy = options.get("tls_security_policy")
    if policy is UNKNOWN and raw.is_configured("endpoint_options.0.tls_security_policy") is False:
        policy = None
    # unset: the family's documented default (knowledge/tls_policies.yaml, cloudsearch)
    tls = default_tls_policy("aws", "cloudsearch") if policy in (None, "") else tls_policy("aws", policy, "cloudsearch")
    if isinstance(tls.get("policy"), str):  # a minimum-version setting, not a policy with configurable suites
        tls["policy"], tls["setting"] = None, tls["policy"]
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


def _connection(raw: RawResource, index: PlanIndex, rid: str, tls: Any, protocol: Any, target: Any,
                name: str) -> Any:
    attrs = {"transport": {"tls_required": tls, "min_tls_version": None}, "protocol": protocol, "target": target}
    return _res(raw, index, Kind.CONNECTION, attrs, rid=rid, name=name,
                native_type=raw.type if rid == raw.address else f"{raw.type}.connection", tags={})


def elb_backends(raw: RawResource, index: PlanIndex) -> Out:
    """A classic load balancer listener's leg to its instances (``instance_protocol``).

    HTTP, or TCP behind a TLS-terminating (SSL/HTTPS) front end, reaches the instances in clear; HTTPS/SSL is
    encrypted; TCP behind TCP passes the client's bytes through (TLS may end on the instances): not decided
    (posture.providers.aws.facts.transport.elb_backend_tls, shared with the live source).
    """
    listeners = blocks(raw.values, "listener")
    out: Out = []
    for lst in listed(listeners) if listeners is not UNKNOWN else []:
        if not isinstance(lst, Mapping):
            continue
        back = lst.get("instance_protocol")
        port = as_int(lst.get("lb_port"))
        tls = aws_transport.elb_backend_tls(lst.get("lb_protocol"), back)
        name = _first_str(raw.get("name"), raw.name)
        out.append(_connection(raw, index, f"{raw.address}/listener/{port}/backend", tls,
                               str(back).lower() if isinstance(back, str) else UNKNOWN, "instances",
                               f"{name}:{port} -> instances"))
    return out


def _ecs_task_definition(raw: RawResource, index: PlanIndex) -> Out:
    """A task definition's EFS volumes: ``transit_encryption`` ENABLED mounts over TLS (DISABLED by default)."""
    volumes = blocks(raw.values, "volume")
    out: Out = []
    for i, volume in enumerate(listed(volumes) if volumes is not UNKNOWN else []):
        efs = block(volume, "efs_volume_configuration") if isinstance(volume, Mapping) else None
        if not efs:
            continue
        if efs is UNKNOWN:
            tls: Any = UNKNOWN
        else:
            mode = efs.get("transit_encryption")
            tls = UNKNOWN if mode is UNKNOWN else str(mode or "DISABLED").upper() == "ENABLED"
        vname = volume.get("name") if isinstance(volume.get("name"), str) else str(i)
        target = index.ref_or_value(raw, f"volume.{i}.efs_volume_configuration.0.file_system_id",
                                    ("aws_efs_file_system",))
        out.append(_connection(raw, index, f"{raw.address}/volume/{vname}", tls, "nfs", target,
                               f"{_first_str(raw.get('family'), raw.name)} volume {vname}"))
    return out


def _ses_configuration_set(raw: RawResource, index: PlanIndex) -> Out:
    """Mail delivery of an SES configuration set: TLS only with ``delivery_options.tls_policy = Require``.

    The default (``Optional``) delivers in clear to a receiving server that does not offer STARTTLS.
    """
    policy = _unset_default(raw, "delivery_options.0.tls_policy", "Optional")
    tls = UNKNOWN if policy is UNKNOWN else str(policy or "Optional").lower() == "require"
    return [_connection(raw, index, f"{raw.address}/delivery", tls, "smtp", "recipient mail servers",
                        f"{_first_str(raw.get('name'), raw.name)} delivery")]


def _glue_connection(raw: RawResource, index: PlanIndex) -> Out:
    """A Glue JDBC connection: SSL only with ``JDBC_ENFORCE_SSL = "true"`` (false by default).

    Other connection types (network, Kafka, MongoDB, marketplace) are not judged here.
    """
    ctype = _unset_default(raw, "connection_type", "JDBC")
    props = raw.get("connection_properties")
    if ctype is UNKNOWN:
        tls: Any = UNKNOWN
    elif str(ctype or "JDBC").upper() != "JDBC":
        tls = None
    elif props is UNKNOWN or (isinstance(props, Mapping) and props.get("JDBC_ENFORCE_SSL") is UNKNOWN):
        tls = UNKNOWN
    else:
        tls = str((props or {}).get("JDBC_ENFORCE_SSL", "false")).strip().lower() == "true"
    url = props.get("JDBC_CONNECTION_URL") if isinstance(props, Mapping) else None
    return [_connection(raw, index, raw.address, tls, "jdbc" if tls is not None else ctype,
                        url if isinstance(url, str) else None, _first_str(raw.get("name"), raw.name))]


NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_ecs_task_definition": _ecs_task_definition,
    "aws_ses_configuration_set": _ses_configuration_set,
    "aws_glue_connection": _glue_connection,
    "aws_cloudsearch_domain": _cloudsearch,
    "aws_load_balancer_policy": _lb_policy,
}
"""Types this module normalises."""

PARTS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "aws_transfer_server": _transfer_server,
}
"""Endpoints added to types another table normalises (a Transfer Family server is a service of the exposure
table; its FTP endpoint is a listener part)."""

def _monitoring_job_transport(raw: RawResource, index: PlanIndex) -> Mapping[str, Any]:
    """Traffic between the instances of a SageMaker monitoring job: encrypted only with
    ``enable_inter_container_traffic_encryption`` (off by default); a one-instance job has no such traffic."""
    count = as_int(_unset_default(raw, "job_resources.0.cluster_config.0.instance_count", 1))
    flag = _unset_default(raw, "network_config.0.enable_inter_container_traffic_encryption", False)
    if count is UNKNOWN:
        in_cluster: Any = UNKNOWN
    elif not isinstance(count, int) or count < 2:
        in_cluster = None
    else:
        in_cluster = UNKNOWN if flag is UNKNOWN else bool(flag) and str(flag).lower() != "false"
    return {"transport": {"tls_required": None, "min_tls_version": None, "in_cluster_tls": in_cluster}}


FACETS: dict[str, Callable[[RawResource, PlanIndex], Mapping[str, Any]]] = {
    "aws_dms_endpoint": _dms_transport,
    "aws_sagemaker_data_quality_job_definition": _monitoring_job_transport,
}
"""In-transit attributes added to resources other tables build."""
