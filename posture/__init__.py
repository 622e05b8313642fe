"""posture: check that infrastructure does what its security statement says."""

from posture.model import (
    UNKNOWN,
    Category,
    Edge,
    EdgeKind,
    Evidence,
    Finding,
    Gap,
    Inventory,
    Kind,
    Location,
    Resource,
    Severity,
)
from posture.probe import probe_tls
from posture.providers.azure import scan_azure
from posture.providers.gcp import scan_gcp

__version__ = "0.1.0"

__all__ = [
    "UNKNOWN",
    "Category",
    "Edge",
    "EdgeKind",
    "Evidence",
    "Finding",
    "Gap",
    "Inventory",
    "Kind",
    "Location",
    "Resource",
    "Severity",
    "__version__",
    "probe_tls",
    "scan_azure",
    "scan_gcp",
]
