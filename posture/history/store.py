"""The scan history: one transaction per recorded scan, read back as records, diffs and trends."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from posture.errors import InputError
from posture.history.backends import Backend, connect
from posture.history.records import Diff, ScanRecord, TrendPoint, open_fingerprints
from posture.history.schema import MIGRATIONS, SCHEMA_VERSION
from posture.result import ScanResult

_BATCH = 500
_SCAN_COLUMNS = "id, started_at, source_key, source, scope, tool_version, rules_version, summary"


def source_key(source: Mapping[str, Any]) -> str:
    """Identity of what was scanned (``type:target``): diffs and trends compare scans of one source."""
    return f"{source.get('type', '')}:{source.get('target', '')}"


def rules_version(result: ScanResult) -> str:
    """``<n> rules/<digest>``: changes whenever a rule is added, removed or its metadata changes."""
    metas = sorted((m.id, m.title, m.severity.value, m.category.value, list(m.controls), m.expected)
                   for m in result.rules)
    digest = hashlib.sha256(json.dumps(metas).encode("utf-8")).hexdigest()[:12]
    return f"{len(metas)} rules/{digest}"


def _scope(result: ScanResult) -> dict[str, Any]:
    scope = result.source.get("scope")
    if isinstance(scope, Mapping):
        return dict(scope)
    res = list(result.graph.resources())
    return {"providers": sorted({r.provider for r in res if r.provider}),
            "accounts": sorted({r.account for r in res if r.account}),
            "regions": sorted({r.region for r in res if r.region}),
            **({"name": scope} if isinstance(scope, str) and scope else {})}


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class History:
    """A scan history database. Open it with :func:`posture.history.open`; use as a context manager."""

    def __init__(self, backend: Backend) -> None:
        self._db = backend
        self.where = backend.where
        try:
            with self._errors():
                if getattr(backend, "readonly", False):
                    self._check_readable()
                else:
                    self._migrate()
        except BaseException:
            backend.close()
            raise

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Database errors (corruption, lost connection...) become one-line InputErrors."""
        try:
            yield
        except self._db.error_types() as e:
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise InputError(f"history database error: {msg}", where=self.where) from None
        except _CorruptRow as e:
            raise InputError(f"history database holds a row posture did not write: {e}", where=self.where) \
                from None

    def _check_readable(self) -> None:
        """A history opened read-only is never migrated: it must already be at this posture's schema."""
        if "schema_version" not in self._db.tables():
            raise InputError("not a posture history database (no schema_version table)", where=self.where)
        current = self.schema_version()
        if current != SCHEMA_VERSION:
            raise InputError(f"history schema version {current}, this posture reads {SCHEMA_VERSION}; open it once "
                             "where it can be written (posture scan --history) to migrate it", where=self.where)

    def _migrate(self) -> None:
        tables = self._db.tables()
        if tables and "schema_version" not in tables:
            raise InputError("not a posture history database (no schema_version table); left untouched",
                             where=self.where)
        self._db.prepare()
        with self._db.write(migration=True) as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, "
                        "applied_at TEXT NOT NULL)")
            cur.execute("SELECT MAX(version) FROM schema_version")
            current = cur.fetchone()[0] or 0
            if current > SCHEMA_VERSION:
                raise InputError(f"history schema version {current} is newer than this posture supports "
                                 f"({SCHEMA_VERSION}); upgrade posture", where=self.where)
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version]:
                    cur.execute(statement.format(pk=self._db.pk))
                cur.execute(self._db.sql("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"),
                            (version, datetime.now(timezone.utc).isoformat(timespec="seconds")))

    def schema_version(self) -> int:
        with self._errors():
            return int(self._query("SELECT MAX(version) FROM schema_version")[0][0])

    # -- writing --------------------------------------------------------------------------
    def record(self, result: ScanResult, *, time: datetime | None = None) -> int:
        """Record a scan (source, scope, time, versions, findings, gaps) in one transaction; returns its id."""
        from posture import __version__

        when = (time or datetime.now(timezone.utc)).astimezone(timezone.utc).isoformat(timespec="seconds")
        source = {k: v for k, v in result.source.items() if k != "profile"}
        summary = result.summary()
        summary.pop("source", None)
        with self._errors(), self._db.write() as cur:
            cur.execute(self._db.sql(
                "INSERT INTO scans (source_key, source, started_at, tool_version, summary, scope, rules_version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id"),
                (source_key(source), _dumps(source), when, __version__, _dumps(summary), _dumps(_scope(result)),
                 rules_version(result)))
            scan_id = int(cur.fetchone()[0])
            insert = self._db.sql(
                "INSERT INTO findings (scan_id, fingerprint, rule_id, severity, category, resource_id, status, "
                "message, evidence, title, unverified, document) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            for batch in _batches(self._finding_rows(scan_id, result)):
                cur.executemany(insert, batch)
            cur.executemany(
                self._db.sql("INSERT INTO gaps (scan_id, source, code, service, region, account, target, reason) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
                [(scan_id, g.source, g.code, g.service, g.region, g.account, g.target, g.reason) for g in result.gaps])
        return scan_id

    @staticmethod
    def _finding_rows(scan_id: int, result: ScanResult) -> Iterator[tuple[Any, ...]]:
        for f in result.findings:
            doc = f.to_dict()
            yield (scan_id, f.fingerprint, f.rule_id, f.severity.value, f.category.value, f.resource.id, f.status,
                   f.message, _dumps(doc["evidence"]), f.title, int(f.unverified), _dumps(doc))

    # -- reading --------------------------------------------------------------------------
    def _query(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self._db.conn.cursor()
        try:
            cur.execute(self._db.sql(statement), tuple(params))
            return list(cur.fetchall())
        finally:
            cur.close()
            if self._db.name == "postgresql":
                self._db.conn.rollback()  # never leave a read transaction open

    @staticmethod
    def _record(row: tuple[Any, ...]) -> ScanRecord:
        sid, time, key, source, scope, tool, rules, summary = row
        if not isinstance(sid, int) or not all(isinstance(v, str) for v in (time, key)):
            raise _CorruptRow(f"scan {sid!r}: id, started_at or source_key of the wrong type")
        try:
            datetime.fromisoformat(time)
        except ValueError:
            raise _CorruptRow(f"scan {sid}: started_at {time[:40]!r} is not a time") from None
        counts = _object(summary, f"scan {sid} summary")
        for name in ("by_severity", "by_category"):
            part = counts.get(name, {})
            if not isinstance(part, dict) or not all(isinstance(v, int) for v in part.values()):
                raise _CorruptRow(f"scan {sid} summary: {name} is not a mapping of counts")
        if not all(isinstance(counts.get(n, 0), int) for n in ("open", "gaps", "resources")):
            raise _CorruptRow(f"scan {sid} summary: a count that is not a number")
        return ScanRecord(sid, time, key, _object(source, f"scan {sid} source"),
                          _object(scope, f"scan {sid} scope"), str(tool or ""), str(rules or ""), counts)

    def scans(self, *, source: str | None = None, limit: int | None = None) -> list[ScanRecord]:
        """Recorded scans, newest first (``source``: a source key ``type:target``)."""
        sql = f"SELECT {_SCAN_COLUMNS} FROM scans"
        params: list[Any] = []
        if source is not None:
            sql += " WHERE source_key = ?"
            params.append(source)
        sql += " ORDER BY id DESC"
        if limit:
            sql += f" LIMIT {int(limit)}"
        with self._errors():
            return [self._record(r) for r in self._query(sql, params)]

    def get(self, scan_id: int) -> ScanRecord:
        """One scan with its findings (JSON documents, report order) and gaps."""
        with self._errors():
            rows = self._query(f"SELECT {_SCAN_COLUMNS} FROM scans WHERE id = ?", (int(scan_id),))
            if not rows:
                raise InputError(f"no scan with id {scan_id}", where=self.where)
            rec = self._record(rows[0])
            findings = [self._finding_doc(r) for r in self._query(
                "SELECT document, fingerprint, rule_id, severity, category, resource_id, status, message, evidence, "
                "title, unverified FROM findings WHERE scan_id = ?", (rec.id,))]
            gaps = [dict(zip(("source", "code", "service", "region", "account", "target", "reason"), r, strict=True))
                    for r in self._query("SELECT source, code, service, region, account, target, reason FROM gaps "
                                         "WHERE scan_id = ?", (rec.id,))]
        order = {s: i for i, s in enumerate(("critical", "high", "medium", "low", "info"))}
        findings.sort(key=lambda f: (order.get(f["severity"], 9), f["rule_id"], f["resource"]["id"]))
        return ScanRecord(**{**rec.__dict__, "findings": tuple(findings), "gaps": tuple(gaps)})

    @staticmethod
    def _finding_doc(row: tuple[Any, ...]) -> dict[str, Any]:
        doc = _object(row[0], f"finding {row[1]!r}") if row[0] else {}
        if not doc:  # recorded before schema 2: rebuild what the columns hold
            doc = {"resource": {"id": row[5]}, "controls": [], "remediation": ""}
        if not isinstance(doc.get("resource"), dict) or not all(isinstance(v, str) for v in row[1:8]):
            raise _CorruptRow(f"finding {row[1]!r}: a column or its resource of the wrong type")
        doc.update(zip(("fingerprint", "rule_id", "severity", "category"), row[1:5], strict=True))
        doc.update(status=row[6], message=row[7], evidence=_json(row[8], f"finding {row[1]!r} evidence"),
                   unverified=bool(row[10]))
        doc["title"] = row[9] or doc.get("title", "")
        return doc

    def latest(self, source: str | None = None) -> ScanRecord:
        scans = self.scans(source=source, limit=1)
        if not scans:
            raise InputError("the history has no scans" + (f" of {source}" if source else ""), where=self.where)
        return scans[0]

    def previous(self, scan: ScanRecord) -> ScanRecord | None:
        """The scan of the same source recorded just before ``scan``."""
        with self._errors():
            rows = self._query(f"SELECT {_SCAN_COLUMNS} FROM scans WHERE source_key = ? AND id < ? "
                               "ORDER BY id DESC LIMIT 1", (scan.source_key, scan.id))
            return self._record(rows[0]) if rows else None

    def diff(self, old: int | None = None, new: int | None = None, *, source: str | None = None) -> Diff:
        """Open findings of ``new`` vs ``old`` by fingerprint; default: the last two scans of one source."""
        new_rec = self.get(new) if new is not None else self.get(self.latest(source).id)
        if old is None:
            prev = self.previous(new_rec)
            if prev is None:
                raise InputError(f"scan {new_rec.id} is the first scan of {new_rec.source_key!r}: nothing to diff",
                                 where=self.where)
            old = prev.id
        old_open = open_fingerprints(self.get(old).findings)
        new_open = open_fingerprints(new_rec.findings)
        return Diff(
            old=int(old), new=new_rec.id,
            new_findings=tuple(f for fp, f in new_open.items() if fp not in old_open),
            resolved=tuple(f for fp, f in old_open.items() if fp not in new_open),
            persisting=tuple(f for fp, f in new_open.items() if fp in old_open),
        )

    def trend(self, source: str | None = None, *, period: str = "scan", limit: int = 50) -> list[TrendPoint]:
        """Open findings by severity and category per scan, or for the last scan of each month/quarter.

        Without ``source``, the source of the latest scan.
        """
        if period not in ("scan", "month", "quarter"):
            raise InputError(f"unknown trend period {period!r} (scan, month or quarter)")
        key = source if source is not None else self.latest().source_key
        points: dict[str, TrendPoint] = {}
        for rec in reversed(self.scans(source=key)):
            label = _period_label(rec.time, period) if period != "scan" else f"#{rec.id} {rec.time[:10]}"
            points[label] = TrendPoint(rec.id, rec.time, label, dict(rec.summary.get("by_severity", {})),
                                       dict(rec.summary.get("by_category", {})))
        return list(points.values())[-limit:]


class _CorruptRow(ValueError):
    """A stored row that posture's own writer could not have produced (a damaged or edited database)."""


def _json(text: Any, what: str) -> Any:
    if not isinstance(text, (str, bytes)):
        raise _CorruptRow(f"{what}: not JSON text")
    try:
        return json.loads(text)
    except ValueError as e:  # also an integer over 4,300 digits
        raise _CorruptRow(f"{what}: invalid JSON ({str(e)[:80]})") from None
    except RecursionError:
        raise _CorruptRow(f"{what}: nested too deep") from None


def _object(text: Any, what: str) -> dict[str, Any]:
    value = _json(text, what)
    if not isinstance(value, dict):
        raise _CorruptRow(f"{what}: not a JSON object")
    return value


def _period_label(iso: str, period: str) -> str:
    t = datetime.fromisoformat(iso)
    return f"{t.year}-{t.month:02d}" if period == "month" else f"{t.year}-Q{(t.month - 1) // 3 + 1}"


def _batches(rows: Iterable[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def open_history(url: str | os.PathLike[str], *, readonly: bool = False) -> History:
    """Open (creating and migrating if needed) the history at ``url``.

    ``readonly``: only read (``history list/show/diff/trend``, tickets from history); a SQLite file is then
    opened read-only, and on read-only media as immutable, so it can be read from a read-only mount.

    ``url``: a file path or ``sqlite:///relative.db`` / ``sqlite:////absolute.db`` (SQLite, the
    embedded default), or ``postgresql://user@host:port/db`` (needs psycopg2).
    Raises :class:`~posture.errors.InputError` (one line) for a corrupted or foreign file.
    """
    return History(connect(url, readonly=readonly))
