"""The history schema as numbered migrations (SQL common to SQLite and PostgreSQL).

``{pk}`` is the dialect's auto-increment primary key. A database records the versions it has
applied in ``schema_version``; :func:`posture.history.store` applies the missing ones in one
transaction. Never edit a released migration: add the next number.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "CREATE TABLE scans (id {pk}, source_key TEXT NOT NULL, source TEXT NOT NULL, "
        "started_at TEXT NOT NULL, tool_version TEXT NOT NULL, summary TEXT NOT NULL)",
        "CREATE INDEX scans_by_source ON scans (source_key, id)",
        "CREATE TABLE findings (scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE, "
        "fingerprint TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL, category TEXT NOT NULL, "
        "resource_id TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL, evidence TEXT NOT NULL)",
        "CREATE INDEX findings_by_scan ON findings (scan_id, fingerprint)",
        "CREATE TABLE gaps (scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE, "
        "source TEXT NOT NULL, code TEXT NOT NULL, service TEXT NOT NULL, region TEXT NOT NULL, "
        "account TEXT NOT NULL, target TEXT NOT NULL, reason TEXT NOT NULL)",
    ),
    2: (
        # scope and rules version per scan; the full finding document (resource ref, remediation,
        # controls, location) so reports and tickets can be rebuilt from the history
        "ALTER TABLE scans ADD COLUMN scope TEXT NOT NULL DEFAULT '{{}}'",
        "ALTER TABLE scans ADD COLUMN rules_version TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE findings ADD COLUMN title TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE findings ADD COLUMN unverified INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE findings ADD COLUMN document TEXT NOT NULL DEFAULT '{{}}'",
        "CREATE INDEX findings_by_fingerprint ON findings (fingerprint)",
    ),
}
