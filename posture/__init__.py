"""posture: check that infrastructure does what its security statement says."""

from typing import TYPE_CHECKING, Any

from posture.api import (
    evaluate,
    load_snapshot,
    save_snapshot,
    scan_aws,
    scan_azure,
    scan_gcp,
    scan_inventory,
    scan_snapshot,
    scan_terraform,
)
from posture.model import (
    UNKNOWN,
    Category,
    Edge,
    EdgeKind,
    Evidence,
    Finding,
    Gap,
    GapClass,
    Inventory,
    Kind,
    Location,
    Resource,
    Severity,
)
from posture.version import __version__

# The probe loads on first use (PEP 562); the live scans import their SDKs only when they run.
_LAZY = {
    "probe_tls": "posture.tls",
    "verify_statement": "posture.statement",
    "StatementReport": "posture.statement",
}

if TYPE_CHECKING:
    from posture.statement import StatementReport, verify_statement
    from posture.tls import probe_tls


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'posture' has no attribute {name!r}")

__all__ = [
    "UNKNOWN",
    "Category",
    "Edge",
    "EdgeKind",
    "Evidence",
    "Finding",
    "Gap",
    "GapClass",
    "Inventory",
    "Kind",
    "Location",
    "Resource",
    "Severity",
    "StatementReport",
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
    "verify_statement",
]
