"""posture: check that infrastructure does what its security statement says."""

from typing import TYPE_CHECKING, Any

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

# The public surface loads on first use (PEP 562), so `import posture` stays light and a Terraform scan
# does not pay for the cloud SDKs or the probe.
_LAZY = {
    "evaluate": "posture.api",
    "load_snapshot": "posture.api",
    "save_snapshot": "posture.api",
    "scan_inventory": "posture.api",
    "scan_snapshot": "posture.api",
    "scan_terraform": "posture.api",
    "scan_aws": "posture.api",
    "scan_azure": "posture.api",
    "scan_gcp": "posture.api",
    "probe_tls": "posture.api",
    "external_scan": "posture.api",
    "ScanResult": "posture.result",
    "Rule": "posture.rules.base",
    "Violation": "posture.rules.base",
    "rule": "posture.rules.base",
    "Suppression": "posture.gate",
    "apply_gate": "posture.gate",
    "inline_suppressions": "posture.gate",
    "load_suppressions": "posture.gate",
    "read_baseline": "posture.gate",
    "write_baseline": "posture.gate",
    "verify_statement": "posture.statement",
    "StatementReport": "posture.statement",
}

if TYPE_CHECKING:
    from posture.api import (
        evaluate,
        external_scan,
        load_snapshot,
        probe_tls,
        save_snapshot,
        scan_aws,
        scan_azure,
        scan_gcp,
        scan_inventory,
        scan_snapshot,
        scan_terraform,
    )
    from posture.gate import (
        Suppression,
        apply_gate,
        inline_suppressions,
        load_suppressions,
        read_baseline,
        write_baseline,
    )
    from posture.result import ScanResult
    from posture.rules.base import Rule, Violation, rule
    from posture.statement import StatementReport, verify_statement


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
    "Rule",
    "ScanResult",
    "Severity",
    "StatementReport",
    "Suppression",
    "Violation",
    "__version__",
    "apply_gate",
    "evaluate",
    "external_scan",
    "inline_suppressions",
    "load_snapshot",
    "load_suppressions",
    "probe_tls",
    "read_baseline",
    "rule",
    "save_snapshot",
    "scan_aws",
    "scan_azure",
    "scan_gcp",
    "scan_inventory",
    "scan_snapshot",
    "scan_terraform",
    "verify_statement",
    "write_baseline",
]
