"""History on read-only media: readers never write (not even WAL's -shm); a new database there is exit 2."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import posture.history
from posture.cli import main
from posture.errors import InputError
from tests.helpers.paths import ROOT
from tests.helpers.report_helpers import scan_stores

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _make_history(directory: Path) -> Path:
    db = directory / "history.db"
    with posture.history.open(db) as h:
        h.record(scan_stores(["a", "b"]))
        h.record(scan_stores(["b", "c"]))
    return db


def _read_only_mount_available() -> bool:
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind /tmp /tmp && mount -o remount,bind,ro /tmp"],
                           capture_output=True) if shutil.which("unshare") else None
    return probe is not None and probe.returncode == 0


def on_read_only_mount(directory: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``posture ARGV`` with ``directory`` bind-mounted read-only (real EROFS, even for root)."""
    script = (f"mount --bind {directory} {directory} && mount -o remount,bind,ro {directory} && "
              f"exec {sys.executable} -m posture " + " ".join(argv))
    return subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, env=ENV,
                          timeout=120)


needs_ro_mount = pytest.mark.skipif(not _read_only_mount_available(),
                                    reason="needs unshare -m and mount (a private read-only bind mount)")


@needs_ro_mount
def test_history_on_a_read_only_mount_is_readable(tmp_path):
    db = _make_history(tmp_path)
    assert not (tmp_path / "history.db-shm").exists()  # closed cleanly: WAL checkpointed and removed
    for argv in (["history", "list"], ["history", "show", "1"], ["history", "diff"], ["history", "trend"]):
        proc = on_read_only_mount(tmp_path, [*argv, "--history", str(db)])
        assert proc.returncode == 0, (argv, proc.stderr)
        assert "error" not in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["history.db"]


@needs_ro_mount
def test_new_history_on_a_read_only_mount_is_exit_2_naming_the_path(tmp_path):
    (tmp_path / "main.tf").write_text('resource "aws_db_instance" "db" {\n  storage_encrypted = false\n}\n')
    db = tmp_path / "new.db"
    proc = on_read_only_mount(tmp_path, ["scan", "terraform", str(tmp_path), "-q", "--history", str(db)])
    assert proc.returncode == 2, proc.stderr
    assert f"{db}: cannot create the history database: directory {tmp_path} is not writable" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_readers_open_read_only_and_never_migrate_or_create(tmp_path):
    db = _make_history(tmp_path)
    before = db.read_bytes()
    with posture.history.open(db, readonly=True) as h:
        assert len(h.scans()) == 2
        with pytest.raises(InputError, match="readonly"):
            h.record(scan_stores(["z"]))
    assert db.read_bytes() == before
    with pytest.raises(InputError, match="no such history database"):
        posture.history.open(tmp_path / "missing.db", readonly=True)
    assert not (tmp_path / "missing.db").exists()


def test_immutable_is_used_when_the_directory_cannot_be_written(tmp_path, monkeypatch):
    db = _make_history(tmp_path)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == tmp_path and mode == os.W_OK
                        else real_access(p, mode))
    with posture.history.open(db, readonly=True) as h:
        assert len(h.scans()) == 2
        assert h._db.conn.execute("PRAGMA query_only").fetchone() is not None
    assert not (tmp_path / "history.db-shm").exists()  # immutable: no shared-memory file needed


def test_history_commands_refuse_a_named_pipe(tmp_path, capsys):
    fifo = tmp_path / "h.db"
    os.mkfifo(fifo)
    assert main(["history", "list", "--history", str(fifo)]) == 2
    assert "a named pipe, not a regular file" in capsys.readouterr().err


def test_snapshot_out_naming_a_directory_is_exit_2_before_the_scan(tmp_path, capsys):
    (tmp_path / "main.tf").write_text('resource "aws_db_instance" "db" {\n  storage_encrypted = false\n}\n')
    out = tmp_path / "snapdir"
    out.mkdir()
    assert main(["scan", "terraform", str(tmp_path / "main.tf"), "-q", "--snapshot-out", str(out)]) == 2
    assert f"{out}: cannot write snapshot: a directory, not a file" in capsys.readouterr().err
    assert main(["scan", "terraform", str(tmp_path / "main.tf"), "-q", "--snapshot-out",
                 str(tmp_path / "nope" / "s.jsonl")]) == 2
    assert "does not exist" in capsys.readouterr().err
