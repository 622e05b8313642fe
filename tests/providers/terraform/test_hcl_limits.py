"""Hostile Terraform: nesting, expansion and evaluation bombs end quickly as named gaps (or exit 2), never
an exhausted machine. Limits are set small through the environment so each test is fast and small."""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from collections import defaultdict

import pytest

from posture.cli import main
from posture.errors import LimitExceeded
from posture.model import UNKNOWN
from posture.providers.terraform.hcl import load_hcl_sources, parse_hcl
from posture.providers.terraform.plan_refs import _walk_expressions, add_index_free


def _nested(depth: int) -> dict:
    inner: dict = {"x": "${aws_vpc.v.id}"}
    for _ in range(depth):
        inner = {"a": inner}
    return inner


def test_nested_blocks_cost_paths_linear_in_depth(tmp_path):
    """22 nested objects in 150 bytes of .tf.json once cost 2 GB: every mix of indexed/index-free steps."""
    doc = {"resource": {"aws_vpc": {"v": {}}, "aws_s3_bucket": {"b": _nested(22)}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(doc))
    raw = next(r for r in load_hcl_sources(tmp_path).raws if r.type == "aws_s3_bucket")
    deep = ".".join(["a.0"] * 22) + ".x"
    assert len(raw.configured) <= 4 * 23 and deep in raw.configured  # indexed
    assert ".".join(["a"] * 22) + ".x" in raw.configured  # index-free: in any instance
    assert raw.refs[deep] == ("aws_vpc.v",) and raw.refs["a"] == ("aws_vpc.v",)


def test_plan_configuration_paths_are_linear_too():
    exprs: dict = {"x": {"references": ["aws_vpc.v.id"]}}
    for _ in range(22):
        exprs = {"a": [exprs]}
    refs: defaultdict[str, list[str]] = defaultdict(list)
    configured: set[str] = set()
    _walk_expressions(exprs, "", refs, configured)
    add_index_free(refs, configured)
    assert len(configured) <= 4 * 23
    assert {".".join(["a.0"] * 22) + ".x", ".".join(["a"] * 22) + ".x"} <= configured
    assert refs[".".join(["a"] * 22) + ".x"] == ["aws_vpc.v.id"]


# ------------------------------------------------------------------------------------------------ evaluation
OK = 'resource "aws_s3_bucket" "ok" {\n  bucket = "fine"\n}\n'


def _load(tmp_path, text):
    (tmp_path / "main.tf").write_text(OK + text)
    return load_hcl_sources(tmp_path)


def _limited(loaded):
    return {g.target: g for g in loaded.gaps if g.code == "limit_exceeded"}


def _values(loaded, address):
    return next(r.values for r in loaded.raws if r.address == address)


@pytest.fixture
def small(monkeypatch):
    """Small limits so every bomb ends within milliseconds."""
    for name, value in {"POSTURE_MAX_INSTANCES": "5", "POSTURE_MAX_TOTAL_INSTANCES": "12",
                        "POSTURE_MAX_STRING": "1000", "POSTURE_MAX_COLLECTION": "1000",
                        "POSTURE_MAX_EVAL_STEPS": "20000", "POSTURE_MAX_MODULE_DEPTH": "2"}.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("count", ["6", "100000000", "1e999", "1e308 * 10"])
def test_count_over_the_limit_is_one_unknown_instance_and_a_gap(tmp_path, small, count):
    loaded = _load(tmp_path, f'resource "aws_s3_bucket" "b" {{\n  count = {count}\n'
                   '  bucket = "b-${count.index}"\n}\n')
    assert sorted(r.address for r in loaded.raws) == ["aws_s3_bucket.b", "aws_s3_bucket.ok"]
    assert _values(loaded, "aws_s3_bucket.b")["bucket"] is UNKNOWN
    gap = _limited(loaded)["main.tf:4"]
    assert "over the limit of 5 (POSTURE_MAX_INSTANCES)" in gap.reason and gap.gap_class.value == "input_not_read"


def test_the_instance_limit_is_configurable(tmp_path, monkeypatch):
    text = 'resource "aws_s3_bucket" "b" {\n  count = 8\n}\n'
    assert len(_load(tmp_path, text).raws) == 9 and not _limited(load_hcl_sources(tmp_path))
    monkeypatch.setenv("POSTURE_MAX_INSTANCES", "7")
    assert len(load_hcl_sources(tmp_path).raws) == 2 and "main.tf:4" in _limited(load_hcl_sources(tmp_path))


def test_for_each_and_module_fan_out_over_the_limit(tmp_path, small):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text('resource "aws_sqs_queue" "q" {\n  name = "q"\n}\n')
    loaded = _load(tmp_path, 'resource "aws_s3_bucket" "e" {\n  for_each = toset([for i in range(9) : "k${i}"])\n'
                   '  bucket = each.key\n}\nmodule "m" {\n  source = "./m"\n  count = 50\n}\n')
    assert sorted(r.address for r in loaded.raws) == ["aws_s3_bucket.e", "aws_s3_bucket.ok", "module.m.aws_sqs_queue.q"]
    assert set(_limited(loaded)) == {"main.tf:4", "main.tf:8"}
    assert "module.m expands to 50 instances" in _limited(loaded)["main.tf:8"].reason


def test_the_scan_instance_limit_leaves_later_blocks_unread(tmp_path, small):
    text = "".join(f'resource "aws_s3_bucket" "b{i}" {{\n  count = 4\n}}\n' for i in range(4))
    loaded = _load(tmp_path, text)
    names = {r.address.split("[")[0] for r in loaded.raws}
    assert len(loaded.raws) == 1 + 4 + 4 and names == {"aws_s3_bucket.ok", "aws_s3_bucket.b0", "aws_s3_bucket.b1"}
    gaps = _limited(loaded)
    assert set(gaps) == {"main.tf:10", "main.tf:13"} and "POSTURE_MAX_TOTAL_INSTANCES" in gaps["main.tf:10"].reason
    assert "not read" in gaps["main.tf:10"].reason


BOMBS = {
    "range": ("length(range(1e9))", "a collection of 1,000,000,000 values", ""),
    "string doubling": ('local.s19', "POSTURE_MAX_STRING",
                        "locals {\n  s0 = \"ab\"\n" + "".join(f'  s{i} = "${{local.s{i - 1}}}${{local.s{i - 1}}}"\n'
                                                            for i in range(1, 20)) + "}\n"),
    "list doubling": ("length(local.l39)", "POSTURE_MAX_COLLECTION",
                      "locals {\n  l0 = [1]\n" + "".join(f"  l{i} = concat(local.l{i - 1}, local.l{i - 1})\n"
                                                         for i in range(1, 40)) + "}\n"),
    "shared nesting": ("jsonencode(local.n39)", "POSTURE_MAX_COLLECTION",
                       "locals {\n  n0 = [1]\n" + "".join(f"  n{i} = [local.n{i - 1}, local.n{i - 1}]\n"
                                                          for i in range(1, 40)) + "}\n"),
    "nested for": ("length([for a in range(1000) : length([for b in range(1000) : a])])", "POSTURE_MAX_EVAL_STEPS",
                   ""),
    "join of a shared string": ('join(",", [for i in range(900) : local.k])', "POSTURE_MAX_STRING",
                                'locals {\n  k = "${join("", [for i in range(900) : "x"])}"\n}\n'),
    "replace": ('replace(local.r, "a", local.r)', "POSTURE_MAX_STRING",
                'locals {\n  r = join("", [for i in range(900) : "a"])\n}\n'),
}


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_evaluation_bombs_end_as_a_gap_on_their_block(tmp_path, small, bomb):
    expr, limit, prelude = BOMBS[bomb]
    parse_hcl("a = 1\n")  # the parser's tables are built (or read from cache) once per process: not timed
    start = time.perf_counter()
    loaded = _load(tmp_path, prelude + f'resource "aws_s3_bucket" "b" {{\n  bucket = {expr}\n}}\n')
    assert time.perf_counter() - start < 5
    assert _values(loaded, "aws_s3_bucket.b")["bucket"] is UNKNOWN
    assert _values(loaded, "aws_s3_bucket.ok")["bucket"] == "fine"  # everything else still scanned
    [gap] = _limited(loaded).values()
    assert gap.target.startswith("main.tf:") and limit in gap.reason and "evaluated as unknown" in gap.reason


def test_values_within_the_limits_are_computed(tmp_path, small):
    loaded = _load(tmp_path, 'resource "aws_s3_bucket" "b" {\n  bucket = join("-", [for i in range(100) : i])\n'
                   '  tags = { n = length(distinct([for i in range(900) : i % 7])) }\n}\n')
    assert _values(loaded, "aws_s3_bucket.b")["bucket"] == "-".join(map(str, range(100)))
    assert _values(loaded, "aws_s3_bucket.b")["tags"] == {"n": 7}
    assert not _limited(loaded)


@pytest.mark.parametrize("expr", ['format("%999999999f", 1)', "local.x30", "ceil(1e999)"])
def test_number_bombs_are_unknown_not_internal_errors(tmp_path, small, expr):
    prelude = "locals {\n  x0 = 99999999999\n" + "".join(f"  x{i} = local.x{i - 1} * local.x{i - 1}\n"
                                                        for i in range(1, 31)) + "}\n"
    loaded = _load(tmp_path, prelude + f'resource "aws_s3_bucket" "b" {{\n  bucket = {expr}\n}}\n')
    assert _values(loaded, "aws_s3_bucket.b")["bucket"] is UNKNOWN


def test_module_nesting_depth(tmp_path, small):
    d = tmp_path
    for name in ("a", "b", "c"):
        (d / name).mkdir()
        (d / "main.tf").write_text(OK + f'module "{name}" {{\n  source = "./{name}"\n}}\n' if d == tmp_path else
                                   f'module "{name}" {{\n  source = "./{name}"\n}}\n')
        d = d / name
    (d / "main.tf").write_text('resource "aws_sqs_queue" "deep" {\n  name = "q"\n}\n')
    loaded = load_hcl_sources(tmp_path)
    assert [r.address for r in loaded.raws] == ["aws_s3_bucket.ok"]
    [gap] = _limited(loaded).values()
    assert gap.target == "a/b/main.tf:1" and "nested deeper than 2 module calls" in gap.reason


def test_a_var_file_over_a_limit_is_exit_2(tmp_path, small, capsys):
    (tmp_path / "main.tf").write_text(OK)
    (tmp_path / "x.tfvars").write_text('a = 1\nb = range(1e9)\n')
    with pytest.raises(LimitExceeded, match=r"x.tfvars:2: b: a collection of 1,000,000,000 values"):
        load_hcl_sources(tmp_path, [tmp_path / "x.tfvars"])
    assert main(["scan", "terraform", str(tmp_path), "--var-file", str(tmp_path / "x.tfvars"), "-q",
                 "-o", os.devnull]) == 2
    assert "x.tfvars:2: b: a collection of" in capsys.readouterr().err


def test_cli_count_1e999_is_not_an_internal_error(tmp_path, capsys):
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {\n  count = 1e999\n}\n')
    out = tmp_path / "r.json"
    assert main(["scan", "terraform", str(tmp_path), "-q", "--format", "json", "-o", str(out)]) in (0, 1)
    gaps = json.loads(out.read_text())["gaps"]
    assert any(g["code"] == "limit_exceeded" and "infinitely many" in g["reason"] for g in gaps)


def test_every_limit_is_documented_with_its_default():
    from posture.providers.terraform.hcl_limits import DEFAULTS
    from tests.helpers.paths import ROOT

    doc = (ROOT / "docs" / "inputs.md").read_text()
    for default, var, _ in DEFAULTS.values():
        row = next((line for line in doc.splitlines() if f"`{var}`" in line and line.startswith("|")), "")
        assert f"| {default:,}" in row, f"docs/inputs.md: no table row giving {var}'s default {default:,}"


def test_the_scan_step_budget(tmp_path, small, monkeypatch):
    monkeypatch.setenv("POSTURE_MAX_TOTAL_EVAL_STEPS", "15000")
    text = "".join(f'resource "aws_s3_bucket" "b{i}" {{\n  bucket = length([for a in range(100) : length([for b in '
                   f'range(30) : a])])\n}}\n' for i in range(5))
    loaded = _load(tmp_path, text)
    assert _values(loaded, "aws_s3_bucket.b0")["bucket"] == 100  # within both budgets
    assert _values(loaded, "aws_s3_bucket.b4")["bucket"] is UNKNOWN
    assert any("POSTURE_MAX_TOTAL_EVAL_STEPS" in g.reason for g in _limited(loaded).values())


@pytest.mark.parametrize("token", ['x = "{}"\n', "/*{}*/\nx = 1\n", "x = <<EOT\n{}\nEOT\n"])
def test_long_tokens_lex_in_bounded_memory(token):
    """A 15 MiB string literal cost 3 GB in the lexer (backtracking state per character); now a few MB."""
    parse_hcl("a = 1\n")
    tracemalloc.start()
    try:
        tree = parse_hcl(token.format("a" * (1 << 20)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tree is not None and peak < 30 << 20


def test_dynamic_blocks_over_the_work_budget_are_unknown(tmp_path, small, monkeypatch):
    monkeypatch.setenv("POSTURE_MAX_TOTAL_EVAL_STEPS", "3000")
    loaded = _load(tmp_path, 'resource "aws_security_group" "g" {\n  count = 5\n  dynamic "ingress" {\n'
                   '    for_each = range(1000)\n    content {}\n  }\n}\n')
    assert len(_values(loaded, "aws_security_group.g[0]")["ingress"]) == 1000
    assert all(_values(loaded, f"aws_security_group.g[{i}]")["ingress"] is UNKNOWN for i in (3, 4))
    assert any("POSTURE_MAX_TOTAL_EVAL_STEPS" in g.reason for g in _limited(loaded).values())
