"""AWS service-level exposure in Terraform: endpoints open to every network and grants to anyone.

Types another table already normalises get a facet (``network_public`` from the knowledge table, ``public_grant``
from their resource policies or shares); the types judged only for exposure become ``service`` resources.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.aws.facts.s3_public import policy_grants_anyone
from posture.providers.aws.terraform.common import SUBNET_TYPES, Out, _res
from posture.providers.kit.builders import listed, mapping, rule, str_list
from posture.providers.kit.exposure import network_public, network_types, public_grant
from posture.providers.kit.ports import port_range
from posture.providers.kit.values import any_of, json_document, tri, unless
from posture.providers.terraform.dispatch import Facet, Normaliser
from posture.providers.terraform.plan_index import PlanIndex, RawResource


def _network(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    return network_public(raw.type, raw.get, raw.is_configured)


def _policies(raw: RawResource, holders: Iterable[RawResource], attr: str = "policy") -> list[tuple[str, Any]]:
    """(what, grants to anyone) for the resource's own policy attribute and its separate policy resources."""
    docs = [(h.address, h.get("policy")) for h in holders]
    if not (raw.get(attr) is UNKNOWN and raw.is_configured(attr) is False):
        docs.append((f"{raw.address}.{attr}", raw.get(attr)))
    return [(f"{what}: a statement allows anyone", policy_grants_anyone(json_document(doc)))
            for what, doc in docs if doc not in (None, "")]


