import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import pytest

import posture.history
from posture.cli import main
from posture.errors import InputError
from posture.history.schema import SCHEMA_VERSION
from posture.model import Gap
from tests.helpers.paths import ROOT
from tests.helpers.pg_server import pg_server  # noqa: F401 - session fixture
from tests.helpers.report_helpers import estate, scan_stores


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    return request.getfixturevalue("pg_server").new_database()


def ids(findings):
    return sorted(f["resource"]["id"].rsplit(":", 1)[-1] for f in findings)


def test_record_show_diff_trend(url):
    r1 = scan_stores(["a", "b"])
    r1 = replace(r1, gaps=(Gap("aws", "AccessDenied on s3:ListBuckets", "AccessDenied", "s3", "eu-west-1",
                               "111122223333"),))
    with posture.history.open(url) as h:
        s1 = h.record(r1, time=datetime(2026, 1, 15, tzinfo=timezone.utc))
        s2 = h.record(scan_stores(["b", "c"]), time=datetime(2026, 4, 2, tzinfo=timezone.utc))
        h.record(scan_stores(["z"], source={"type": "other", "target": "x"}))  # another source
        scans = h.scans()
        assert [s.id for s in scans][:2] == [s2 + 1, s2] and scans[-1].id == s1
        rec = h.get(s1)
        assert rec.source == {"type": "test", "target": "estate"} and rec.source_key == "test:estate"
        assert rec.time.startswith("2026-01-15") and rec.tool_version and rec.rules_version.endswith(
            rec.rules_version.split("/")[-1])
        assert rec.scope["accounts"] == ["111122223333"]
        assert ids(rec.findings) == ["a", "b"]
        f = rec.findings[0]
        assert f["rule_id"] == "POSTURE-ENC-001" and f["evidence"]["observed"] == {"encryption.at_rest": False}
        assert f["remediation"] and f["controls"] and f["status"] == "open"
        assert rec.gaps[0]["code"] == "AccessDenied" and rec.gaps[0]["service"] == "s3"
        # default diff: the last two scans of the latest scan's source... which is "other": only one scan
        with pytest.raises(InputError, match="first scan"):
            h.diff()
        d = h.diff(source="test:estate")
        assert (d.old, d.new) == (s1, s2)
        assert (ids(d.new_findings), ids(d.resolved), ids(d.persisting)) == (["c"], ["a"], ["b"])
        assert ids(h.diff(s2, s1).new_findings) == ["a"]
        quarters = h.trend("test:estate", period="quarter")
        assert [p.label for p in quarters] == ["2026-Q1", "2026-Q2"]
        assert quarters[0].by_severity["high"] == 2 and quarters[1].by_category == {"encryption.at_rest": 2}
        with pytest.raises(InputError, match="no scan with id 999"):
            h.get(999)


def test_suppressed_findings_are_not_open_in_diff(tmp_path):
    with posture.history.open(tmp_path / "h.db") as h:
        h.record(scan_stores(["a", "b"]))
        r = scan_stores(["a", "b"])
        r = replace(r, findings=tuple(replace(f, status="suppressed") if f.resource.name == "a" else f
                                      for f in r.findings))
        h.record(r)
        d = h.diff()
        assert ids(d.resolved) == ["a"] and ids(d.persisting) == ["b"]
        assert {f["status"] for f in h.get(2).findings} == {"open", "suppressed"}


# ------------------------------------------------------------------ migrations
V1 = """
CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);
CREATE TABLE scans (id INTEGER PRIMARY KEY AUTOINCREMENT, source_key TEXT NOT NULL, source TEXT NOT NULL,
  started_at TEXT NOT NULL, tool_version TEXT NOT NULL, summary TEXT NOT NULL);
CREATE INDEX scans_by_source ON scans (source_key, id);
CREATE TABLE findings (scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE, fingerprint TEXT NOT NULL,
  rule_id TEXT NOT NULL, severity TEXT NOT NULL, category TEXT NOT NULL, resource_id TEXT NOT NULL,
  status TEXT NOT NULL, message TEXT NOT NULL, evidence TEXT NOT NULL);
CREATE INDEX findings_by_scan ON findings (scan_id, fingerprint);
CREATE TABLE gaps (scan_id INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE, source TEXT NOT NULL,
  code TEXT NOT NULL, service TEXT NOT NULL, region TEXT NOT NULL, account TEXT NOT NULL, target TEXT NOT NULL,
  reason TEXT NOT NULL);
INSERT INTO schema_version VALUES (1, '2026-01-01T00:00:00+00:00');
INSERT INTO scans (source_key, source, started_at, tool_version, summary) VALUES ('test:estate',
  '{"type": "test", "target": "estate"}', '2026-01-01T00:00:00+00:00', '0.0.9',
  '{"open": 1, "by_severity": {"high": 1}, "by_category": {"encryption.at_rest": 1}}');
"""


