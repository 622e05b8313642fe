"""The HCL source: static evaluation, variables, modules, locations and what happens with bad input.

Bad input policy (docs/terraform-hcl.md): a missing path, a path without .tf files, a syntax error in
the single .tf file given, a bad --var-file and a posture:ignore without reason exit 2; inside a
directory a file with a syntax error or that cannot be read, a missing or circular module and an unknown
registry module are coverage gaps while everything else is scanned.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posture.cli import main
from posture.errors import InputError
from posture.model import UNKNOWN
from posture.providers.terraform import load_terraform
from posture.providers.terraform.hcl import load_hcl_sources
from tests.helpers.paths import FIXTURES


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            p.write_bytes(text)
        else:
            p.write_text(text)
    return root


def raws(path, var_files=()):
    return {r.address: r for r in load_hcl_sources(path, var_files).raws}


EXPRESSIONS = r'''
variable "env" { default = "prod" }
variable "ports" { default = [22, 80] }
variable "m" { default = { a = 1, b = "x" } }
variable "nodefault" {}
locals {
  name    = "app-${var.env}"
  cidrs   = [for i in range(3) : cidrsubnet("10.0.0.0/16", 8, i)]
  evens   = [for p in var.ports : p * 2 if p > 30]
  by_key  = { for k, v in var.m : upper(k) => v }
  chained = local.name
}
resource "test_thing" "t" {
  s1     = local.name
  s2     = "${var.env}-${1 + 2}"
  cond   = var.env == "prod" ? "yes" : "no"
  nums   = concat(var.ports, [443])
  cidrs  = local.cidrs
  evens  = local.evens
  by_key = local.by_key
  look   = lookup(var.m, "zz", "fallback")
  fmt    = format("%s:%d", "a", 5)
  joined = join(",", ["a", "b"])
  splat  = [{ n = 1 }, { n = 2 }][*].n
  tried  = try(var.m.nope, "default")
  unk    = var.nodefault
  unk2   = "x-${var.nodefault}"
  unk3   = length(var.nodefault) > 0 ? 1 : 2
  datas  = data.aws_caller_identity.me.account_id
  heredoc = <<-EOT
    {"a": 1}
  EOT
  nested {
    inner = local.chained
  }
  nested {
    inner = "two"
  }
}
'''


@pytest.fixture(scope="module")
def thing(tmp_path_factory):
    root = write(tmp_path_factory.mktemp("expr"), {"main.tf": EXPRESSIONS})
    return raws(root)["test_thing.t"]


@pytest.mark.parametrize("attr, expected", [
    ("s1", "app-prod"), ("s2", "prod-3"), ("cond", "yes"), ("nums", [22, 80, 443]),
    ("cidrs", ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]), ("evens", [160]), ("by_key", {"A": 1, "B": "x"}),
    ("look", "fallback"), ("fmt", "a:5"), ("joined", "a,b"), ("splat", [1, 2]), ("tried", "default"),
    ("heredoc", '{"a": 1}\n'),
])
def test_static_evaluation(thing, attr, expected):
    assert thing.values[attr] == expected


@pytest.mark.parametrize("attr", ["unk", "unk2", "unk3", "datas"])
def test_unknowable_values_stay_unknown(thing, attr):
    assert thing.values[attr] is UNKNOWN


def test_blocks_are_lists_and_configured_paths_recorded(thing):
    assert thing.values["nested"] == [{"inner": "app-prod"}, {"inner": "two"}]
    assert thing.is_configured("nested.inner") and thing.is_configured("nested.1.inner")
    assert thing.is_configured("missing") is False


def test_tfvars_precedence(tmp_path):
    root = write(tmp_path, {
        "main.tf": 'variable "a" { default = "d" }\nvariable "b" {}\nvariable "c" {}\n'
                   'resource "test_x" "x" {\n  a = var.a\n  b = var.b\n  c = var.c\n}\n',
        "terraform.tfvars": 'a = "auto"\nb = "auto"\n',
        "extra.tfvars": 'b = "file"\n',
        "more.tfvars.json": json.dumps({"c": ["json"]}),
    })
    values = raws(root, [root / "extra.tfvars", root / "more.tfvars.json"])["test_x.x"].values
    assert values == {"a": "auto", "b": "file", "c": ["json"]}


def test_references_between_resources(tmp_path):
    root = write(tmp_path, {"main.tf": '''
resource "aws_s3_bucket" "logs" { bucket = "acme-logs" }
resource "aws_s3_bucket_logging" "l" {
  bucket        = aws_s3_bucket.logs.id
  target_bucket = aws_s3_bucket.logs.bucket
}
resource "aws_subnet" "s" {
  count  = 2
  vpc_id = "vpc-1"
}
resource "aws_instance" "i" {
  count     = 2
  subnet_id = aws_subnet.s[count.index].id
}
'''})
    r = raws(root)
    logging = r["aws_s3_bucket_logging.l"]
    assert logging.values["bucket"] is UNKNOWN  # a computed id
    assert logging.values["target_bucket"] == "acme-logs"  # a literal attribute of another resource
    assert logging.refs["bucket"] == ("aws_s3_bucket.logs",)
    assert r["aws_instance.i[1]"].refs["subnet_id"] == ("aws_subnet.s[1]",)


LOCAL_MODULE = {
    "main.tf": '''
module "net" {
  source = "./modules/sg"
  cidrs  = ["0.0.0.0/0"]
}
module "many" {
  source   = "./modules/sg"
  for_each = { a = "10.0.0.0/8", b = "0.0.0.0/0" }
  cidrs    = [each.value]
}
resource "aws_instance" "web" {
  ami                    = "ami-1"
  vpc_security_group_ids = [module.net.sg_id]
}
''',
    "modules/sg/main.tf": '''
variable "cidrs" {}
resource "aws_security_group" "this" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = var.cidrs
  }
}
output "sg_id" { value = aws_security_group.this.id }
''',
}


def test_local_modules_are_followed(tmp_path):
    root = write(tmp_path, LOCAL_MODULE)
    r = raws(root)
    assert r["module.net.aws_security_group.this"].values["ingress"][0]["cidr_blocks"] == ["0.0.0.0/0"]
    assert r['module.many["a"].aws_security_group.this'].values["ingress"][0]["cidr_blocks"] == ["10.0.0.0/8"]
    assert r["aws_instance.web"].refs["vpc_security_group_ids"] == ("module.net.aws_security_group.this",)
    inv = load_terraform(root)
    loc = next(x.location for x in inv.resources if x.id == "module.net.aws_security_group.this")
    assert (loc.file, loc.line) == ("modules/sg/main.tf", 3)
    assert {r.id for r in inv.resources} >= {'module.many["b"].aws_security_group.this'}
    assert not inv.gaps


def test_installed_modules_json_is_used(tmp_path):
    root = write(tmp_path, {
        "main.tf": 'module "sg" {\n  source = "acme/sg/aws"\n  version = "1.0"\n  open = true\n}\n',
        ".terraform/modules/modules.json": json.dumps({"Modules": [
            {"Key": "", "Source": "", "Dir": "."},
            {"Key": "sg", "Source": "registry.terraform.io/acme/sg/aws", "Dir": ".terraform/modules/sg"}]}),
        ".terraform/modules/sg/main.tf": 'variable "open" {}\nresource "aws_security_group" "x" {\n'
                                          '  description = var.open ? "open" : "closed"\n}\n',
    })
    loaded = load_hcl_sources(root)
    assert not loaded.gaps
    assert {r.address: r.values for r in loaded.raws} == {"module.sg.aws_security_group.x": {"description": "open"}}


def test_module_problems_are_gaps_and_the_rest_is_scanned(tmp_path):
    root = write(tmp_path, {
        "main.tf": '''
module "missing" { source = "./nope" }
module "loop" { source = "./loop" }
module "unknown" { source = "acme/unknown/aws" }
resource "aws_kms_key" "k" { enable_key_rotation = true }
''',
        "loop/main.tf": 'module "again" { source = "../loop" }\nresource "aws_sqs_queue" "q" {}\n',
    })
    loaded = load_hcl_sources(root)
    codes = {g.code: g for g in loaded.gaps}
    assert set(codes) == {"module_not_found", "circular_module", "unknown_module"}
    assert codes["unknown_module"].target == "main.tf:4"
    assert {r.address for r in loaded.raws} == {"aws_kms_key.k", "module.loop.aws_sqs_queue.q"}


def test_bad_files_in_a_directory_are_gaps(tmp_path):
    root = write(tmp_path, {
        "good.tf": 'resource "aws_kms_key" "k" {}\n',
        "broken.tf": 'resource "aws_kms_key" "bad" {\n  enable_key_rotation = \n}\n',
        "latin1.tf": b'resource "aws_kms_key" "x" { description = "caf\xe9" }\n',
    })
    loaded = load_hcl_sources(root)
    assert {r.address for r in loaded.raws} == {"aws_kms_key.k"}
    gaps = {g.code: g.target for g in loaded.gaps}
    assert gaps == {"hcl_parse_error": "broken.tf:2", "unreadable_file": "latin1.tf"}
    assert {g.reason.split(":")[0] for g in loaded.gaps} == {"broken.tf", "cannot read latin1.tf"}  # names the file


@pytest.mark.parametrize("files, target, message", [
    ({"main.tf": 'resource "a" "b" {\n  x = \n}\n'}, "main.tf", "main.tf:2: HCL syntax error at line 2"),
    ({"readme.md": "no terraform here"}, ".", "no .tf files found"),
    ({"main.tf": '# posture:ignore POSTURE-NET-001\nresource "a" "b" {}\n'}, ".",
     "main.tf:1: posture:ignore POSTURE-NET-001 has no reason"),
    ({"main.tf": "resource \"a\" \"b\" {}\n", "bad.tfvars": "x = = 1\n"}, "--var-file", "bad.tfvars:1"),
])
def test_input_errors_exit_2(tmp_path, capsys, files, target, message):
    root = write(tmp_path, files)
    argv = ["scan", "terraform", str(root / target if target not in (".", "--var-file") else root), "-q"]
    if target == "--var-file":
        argv += ["--var-file", str(root / "bad.tfvars")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_missing_path_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_terraform(tmp_path / "nope")


def test_unresolvable_count_and_dynamic_are_never_guessed(tmp_path):
    root = write(tmp_path, {"main.tf": '''
variable "n" {}
variable "rules" {}
resource "aws_security_group" "dyn" {
  dynamic "ingress" {
    for_each = var.rules
    content {
      from_port   = ingress.value.port
      to_port     = ingress.value.port
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
resource "aws_kms_key" "k" { count = var.n }
'''})
    from posture.api import scan_terraform

    result = scan_terraform(root)
    f = next(f for f in result.findings if f.resource.id == "aws_security_group.dyn")
    assert f.unverified and f.severity.value == "info"
    assert [g.code for g in result.inventory.gaps] == ["unresolved_count"]
    assert any(r.id == "aws_kms_key.k" for r in result.inventory.resources)


def test_several_root_modules_in_a_tree(tmp_path):
    root = write(tmp_path, {
        "envs/prod/main.tf": 'module "app" {\n  source = "../../modules/app"\n}\n',
        "envs/dev/main.tf": 'module "app" {\n  source = "../../modules/app"\n}\n',
        "modules/app/main.tf": 'resource "aws_sqs_queue" "q" {}\n',
    })
    addresses = {r.address for r in load_hcl_sources(root).raws}
    assert addresses == {"module.envs_dev.module.app.aws_sqs_queue.q", "module.envs_prod.module.app.aws_sqs_queue.q"}


def test_plan_findings_point_to_the_tf_block():
    plan = FIXTURES / "plans" / "aws" / "network" / "plan.json"
    inv = load_terraform(plan)
    sg = next(r for r in inv.resources if r.id == "aws_security_group.app")
    assert sg.location.file.endswith("network/main.tf")
    line = (plan.parent / "main.tf").read_text().splitlines()[sg.location.line - 1]
    assert line.startswith('resource "aws_security_group" "app"')


def test_plan_without_tf_sources_points_to_the_plan(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_bytes((FIXTURES / "plans" / "aws" / "network" / "plan.json").read_bytes())
    inv = load_terraform(plan)
    assert {r.location.file for r in inv.resources} == {str(plan)}


def test_var_file_option_on_the_cli(tmp_path, capsys):
    root = write(tmp_path, {
        "main.tf": 'variable "open" { default = false }\nresource "aws_security_group" "sg" {\n  ingress {\n'
                   '    from_port = 22\n    to_port = 22\n    protocol = "tcp"\n'
                   '    cidr_blocks = var.open ? ["0.0.0.0/0"] : ["10.0.0.0/8"]\n  }\n}\n',
        "open.tfvars": "open = true\n",
    })
    assert main(["scan", "terraform", str(root), "-q", "--format", "json"]) == 0
    capsys.readouterr()
    assert main(["scan", "terraform", str(root), "-q", "--format", "json", "--var-file",
                 str(root / "open.tfvars"), "--repo-root", str(root)]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [(f["rule_id"], f["location"]) for f in doc["findings"]] == [
        ("POSTURE-NET-001", {"file": "main.tf", "line": 2})]


def test_plan_locations_read_only_the_plans_own_directory(tmp_path):
    """A plan saved in a busy directory must not parse (or fail on) unrelated .tf trees below it."""
    import json
    import shutil

    from posture.providers.terraform import load_terraform

    src = FIXTURES / "plans/aws/network"
    shutil.copy(src / "main.tf", tmp_path / "main.tf")
    shutil.copy(src / "plan.json", tmp_path / "plan.json")
    other = tmp_path / "unrelated" / "deep"
    other.mkdir(parents=True)
    (other / "bad.tf").write_text('resource "aws_s3_bucket" "x" {\n  # posture:ignore POSTURE-ENC-001\n}\n')
    inv = load_terraform(tmp_path / "plan.json")
    assert json.dumps([r.location.file for r in inv.resources if r.location]).count("main.tf") > 0
    assert not any("unrelated" in (r.location.file or "") for r in inv.resources if r.location)
