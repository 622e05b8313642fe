"""One validated path for every user file: regular files only, bounded, strict, errors as file:line: field."""

from __future__ import annotations

import os
import re
import signal
from pathlib import Path

import pytest

from posture import inputs
from posture.cli import main
from posture.discovery.scope import load_scope
from posture.errors import InputError
from posture.gate import load_suppressions, read_baseline
from posture.profiles import load_profile
from posture.rules.lang import load_rule_file
from posture.segmentation import load_policy
from posture.tickets.config import load_config

# every user file posture reads, with a valid document of its kind (YAML unless it is JSON)
LOADERS = {
    "suppressions": (load_suppressions, "suppressions:\n  - {rule: POSTURE-NET-001, reason: ok}\n"),
    "baseline": (read_baseline, '{"version": 1, "fingerprints": {}}'),
    "tickets": (load_config, "to: github\ngithub: {repo: o/r}\n"),
    "scope": (load_scope, "allow: {cidrs: [127.0.0.1]}\n"),
    "profile": (load_profile, "profile: p\ntitle: t\nclaims:\n  - {id: c, text: t, rules: [POSTURE-NET-001]}\n"),
    "policy": (load_policy, "zones: {a: {tags: {env: a}}}\nflows: []\n"),
    "rules": (load_rule_file, "rules: []\n"),
}

GATE_TF = 'resource "aws_db_instance" "db" {\n  storage_encrypted = false\n}\n'


@pytest.fixture
def alarm():
    """Fail instead of hanging: a loader that opens a named pipe would block forever."""
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the loader blocked on a non-regular file"))
    signal.alarm(10)
    yield
    signal.alarm(0)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_every_loader_accepts_its_valid_document(tmp_path, kind):
    load, text = LOADERS[kind]
    p = tmp_path / "f.yaml"
    p.write_text(text)
    load(p)


@pytest.mark.parametrize("kind", sorted(LOADERS))
def test_named_pipes_and_devices_are_refused_before_open(tmp_path, kind, alarm):
    load, _ = LOADERS[kind]
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="a named pipe, not a regular file"):
        load(fifo)
    with pytest.raises(InputError, match="a character device, not a regular file"):
        load("/dev/zero")
    with pytest.raises(InputError, match="a directory, not a regular file"):
        load(tmp_path)


BAD_YAML = {
    "utf8": (b"a: 1\nb: \xff\n", r":2: invalid UTF-8"),
    "syntax": (b"a: [\n", r":\d+: invalid YAML"),
    "deep": (b"[" * 100_000, r":1: invalid YAML: nested deeper than 100 levels"),
    "deep block": (b"- " * 5_000 + b"a", r":1: invalid YAML: nested deeper than 100 levels"),
    "long integer": (b"a:\n  b: " + b"7" * 5000 + b"\n", r":2: invalid YAML: invalid integer .* 4,300 digits"),
    "impossible date": (b"x:\n  expires: 2026-02-30\n", r":2: invalid YAML: invalid date '2026-02-30'"),
    "unhashable key": (b"a: 1\n? [x]\n: 1\n", r":2: invalid YAML: a mapping key must be a plain value"),
    "duplicate key": (b"a: 1\na: 2\n", r":2: invalid YAML: duplicate key 'a'"),
    "control character": (b"a: \x1b[2J\n", r":1: invalid YAML: control characters are not allowed"),
    "alias bomb": (b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n".encode() for i in range(7)),
        r"more than 1,000,000 values"),
}


@pytest.mark.parametrize("kind", sorted(k for k in LOADERS if k != "baseline"))
@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_bad_yaml_is_one_line_input_error_naming_file_and_line(tmp_path, monkeypatch, kind, case):
    monkeypatch.setenv("POSTURE_MAX_NODES", "1000000")
    load, _ = LOADERS[kind]
    data, pattern = BAD_YAML[case]
    p = tmp_path / "f.yaml"
    p.write_bytes(data)
    with pytest.raises(InputError) as e:
        load(p)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(str(p))
    assert re.search(pattern, msg), msg


