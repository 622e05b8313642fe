"""Audit log facts as data (``audit_logs.yaml``): the log types each provider defines and those a benchmark
requires to be recorded."""

from __future__ import annotations

from posture.knowledge import load_table

_PROVIDERS = {name: entry for name, entry in load_table("audit_logs").items() if isinstance(entry, dict)}


def required_log_types() -> dict[str, list[str]]:
    """Provider -> the audit log types CIS asks to be recorded (the default of POSTURE-LOG-005)."""
    return {provider: list(entry["required"]) for provider, entry in _PROVIDERS.items()}


AZURE_ACTIVITY_LOG_CATEGORIES: tuple[str, ...] = tuple(_PROVIDERS["azure"]["categories"])
"""Activity log categories a subscription diagnostic setting can export (the "allLogs" group is all of them)."""
