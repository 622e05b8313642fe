"""Sensitivity in HCL as Terraform marks it: nothing derived from a sensitive value reaches any output.

Propagation is tested construct by construct on the raw values the evaluator builds; the sinks are tested
end to end on tests/fixtures/hcl/sensitive, whose files plant distinct secret markers (``zqsecNN``, a CIDR
and a port) in sensitive variables set by defaults, terraform.tfvars and --var-file, in ``sensitive()``, a
sensitive module output and a module variable declared sensitive, used in names, tags, descriptions, CIDRs,
templates, functions, arithmetic, conditionals, for expressions, locals, module inputs/outputs, ``for_each``
and dynamic blocks. Every output format, the snapshot, the baseline, the history (database and commands),
the compliance views and the tickets (dry run and real sync to a loopback ticket server) are searched.
"""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest

from posture.api import scan_terraform
from posture.cli import main
from posture.model import UNKNOWN
from posture.providers.terraform.hcl import load_hcl_sources
from posture.report import formats
from tests.helpers.paths import FIXTURES
from tests.helpers.ticket_server import TicketServer

FIXTURE = FIXTURES / "hcl/sensitive"
VAR_FILE = FIXTURE / "extra.tfvars"
SECRET = re.compile(r"zqsec\d+|203\.0\.113\.41|47013", re.IGNORECASE)
TOKEN = "tok-hcl-sensitive"
EXIT_CODES: dict[str, int] = {}


def planted() -> set[str]:
    """The distinct secret markers in the fixture's files (so the count cannot drift from the files)."""
    found = set()
    for p in FIXTURE.rglob("*"):
        if p.is_file():
            text = "\n".join(ln for ln in p.read_text().splitlines() if not ln.lstrip().startswith("#"))
            found |= {m.lower() for m in SECRET.findall(text)}
    return found


def leaks(text: str) -> set[str]:
    return {m.lower() for m in SECRET.findall(text)}


# ----------------------------------------------------------------------------------------------------------
# propagation, construct by construct
# ----------------------------------------------------------------------------------------------------------
def values_of(root: Path, files: dict[str, str], var_files=()) -> dict[str, dict]:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    loaded = load_hcl_sources(root, var_files)
    return {r.address: r.values for r in loaded.raws} | {"__gaps__": loaded.gaps}  # type: ignore[dict-item]


VARS = '''
variable "s" {
  default   = "zqsec90"
  sensitive = true
}
variable "n" {
  default   = 2
  sensitive = true
}
variable "flag" {
  default   = true
  sensitive = true
}
variable "list" {
  default   = ["zqsec91", "zqsec92"]
  sensitive = true
}
variable "k" {
  default   = "pub"
  sensitive = true
}
variable "plain" {
  default   = "public"
  sensitive = false
}
locals {
  m = { pub = "visible", sec = var.s }
}
'''

EXPRS = VARS + '''
resource "test_thing" "t" {
  template    = "a-${var.s}-b"
  sibling     = { a = var.s, b = "kept" }
  merged      = merge({ x = "kept" }, { y = var.s })
  concat      = concat(["kept"], [var.s])
  looked      = lookup(local.m, "pub")
  looked_sec  = lookup(local.m, "sec")
  index_sec   = local.m[var.k]
  length      = length([var.s, "x"])
  joined      = join(",", ["kept", var.s])
  upper       = upper(var.s)
  arith       = var.n * 10
  compare     = var.s == "x"
  cond_branch = true ? var.s : "x"
  cond_test   = var.flag ? "a" : "b"
  for_over    = [for v in var.list : "kept"]
  for_public  = [for v in ["a", "b"] : "${v}-${var.s}"]
  for_key     = { for v in ["a"] : var.s => v }
  object_key  = { (var.s) = "v" }
  splat       = [{ n = var.s }, { n = "kept" }][*].n
  tried       = try(var.s, "x")
  literal     = sensitive("zqsec93")
  unmarked    = nonsensitive(var.s)
  nested_kept = nonsensitive({ a = var.s, b = "kept" })
  local_chain = local.m.sec
  plain       = var.plain
  encoded     = jsonencode({ a = var.s })
}
'''


