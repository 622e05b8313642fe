"""Every parser and user file of the CLI and the API, as fuzz targets.

A :class:`Target` knows the format of the file it fuzzes, the fixtures that seed it, and how to build a case:
where the fuzzed bytes are written (a file, or a file inside a Terraform directory) and which command (or API
function) reads them. Everything else a command needs (the scanned estate, a rule directory) is an untouched
fixture. No target reaches beyond loopback: the probe targets name only 127.0.0.1, ticket configs point at
127.0.0.1 (webhook dry runs send nothing), and the harness blocks anything else (tests/helpers/fuzz_server.py).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.fuzz_runner import Case
from tests.helpers.paths import FIXTURES, ROOT

FUZZ = FIXTURES / "fuzz"
SNAPSHOT = FIXTURES / "rules" / "network" / "gcp.jsonl"   # the estate scanned when another file is fuzzed
PLAN = FIXTURES / "plans" / "aws" / "s3" / "plan.json"
RESULT = FUZZ / "result.json"

#: Hand-made hostile files, by name: how each is put where the input belongs.
SPECIALS = ("fifo", "dev_zero", "directory", "missing", "symlink_loop", "empty", "bom_only", "nul_bytes",
            "huge_int", "deep_json", "deep_yaml", "bad_utf8", "bad_date", "unhashable_key", "alias_bomb")


def write_special(path: Path, special: str) -> Path:
    """Put the hand-made file ``special`` at ``path``; returns the path to give the command."""
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {
        "empty": b"", "bom_only": b"\xef\xbb\xbf", "nul_bytes": b"\x00" * 64,
        "huge_int": b'{"version": ' + b"9" * 5000 + b"}\n",
        "deep_json": b"[" * 100_000 + b"]" * 100_000,
        "deep_yaml": b"a:\n" + b"".join(b"  " * i + b"- \n" for i in range(1, 400)) + b"[" * 50_000,
        "bad_utf8": b"version: 1\nname: \xff\xfe\n",
        "bad_date": b"expires: 2026-02-30\nversion: 1\n",
        "unhashable_key": b"? [a, b]\n: 1\n",
        "alias_bomb": b"a: &a [x,x,x,x,x,x,x,x,x,x]\n" + b"".join(
            f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n".encode()
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)),
    }.get(special)
    if content is not None:
        path.write_bytes(content)
    elif special == "fifo":
        os.mkfifo(path)
    elif special == "dev_zero":
        path.symlink_to("/dev/zero")
    elif special == "directory":
        path.mkdir()
    elif special == "symlink_loop":
        path.symlink_to(path.name)
    elif special != "missing":
        raise ValueError(special)
    return path


Writer = Callable[[Path, "bytes | str"], Path]


def _put(path: Path, content: bytes | str) -> Path:
    if isinstance(content, str):
        return write_special(path, content)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


@dataclass(frozen=True)
class Target:
    """A file the CLI or API reads, and the command that reads it."""

    name: str
    fmt: str                                   # json, jsonl, yaml, hcl, text
    seeds: tuple[Path, ...]
    filename: str                              # where the fuzzed file goes inside the case directory
    argv: Callable[[Path, Path], Sequence[str]] | None = None   # (fuzzed path, case dir) -> argv
    api: Callable[[Path, Path], dict] | None = None
    context: Callable[[Path], None] | None = None   # puts untouched companions into the case directory
    also_ok: tuple[str, ...] = ()              # exit-2 messages that are not about the fuzzed file
    env: dict = field(default_factory=dict)
    specials: tuple[str, ...] = SPECIALS

    def case(self, workdir: Path, content: bytes | str, label: str) -> Case:
        """Write ``content`` (bytes, or a :data:`SPECIALS` name) and build the case that reads it."""
        if self.context:
            self.context(workdir)
        path = _put(workdir / self.filename, content)
        names = (str(path), path.name, str(path.parent), *self.also_ok)
        common = {"target": self.name, "names": names, "cwd": str(workdir), "env": dict(self.env),
                  "label": label}
        if self.api:
            return Case(api=self.api(path, workdir), **common)
        assert self.argv is not None
        return Case(argv=tuple(self.argv(path, workdir)), **common)


def _glob(*patterns: str, base: Path = FIXTURES) -> tuple[Path, ...]:
    found = sorted({p for pat in patterns for p in base.glob(pat)})
    assert found, patterns
    return tuple(found)


def _copy(*files: Path) -> Callable[[Path], None]:
    def put(workdir: Path) -> None:
        for f in files:
            shutil.copy(f, workdir / f.name)
    return put


def _api(func: str, *extra: object, consume: bool = False) -> Callable[[Path, Path], dict]:
    return lambda path, _: {"func": func, "args": [str(path), *extra], "consume": consume}


_Q = ("-q", "--format", "json")
_SCAN_SEED = ("scan", "snapshot", str(SNAPSHOT), *_Q)
PLANS = _glob("plans/*/plan.json", "plans/aws/s3/plan.json", "plans/aws/modules/plan.json")
TF = _glob("fuzz/main.tf", "plans/aws/*/main.tf", "hcl/sensitive/*.tf", "corpus/aws/exposure.tf")
TF_JSON = _glob("fuzz/main.tf.json", "hcl/sensitive/secrets.tf.json", "corpus/aws/cdktf.tf.json")
SNAPSHOTS = _glob("rules/*/*.jsonl")
RULES = _glob("*.yaml", base=ROOT / "rules.d")
PROFILES = _glob("profiles/*.yaml", base=ROOT / "rules.d") + _glob("statements/*.expected.yaml")
STATEMENTS = _glob("statements/*.md", "statements/*.html", "statements/*.txt")
OK_NO_TLS = ("nothing was read",)

TARGETS: tuple[Target, ...] = (
    Target("plan", "json", PLANS, "plan.json", argv=lambda p, _: ("scan", "terraform", str(p), *_Q)),
    Target("tf_dir", "hcl", TF, "code/main.tf", argv=lambda p, _: ("scan", "terraform", str(p.parent), *_Q)),
    Target("tf_json", "json", TF_JSON, "code/main.tf.json",
           argv=lambda p, _: ("scan", "terraform", str(p.parent), *_Q)),
    Target("var_file", "hcl", (FUZZ / "vars.tfvars", FIXTURES / "corpus/aws/terraform.tfvars"), "vars.tfvars",
           argv=lambda p, d: ("scan", "terraform", str(d / "code"), "--var-file", str(p), *_Q),
           context=lambda d: (d / "code").mkdir() or shutil.copy(FUZZ / "main.tf", d / "code/main.tf")),
    Target("var_file_json", "json", (FUZZ / "vars.tfvars.json",), "vars.tfvars.json",
           argv=lambda p, d: ("scan", "terraform", str(d / "code"), "--var-file", str(p), *_Q),
           context=lambda d: (d / "code").mkdir() or shutil.copy(FUZZ / "main.tf", d / "code/main.tf")),
    Target("snapshot", "jsonl", SNAPSHOTS, "estate.jsonl", argv=lambda p, _: ("scan", "snapshot", str(p), *_Q)),
    Target("snapshot_inventory", "jsonl", SNAPSHOTS, "estate.jsonl",
           argv=lambda p, _: ("external", "--scope", str(FUZZ / "scope.yaml"), "--snapshot", str(p),
                              "--dry-run")),
    Target("rules_validate", "yaml", RULES, "rules/pack.yaml",
           argv=lambda p, _: ("rules", "validate", str(p.parent))),
    Target("rules_scan", "yaml", RULES, "rules/pack.yaml",
           argv=lambda p, _: (*_SCAN_SEED, "--rules", str(p.parent))),
    Target("suppressions", "yaml", (FUZZ / "suppressions.yaml",), "suppressions.yaml",
           argv=lambda p, _: (*_SCAN_SEED, "--suppressions", str(p))),
    Target("baseline", "json", (FUZZ / "baseline.json",), "baseline.json",
           argv=lambda p, _: (*_SCAN_SEED, "--baseline", str(p))),
    Target("segmentation_policy", "yaml", (FUZZ / "policy.yaml",), "policy.yaml",
           argv=lambda p, _: (*_SCAN_SEED, "--segmentation-policy", str(p))),
    Target("config", "yaml", (FUZZ / "posture.yaml",), ".posture.yaml",
           argv=lambda p, _: (*_SCAN_SEED, "--config", str(p))),
    Target("config_show", "yaml", (FUZZ / "posture.yaml",), ".posture.yaml",
           argv=lambda p, _: ("config", "show", "--config", str(p))),
    Target("scope_external", "yaml", (FUZZ / "scope.yaml",), "scope.yaml",
           argv=lambda p, _: ("external", "--scope", str(p), "--dry-run")),
    Target("scope_probe", "yaml", (FUZZ / "scope.yaml",), "scope.yaml", also_ok=OK_NO_TLS,
           argv=lambda p, _: ("probe", "tls", "127.0.0.1:9", "--scope", str(p), "--timeout", "1",
                              "--target-timeout", "3", *_Q)),
    Target("profile", "yaml", PROFILES, "profile.yaml", argv=lambda p, _: ("verify", str(p), str(PLAN))),
    Target("statement", "text", STATEMENTS, "statement.md",
           argv=lambda p, _: ("verify", "--statement", str(p), str(PLAN))),
    Target("compliance_result", "json", (RESULT,), "result.json",
           argv=lambda p, _: ("compliance", "soc2", str(p), "--format", "json")),
    Target("tickets_config", "yaml", (FUZZ / "tickets.yaml", FUZZ / "tickets-jira.yaml"), "tickets.yaml",
           argv=lambda p, _: ("tickets", "sync", str(RESULT), "--config", str(p), "--dry-run"),
           env={"JIRA_USER": "fuzz", "JIRA_API_TOKEN": "fuzz-token"}, also_ok=("connection failed",)),
    Target("tickets_result", "json", (RESULT,), "result.json",
           argv=lambda p, _: ("tickets", "sync", str(p), "--config", str(FUZZ / "tickets.yaml"), "--dry-run")),
    # the Python API: the same files, InputError or a value
    Target("api_plan", "json", PLANS, "plan.json", api=_api("posture.api:scan_terraform")),
    Target("api_snapshot", "jsonl", SNAPSHOTS, "estate.jsonl", api=_api("posture.api:load_snapshot")),
    Target("api_suppressions", "yaml", (FUZZ / "suppressions.yaml",), "s.yaml",
           api=_api("posture.gate:load_suppressions")),
    Target("api_baseline", "json", (FUZZ / "baseline.json",), "b.json", api=_api("posture.gate:read_baseline")),
    Target("api_scope", "yaml", (FUZZ / "scope.yaml",), "scope.yaml",
           api=_api("posture.discovery.scope:load_scope")),
    Target("api_profile", "yaml", PROFILES, "profile.yaml", api=_api("posture.profiles:load_profile")),
    Target("api_rules", "yaml", RULES, "pack.yaml", api=_api("posture.rules.lang:load_rule_file")),
    Target("api_tickets", "yaml", (FUZZ / "tickets.yaml",), "tickets.yaml",
           api=_api("posture.tickets.config:load_config")),
    Target("api_policy", "yaml", (FUZZ / "policy.yaml",), "policy.yaml",
           api=_api("posture.segmentation:load_policy")),
)
BY_NAME = {t.name: t for t in TARGETS}
#: Commands the fork server runs once before forking cases (their lazy loads are then shared).
WARM = (_SCAN_SEED, ("scan", "terraform", str(PLAN), *_Q), ("scan", "terraform", str(FUZZ), *_Q),
        ("rules", "validate", str(ROOT / "rules.d")), ("verify", str(PROFILES[0]), str(PLAN)),
        ("compliance", "soc2", str(RESULT), "--format", "json"))
