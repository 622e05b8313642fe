"""OpenSearch domains, MSK clusters and Redshift clusters -> datastore resources.

In-transit readings (TLS policy -> minimum version, client-broker mode, require_ssl) come from
posture.providers.aws.facts.transport, shared with the Terraform source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from posture import knowledge
from posture.model import UNKNOWN, EdgeKind, Kind
from posture.providers.aws.facts.transport import msk_client_tls, redshift_tls_required, search_min_tls
from posture.providers.aws.norm_common import (
    Index,
    Out,
    arn,
    ec2_arn,
    kms_encryption,
    not_encrypted,
    provider_default,
    tags_of,
)
from posture.providers.aws.tasks_stores import redshift_groups
from posture.providers.kit.values import tri


def _placed(out: Out, rec: Mapping[str, Any], rid: str, sgs: Iterable[str], subnets: Iterable[str]) -> list[str]:
    """``protected_by`` edges to the security groups and ``contains`` edges from the subnets; the group ids."""
    firewalls = [ec2_arn(rec, "security-group", g) for g in sgs]
    for sg in firewalls:
        out.edge(rid, sg, EdgeKind.PROTECTED_BY)
    for sn in subnets:
        out.edge(ec2_arn(rec, "subnet", sn), rid, EdgeKind.CONTAINS)
    return firewalls


def opensearch(idx: Index, out: Out, d: dict[str, Any]) -> None:
    """An OpenSearch or Elasticsearch domain: at rest, endpoint HTTPS and TLS policy, node-to-node TLS."""
    rid = d["ARN"]
    at_rest = d.get("EncryptionAtRestOptions") or {}
    enc = kms_encryption(idx, out, rid, at_rest.get("KmsKeyId"), d["_account"], d["_region"]) \
        if at_rest.get("Enabled") else provider_default("opensearch.domain")  # off unless enabled
    endpoint = d.get("DomainEndpointOptions") or {}
    # an omitted TLSSecurityPolicy is the API default, kept with its source in the knowledge table
    policy = endpoint.get("TLSSecurityPolicy") or (knowledge.default_tls_policy("aws", "opensearch") or {}).get("name")
    vpc = d.get("VPCOptions") or {}
    attrs = {
        "store_type": "search", "encryption": enc,
        "public": not vpc.get("SubnetIds"),  # outside a VPC the endpoint is on the internet
        "transport": {"tls_required": bool(endpoint.get("EnforceHTTPS")),
                      "min_tls_version": search_min_tls(policy),
                      "in_cluster_tls": bool((d.get("NodeToNodeEncryptionOptions") or {}).get("Enabled"))},
        "engine": d.get("EngineVersion"),
    }
    attrs["firewalls"] = _placed(out, d, rid, vpc.get("SecurityGroupIds", []), vpc.get("SubnetIds", []))
    out.add(d, rid, Kind.DATASTORE, "opensearch.domain", attrs, name=d["DomainName"])


def kafka(idx: Index, out: Out, c: dict[str, Any]) -> None:
    """An MSK cluster: always encrypted at rest (a customer key or the AWS managed aws/kafka key)."""
    rid = c["ClusterArn"]
    if c.get("ClusterType") == "SERVERLESS":
        # https://docs.aws.amazon.com/msk/latest/developerguide/serverless.html: serverless clusters take
        # only IAM-authenticated TLS clients and encrypt all traffic in transit
        enc, tls, in_cluster, public = provider_default("kafka.cluster"), True, True, False
        via = "serverless: reached from its VPCs only"
        vpcs = (c.get("Serverless") or {}).get("VpcConfigs") or []
        sgs = [g for v in vpcs for g in v.get("SecurityGroupIds", [])]
        subnets = [s for v in vpcs for s in v.get("SubnetIds", [])]
    else:
        p = c.get("Provisioned") or {}
        info = p.get("EncryptionInfo") or {}
        key = (info.get("EncryptionAtRest") or {}).get("DataVolumeKMSKeyId")
        enc = kms_encryption(idx, out, rid, key, c["_account"], c["_region"]) if key \
            else provider_default("kafka.cluster")
        transit = info.get("EncryptionInTransit") or {}
        tls, in_cluster = msk_client_tls(transit.get("ClientBroker")), tri(transit.get("InCluster"), True)
        nodes = p.get("BrokerNodeGroupInfo") or {}
        access = ((nodes.get("ConnectivityInfo") or {}).get("PublicAccess") or {}).get("Type") or "DISABLED"
        public = access == "SERVICE_PROVIDED_EIPS"
        via = f"BrokerNodeGroupInfo.ConnectivityInfo.PublicAccess.Type = {access}"
        sgs, subnets = nodes.get("SecurityGroups", []), nodes.get("ClientSubnets", [])
    attrs = {
        "store_type": "stream", "encryption": enc, "public": public, "engine": "kafka",
        "network_public": public, "network_public_via": via,
        "transport": {"tls_required": tls, "min_tls_version": None, "in_cluster_tls": in_cluster},
    }
    attrs["firewalls"] = _placed(out, c, rid, sgs, subnets)
    out.add(c, rid, Kind.DATASTORE, "kafka.cluster", attrs, name=c.get("ClusterName"), tags=tags_of(c))


def _redshift_tls(groups: Mapping[tuple[str, str, str], dict[str, Any]], c: dict[str, Any]) -> Any:
    """require_ssl as the cluster's (non-default) parameter group sets it; UNKNOWN for a default group, one
    that does not set it, or one that could not be read."""
    names = redshift_groups(c)
    group = groups.get((c["_account"], c["_region"], names[0])) if names else None
    if group is None or group["_unread"]:
        return UNKNOWN
    # Source=user lists only what the group sets (moto lists every parameter, marked engine-default)
    values = [p.get("ParameterValue") for p in group["Parameters"] or []
              if p.get("ParameterName") == "require_ssl" and p.get("Source", "user") == "user"]
    return redshift_tls_required(values[-1] if values else None)


def redshift(idx: Index, out: Out) -> None:
    """Provisioned Redshift clusters: encryption and key, public access, automated snapshots, require_ssl."""
    groups = {(g["_account"], g["_region"], g["Name"]): g for g in idx.records("redshift.parameter_group")}
    for c in idx.records("redshift.cluster"):
        ident = c["ClusterIdentifier"]
        rid = arn("redshift", c["_region"], c["_account"], f"cluster:{ident}")
        enc = kms_encryption(idx, out, rid, c.get("KmsKeyId"), c["_account"], c["_region"]) \
            if c.get("Encrypted") else not_encrypted()
        retention = c.get("AutomatedSnapshotRetentionPeriod")
        attrs = {
            "store_type": "db_cluster", "encryption": enc, "public": bool(c.get("PubliclyAccessible")),
            "backup": {"retention_days": retention, "enabled": bool(retention)},
            "multi_az": str(c.get("MultiAZ") or "").lower() == "enabled", "engine": "redshift",
            "transport": {"tls_required": _redshift_tls(groups, c), "min_tls_version": None},
        }
        sgs = [g["VpcSecurityGroupId"] for g in c.get("VpcSecurityGroups", [])]
        attrs["firewalls"] = _placed(out, c, rid, sgs, [])
        out.add(c, rid, Kind.DATASTORE, "redshift.cluster", attrs, name=ident, tags=tags_of(c))


def stores(idx: Index, out: Out) -> None:
    """OpenSearch domains, MSK clusters, Redshift clusters."""
    for d in idx.records("opensearch.domain"):
        opensearch(idx, out, d)
    for c in idx.records("kafka.cluster"):
        kafka(idx, out, c)
    redshift(idx, out)