@pytest.fixture(scope="module")
def thing(tmp_path_factory):
    return values_of(tmp_path_factory.mktemp("sens"), {"main.tf": EXPRS})["test_thing.t"]


@pytest.mark.parametrize("attr", ["template", "looked_sec", "index_sec", "joined", "upper", "arith", "compare",
                                  "cond_branch", "cond_test", "for_over", "for_key", "object_key", "tried",
                                  "literal", "local_chain", "encoded"])
def test_values_derived_from_sensitive_ones_are_unknown(thing, attr):
    assert thing[attr] is UNKNOWN


@pytest.mark.parametrize("attr, expected", [
    ("sibling", {"a": UNKNOWN, "b": "kept"}),  # only the element is marked, not the collection
    ("merged", {"x": "kept", "y": UNKNOWN}),  # merge/concat/lookup move elements without reading them
    ("concat", ["kept", UNKNOWN]),
    ("looked", "visible"),
    ("length", 2),
    ("for_public", [UNKNOWN, UNKNOWN]),  # the body reads the secret, the collection does not
    ("splat", [UNKNOWN, "kept"]),
    ("unmarked", "zqsec90"),  # nonsensitive() removes the mark, as in Terraform
    ("nested_kept", {"a": UNKNOWN, "b": "kept"}),  # ... of the value itself, not of elements inside it
    ("plain", "public"),  # sensitive = false
])
def test_what_does_not_derive_from_a_secret_is_kept(thing, attr, expected):
    assert thing[attr] == expected


def test_tfvars_defaults_and_var_files_are_marked_by_the_declaration(tmp_path):
    got = values_of(tmp_path, {
        "main.tf": 'variable "a" { sensitive = true }\nvariable "b" { sensitive = true }\nvariable "c" {}\n'
                   'variable "d" {\n  default   = "zqsec94"\n  sensitive = true\n}\n'
                   'resource "test_x" "x" {\n  a = var.a\n  b = var.b\n  c = var.c\n  d = var.d\n}\n',
        "terraform.tfvars": 'a = "zqsec95"\nc = "public-c"\n',
        "extra.tfvars.json": json.dumps({"b": "zqsec96"}),
    }, [tmp_path / "extra.tfvars.json"])
    assert got["test_x.x"] == {"a": UNKNOWN, "b": UNKNOWN, "c": "public-c", "d": UNKNOWN}
    gaps = [g for g in got["__gaps__"] if g.code == "sensitive_value"]
    assert [g.reason.rsplit(": ", 1)[1] for g in gaps] == ["a, b, d"]
    assert gaps[0].gap_class.value == "value_unknown" and not leaks(gaps[0].reason)


MODULE = '''
variable "name" {}
variable "secret_in" { sensitive = true }
resource "test_child" "c" {
  name = var.name
  sec  = var.secret_in
  ok   = "kept-${length(var.name)}"
}
output "plain_out" { value = "kept" }
output "sens_out" {
  value     = "zqsec97"
  sensitive = true
}
output "echo" { value = var.name }
'''


def test_module_inputs_and_outputs_carry_the_mark(tmp_path):
    got = values_of(tmp_path, {
        "main.tf": VARS + 'module "m" {\n  source    = "./mod"\n  name      = var.s\n  secret_in = "zqsec98"\n}\n'
                   'resource "test_x" "x" {\n  plain = module.m.plain_out\n  sens = module.m.sens_out\n'
                   '  echo = module.m.echo\n}\n',
        "mod/main.tf": MODULE,
    })
    assert got["module.m.test_child.c"] == {"name": UNKNOWN, "sec": UNKNOWN, "ok": UNKNOWN}
    assert got["test_x.x"] == {"plain": "kept", "sens": UNKNOWN, "echo": UNKNOWN}


