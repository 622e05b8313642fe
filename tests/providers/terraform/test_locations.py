"""File locations are relative to the working directory (or --repo-root) for plans and HCL, in every format."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from posture.cli import main
from tests.helpers.paths import FIXTURES, ROOT

SG = '''resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
'''


@pytest.fixture
def repo(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(SG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scan(*args: str) -> dict[str, str]:
    """Scan once, writing JSON, SARIF and JUnit; return each format's text."""
    code = main(["scan", "terraform", *args, "-q", "--format", "json", "-o", "out.json",
                 "--report", "sarif=out.sarif", "--report", "junit=out.xml", "--rule", "POSTURE-NET-001"])
    assert code == 1
    return {ext: Path(f"out.{ext}").read_text() for ext in ("json", "sarif", "xml")}


def _files(out: dict[str, str]) -> dict[str, set[str]]:
    doc = json.loads(out["json"])
    sarif = json.loads(out["sarif"])
    run = sarif["runs"][0]
    junit = {tc.get("file") for tc in ET.fromstring(out["xml"]).iter("testcase") if tc.get("file")}
    return {
        "json": {f["location"]["file"] for f in doc["findings"]},
        "sarif": {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]},
        "junit": junit,
    }


def test_hcl_subdirectory_scan_reports_repository_paths(repo):
    files = _files(out := _scan("infra"))
    assert files == {"json": {"infra/main.tf"}, "sarif": {"infra/main.tf"}, "junit": {"infra/main.tf"}}
    run = json.loads(out["sarif"])["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri == {"uri": "infra/main.tf", "uriBaseId": "%SRCROOT%"}


def test_same_paths_from_a_subdirectory_with_repo_root(repo, monkeypatch):
    (repo / "ci").mkdir()
    monkeypatch.chdir(repo / "ci")
    files = _files(_scan("../infra", "--repo-root", ".."))
    assert files["json"] == files["sarif"] == files["junit"] == {"infra/main.tf"}


def test_plan_and_hcl_share_one_code_path(repo):
    """A plan next to its .tf files points to the same repository path as the HCL scan of that directory."""
    net = repo / "net"
    shutil.copytree(FIXTURES / "plans/aws/network", net)
    hcl = json.loads(_scan_all("net"))
    plan = json.loads(_scan_all("net/plan.json"))
    assert {f["location"]["file"] for f in hcl["findings"]} == {"net/main.tf"}
    assert {f["location"]["file"] for f in plan["findings"]} == {"net/main.tf"}


def _scan_all(path: str) -> str:
    assert main(["scan", "terraform", path, "-q", "--format", "json", "-o", "all.json", "--fail-on", "none"]) == 0
    return Path("all.json").read_text()


def test_inline_suppression_origin_and_gaps_are_rebased(repo):
    (repo / "infra" / "main.tf").write_text("# posture:ignore POSTURE-NET-001 bastion until the VPN lands\n" + SG)
    (repo / "infra" / "broken.tf").write_text('resource "aws_s3_bucket" "b" {\n')
    assert main(["scan", "terraform", "infra", "-q", "--format", "json", "-o", "out.json"]) in (0, 1)
    doc = json.loads(Path("out.json").read_text())
    [sg] = [f for f in doc["findings"] if f["rule_id"] == "POSTURE-NET-001"]
    assert sg["status"] == "suppressed" and sg["status_reason"].endswith("(infra/main.tf:1)")
    assert any(g["target"].startswith("infra/broken.tf") for g in doc["gaps"])


def test_action_derives_the_sarif_category_from_the_path():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = {s.get("id") or s.get("name"): s for s in action["runs"]["steps"]}
    line = next(x for x in steps["scan"]["run"].splitlines() if x.strip().startswith("category="))
    assert steps["Upload SARIF"]["with"]["category"] == "${{ steps.scan.outputs.category }}"

    def category(path: str) -> str:
        script = f'IN_PATH={json.dumps(path)}\n{line}\necho "${{category%/}}"'
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True).stdout.strip()

    assert category("infra/prod") == category("./infra/prod/") == "posture-terraform/infra/prod"
    assert category("infra/staging") != category("infra/prod")
    assert category(".") == "posture-terraform/root"
    assert category("plans/my plan.json") == "posture-terraform/plans/my-plan.json"
