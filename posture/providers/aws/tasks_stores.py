"""Collection tasks for search, streaming and warehouse stores: OpenSearch, MSK, Redshift."""

from __future__ import annotations

from typing import Any

from posture.providers.aws.reader import Missing, Reader
from posture.providers.aws.session import SessionSpec
from posture.providers.aws.tasks_data import chunked

DESCRIBE_DOMAINS_MAX = 5
"""DescribeDomains takes at most five domain names per call."""


# -- OpenSearch / Elasticsearch -----------------------------------------------------------------
def opensearch(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Domain names (OpenSearch and legacy Elasticsearch domains alike; details in :func:`opensearch_domains`)."""
    r = Reader(spec, account, region, "opensearch", "opensearch")
    got = r.call("list_domain_names")  # one unpaged response holds every domain of the region
    chunked(r, "opensearch_domains", "names", [d["DomainName"] for d in (got or {}).get("DomainNames", [])])
    return r.result()


def opensearch_domains(spec: SessionSpec, account: str, region: str, names: list[str]) -> dict[str, Any]:
    """describe_domains, five names a call: at-rest and node-to-node encryption, endpoint TLS, VPC placement."""
    r = Reader(spec, account, region, "opensearch", "opensearch_domains")
    out = []
    for i in range(0, len(names), DESCRIBE_DOMAINS_MAX):
        batch = names[i:i + DESCRIBE_DOMAINS_MAX]
        got = r.call("describe_domains", DomainNames=batch, target=",".join(batch))
        out += (got or {}).get("DomainStatusList", [])
    r.put("opensearch.domain", out)
    return r.result()


# -- MSK ----------------------------------------------------------------------------------------
def kafka(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """MSK clusters, provisioned and serverless (encryption settings are in the listing)."""
    r = Reader(spec, account, region, "kafka", "kafka")
    r.put("kafka.cluster", r.pages("list_clusters_v2", "ClusterInfoList"))
    return r.result()


# -- Redshift -----------------------------------------------------------------------------------
def redshift(spec: SessionSpec, account: str, region: str) -> dict[str, Any]:
    """Provisioned clusters (encryption, key, public access, snapshots); the parameter groups that may set
    ``require_ssl`` are read in :func:`redshift_parameters`."""
    r = Reader(spec, account, region, "redshift", "redshift")
    clusters = r.pages("describe_clusters", "Clusters")
    r.put("redshift.cluster", clusters)
    chunked(r, "redshift_parameters", "groups", sorted({g for c in clusters or [] for g in redshift_groups(c)}))
    return r.result()


def redshift_groups(cluster: dict[str, Any]) -> list[str]:
    """The cluster's parameter groups worth reading: not the default.* groups, whose require_ssl is not
    judged (see posture.providers.aws.facts.transport.redshift_tls_required)."""
    return [name for g in cluster.get("ClusterParameterGroups", [])
            if (name := g.get("ParameterGroupName")) and not name.startswith("default.")]


def redshift_parameters(spec: SessionSpec, account: str, region: str, groups: list[str]) -> dict[str, Any]:
    """The user-set parameters of each group (``Source=user``: usually one page)."""
    r = Reader(spec, account, region, "redshift", "redshift_parameters")
    out = []
    for name in groups:
        got = r.pages("describe_cluster_parameters", "Parameters", absent=("ClusterParameterGroupNotFound",),
                      target=name, ParameterGroupName=name, Source="user")
        out.append({"Name": name, "_unread": ["parameters"] if got is None else [],
                    "Parameters": None if isinstance(got, Missing) else got})
    r.put("redshift.parameter_group", out)
    return r.result()