def _policy_facet(types: tuple[str, ...], path: str, literal: tuple[str, ...]) -> Facet:
    def facet(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
        return public_grant(_policies(raw, index.referrers(raw.address, types, path, literal)))
    return facet


def _shared_with_all(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """RDS snapshots: ``shared_accounts`` naming ``all`` makes the snapshot public (any account may restore it)."""
    accounts = str_list(raw.get("shared_accounts"))
    if accounts is UNKNOWN:
        return public_grant([(f"{raw.address}.shared_accounts", UNKNOWN)])
    return public_grant((f"{raw.address}.shared_accounts = all", UNKNOWN if a is UNKNOWN else a.lower() == "all")
                        for a in accounts)


def _service(service_type: str, attrs: Any) -> Normaliser:
    def normalise(raw: RawResource, index: PlanIndex) -> Out:
        return [_res(raw, index, Kind.SERVICE, {"service_type": service_type, **attrs(raw, index)})]
    return normalise


def _own_policy(attr: str) -> Any:
    return lambda raw, index: public_grant(_policies(raw, (), attr))


def _lambda_permission(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """A permission for principal ``*`` with nothing pinning the caller (no source ARN, account or organisation,
    and not a function URL that requires IAM authentication) lets anyone invoke the function."""
    principal = raw.get("principal")
    pinned = [raw.get(k) for k in ("source_arn", "source_account", "principal_org_id")]
    if raw.get("function_url_auth_type") == "AWS_IAM":
        pinned.append("AWS_IAM")  # the URL still demands a signed request from an IAM principal
    if principal is UNKNOWN:
        anyone: Any = UNKNOWN
    else:
        anyone = principal == "*" and not any(isinstance(p, str) and p for p in pinned)
        if anyone and UNKNOWN in pinned:
            anyone = UNKNOWN
    return public_grant([(f"{raw.address}: principal * without source_arn, source_account or principal_org_id",
                          anyone)])


def _function_url(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    auth = raw.get("authorization_type")
    open_ = UNKNOWN if auth is UNKNOWN else str(auth).upper() == "NONE"
    return public_grant([(f"{raw.address}: authorization_type NONE (anyone may call the URL)", open_)])


def _ssm_document(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    perms = raw.get("permissions")
    if perms is UNKNOWN:
        return public_grant([(f"{raw.address}.permissions", UNKNOWN)])
    perms = mapping(perms)
    shared = perms.get("type")
    accounts = perms.get("account_ids")
    if UNKNOWN in (shared, accounts):
        granted: Any = UNKNOWN
    else:
        ids = [a.strip().lower() for a in str(accounts or "").split(",")]
        granted = str(shared or "").lower() == "share" and "all" in ids
    return public_grant([(f"{raw.address}.permissions: shared with All accounts", granted)])


def _ami_permission(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    group = raw.get("group")
    public = UNKNOWN if group is UNKNOWN else str(group or "").lower() == "all"
    return public_grant([(f"{raw.address}: launch permission for group all (a public image)", public)])


def _private_api(raw: RawResource, index: PlanIndex) -> Any:
    """Whether the method's REST API (in the code) has only a PRIVATE endpoint (reached through VPC endpoints)."""
    api = index.target(raw, "rest_api_id", ("aws_api_gateway_rest_api",))
    if api is None:
        return False
    types = index.by_address[api].get("endpoint_configuration.0.types")
    if types is UNKNOWN:
        return UNKNOWN
    return bool(types) and all(str(t).upper() == "PRIVATE" for t in listed(types))


def _api_method(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """A method with authorization NONE and no API key lets anyone reach its back end (CORS preflight aside),
    unless its REST API is private."""
    auth, key, method = raw.get("authorization"), raw.get("api_key_required"), raw.get("http_method")
    private = _private_api(raw, index)
    if UNKNOWN in (auth, key, method):
        open_: Any = UNKNOWN
    else:
        open_ = str(auth).upper() == "NONE" and key is not True and str(method).upper() != "OPTIONS"
        if open_ and private is not False:
            open_ = False if private is True else UNKNOWN
    return public_grant([(f"{raw.address}: {method} with authorization NONE and no API key", open_)])


def _ecs_service(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """Tasks of a service with ``assign_public_ip`` get a public address each (unknown before launch)."""
    assign = raw.get("network_configuration.0.assign_public_ip")
    if assign is UNKNOWN and raw.is_configured("network_configuration.0.assign_public_ip") is not False:
        return {"public_ips": UNKNOWN}
    return {"public_ips": [UNKNOWN] if assign is True else []}


def _access_point(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """An access point policy for anyone is public unless the access point's public access block (all settings
    default true) blocks or restricts public policies, or the access point is reachable from one VPC only."""
    grants = _policies(raw, index.referrers(raw.address, ("aws_s3control_access_point_policy",), "access_point_arn",
                                            ("arn",)))
    pab = raw.get("public_access_block_configuration")
    if raw.get("vpc_configuration.0.vpc_id") not in (None, ""):
        blocked: Any = True
    elif pab is UNKNOWN:
        blocked = UNKNOWN
    elif not listed(pab):
        blocked = True  # no block configured: every setting is on
    else:
        blocked = any_of(tri(raw.get(f"public_access_block_configuration.0.{k}"), True)
                         for k in ("block_public_policy", "restrict_public_buckets"))
    return public_grant((what, unless(granted, blocked)) for what, granted in grants)


def _subnet_maps_public_ips(raw: RawResource, index: PlanIndex, path: str) -> Any:
    """Whether instances launched in the subnet at ``path`` get public addresses (UNKNOWN when not in the code)."""
    subnet = index.target(raw, path, SUBNET_TYPES)
    if subnet is None:
        return UNKNOWN
    value = index.by_address[subnet].get("map_public_ip_on_launch")
    return value if isinstance(value, bool) else (False if value is None else UNKNOWN)


def _emr_cluster(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """EMR nodes launched in a subnet that maps public IPs get public addresses (the master's public DNS)."""
    public = _subnet_maps_public_ips(raw, index, "ec2_attributes.0.subnet_id")
    return {"public_ips": UNKNOWN if public is UNKNOWN else [UNKNOWN] if public else []}


def _eks_remote_access(raw: RawResource, index: PlanIndex) -> Out:
    """A node group with an SSH key and no source security groups gets a security group opening SSH (RDP for
    Windows AMIs) to 0.0.0.0/0, made by EKS: a firewall of its own, ``<address>/remote_access``."""
    access = raw.get("remote_access")
    if access is UNKNOWN or not listed(access):
        return []
    key = raw.get("remote_access.0.ec2_ssh_key")
    sources = raw.get("remote_access.0.source_security_group_ids")
    if key in (None, "") or (sources is not UNKNOWN and str_list(sources)):
        return []
    ami = raw.get("ami_type")
    port = 3389 if isinstance(ami, str) and "WINDOWS" in ami.upper() else 22
    peers: Any = UNKNOWN if sources is UNKNOWN else ["0.0.0.0/0"]
    attrs = {"layer": "instance", "stateful": True, "is_default": False, "network": None,
             "rules": [rule("ingress", "allow", "tcp", [[port, port]], peers,
                            description="EKS remote access without source security groups")]}
    return [_res(raw, index, Kind.FIREWALL, attrs, rid=f"{raw.address}/remote_access",
                 name=f"{raw.get('node_group_name') or raw.name} remote access")]


def _lightsail_ports(raw: RawResource, index: PlanIndex) -> Out:
    """Lightsail public ports: every port_info opens a range to its cidrs (none listed: every IPv4 address) and
    closes all others."""
    infos = raw.get("port_info")
    if infos is UNKNOWN:
        rules_: Any = UNKNOWN
    else:
        rules_ = []
        for info in listed(infos):
            info = mapping(info)
            cidrs = info.get("cidrs")
            peers = UNKNOWN if cidrs is UNKNOWN else (str_list(cidrs) or ["0.0.0.0/0"])
            v6 = info.get("ipv6_cidrs")
            if isinstance(peers, list) and v6 is not UNKNOWN:
                peers = peers + str_list(v6)
            protocol = info.get("protocol")
            rules_.append(rule("ingress", "allow", protocol.lower() if isinstance(protocol, str) else UNKNOWN,
                               port_range(info.get("from_port"), info.get("to_port")), peers))
    attrs = {"layer": "instance", "stateful": True, "is_default": False, "network": None, "rules": rules_}
    return [_res(raw, index, Kind.FIREWALL, attrs, name=raw.get("instance_name"))]


NORMALISERS: dict[str, Normaliser] = {
    "aws_eks_node_group": _eks_remote_access,
    "aws_lightsail_instance_public_ports": _lightsail_ports,
    "aws_emr_cluster": _service("data_cluster", _emr_cluster),
    "aws_s3_access_point": _service("object_access_point", _access_point),
    "aws_transfer_server": _service("file_transfer", _network),
    "aws_appstream_fleet": _service("desktop_fleet", _network),
    "aws_glacier_vault": _service("archive_vault", _own_policy("access_policy")),
    "aws_cloudwatch_event_bus_policy": _service("event_bus_policy", _own_policy("policy")),
    "aws_glue_resource_policy": _service("data_catalog_policy", _own_policy("policy")),
    "aws_ses_identity_policy": _service("email_identity_policy", _own_policy("policy")),
    "aws_ami_launch_permission": _service("image_share", _ami_permission),
    "aws_lambda_permission": _service("function_permission", _lambda_permission),
    "aws_lambda_function_url": _service("function_url", _function_url),
    "aws_ssm_document": _service("automation_document", _ssm_document),
    "aws_api_gateway_method": _service("api_method", _api_method),
    "aws_ecs_service": _service("container_service", _ecs_service),
}
"""Types judged only for their exposure, as ``service`` resources."""

FACETS: dict[str, Facet] = {
    **{t: _network for t in network_types("aws") if t not in NORMALISERS},
    "aws_ecr_repository": _policy_facet(("aws_ecr_repository_policy",), "repository", ("name",)),
    "aws_sqs_queue": _policy_facet(("aws_sqs_queue_policy",), "queue_url", ("id", "url")),
    "aws_sns_topic": _policy_facet(("aws_sns_topic_policy",), "arn", ("arn",)),
    "aws_secretsmanager_secret": _policy_facet(("aws_secretsmanager_secret_policy",), "secret_arn", ("arn", "id")),
    "aws_db_snapshot": _shared_with_all,
}
"""Exposure attributes added to types another table normalises."""

JOINED = frozenset({"aws_ecr_repository_policy", "aws_secretsmanager_secret_policy",
                    "aws_s3control_access_point_policy"})
"""Policies folded into their resource's ``public_grant``."""
