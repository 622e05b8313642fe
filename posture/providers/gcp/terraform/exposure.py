"""GCP service-level exposure in Terraform: IAM grants to ``allUsers`` / ``allAuthenticatedUsers``, ingress
settings open to every network, public addresses of managed notebooks.

Grants come from the resource's own IAM resources (``*_iam_member``, ``*_iam_binding``, ``*_iam_policy``), whatever
the role: every role lets its holders use the resource, and these members are everyone. The types another table
normalises get a facet; the types judged only for exposure become ``service`` resources.
"""

from __future__ import annotations

from typing import Any

from posture.model import UNKNOWN, Kind
from posture.providers.gcp.terraform.common import _res
from posture.providers.kit.builders import listed, mapping
from posture.providers.kit.exposure import (
    federation_open,
    network_public,
    node_public_ips,
    public_grant,
    public_member,
)
from posture.providers.kit.values import json_document
from posture.providers.terraform.dispatch import Facet, Normaliser
from posture.providers.terraform.plan_index import PlanIndex, RawResource

Out = list[Any]


def _iam_types(prefix: str) -> tuple[str, ...]:
    return tuple(f"{prefix}_iam_{kind}" for kind in ("member", "binding", "policy"))


def _members(holder: RawResource) -> list[tuple[Any, Any]]:
    """(role, member) pairs of one IAM resource (UNKNOWN when its policy or members cannot be read)."""
    if holder.type.endswith("_iam_policy"):
        doc = json_document(holder.get("policy_data"))
        if doc is UNKNOWN:
            return [(UNKNOWN, UNKNOWN)]
        bindings = mapping(doc).get("bindings")
        if bindings is UNKNOWN:
            return [(UNKNOWN, UNKNOWN)]
        return [(b.get("role"), m) for b in listed(bindings) if isinstance(b, dict)
                for m in ([UNKNOWN] if b.get("members") is UNKNOWN else listed(b.get("members")))]
    if holder.type.endswith("_binding"):
        members = holder.get("members")
        return [(holder.get("role"), m) for m in ([UNKNOWN] if members is UNKNOWN else listed(members))]
    return [(holder.get("role"), holder.get("member"))]


def iam_grants(holders: list[RawResource]) -> list[tuple[str, Any]]:
    """(what, granted to everyone) for each member of the IAM resources."""
    return [(f"{h.address}: {role if isinstance(role, str) else 'a role'} to {member}", public_member(member))
            for h in holders for role, member in _members(h)]


def _iam(prefix: str, path: str, literal: tuple[str, ...]) -> Facet:
    types = _iam_types(prefix)

    def facet(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
        return public_grant(iam_grants(index.referrers(raw.address, types, path, literal)))
    return facet


def _dataset(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """BigQuery datasets: IAM resources, ``google_bigquery_dataset_access`` and inline ``access`` blocks naming
    ``allAuthenticatedUsers`` (special group) or ``allUsers`` (IAM member)."""
    holders = index.referrers(raw.address, _iam_types("google_bigquery_dataset"), "dataset_id", ("dataset_id",))
    grants = iam_grants(holders)
    accesses = [(a.address, a.values) for a in index.referrers(
        raw.address, ("google_bigquery_dataset_access",), "dataset_id", ("dataset_id",))]
    inline = raw.get("access")
    if inline is UNKNOWN:
        grants.append((f"{raw.address}.access", UNKNOWN))
    accesses += [(f"{raw.address}.access", block) for block in listed(inline) if isinstance(block, dict)]
    for what, block in accesses:
        for key in ("special_group", "iam_member"):
            member = block.get(key)
            if member is not None:
                grants.append((f"{what}: {block.get('role') or 'a role'} to {member}", public_member(member)))
    return public_grant(grants)


def _network(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    return network_public(raw.type, raw.get, raw.is_configured)


def _service(service_type: str, *facets: Facet) -> Normaliser:
    def normalise(raw: RawResource, index: PlanIndex) -> Out:
        attrs: dict[str, Any] = {"service_type": service_type}
        for facet in facets:
            attrs.update(facet(raw, index))
        return [_res(raw, index, Kind.SERVICE, attrs)]
    return normalise


def _no_public_ip(path: str) -> Facet:
    """A managed notebook VM gets an external address unless ``path`` is true (default false)."""
    def facet(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
        value = raw.get(path)
        if value is UNKNOWN and raw.is_configured(path) is not False:
            return {"public_ips": UNKNOWN}
        return {"public_ips": [] if value is True else [UNKNOWN]}
    return facet


def _dataproc(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    """IAM grants, and external addresses on every node unless ``internal_ip_only`` (unset: depends on the image
    version, internal only since Dataproc 2.2)."""
    return {**_iam("google_dataproc_cluster", "cluster", ("name",))(raw, index),
            **node_public_ips(raw.get, raw.is_configured, "cluster_config.0.gce_cluster_config.0.internal_ip_only",
                              False)}


FACETS: dict[str, Facet] = {
    "google_bigquery_dataset": _dataset,
    "google_bigquery_table": _iam("google_bigquery_table", "table_id", ("table_id",)),
    "google_pubsub_topic": _iam("google_pubsub_topic", "topic", ("name", "id")),
    "google_artifact_registry_repository": _iam("google_artifact_registry_repository", "repository",
                                                ("name", "repository_id", "id")),
    "google_kms_crypto_key": _iam("google_kms_crypto_key", "crypto_key_id", ("id",)),
    "google_dataproc_cluster": _dataproc,
}
"""Exposure attributes added to types another table normalises."""

def _federation(raw: RawResource, index: PlanIndex) -> dict[str, Any]:
    anyone, why = federation_open(raw.get("oidc.0.issuer_uri"), raw.get("attribute_condition"))
    return public_grant([(f"{raw.address}: {why}", anyone)])


NORMALISERS: dict[str, Normaliser] = {
    "google_iam_workload_identity_pool_provider": _service("identity_federation", _federation),
    "google_cloudfunctions_function": _service(
        "function", _network, _iam("google_cloudfunctions_function", "cloud_function", ("name", "id"))),
    "google_cloudfunctions2_function": _service(
        "function", _network, _iam("google_cloudfunctions2_function", "cloud_function", ("name", "id"))),
    "google_cloud_run_service": _service("container_service", _iam("google_cloud_run_service", "service", ("name",))),
    "google_cloud_run_v2_service": _service("container_service",
                                            _iam("google_cloud_run_v2_service", "name", ("name",))),
    "google_secret_manager_secret": _service("secret", _iam("google_secret_manager_secret", "secret_id",
                                                            ("secret_id", "id"))),
    "google_compute_image": _service("image", _iam("google_compute_image", "image", ("name", "id"))),
    "google_workbench_instance": _service("notebook", _no_public_ip("gce_setup.0.disable_public_ip")),
    "google_notebooks_instance": _service("notebook", _no_public_ip("no_public_ip")),
}
"""Types judged only for their exposure, as ``service`` resources."""

JOINED = frozenset(t for prefix in (
    "google_bigquery_dataset", "google_bigquery_table", "google_pubsub_topic", "google_artifact_registry_repository",
    "google_kms_crypto_key", "google_dataproc_cluster", "google_cloudfunctions_function",
    "google_cloudfunctions2_function", "google_cloud_run_service", "google_cloud_run_v2_service",
    "google_secret_manager_secret", "google_compute_image") for t in _iam_types(prefix)) | {
    "google_bigquery_dataset_access"}
"""IAM resources folded into their resource's ``public_grant``."""
