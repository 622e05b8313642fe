"""Install name, install hints, version, hooks and the CLI's import shape."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import yaml

from posture import __version__
from posture.packaging import DISTRIBUTION, install_hint
from tests.helpers.paths import ROOT

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# `posture` as a thing to install (not `posture-scan`, not a path or a command after `&&`)
_BARE = re.compile(r"(?<![\w./-])['\"]?posture(?![\w-])(\[[\w,]+\])?['\"]?")


def _install_commands(text: str) -> list[str]:
    """The argument part of every `pip install ...` in ``text`` (up to a shell separator or the line end)."""
    return [m.group(1) for m in re.finditer(r"pip install([^\n&;|`#]*)", text)]


def _sources() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "action.yml", ROOT / ".pre-commit-hooks.yaml", ROOT / "scripts" / "test.sh",
             *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "posture").rglob("*.py"))]
    return [f for f in files if f.is_file()]


def test_distribution_name_is_the_documented_one():
    assert PYPROJECT["project"]["name"] == DISTRIBUTION == "posture-scan"
    assert f"pip install {DISTRIBUTION}" in (ROOT / "README.md").read_text()
    assert f"pip install --quiet {DISTRIBUTION}" in (ROOT / "docs" / "ci.md").read_text()
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert extras["all"][0].startswith(f"{DISTRIBUTION}[") and f"{DISTRIBUTION}[all]" in extras["test"]
    assert PYPROJECT["project"]["scripts"] == {"posture": "posture.cli:main"}  # the command stays `posture`


def test_every_install_hint_uses_the_distribution_name():
    bad = []
    for path in _sources():
        for args in _install_commands(path.read_text(encoding="utf-8")):
            if _BARE.search(args):
                bad.append(f"{path.relative_to(ROOT)}: pip install{args}")
    assert not bad, bad
    assert install_hint("aws") == "pip install 'posture-scan[aws]'"
    # code builds hints in one place
    literal = [str(p.relative_to(ROOT)) for p in (ROOT / "posture").rglob("*.py")
               if "pip install" in p.read_text() and p.name != "packaging.py"]
    assert not literal


def test_the_hint_check_would_catch_the_old_name():
    assert _BARE.search(" 'posture[aws]'") and _BARE.search(" --quiet posture") and _BARE.search(" posture")
    assert not _BARE.search(" posture-scan") and not _BARE.search(" -e .") and not _BARE.search(" 'posture-scan[aws]'")


def test_the_version_lives_in_one_place():
    assert "version" not in PYPROJECT["project"] and "version" in PYPROJECT["project"]["dynamic"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "posture/version.py"
    assert re.search(rf'^__version__ = "{re.escape(__version__)}"$', (ROOT / "posture/version.py").read_text(), re.M)


def test_pre_commit_hook_covers_every_terraform_file_type():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    for name in ("main.tf", "cdk.tf.json", "prod.tfvars", "prod.tfvars.json", "a/b/x.tf"):
        assert files.search(name), name
    for name in ("plan.json", "main.py", "tf.md"):
        assert not files.search(name), name
    contributors = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())
    assert {h["id"] for r in contributors["repos"] for h in r["hooks"]} >= {"ruff"}


def test_command_modules_do_not_import_the_cli():
    """posture.cli discovers posture.commands; the commands share posture.commands.base, so there is no cycle."""
    for path in sorted((ROOT / "posture").rglob("*.py")):
        if path.name == "cli.py" or path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module] if isinstance(node, ast.ImportFrom) else [])
            assert "posture.cli" not in names, f"{path.relative_to(ROOT)} imports posture.cli"


def test_test_script_says_what_apt_installs_and_why():
    script = (ROOT / "scripts" / "test.sh").read_text()
    wants = re.findall(r'want (\S+) "([^"]+)"', script)
    assert {w for w, _ in wants} == {"nmap", "openssl", "postgresql", "chromium"} and all(why for _, why in wants)
    assert 'printf \'%s\\n\' "${why[@]}"' in script