def test_sensitive_count_is_allowed_but_a_sensitive_for_each_is_refused(tmp_path):
    got = values_of(tmp_path, {"main.tf": VARS + '''
resource "test_c" "counted" {
  count = var.n
  i     = count.index
  tag   = var.s
}
resource "test_e" "keys" {
  for_each = toset(var.list)
  name     = each.key
}
resource "test_e" "values" {
  for_each = { a = var.s, b = "kept" }
  name     = each.value
}
resource "test_e" "derived" {
  for_each = { for v in var.list : v => v }
  name     = each.key
}
resource "test_e" "listed" {
  for_each = [var.s, "kept"]
  name     = each.key
}
'''})
    assert [got[f"test_c.counted[{i}]"] for i in (0, 1)] == [{"i": 0, "tag": UNKNOWN}, {"i": 1, "tag": UNKNOWN}]
    hidden = [g.reason for g in got["__gaps__"] if g.code == "sensitive_value" and "counted" in g.reason]
    assert hidden == ["test_c.counted[0] (and 1 other instance(s)): values derived from sensitive variables or "
                      "outputs are not read (unknown to the rules): tag"]  # one gap per block, not per instance
    assert got['test_e.values["a"]'] == {"name": UNKNOWN} and got['test_e.values["b"]'] == {"name": "kept"}
    for name in ("keys", "derived", "listed"):
        assert got[f"test_e.{name}"] == {"name": UNKNOWN}
    refused = [g for g in got["__gaps__"] if g.code == "sensitive_for_each"]
    assert sorted(g.reason.split(" ")[2] for g in refused) == ["test_e.derived", "test_e.keys", "test_e.listed"]
    assert not any(leaks(a) for a in got)


def test_dynamic_blocks_data_sources_and_json_syntax(tmp_path):
    got = values_of(tmp_path, {
        "main.tf": VARS + '''
resource "test_d" "d" {
  dynamic "rule" {
    for_each = var.list
    content {
      name  = rule.value
      fixed = "kept"
    }
  }
}
data "aws_iam_policy_document" "p" {
  statement {
    actions   = ["s3:GetObject"]
    resources = [var.s]
  }
}
resource "test_p" "p" {
  policy = data.aws_iam_policy_document.p.json
}
''',
        "x.tf.json": json.dumps({"variable": {"j": {"default": "zqsec99", "sensitive": True}},
                                 "resource": {"test_j": {"j": {"name": "${var.j}-x", "tags": {"K": "kept"}}}}}),
    })
    # one block per element (the count is not secret); what reads the iterator is marked, literals are not
    assert got["test_d.d"] == {"rule": [{"name": UNKNOWN, "fixed": "kept"}] * 2}
    assert got["test_p.p"] == {"policy": UNKNOWN}
    assert got["test_j.j"] == {"name": UNKNOWN, "tags": {"K": "kept"}}


def test_a_sensitive_index_never_selects_an_address(tmp_path):
    got = values_of(tmp_path, {"main.tf": VARS + '''
resource "test_e" "e" {
  for_each = { pub = "a", other = "b" }
  name     = each.value
}
resource "test_r" "r" {
  target = test_e.e[var.k].name
  public = test_e.e["pub"].name
}
'''})
    assert got["test_r.r"] == {"target": UNKNOWN, "public": "a"}
    refs = next(r.refs for r in load_hcl_sources(tmp_path).raws if r.address == "test_r.r")
    assert set(refs["target"]) == {'test_e.e["pub"]', 'test_e.e["other"]'}  # the edge does not tell the key
    assert refs["public"] == ('test_e.e["pub"]',)


