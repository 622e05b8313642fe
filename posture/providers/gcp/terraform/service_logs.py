"""GCP service logs from the knowledge table (``posture/knowledge/service_logs.yaml``): the ``service_logs``
attribute of types another module normalises, as dispatch facets (a DNS server policy is joined to the networks
it names).
"""

from __future__ import annotations

from posture.providers.kit.service_logs import facets
from posture.providers.terraform.dispatch import register, register_facets

FACET_TYPES = ("google_container_cluster", "google_sql_database_instance", "google_compute_network")
"""Types normalised elsewhere whose service logs are a facet."""

register({}, frozenset({"google_dns_policy"}))
register_facets(facets(FACET_TYPES))