def test_migrates_a_version_1_database(tmp_path):
    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.executescript(V1)
    fp = next(f.fingerprint for f in scan_stores(["a"]).findings)
    con.execute("INSERT INTO findings VALUES (1, ?, 'POSTURE-ENC-001', 'high', 'encryption.at_rest', "
                "'arn:aws:s3:::a', 'open', 'a is not encrypted', '{\"observed\": false}')", (fp,))
    con.commit()
    con.close()
    with posture.history.open(path) as h:
        assert h.schema_version() == SCHEMA_VERSION == 2
        old = h.get(1)
        assert old.tool_version == "0.0.9" and old.rules_version == "" and old.scope == {}
        assert old.findings[0]["fingerprint"] == fp and old.findings[0]["evidence"] == {"observed": False}
        h.record(scan_stores(["a", "b"]))
        d = h.diff()
        assert ids(d.persisting) == ["a"] and ids(d.new_findings) == ["b"]
    con = sqlite3.connect(path)
    assert [r[0] for r in con.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2]
    con.close()


def test_migrates_a_version_1_database_on_postgresql(pg_server):  # noqa: F811
    import psycopg2

    url = pg_server.new_database()
    conn = psycopg2.connect(url)
    with conn.cursor() as cur:
        cur.execute(V1.replace("INTEGER PRIMARY KEY AUTOINCREMENT", "BIGSERIAL PRIMARY KEY"))
    conn.commit()
    conn.close()
    with posture.history.open(url) as h:
        assert h.schema_version() == 2 and h.get(1).tool_version == "0.0.9"
        assert h.record(scan_stores(["a"])) == 2


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.db"
    posture.history.open(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version VALUES (99, 'future')")
    con.commit()
    con.close()
    with pytest.raises(InputError, match="newer than this posture supports"):
        posture.history.open(path)


# ------------------------------------------------------------------ corruption
def test_corrupted_file_is_a_clear_error_and_untouched(tmp_path):
    path = tmp_path / "h.db"
    path.write_bytes(b"this is not a database\n" * 100)
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a SQLite database") as e:
        posture.history.open(path)
    assert str(path) in str(e.value) and "\n" not in str(e.value)
    assert path.read_bytes() == before and not Path(f"{path}-wal").exists()


def test_damaged_sqlite_pages_are_a_clear_error_and_untouched(tmp_path):
    path = tmp_path / "h.db"
    with posture.history.open(path) as h:
        h.record(scan_stores(["a", "b"]))
    data = bytearray(path.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # smash the schema page, keep the header
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="history database") as e:
        posture.history.open(path)
    assert str(path) in str(e.value)
    assert path.read_bytes() == bytes(data)


def test_foreign_sqlite_database_is_refused(tmp_path):
    path = tmp_path / "app.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE users (id INTEGER)")
    con.commit()
    con.close()
    before = path.read_bytes()
    with pytest.raises(InputError, match="not a posture history database"):
        posture.history.open(path)
    assert path.read_bytes() == before


