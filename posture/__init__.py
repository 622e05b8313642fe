"""posture: check that infrastructure does what its security statement says."""

from posture.api import evaluate, load_snapshot, save_snapshot, scan_inventory, scan_snapshot, scan_terraform
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
from posture.providers.aws import scan_aws
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
    "evaluate",
    "load_snapshot",
    "probe_tls",
    "save_snapshot",
    "scan_aws",
    "scan_azure",
    "scan_gcp",
    "scan_inventory",
    "scan_snapshot",
    "scan_terraform",
]
