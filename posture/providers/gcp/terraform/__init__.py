"""Google Cloud resources of a Terraform plan -> normalised resources and edges (docs/model.md).

As for AWS, :data:`NORMALISERS` maps native types to pure functions and :data:`JOINED` lists the
types folded into others. Every VPC network also yields a firewall holding GCP's implied rules (deny all
ingress, allow all egress, priority 65535) so evaluation never needs to know the provider.
Importing this package registers both in the Terraform dispatch table.
"""

from __future__ import annotations

from collections.abc import Callable

from posture.providers.gcp.terraform import service_logs as _service_logs  # noqa: F401  (registers its types on import)
from posture.providers.gcp.terraform.at_rest import NORMALISERS as AT_REST_NORMALISERS
from posture.providers.gcp.terraform.audit import _audit_config
from posture.providers.gcp.terraform.clusters import _gke
from posture.providers.gcp.terraform.common import Out
from posture.providers.gcp.terraform.compute import _disk, _instance
from posture.providers.gcp.terraform.dnssec import NORMALISERS as DNSSEC_NORMALISERS
from posture.providers.gcp.terraform.exposure import FACETS as EXPOSURE_FACETS
from posture.providers.gcp.terraform.exposure import JOINED as EXPOSURE_JOINED
from posture.providers.gcp.terraform.exposure import NORMALISERS as EXPOSURE_NORMALISERS
from posture.providers.gcp.terraform.keys import _certificate, _crypto_key, _ssl_policy, _target_proxy
from posture.providers.gcp.terraform.network import _firewall, _network, _subnetwork
from posture.providers.gcp.terraform.project import NORMALISERS as PROJECT_NORMALISERS
from posture.providers.gcp.terraform.stores import _ACL_TYPES, _IAM_TYPES, _bucket, _sql_instance
from posture.providers.terraform.dispatch import register, register_facets
from posture.providers.terraform.plan_index import PlanIndex, RawResource

NORMALISERS: dict[str, Callable[[RawResource, PlanIndex], Out]] = {
    "google_container_cluster": _gke,
    "google_compute_network": _network,
    "google_compute_subnetwork": _subnetwork,
    "google_compute_firewall": _firewall,
    "google_compute_instance": _instance,
    "google_compute_disk": _disk,
    "google_storage_bucket": _bucket,
    "google_sql_database_instance": _sql_instance,
    "google_kms_crypto_key": _crypto_key,
    "google_compute_ssl_policy": _ssl_policy,
    "google_compute_target_https_proxy": _target_proxy,
    "google_compute_target_ssl_proxy": _target_proxy,
    "google_compute_managed_ssl_certificate": _certificate,
    "google_compute_ssl_certificate": _certificate,
    "google_project_iam_audit_config": _audit_config,
    "google_folder_iam_audit_config": _audit_config,
    "google_organization_iam_audit_config": _audit_config,
    **AT_REST_NORMALISERS,
    **DNSSEC_NORMALISERS,
    **PROJECT_NORMALISERS,
}
"""Native google type -> normaliser."""

JOINED: frozenset[str] = frozenset(
    {
        "google_compute_global_forwarding_rule",
        "google_compute_forwarding_rule",
        "google_kms_key_ring",
        *_IAM_TYPES,
        *_ACL_TYPES,
    }
)
"""google types folded into another resource rather than normalised on their own."""

register(NORMALISERS, JOINED)
register(EXPOSURE_NORMALISERS, EXPOSURE_JOINED)
register_facets(EXPOSURE_FACETS)