# ----------------------------------------------------------------------------------------------------------
# every sink
# ----------------------------------------------------------------------------------------------------------
SCAN = ["scan", "terraform", str(FIXTURE), "--var-file", str(VAR_FILE), "--repo-root", str(FIXTURE)]


@pytest.fixture(scope="module")
def server():
    s = TicketServer(token=TOKEN, webhook_secret=b"hook-hcl-sensitive")
    yield s
    s.stop()


def _cli(capsys, outputs: dict[str, str], name: str, argv: list[str], files: tuple[Path, ...] = ()) -> int:
    code = main(argv)
    out, err = capsys.readouterr()
    outputs[f"{name} (stdout+stderr)"] = out + err
    EXIT_CODES[name] = code
    for f in files:
        outputs[f"{name} ({f.name})"] = f.read_text(errors="replace") if f.suffix != ".db" else \
            f.read_bytes().decode("latin-1")
    return code


def all_outputs(tmp: Path, capsys, monkeypatch, server) -> dict[str, str]:
    """Every output posture writes for the fixture: sink name -> text."""
    monkeypatch.setenv("T_TOKEN", TOKEN)
    monkeypatch.setenv("T_USER", "bot@example.com")
    monkeypatch.setenv("T_HOOK", "hook-hcl-sensitive")
    monkeypatch.delenv("POSTURE_HISTORY", raising=False)
    outputs: dict[str, str] = {}
    db = tmp / "history.db"
    for fmt in formats():
        out = tmp / f"report.{fmt}"
        _cli(capsys, outputs, f"--format {fmt}", [*SCAN, "--format", fmt, "-o", str(out)], (out,))
        _cli(capsys, outputs, f"--format {fmt} stdout", [*SCAN, "--format", fmt])
    for fmt in ("table", "markdown", "html", "json", "csv"):
        _cli(capsys, outputs, f"--framework {fmt}", [*SCAN, "--framework", "soc2,cis-aws", "--format", fmt])
    snap, base, result = tmp / "snap.jsonl", tmp / "baseline.json", tmp / "result.json"
    _cli(capsys, outputs, "scan with every file sink",
         [*SCAN, "--format", "json", "-o", str(result), "--snapshot-out", str(snap), "--write-baseline", str(base),
          "--report", f"sarif={tmp / 'r.sarif'}", "--history", str(db)], (result, snap, base, tmp / "r.sarif"))
    _cli(capsys, outputs, "second scan to history", [*SCAN, "--format", "json", "--history", str(db), "-q"])
    _cli(capsys, outputs, "scan snapshot", ["scan", "snapshot", str(snap), "--format", "json"])
    _cli(capsys, outputs, "compliance", ["compliance", "soc2", str(result), "--format", "markdown"])
    for fmt in ("json", "table", "markdown", "html"):
        for cmd in (["list"], ["show", "1"], ["diff", "1", "2"], ["trend"]):
            _cli(capsys, outputs, f"history {cmd[0]} {fmt}", ["history", *cmd, "--history", str(db), "--format", fmt])
    outputs["history database"] = db.read_bytes().decode("latin-1")
    for to, section in (("github", {"repo": "o/r", "api_url": server.url, "token_env": "T_TOKEN"}),
                        ("jira", {"url": server.url, "api": "cloud", "project": "SEC", "user_env": "T_USER",
                                  "token_env": "T_TOKEN"}),
                        ("webhook", {"url": server.url + "/hook", "secret_env": "T_HOOK"})):
        cfg = tmp / f"tickets-{to}.yaml"
        cfg.write_text(json.dumps({"to": to, to: section}))
        for fmt in ("json", "table"):
            _cli(capsys, outputs, f"tickets {to} dry run {fmt}",
                 ["tickets", "sync", "--config", str(cfg), str(result), "--dry-run", "--format", fmt])
        _cli(capsys, outputs, f"tickets {to} sync",
             ["tickets", "sync", "--config", str(cfg), "--from-history", str(db)])
    outputs["ticket server requests"] = json.dumps(server.log)
    api = scan_terraform(FIXTURE, var_files=[VAR_FILE])
    outputs["API result"] = json.dumps(api.to_dict()) + repr(api.findings) + repr(api.graph.resources())
    return outputs


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, server):
    capsys_like = _Capture()
    mp = pytest.MonkeyPatch()
    try:
        with capsys_like:
            return all_outputs(tmp_path_factory.mktemp("sinks"), capsys_like, mp, server)
    finally:
        mp.undo()


