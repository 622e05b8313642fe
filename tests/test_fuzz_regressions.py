"""One small deterministic test per contract violation the fuzzing suite found (tests/test_fuzz.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from posture import inputs
from posture.cli import main
from posture.errors import InputError
from tests.helpers.paths import FIXTURES

FUZZ = FIXTURES / "fuzz"


def _error_line(capsys: pytest.CaptureFixture[str]) -> str:
    errors = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("posture: error:")]
    assert len(errors) == 1, errors
    return errors[0]


# --------------------------------------------------------------------------- YAML alias bombs
def _bomb(levels: int = 9) -> str:
    names = "abcdefghijklmnop"
    lines = [f"{names[0]}: &{names[0]} [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{names[i]}: &{names[i]} [{', '.join([f'*{names[i - 1]}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_without_walking_its_expansion() -> None:
    """A billion-value bomb of 500 bytes took 3 to 8 s to refuse (every reachable value was walked)."""
    started = time.monotonic()
    with pytest.raises(InputError, match=r"more than 10,000,000 values"):
        inputs.parse_yaml(_bomb(), "bomb.yaml")
    assert time.monotonic() - started < 1.0


def test_shared_values_are_counted_as_often_as_they_are_reachable() -> None:
    doc = inputs.parse_yaml(_bomb(3), "small.yaml")  # the three lists, then 10, 10 x 11 and 10 x 111 values
    small = inputs.Limits(max_nodes=1_233)
    assert inputs.check_shape(doc, "small.yaml", small) is doc
    with pytest.raises(InputError, match="more than 1,232 values"):
        inputs.check_shape(doc, "small.yaml", inputs.Limits(max_nodes=1_232))


def test_a_document_that_contains_itself_is_refused() -> None:
    loop: list = []
    loop.append(loop)
    with pytest.raises(InputError, match="nested deeper"):
        inputs.check_shape({"a": loop}, "loop.json")


# --------------------------------------------------------------------------- ticket configs and results
@pytest.mark.parametrize("url", ['"\\"\\"x"', "http://[::1", "ftp://tickets.example", "http://a b",
                                 "http://127.0.0.1:99999", "https://"])
def test_ticket_url_that_is_not_http_is_an_input_error(tmp_path: Path, url: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """An invalid jira.url was exit 3 (ValueError from urllib) or a name lookup of a bare word."""
    cfg = tmp_path / "tickets.yaml"
    cfg.write_text((FUZZ / "tickets-jira.yaml").read_text().replace("http://127.0.0.1:9", url))
    code = main(["tickets", "sync", str(FUZZ / "result.json"), "--config", str(cfg), "--dry-run"])
    assert code == 2
    line = _error_line(capsys)
    assert f"{cfg}:" in line and "jira.url" in line


@pytest.mark.parametrize("doc", [{"a": 1}, {"findings": "x"}, {"findings": [{"fingerprint": 1}]},
                                 {"findings": [{"fingerprint": "f", "rule_id": "R", "severity": "urgent",
                                                "resource": {"id": "x"}, "message": "m"}]},
                                 {"findings": [{"fingerprint": "f", "rule_id": "R", "severity": "high",
                                                "resource": {"id": "x", "account": 7}, "message": "m"}]},
                                 {"findings": [{"fingerprint": "f", "rule_id": "R", "severity": "high",
                                                "resource": ["x"], "message": "m"}]}])
def test_scan_result_that_is_not_one_names_the_file(tmp_path: Path, doc: dict,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """'expected a scan result with a findings list' named no file; a bad severity or account was exit 3."""
    result = tmp_path / "result.json"
    result.write_text(json.dumps(doc))
    assert main(["tickets", "sync", str(result), "--config", str(FUZZ / "tickets.yaml"), "--dry-run"]) == 2
    assert str(result) in _error_line(capsys)


# --------------------------------------------------------------------------- statements
@pytest.mark.parametrize("text", ["[" * 200_000, "<" * 200_000, "**a" * 70_000, "](" * 100_000])
def test_statement_markup_runs_in_linear_time(text: str) -> None:
    """200 KB of '[' took over 20 s: the inline Markdown patterns rescanned to the end from every '['."""
    from posture.statement.text import _inline
    started = time.monotonic()
    _inline(text)
    assert time.monotonic() - started < 1.0


def test_statement_markup_still_unwrapped() -> None:
    from posture.statement.text import _inline
    assert _inline("We use **TLS 1.2** and [encryption](https://x) with `AES` and _keys_ <b>now</b>") == \
        "We use TLS 1.2 and encryption with AES and keys now"


# --------------------------------------------------------------------------- one error line
def test_error_echoing_a_hostile_value_stays_one_bounded_line(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A 500 KB value (or one with line breaks) echoed in an error made a line the contract could not see."""
    cfg = tmp_path / "suppressions.yaml"
    cfg.write_text("suppressions:\n  - rule: \"" + "\\\\" * 300_000 + "\\nX\\x1b[2J\"\n    reason: r\n")
    assert main(["scan", "snapshot", str(FIXTURES / "rules/network/gcp.jsonl"), "-q", "--suppressions",
                 str(cfg)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"posture: error: {cfg}:") and len(err) < 1200
    assert "\x1b" not in err


@pytest.mark.parametrize(("key", "value"), [("skip", "[NOPE-1]"), ("rule", "[POSTURE-NOPE-*]"),
                                            ("enable", "[0000-01-01x]")])
def test_unknown_rule_id_from_the_config_names_the_config_line(tmp_path: Path, key: str, value: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / ".posture.yaml"
    cfg.write_text(f"fail-on: high\n{key}: {value}\n")
    assert main(["scan", "snapshot", str(FIXTURES / "rules/network/gcp.jsonl"), "-q", "--config", str(cfg)]) == 2
    shown = os.path.relpath(cfg)  # the configuration's origin is shown relative to the working directory
    assert f"{shown}:2: unknown rule id(s)" in _error_line(capsys)


# --------------------------------------------------------------------------- history rows
@pytest.mark.parametrize(("sql", "command"), [
    ("UPDATE scans SET summary = '5'", "list"),
    ("UPDATE scans SET summary = '{\"by_severity\": [1]}'", "list"),
    ("UPDATE scans SET source = X'FF'", "list"),
    ("UPDATE scans SET started_at = 'yesterday'", "list"),
    ("UPDATE scans SET summary = '{\"by_severity\": {\"high\": \"x\"}}'", "trend"),
    ("UPDATE findings SET document = '[1]'", "show"),
    ("UPDATE findings SET evidence = '" + "9" * 5000 + "'", "show"),
    ("UPDATE findings SET document = '{\"resource\": 7}'", "show"),
])
def test_damaged_history_rows_are_an_input_error(tmp_path: Path, sql: str, command: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """A history database edited or damaged outside posture was exit 3 (TypeError, ValueError)."""
    import sqlite3
    db = tmp_path / "h.db"
    main(["scan", "snapshot", str(FIXTURES / "rules/network/gcp.jsonl"), "-q", "--format", "json",
          "--history", str(db)])
    with sqlite3.connect(db) as conn:
        conn.execute(sql)
    capsys.readouterr()
    argv = ["history", command, "--history", str(db)] + (["1"] if command == "show" else [])
    assert main(argv) == 2
    line = _error_line(capsys)
    assert str(db) in line and "did not write" in line


# --------------------------------------------------------------------------- reading under a memory limit
def test_a_small_file_is_read_without_reserving_its_kinds_whole_limit(tmp_path: Path) -> None:
    """read(limit + 1) reserved 2 GiB for every plan: under an address-space limit each plan was a MemoryError."""
    import resource
    import subprocess
    import sys

    from tests.helpers.paths import ROOT
    plan = tmp_path / "plan.json"
    plan.write_text('{"format_version": "1.2"}')
    code = ("from posture import inputs; import sys; "
            f"sys.exit(0 if inputs.read_bytes({str(plan)!r}, 'plan') else 1)")

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    done = subprocess.run([sys.executable, "-c", code], preexec_fn=limit, cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-500:]


def test_a_file_that_grows_past_its_stat_size_stays_bounded() -> None:
    with pytest.raises(InputError, match="larger than the 100-byte limit"):
        inputs.read_bytes("/proc/self/status", "config", limits=inputs.Limits(max_bytes={"config": 100}))


# --------------------------------------------------------------------------- profiles
def test_profile_claim_error_names_the_profile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A claim naming an unknown rule was reported under the profile's name, not its file."""
    import yaml
    root = FIXTURES.parent.parent
    doc = yaml.safe_load((root / "rules.d/profiles/aws-saas.yaml").read_text())
    doc["claims"][0]["rules"] = ["POSTURE-ENC-999"]
    doc["claims"][0].pop("topic", None)
    profile = tmp_path / "mine.yaml"
    profile.write_text(yaml.safe_dump(doc))
    assert main(["verify", str(profile), str(FIXTURES / "plans/aws/s3/plan.json")]) == 2
    line = _error_line(capsys)
    assert f"{profile}: claim" in line and "POSTURE-ENC-999" in line


# --------------------------------------------------------------------------- HCL blocks nested hundreds deep
def _nested_blocks(depth: int = 2000) -> str:
    return 'resource "aws_s3_bucket" "b" {\n' + "a {\n" * depth + "}\n" * depth + "}\n"


def test_deeply_nested_hcl_blocks_are_a_gap_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """_body recursed once per block level: 2,000 nested blocks were a RecursionError (exit 3)."""
    (tmp_path / "main.tf").write_text(_nested_blocks())
    (tmp_path / "ok.tf").write_text('resource "aws_s3_bucket" "ok" { bucket = "ok" }\n')
    assert main(["scan", "terraform", str(tmp_path), "-q", "--format", "json", "--fail-on", "none",
                 "--gaps", "warn"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert any(g["code"] == "hcl_parse_error" and "nested too deeply" in g["reason"] for g in doc["gaps"])


def test_deeply_nested_blocks_in_a_var_file_are_an_input_error(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "main.tf").write_text('variable "x" {}\n')
    var_file = tmp_path / "x.tfvars"
    var_file.write_text("x = 1\n" + _nested_blocks())
    assert main(["scan", "terraform", str(tmp_path), "--var-file", str(var_file), "-q"]) == 2
    assert f"{var_file}: HCL blocks nested too deeply" in _error_line(capsys)


def test_statement_over_its_size_limit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A 1 MiB statement took over 10 s of claim extraction (linear, ~15 s per MiB): statements have a limit."""
    statement = tmp_path / "s.md"
    statement.write_bytes(b'\\"' * (1 << 19))
    assert main(["verify", "--statement", str(statement), str(FIXTURES / "plans/aws/s3/plan.json")]) == 2
    assert "over the 524,288-byte limit for statement inputs" in _error_line(capsys)