BAD_JSON = {
    "utf8": (b'{"version": 1,\n"fingerprints": "\xff"}', r":2: invalid UTF-8"),
    "syntax": (b'{"version": 1,\n"fingerprints": }', r":2: invalid JSON"),
    "deep": (b"[" * 100_000, r"nested deeper than 100 levels"),
    "long integer": (b'{"version": 1,\n"fingerprints": {}, "x": ' + b"9" * 5000 + b"}",
                     r":2: invalid JSON: integer longer than 4,300 digits"),
    "wrong type": (b'{"version": 1, "fingerprints": {"abc": 3}}', r": fingerprints.abc: .*valid dictionary"),
    "unknown key": (b'{"version": 1, "fingerprints": {}, "fingerprint": {}}',
                    r": fingerprint: unknown field; did you mean 'fingerprints'\?"),
}


@pytest.mark.parametrize("case", sorted(BAD_JSON))
def test_bad_baselines_are_one_line_input_errors(tmp_path, case):
    data, pattern = BAD_JSON[case]
    p = tmp_path / "b.json"
    p.write_bytes(data)
    with pytest.raises(InputError) as e:
        read_baseline(p)
    assert "\n" not in str(e.value) and str(e.value).startswith(str(p)) and re.search(pattern, str(e.value))


def test_size_limits_per_kind_are_configurable(tmp_path, monkeypatch):
    p = tmp_path / "s.yaml"
    p.write_text(LOADERS["suppressions"][1])
    monkeypatch.setenv("POSTURE_MAX_CONFIG_BYTES", "16")
    with pytest.raises(InputError, match=r"over the 16-byte limit for config inputs .*POSTURE_MAX_CONFIG_BYTES"):
        load_suppressions(p)
    monkeypatch.setenv("POSTURE_MAX_CONFIG_BYTES", "1K")
    assert load_suppressions(p)
    assert inputs.Limits.from_env().bytes_for("config") == 1024
    monkeypatch.setenv("POSTURE_MAX_CONFIG_BYTES", "lots")
    with pytest.raises(InputError, match="POSTURE_MAX_CONFIG_BYTES: must be a whole number"):
        load_suppressions(p)


def test_a_file_growing_past_its_stat_size_is_still_bounded(tmp_path):
    # /proc files report size 0 and can be long: the read itself is bounded
    limits = inputs.Limits(max_bytes={"config": 64})
    with pytest.raises(InputError, match="larger than the 64-byte limit"):
        inputs.read_bytes("/proc/self/maps", "config", limits=limits)


@pytest.mark.parametrize("load, text, expected", [
    (load_suppressions, "suppressions:\n  - rule: POSTURE-NET-001\n    reason: vpn only\n    resouce: aws_sg.a\n",
     "4: suppressions[0].resouce: unknown field; did you mean 'resource'?"),
    (load_suppressions, "suppressions:\n  - rule: POSTURE-NET-001\n    reason: vpn only\n    expiry: 2027-01-01\n",
     "4: suppressions[0].expiry: unknown field; did you mean 'expires'?"),
    (load_scope, "allow: {cidrs: [127.0.0.1]}\nlimits:\n  rate: 5\n  concurrncy: 2\n",
     "4: limits.concurrncy: unknown field; did you mean 'concurrency'?"),
    (load_config, "to: github\ngithub:\n  repo: o/r\n  label: [x]\n",
     "4: github.label: unknown field; did you mean 'labels'?"),
    (load_config, "to: github\nmax_retries: many\n",
     "2: max_retries: Input should be a valid integer, unable to parse string as an integer"),
    (load_suppressions, "suppressions:\n  - rule: POSTURE-NET-001\n    reason: [a, b]\n",
     "3: suppressions[0].reason: Input should be a valid string"),
])
def test_unknown_keys_and_wrong_types_name_the_line_and_field(tmp_path, load, text, expected):
    p = tmp_path / "f.yaml"
    p.write_text(text)
    with pytest.raises(InputError) as e:
        load(p)
    assert str(e.value) == f"{p}:{expected}"