class _Capture:
    """Module-scoped stdout/stderr capture (pytest's capsys is function-scoped)."""

    def __enter__(self):
        self._saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = io.StringIO(), io.StringIO()
        return self

    def __exit__(self, *exc):
        sys.stdout, sys.stderr = self._saved

    def readouterr(self):
        out, err = sys.stdout.getvalue(), sys.stderr.getvalue()
        sys.stdout.seek(0), sys.stdout.truncate(), sys.stderr.seek(0), sys.stderr.truncate()
        return out, err


def test_no_secret_marker_reaches_any_output(outputs):
    markers = planted()
    assert len(markers) >= 15 and "203.0.113.41" in markers and "47013" in markers
    assert len(outputs) >= 60
    assert {name: c for name, c in EXIT_CODES.items() if c not in (0, 1)} == {}  # every command did its job
    leaked = {name: sorted(leaks(text)) for name, text in outputs.items() if leaks(text)}
    assert leaked == {}


def test_the_outputs_are_not_vacuous(outputs):
    """Each sink did write the scan: the checks above searched real reports, not error messages."""
    empty = [n for n, t in outputs.items() if not t.strip() and not n.endswith("(stdout+stderr)")]
    assert empty == []
    for name in ("--format json (report.json)", "--format sarif (report.sarif)", "--format html (report.html)",
                 "--format csv (report.csv)", "--format ocsf (report.ocsf)", "history show html (stdout+stderr)"):
        assert "aws_security_group.open" in outputs[name], name
    assert "zqpub20-second" in outputs["scan with every file sink (snap.jsonl)"]  # a public sibling value stays
    assert "zqpub14-label" in outputs["scan with every file sink (snap.jsonl)"]  # nonsensitive() made it public
    assert "zqpub19-name" in outputs["scan with every file sink (snap.jsonl)"]  # not sensitive at all
    assert json.loads(outputs["ticket server requests"])  # the tickets were really sent
    assert "sensitive_value" in outputs["history show json (stdout+stderr)"]


def test_findings_that_do_not_need_the_secret_still_fire(outputs):
    doc = json.loads(outputs["--format json (report.json)"])
    verified = {(f["rule_id"], f["resource"]["id"]) for f in doc["findings"] if not f["unverified"]}
    # an SSH rule open to the world whose description, name and tags are secret
    assert ("POSTURE-NET-001", "aws_security_group.open") in verified
    assert ("POSTURE-NET-001", "module.app.aws_security_group.app") in verified  # description from a secret input
    assert ("POSTURE-ENC-001", "aws_db_instance.db") in verified  # identifier from a secret
    unverified = {f["resource"]["id"]: f["message"] for f in doc["findings"] if f["unverified"]}
    # the rule that needs a secret CIDR cannot decide, and says why
    assert "hidden as sensitive" in unverified["aws_security_group.office"]
    gaps = {g["code"] for g in doc["gaps"]}
    assert {"sensitive_value", "sensitive_for_each"} <= gaps
    assert all(g["class"] == "value_unknown" for g in doc["gaps"] if g["code"].startswith("sensitive"))
    ids = {f["resource"]["id"] for f in doc["findings"]}
    assert {"aws_s3_bucket.per_key", "aws_s3_bucket.per_name"} <= ids  # refused for_each: one keyless instance
    assert 'aws_s3_bucket.listed["second"]' in ids  # public keys of a map with sensitive values stay
