"""The scan sources' own files (plans, .tf/.tf.json, var files, modules.json, snapshots, shards) go through
posture.inputs: special files refused (exit 2, never a hang), size limits per kind, errors as file:line."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from posture.cli import main
from posture.errors import InputError, LimitExceeded
from posture.providers.shards import shard_paths
from posture.providers.snapshot import read_snapshot
from posture.providers.terraform import load_terraform
from posture.providers.terraform.hcl import load_hcl_sources

TF = 'resource "aws_s3_bucket" "ok" {\n  bucket = "ok"\n}\n'


@pytest.fixture
def alarm():
    """Fail instead of hanging: a reader that opens a named pipe would block forever."""
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("the reader blocked on a non-regular file"))
    signal.alarm(10)
    yield
    signal.alarm(0)


def _fifo(p: Path) -> Path:
    os.mkfifo(p)
    return p


def _dev_zero(p: Path) -> Path:
    p.symlink_to("/dev/zero")
    return p


def _plan(tmp: Path, make) -> None:
    load_terraform(make(tmp / "plan.json"))


def _tf_in_dir(tmp: Path, make) -> None:
    (tmp / "ok.tf").write_text(TF)
    make(tmp / "main.tf")
    load_terraform(tmp)


def _tf_json_in_dir(tmp: Path, make) -> None:
    (tmp / "ok.tf").write_text(TF)
    make(tmp / "main.tf.json")
    load_terraform(tmp)


def _tf_named(tmp: Path, make) -> None:
    load_terraform(make(tmp / "main.tf"))


def _tf_in_module(tmp: Path, make) -> None:
    (tmp / "main.tf").write_text('module "m" {\n  source = "./m"\n}\n')
    (tmp / "m").mkdir()
    make(tmp / "m" / "main.tf")
    load_terraform(tmp)


def _var_file(tmp: Path, make) -> None:
    (tmp / "main.tf").write_text(TF)
    load_terraform(tmp, [make(tmp / "x.tfvars")])


def _var_file_json(tmp: Path, make) -> None:
    (tmp / "main.tf").write_text(TF)
    load_terraform(tmp, [make(tmp / "x.tfvars.json")])


def _auto_tfvars(tmp: Path, make) -> None:
    (tmp / "main.tf").write_text(TF)
    make(tmp / "a.auto.tfvars")
    load_terraform(tmp)


def _snapshot(tmp: Path, make) -> None:
    read_snapshot(make(tmp / "s.jsonl"))


def _shard(tmp: Path, make) -> None:
    shard_paths([make(tmp / "s.jsonl")])


SOURCES = {"plan": _plan, "tf in a directory": _tf_in_dir, "tf.json in a directory": _tf_json_in_dir,
           "tf named": _tf_named, "tf in a module": _tf_in_module, "var file": _var_file,
           "var file json": _var_file_json, "auto tfvars": _auto_tfvars, "snapshot": _snapshot, "shard": _shard}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.parametrize(("make", "what"), [(_fifo, "a named pipe"), (_dev_zero, "a character device")],
                         ids=["fifo", "dev-zero"])
def test_special_files_are_refused_for_every_source(tmp_path, source, make, what, alarm):
    with pytest.raises(InputError, match=f"{what}, not a regular file"):
        SOURCES[source](tmp_path, make)


@pytest.mark.parametrize(("args", "name"), [
    (["terraform", "{d}/plan.json"], "plan.json"),
    (["terraform", "{d}"], "main.tf"),
    (["terraform", "{d}", "--var-file", "{d}/x.tfvars"], "x.tfvars"),
    (["snapshot", "{d}/s.jsonl"], "s.jsonl"),
])
def test_cli_fifo_is_exit_2_naming_it(tmp_path, capsys, alarm, args, name):
    (tmp_path / "ok.tf").write_text(TF)
    os.mkfifo(tmp_path / name)
    assert main(["scan", *(a.format(d=tmp_path) for a in args), "-q", "-o", os.devnull]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"{tmp_path / name}: " in err and "a named pipe" in err


def test_plan_errors_name_file_and_line(tmp_path):
    p = tmp_path / "plan.json"
    p.write_bytes(b'{"format_version": "1.2",\n "x": \xff}')
    with pytest.raises(InputError, match=r"plan.json:2: invalid UTF-8 \(byte 0xff\)"):
        load_terraform(p)
    p.write_text('{"format_version": "1.2",\n "x": }')
    with pytest.raises(InputError, match=r"plan.json:2: invalid JSON: Expecting value"):
        load_terraform(p)
    p.write_text('{"format_version": "1.2", "x": ' + "9" * 5000 + "}")
    with pytest.raises(InputError, match=r"plan.json:1: invalid JSON: integer longer than 4,300 digits"):
        load_terraform(p)


def test_plan_size_limit_is_per_kind(tmp_path, monkeypatch):
    p = tmp_path / "plan.json"
    p.write_text('{"format_version": "1.2"}' + " " * 100)
    monkeypatch.setenv("POSTURE_MAX_PLAN_BYTES", "64")
    with pytest.raises(LimitExceeded, match=r"over the 64-byte limit for plan inputs .*POSTURE_MAX_PLAN_BYTES"):
        load_terraform(p)


def test_tf_file_over_the_limit_is_a_gap_in_a_directory_and_exit_2_when_named(tmp_path, monkeypatch):
    (tmp_path / "ok.tf").write_text(TF)
    big = tmp_path / "big.tf"
    big.write_text(TF.replace("ok", "big") + "#" * 500)
    monkeypatch.setenv("POSTURE_MAX_HCL_BYTES", "200")
    loaded = load_hcl_sources(tmp_path)
    assert {r.address for r in loaded.raws} == {"aws_s3_bucket.ok"}
    [gap] = loaded.gaps
    assert gap.code == "limit_exceeded" and gap.target == "big.tf" and gap.gap_class.value == "input_not_read"
    assert "200-byte limit" in gap.reason and "POSTURE_MAX_HCL_BYTES" in gap.reason
    with pytest.raises(LimitExceeded, match=r"big.tf: .*over the 200-byte limit"):
        load_terraform(big)


def test_var_file_errors_name_file_and_line(tmp_path):
    (tmp_path / "main.tf").write_text(TF)
    vf = tmp_path / "x.tfvars.json"
    vf.write_text('{\n "a": [1,\n}')
    with pytest.raises(InputError, match=r"x.tfvars.json:3: invalid JSON"):
        load_terraform(tmp_path, [vf])
    vf.write_text("[" * 5000 + "]" * 5000)
    with pytest.raises(InputError, match=r"x.tfvars.json.*nested deeper than 100 levels"):
        load_terraform(tmp_path, [vf])
    vf = tmp_path / "y.tfvars"
    vf.write_bytes(b'a = "\xff"\n')
    with pytest.raises(InputError, match=r"y.tfvars:1: invalid UTF-8"):
        load_terraform(tmp_path, [vf])


def test_snapshot_errors_name_file_and_line(tmp_path):
    s = tmp_path / "s.jsonl"
    header = json.dumps({"posture_snapshot": 1}) + "\n"
    s.write_bytes(header.encode() + b'{"type": "gap", "reason": "\xff"}\n')
    with pytest.raises(InputError, match=r"s.jsonl:2: invalid UTF-8"):
        read_snapshot(s)
    s.write_text(header + '{"type": "gap", "n": ' + "9" * 5000 + "}\n")
    with pytest.raises(InputError, match=r"s.jsonl:2: invalid JSON: integer longer than 4,300 digits"):
        read_snapshot(s)
    s.write_text(header + '{"type": "gap", "x": ' + "[" * 500 + "]" * 500 + "}\n")
    with pytest.raises(InputError, match=r"s.jsonl:2: nested deeper than 100 levels"):
        read_snapshot(s)
    s.write_text(header + "[1]\n")
    with pytest.raises(InputError, match=r"s.jsonl:2: each line must be a JSON object"):
        read_snapshot(s)


def test_symlink_loops_in_a_module_directory_are_gaps(tmp_path):
    (tmp_path / "main.tf").write_text(TF + 'module "m" {\n  source = "./m/x"\n}\nmodule "n" {\n  source = "./n"\n}\n')
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "x").symlink_to("y")
    (tmp_path / "m" / "y").symlink_to("x")
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "main.tf").write_text(TF.replace("ok", "n"))
    (tmp_path / "n" / "loop.tf").symlink_to("loop.tf")
    loaded = load_hcl_sources(tmp_path)
    assert {r.address for r in loaded.raws} == {"aws_s3_bucket.ok", "module.n.aws_s3_bucket.n"}
    gaps = {g.code: g for g in loaded.gaps}
    assert set(gaps) == {"module_not_found", "unreadable_file"}
    assert "./m/x" in gaps["module_not_found"].reason
    assert gaps["unreadable_file"].target == "n/loop.tf" and "symbolic links" in gaps["unreadable_file"].reason


def test_unreadable_modules_json_is_a_gap(tmp_path):
    (tmp_path / "main.tf").write_text(TF + 'module "m" {\n  source = "example.com/x/y"\n}\n')
    mj = tmp_path / ".terraform" / "modules" / "modules.json"
    mj.parent.mkdir(parents=True)
    mj.write_text('{"Modules": [')
    loaded = load_hcl_sources(tmp_path)
    assert any(g.code == "unreadable_file" and "modules.json:1: invalid JSON" in g.reason for g in loaded.gaps)
    assert any(g.code == "unknown_module" for g in loaded.gaps)


@pytest.mark.parametrize(("body", "message"), [
    ("9" * 5000, "tf_json_parse_error main.tf.json:1: invalid JSON: integer longer than 4,300 digits"),
    ("[" * 50_000 + "]" * 50_000, "tf_json_parse_error main.tf.json: JSON nests too deeply"),
])
def test_hostile_tf_json_is_a_gap_for_its_file(tmp_path, body, message):
    (tmp_path / "ok.tf").write_text(TF)
    (tmp_path / "main.tf.json").write_text('{"resource": {"aws_s3_bucket": {"b": {"x": ' + body + "}}}}")
    loaded = load_hcl_sources(tmp_path)
    assert [r.address for r in loaded.raws] == ["aws_s3_bucket.ok"]
    assert [f"{g.code} {g.reason}" for g in loaded.gaps] == [message + "; file skipped"]


def test_a_pipe_inside_a_shard_directory_fails_its_own_task(tmp_path, alarm):
    from posture.model import Inventory
    from posture.providers.shards import collect_shards
    from posture.providers.snapshot import save_snapshot

    save_snapshot(Inventory((), (), ()), tmp_path / "a.jsonl")
    os.mkfifo(tmp_path / "b.jsonl")
    got = collect_shards([tmp_path])
    assert got.failed == [str(tmp_path / "b.jsonl")]
    assert any("a named pipe, not a regular file" in g.reason for g in got.inventory.gaps)


def test_a_plan_nested_beyond_the_decoder_is_exit_2(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text('{"format_version": "1.2", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match=r"plan.json: invalid JSON: nested deeper than the JSON decoder allows"):
        load_terraform(p)