def test_suppression_of_an_unknown_rule_is_an_error_with_a_suggestion(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("suppressions:\n  - {rule: POSTURE-NET-001, reason: ok}\n  - {rule: POSTURE-NET-01, reason: typo}\n")
    with pytest.raises(InputError, match=r"s.yaml:3: suppressions\[1\].rule: no rule matches 'POSTURE-NET-01'; "
                                         r"did you mean 'POSTURE-NET-001'\?"):
        load_suppressions(p, ["POSTURE-NET-001", "POSTURE-NET-002"])
    p.write_text("suppressions:\n  - {rule: 'POSTURE-NET-*', reason: globs match known rules}\n")
    assert load_suppressions(p, ["POSTURE-NET-001"])[0].rule == "POSTURE-NET-*"


@pytest.mark.parametrize("entry, message", [
    ("{rule: POSTURE-ENC-001, resouce: aws_db_instance.other, reason: typo widens}", "did you mean 'resource'"),
    ("{rule: POSTURE-ENC-001, expiry: 2020-01-01, reason: typo never expires}", "did you mean 'expires'"),
    ("{rule: POSTURE-ENC-01, reason: typo in the id}", "no rule matches 'POSTURE-ENC-01'"),
])
def test_cli_misspelt_suppression_exits_2(tmp_path, capsys, entry, message):
    (tmp_path / "main.tf").write_text(GATE_TF)
    s = tmp_path / "s.yaml"
    s.write_text(f"suppressions:\n  - {entry}\n")
    assert main(["scan", "terraform", str(tmp_path), "-q", "--suppressions", str(s)]) == 2
    err = capsys.readouterr().err
    assert message in err and f"{s}:2:" in err and len(err.strip().splitlines()) == 1


def test_cli_fifo_as_suppressions_file_exits_2(tmp_path, capsys, alarm):
    (tmp_path / "main.tf").write_text(GATE_TF)
    fifo = tmp_path / "s.yaml"
    os.mkfifo(fifo)
    assert main(["scan", "terraform", str(tmp_path / "main.tf"), "-q", "--suppressions", str(fifo)]) == 2
    assert "a named pipe, not a regular file" in capsys.readouterr().err


def test_rule_files_keep_rule_file_errors(tmp_path):
    from posture.rules.lang import RuleFileError

    p = tmp_path / "r.yaml"
    p.write_bytes(b"rules:\n  - id: \xfe\n")
    with pytest.raises(RuleFileError, match=r"r.yaml:2: invalid UTF-8"):
        load_rule_file(p)


def test_line_of_follows_lists_and_mappings():
    doc = inputs.parse_yaml("a:\n  - x: 1\n  - y:\n      z: 2\n", "f")
    assert inputs.line_of(doc, ("a", 1, "y", "z")) == 4
    assert inputs.line_of(doc, ("a", 1)) == 3
    assert inputs.line_of(doc, ("a", 0, "missing")) == 2
    assert inputs.line_of(doc, ("function-after[x]", "a")) == 1


def test_yaml_is_read_with_the_c_loader_when_available():
    import yaml

    if hasattr(yaml, "CSafeLoader"):
        assert issubclass(inputs.LineLoader, yaml.CSafeLoader)
    # the loader stays safe: no Python objects
    with pytest.raises(InputError, match="invalid YAML"):
        inputs.parse_yaml("!!python/object/apply:os.system ['true']", "f")


def test_repository_reads_no_user_file_around_the_inputs_module():
    """Every yaml.load / json.loads of a user file goes through posture.inputs (built-in data excepted)."""
    root = Path(inputs.__file__).parent
    allowed = {"inputs.py", "knowledge/__init__.py", "compliance.py", "discovery/services.py", "history/store.py",
               "tickets/http.py", "providers"}
    offenders = []
    for f in root.rglob("*.py"):
        rel = f.relative_to(root).as_posix()
        if rel in allowed or rel.split("/")[0] in allowed:
            continue
        if re.search(r"yaml\.(safe_)?load\(|json\.loads?\(", f.read_text()):
            offenders.append(rel)
    assert offenders == []
