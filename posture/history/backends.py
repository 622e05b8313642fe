"""Database connections for the history: SQLite (embedded default) and PostgreSQL (psycopg2).

Both are used through DB-API cursors; the differences (parameter style, auto-increment key,
write locking, introspection, error types) live here and nowhere else.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from posture.errors import InputError

_SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30.0


def display_url(url: str) -> str:
    """The URL with any password masked, for messages."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


class Backend:
    """One open database connection and its dialect."""

    name = ""
    param = "?"
    pk = ""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = display_url(url)
        self.conn: Any = None

    def sql(self, statement: str) -> str:
        return statement if self.param == "?" else statement.replace("?", self.param)

    @contextlib.contextmanager
    def write(self, *, migration: bool = False) -> Iterator[Any]:
        """One write transaction: all of it or none of it."""
        raise NotImplementedError

    def tables(self) -> set[str]:
        raise NotImplementedError

    def prepare(self) -> None:
        """Settings applied once the database is known to be a posture history (or new)."""

    def error_types(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class SQLiteBackend(Backend):
    """A SQLite file in WAL mode; writers serialise on ``BEGIN IMMEDIATE`` with a busy timeout.

    ``readonly``: opened with ``mode=ro``, or ``immutable=1`` when its directory cannot be written (read-only
    media: WAL's ``-shm`` file could not be created, and nobody can be writing).
    """

    name = "sqlite"
    pk = "INTEGER PRIMARY KEY AUTOINCREMENT"

    def __init__(self, url: str, path: Path, *, readonly: bool = False) -> None:
        from posture.inputs import check_file

        super().__init__(url)
        self.where = str(path)
        self.path = path
        self.readonly = readonly
        exists = check_file(path, "history database") is not None  # a named pipe would block sqlite forever
        try:
            with path.open("rb") as fh:
                head = fh.read(len(_SQLITE_MAGIC))
        except FileNotFoundError:
            head = b""
        except OSError as e:
            raise InputError(f"cannot read history database: {e.strerror}", where=str(path)) from None
        if head and head != _SQLITE_MAGIC:
            raise InputError("not a SQLite database (corrupted or another file); left untouched", where=str(path))
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.exists():
            raise InputError("directory does not exist", where=str(path))
        if readonly and not exists:
            raise InputError("no such history database", where=str(path))
        if not exists and not os.access(parent, os.W_OK):
            raise InputError(f"cannot create the history database: directory {parent} is not writable",
                             where=str(path))
        if readonly:
            mode = "mode=ro" if os.access(parent, os.W_OK) else "immutable=1"
            uri = f"{path.absolute().as_uri()}?{mode}"
            self.conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            return
        # isolation_level=None: no implicit transactions, we issue BEGIN/COMMIT ourselves
        self.conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
        self.conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        self.conn.execute("PRAGMA foreign_keys = ON")

    def _retry(self, statement: str) -> list[Any]:
        # Switching to WAL and reading the schema while another process creates the database can
        # report "locked" without waiting on the busy handler: retry within the same timeout.
        deadline = time.monotonic() + BUSY_TIMEOUT_S
        while True:
            try:
                return list(self.conn.execute(statement))
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def prepare(self) -> None:
        # WAL lets readers run during a write; it rewrites the file header, so only after the file
        # is known to be ours (or new)
        self._retry("PRAGMA journal_mode = WAL")

    @contextlib.contextmanager
    def write(self, *, migration: bool = False) -> Iterator[Any]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")

    def tables(self) -> set[str]:
        return {r[0] for r in self._retry("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def error_types(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.Error,)


class PostgresBackend(Backend):
    """A PostgreSQL database through psycopg2; migrations serialise on an advisory lock."""

    name = "postgresql"
    param = "%s"
    pk = "BIGSERIAL PRIMARY KEY"
    _LOCK_KEY = 0x706F7374  # "post"

    def __init__(self, url: str) -> None:
        super().__init__(url)
        try:
            import psycopg2
        except ImportError:
            from posture.packaging import install_hint

            raise InputError(f"PostgreSQL history needs psycopg2: {install_hint('postgres')}",
                             where=self.where) from None
        self._psycopg2 = psycopg2
        try:
            self.conn = psycopg2.connect(url, connect_timeout=10)
        except psycopg2.Error as e:
            # the driver's message names host/port/database, never the password
            raise InputError(f"cannot connect: {str(e).strip().splitlines()[0]}", where=self.where) from None

    @contextlib.contextmanager
    def write(self, *, migration: bool = False) -> Iterator[Any]:
        cur = self.conn.cursor()
        try:
            if migration:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._LOCK_KEY,))
            yield cur
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def tables(self) -> set[str]:
        with self.conn.cursor() as cur:
            cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
            rows = {r[0] for r in cur.fetchall()}
        self.conn.rollback()  # end the read transaction
        return rows

    def error_types(self) -> tuple[type[BaseException], ...]:
        return (self._psycopg2.Error,)


def connect(url: str | os.PathLike[str], *, readonly: bool = False) -> Backend:
    """Open ``url``: ``postgresql://...``, ``sqlite:///relative.db``, ``sqlite:////abs.db`` or a file path.

    ``readonly`` opens a SQLite file without ever writing to it or beside it (PostgreSQL is unaffected).
    """
    text = os.fspath(url)
    if text.startswith(("postgresql://", "postgres://")):
        return PostgresBackend(text)
    if text.startswith("sqlite://"):
        rest = text[len("sqlite://"):]
        if not rest.startswith("/") or rest == "/":
            raise InputError("expected sqlite:///relative/path or sqlite:////absolute/path", where=text)
        return SQLiteBackend(text, Path(rest[1:]), readonly=readonly)
    if "://" in text:
        raise InputError("unsupported history URL (use a file path, sqlite:/// or postgresql://)",
                         where=display_url(text))
    return SQLiteBackend(text, Path(text).expanduser(), readonly=readonly)