def test_cli_corrupted_history_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"garbage" * 50)
    assert main(["history", "list", "--history", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a SQLite database" in err and str(bad) in err


def test_unsupported_url_and_password_never_shown(tmp_path):
    with pytest.raises(InputError, match="unsupported history URL"):
        posture.history.open("mysql://u:pw@host/db")
    with pytest.raises(InputError) as e:
        posture.history.open("postgresql://user:s3cretpw@127.0.0.1:1/db")
    assert "s3cretpw" not in str(e.value) and "***" in str(e.value)


# ------------------------------------------------------------------ crash and concurrency (real processes)
CHILD = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {root!r})
    import posture.history
    from posture.history.store import History
    from tests.helpers.report_helpers import scan_stores

    url, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "crash":
        rows = History._finding_rows

        def slow_rows(scan_id, result):
            for i, row in enumerate(rows(scan_id, result)):
                if i == 1500:  # three batches are already inserted in the open transaction
                    print("mid-write", flush=True)
                    time.sleep(600)
                yield row

        History._finding_rows = staticmethod(slow_rows)
        result = scan_stores([f"b{{i}}" for i in range(n)])
        with posture.history.open(url) as h:
            h.record(result)
        print("committed", flush=True)
    else:
        result = scan_stores([f"{{mode}}-{{i}}" for i in range(n)], source={{"type": "test", "target": mode}})
        print("ready", flush=True)
        sys.stdin.readline()  # start together
        with posture.history.open(url) as h:
            for _ in range(5):
                h.record(result)
""")


@pytest.fixture
def child(tmp_path):
    script = tmp_path / "child.py"
    script.write_text(CHILD.format(root=str(ROOT)))
    return script


def _count(url):
    with posture.history.open(url) as h:
        scans = h.scans()
        return len(scans), sum(len(h.get(s.id).findings) for s in scans)


def test_killed_mid_write_leaves_history_as_it_was(url, child):
    with posture.history.open(url) as h:
        h.record(scan_stores(["kept-1", "kept-2"]))
    before = _count(url)
    proc = subprocess.Popen([sys.executable, str(child), url, "crash", "3000"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "mid-write"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    time.sleep(0.2)  # PostgreSQL notices the dropped connection and aborts its transaction
    assert _count(url) == before == (1, 2)
    if not url.startswith("postgresql"):
        con = sqlite3.connect(url)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
    with posture.history.open(url) as h:  # and the history still takes new scans
        new_id = h.record(scan_stores(["after"]))
        assert [s.id for s in h.scans()] == [new_id, 1] and ids(h.get(new_id).findings) == ["after"]


def test_concurrent_writers_both_recorded(url, child):
    procs = [subprocess.Popen([sys.executable, str(child), url, name, "300"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True) for name in ("one", "two")]
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        for p in procs:
            assert p.wait(timeout=120) == 0
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    with posture.history.open(url) as h:
        scans = h.scans()
        assert len(scans) == 10 and len({s.id for s in scans}) == 10
        assert sorted({s.source_key for s in scans}) == ["test:one", "test:two"]
        for s in scans:
            rec = h.get(s.id)
            assert len(rec.findings) == 300 and {f["resource"]["id"].split(":")[-1].split("-")[0]
                                                  for f in rec.findings} == {s.source_key.split(":")[1]}


# ------------------------------------------------------------------ CLI
def test_cli_scan_records_and_history_commands(tmp_path, capsys, monkeypatch):
    from posture.api import save_snapshot

    snap = save_snapshot(estate.example_inventory(), tmp_path / "estate.jsonl")
    db = tmp_path / "h.db"
    rules = ["--rules", str(estate.RULES)]
    assert main(["scan", "snapshot", str(snap), *rules, "--history", str(db), "--format", "json", "-q"]) == 1
    monkeypatch.setenv("POSTURE_HISTORY", str(db))
    out = tmp_path / "r.html"
    assert main(["scan", "snapshot", str(snap), *rules, "--format", "html", "-o", str(out), "-q"]) == 1
    page = out.read_text()
    assert 'id="trend"' in page and page.count("<svg") == 2
    capsys.readouterr()

    assert main(["history", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["id"] for s in listed] == [2, 1] and listed[0]["source"]["type"] == "snapshot"

    assert main(["history", "show", "1", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    n = len(estate.example_result().findings)
    assert len(shown["findings"]) == n > 3 and "hunter2" not in json.dumps(shown)

    assert main(["history", "diff", "--format", "json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert (d["old"], d["new_scan"], d["new"], d["resolved"], len(d["persisting"])) == (1, 2, [], [], n)

    for fmt, marker in (("table", f"persisting ({n})"), ("markdown", "| severity |"), ("html", "<table>")):
        assert main(["history", "diff", "1", "2", "--format", fmt]) == 0
        assert marker in capsys.readouterr().out

    assert main(["history", "show", "2", "--format", "html", "-o", str(tmp_path / "s.html")]) == 0
    assert "Data store reachable from the internet" in (tmp_path / "s.html").read_text()
    assert main(["history", "trend", "--by", "quarter", "--format", "json"]) == 0
    trend = json.loads(capsys.readouterr().out)
    assert len(trend) == 1 and trend[0]["by_severity"]["critical"] == 1
    assert main(["history", "list", "--format", "markdown"]) == 0
    assert "| id |" in capsys.readouterr().out


def test_cli_scan_with_broken_history_still_reports(tmp_path, capsys):
    from posture.api import save_snapshot

    snap = save_snapshot(estate.example_inventory(), tmp_path / "estate.jsonl")
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite" * 20)
    out = tmp_path / "r.json"
    assert main(["scan", "snapshot", str(snap), "--history", str(bad), "--format", "json", "-o", str(out)]) == 2
    assert json.loads(out.read_text())["findings"]
    err = capsys.readouterr().err
    assert "not a SQLite database" in err and "scan not recorded" in err
    assert bad.read_bytes() == b"not sqlite" * 20


def test_cli_history_without_url(monkeypatch, capsys):
    monkeypatch.delenv("POSTURE_HISTORY", raising=False)
    assert main(["history", "list"]) == 2
    assert "POSTURE_HISTORY" in capsys.readouterr().err
