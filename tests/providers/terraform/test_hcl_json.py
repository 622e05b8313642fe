"""Terraform JSON configuration (``*.tf.json``): the same findings as the HCL twin, at the JSON lines.

Convention (docs/terraform-hcl.md "JSON configuration"): strings are templates whose ``${...}`` are HCL
expressions, a lone ``${expr}`` keeps its type, ``"//"`` keys are comments, block labels are nested keys.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posture.api import scan_terraform
from posture.cli import main
from posture.errors import InputError
from posture.gate import apply_gate
from posture.providers.terraform import load_terraform
from posture.providers.terraform.hcl import load_hcl_sources
from posture.providers.terraform.hcl_json import template_text
from tests.helpers.paths import FIXTURES


def write(root: Path, files: dict[str, str | dict]) -> Path:
    for name, doc in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(doc if isinstance(doc, str) else json.dumps(doc, indent=2))
    return root


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


HCL = {
    "main.tf": '''
variable "n" { default = 2 }
resource "aws_security_group" "web" { name = "web" }
resource "aws_security_group_rule" "ssh" {
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.web.id
}
resource "aws_security_group" "counted" {
  count = var.n
  name  = "counted-${count.index}"
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
resource "aws_kms_key" "k" { enable_key_rotation = false }
resource "aws_s3_bucket" "data" { bucket = "acme-data" }
resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.k.arn
    }
  }
}
module "db" {
  source = "./modules/db"
  name   = "orders"
}
''',
    "modules/db/main.tf": '''
variable "name" {}
resource "aws_db_instance" "this" {
  identifier          = var.name
  engine              = "postgres"
  instance_class      = "db.t3.micro"
  storage_encrypted   = false
  publicly_accessible = true
}
''',
}

JSON_TWIN = {
    "main.tf.json": {
        "variable": {"n": {"default": 2}},
        "resource": {
            "aws_security_group": {
                "web": {"name": "web"},
                "counted": {
                    "count": "${var.n}",
                    "name": "counted-${count.index}",
                    "ingress": [{"from_port": 3389, "to_port": 3389, "protocol": "tcp",
                                 "cidr_blocks": ["0.0.0.0/0"]}],
                },
            },
            "aws_security_group_rule": {"ssh": {
                "type": "ingress", "from_port": 22, "to_port": 22, "protocol": "tcp",
                "cidr_blocks": ["0.0.0.0/0"], "security_group_id": "${aws_security_group.web.id}"}},
            "aws_kms_key": {"k": {"enable_key_rotation": False}},
            "aws_s3_bucket": {"data": {"bucket": "acme-data"}},
            "aws_s3_bucket_server_side_encryption_configuration": {"data": {
                "bucket": "${aws_s3_bucket.data.id}",
                "rule": {"apply_server_side_encryption_by_default": {
                    "sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.k.arn}"}},
            }},
        },
        "module": {"db": {"source": "./modules/db", "name": "orders"}},
    },
    "modules/db/main.tf.json": {
        "variable": {"name": {}},
        "resource": {"aws_db_instance": {"this": {
            "identifier": "${var.name}", "engine": "postgres", "instance_class": "db.t3.micro",
            "storage_encrypted": False, "publicly_accessible": True}}},
    },
}


def findings(result) -> set[tuple[str, str, bool]]:
    return {(f.rule_id, f.resource.id, f.unverified) for f in result.findings}


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    hcl = write(tmp_path_factory.mktemp("hcl"), HCL)
    js = write(tmp_path_factory.mktemp("json"), JSON_TWIN)
    return scan_terraform(hcl, repo_root=hcl), scan_terraform(js, repo_root=js), js


def test_json_twin_reports_what_the_hcl_reports(twins):
    hcl, js, _ = twins
    assert findings(js) == findings(hcl)
    assert not js.gaps and not hcl.gaps
    got = findings(js)
    assert ("POSTURE-NET-001", "aws_security_group.web", False) in got  # through the separate rule's ${ref}
    assert {("POSTURE-NET-001", f"aws_security_group.counted[{i}]", False) for i in (0, 1)} <= got  # count
    assert any(rid == "POSTURE-ENC-001" and res == "module.db.aws_db_instance.this" for rid, res, _ in got)
    s3 = {r.id: r for r in js.inventory.resources}["aws_s3_bucket.data"]
    assert s3.attrs["encryption"]["key_id"] is not None  # the separate configuration joined by its ${ref}


def test_json_findings_point_to_the_block_key_line(twins):
    _, js, root = twins
    by_id = {f.resource.id: f.location for f in js.findings}
    main_json = root / "main.tf.json"
    assert (by_id["aws_security_group.web"].file, by_id["aws_security_group.web"].line) == \
        ("main.tf.json", line_of(main_json, '"web": {'))
    assert by_id["aws_security_group.counted[1]"].line == line_of(main_json, '"counted": {')
    db = by_id["module.db.aws_db_instance.this"]
    assert (db.file, db.line) == ("modules/db/main.tf.json", line_of(root / "modules/db/main.tf.json", '"this"'))


CDKTF = {
    "//": {"metadata": {"backend": "local", "stackName": "app", "version": "0.20.0"},
           "outputs": {}},
    "provider": {"aws": [{"region": "eu-west-1"}]},
    "terraform": {"backend": {"local": {"path": "terraform.app.tfstate"}},
                  "required_providers": {"aws": {"source": "aws", "version": "5.0.0"}}},
    "resource": {
        "aws_s3_bucket": {"b": {
            "//": {"metadata": {"path": "app/b", "uniqueId": "b"}},
            "bucket": "cdk-bucket",
        }},
        "aws_s3_bucket_public_access_block": {"b_pab": {
            "//": {"metadata": {"path": "app/b_pab", "uniqueId": "b_pab"}},
            "bucket": "${aws_s3_bucket.b.id}",
            "block_public_acls": False, "block_public_policy": False,
            "ignore_public_acls": False, "restrict_public_buckets": False,
        }},
        "aws_s3_bucket_acl": {"b_acl": {"bucket": "${aws_s3_bucket.b.id}", "acl": "public-read"}},
    },
}


def test_cdktf_synth_output_scans(tmp_path):
    root = write(tmp_path, {"cdktf.out/stacks/app/cdk.tf.json": CDKTF})
    loaded = load_hcl_sources(root)
    raws = {r.address: r for r in loaded.raws}
    assert raws["aws_s3_bucket_acl.b_acl"].refs["bucket"] == ("aws_s3_bucket.b",)
    assert loaded.provider_settings["aws"] == {"region": "eu-west-1"}
    assert not loaded.gaps
    result = scan_terraform(root, repo_root=root)
    bucket = {r.id: r for r in result.inventory.resources}["aws_s3_bucket.b"]
    assert bucket.region == "eu-west-1"
    public = [f for f in result.findings if f.resource.id == "aws_s3_bucket.b" and f.rule_id == "POSTURE-SEG-006"]
    assert public and public[0].location.file == "cdktf.out/stacks/app/cdk.tf.json"


def test_template_semantics(tmp_path):
    root = write(tmp_path, {"main.tf.json": {
        "variable": {"ports": {"default": [22, 80], "type": "list(number)"},
                     "raw": {"default": "${not_a_template}"}},
        "locals": {"first": "${var.ports[0]}", "name": "app-${upper(\"x\")}"},
        "provider": {"aws": [{"region": "us-east-1"}, {"alias": "west", "region": "us-west-2"}]},
        "resource": {"test_thing": {"t": {
            "provider": "aws.west",
            "depends_on": ["test_thing.u", "${test_thing.v}"],
            "ports": "${var.ports}",
            "first": "${local.first}",
            "name": "${local.name}",
            "raw": "${var.raw}",
            "escaped": "$${literal} and %%{directive} and \"quotes\" \\ slash",
            "map": {"Name": "${local.name}", "kubernetes.io/role": "x"},
            "tags": {"env": "prod"},
            "lifecycle": {"ignore_changes": ["tags"]},
            "nested": [{"inner": "a"}, {"inner": "${local.name}"}],
            "dynamic": {"rule": {"for_each": "${var.ports}", "iterator": "p",
                                 "content": {"port": "${p.value}"}}},
        }}},
    }})
    t = {r.address: r for r in load_hcl_sources(root).raws}["test_thing.t"]
    v = t.values
    assert v["ports"] == [22, 80] and v["first"] == 22  # a lone interpolation keeps its type
    assert v["name"] == "app-X"
    assert v["raw"] == "${not_a_template}"  # variable defaults are literal JSON
    assert v["escaped"] == '${literal} and %{directive} and "quotes" \\ slash'
    assert v["map"] == {"Name": "app-X", "kubernetes.io/role": "x"} and v["tags"] == {"env": "prod"}
    assert v["nested"] == [{"inner": "a"}, {"inner": "app-X"}]
    assert v["rule"] == [{"port": 22}, {"port": 80}]
    assert "lifecycle" not in v and "depends_on" not in v
    assert t.provider_key == "aws.west"
    assert t.is_configured("nested.1.inner")


def test_template_text():
    assert template_text("${var.x}") == "(var.x)"
    assert template_text('a-${lookup(var.m, "k")}-"b"') == '"a-${lookup(var.m, "k")}-\\"b\\""'
    assert template_text("${a}${b}") == '"${a}${b}"'
    with pytest.raises(ValueError):
        template_text("x-${var.y")


def test_mixed_directory_and_json_tfvars(tmp_path):
    root = write(tmp_path, {
        "vars.tf": 'variable "cidr" {}\n',
        "sg.tf.json": {"resource": {"aws_security_group": {"sg": {"name": "mixed"}}}},
        "rule.tf": 'resource "aws_security_group_rule" "r" {\n  type = "ingress"\n  from_port = 22\n'
                   '  to_port = 22\n  protocol = "tcp"\n  cidr_blocks = [var.cidr]\n'
                   '  security_group_id = aws_security_group.sg.id\n}\n',
        "terraform.tfvars.json": {"cidr": "0.0.0.0/0"},
    })
    result = scan_terraform(root, repo_root=root)
    hit = [f for f in result.findings if f.rule_id == "POSTURE-NET-001"]
    assert [(f.resource.id, f.location.file) for f in hit] == [("aws_security_group.sg", "sg.tf.json")]


def test_single_json_file_is_configuration_not_a_plan(tmp_path):
    root = write(tmp_path, {"main.tf.json": {"resource": {"aws_kms_key": {"k": {"enable_key_rotation": False}}}}})
    inv = load_terraform(root / "main.tf.json")
    assert [r.id for r in inv.resources] == ["aws_kms_key.k"]
    assert inv.meta["source"] == "terraform-hcl"


def test_suppression_in_a_comment_key(tmp_path):
    root = write(tmp_path, {"main.tf.json": {"resource": {"aws_kms_key": {"k": {
        "//": "posture:ignore POSTURE-KEY-001 rotated by an external process",
        "enable_key_rotation": False}}}}})
    gated, _ = apply_gate(scan_terraform(root))
    assert [f.status for f in gated.findings if f.rule_id == "POSTURE-KEY-001"] == ["suppressed"]
    write(tmp_path, {"main.tf.json": {"resource": {"aws_kms_key": {"k": {"//": "posture:ignore POSTURE-KEY-001"}}}}})
    with pytest.raises(InputError, match="has no reason"):
        scan_terraform(root)


BAD = '{\n  "resource": {\n    "aws_kms_key": {\n      "k": {,}\n    }\n  }\n}\n'
BAD_TEMPLATE = ('{\n  "resource": {\n    "aws_kms_key": {\n      "k": {\n        "description": "${1 +}"\n'
                '      }\n    }\n  }\n}\n')


@pytest.mark.parametrize("text, line", [(BAD, 4), (BAD_TEMPLATE, 5), ("[1, 2]\n", 1)])
def test_malformed_json_file_exits_2(tmp_path, capsys, text, line):
    root = write(tmp_path, {"main.tf.json": text})
    assert main(["scan", "terraform", str(root / "main.tf.json"), "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"main.tf.json:{line}" in err


def test_malformed_json_in_a_directory_is_a_gap(tmp_path):
    root = write(tmp_path, {"bad.tf.json": BAD, "good.tf.json": CDKTF, "other.tf": 'resource "aws_kms_key" "x" {}\n'})
    loaded = load_hcl_sources(root)
    assert {g.code: g.target for g in loaded.gaps} == {"tf_json_parse_error": "bad.tf.json:4"}
    assert {"aws_s3_bucket.b", "aws_kms_key.x"} <= {r.address for r in loaded.raws}


def test_bad_json_var_file_names_its_line(tmp_path, capsys):
    root = write(tmp_path, {"main.tf.json": {"variable": {"x": {}}}, "bad.tfvars.json": '{\n  "x": 1,\n}\n'})
    assert main(["scan", "terraform", str(root), "-q", "--var-file", str(root / "bad.tfvars.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "bad.tfvars.json:3" in err


def test_plan_next_to_a_cdktf_stack_points_to_its_json_blocks(tmp_path, monkeypatch):
    fixture = FIXTURES / "plans" / "aws" / "network" / "plan.json"
    (tmp_path / "plan.json").write_bytes(fixture.read_bytes())
    write(tmp_path, {"cdk.tf.json": {"resource": {"aws_security_group": {"app": {
        "//": "posture:ignore POSTURE-NET-* app tier reviewed in SEC-42", "name": "app"}}}}})
    monkeypatch.chdir(tmp_path)
    inv = load_terraform(tmp_path / "plan.json")
    sg = next(r for r in inv.resources if r.id == "aws_security_group.app")
    assert (sg.location.file, sg.location.line) == ("cdk.tf.json", line_of(tmp_path / "cdk.tf.json", '"app"'))
    assert [s["rule"] for s in inv.meta["suppressions"]] == ["POSTURE-NET-*"]
