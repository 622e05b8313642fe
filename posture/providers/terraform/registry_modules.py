"""Knowledge of popular registry modules (``registry_modules.yaml``): source address and version -> module HCL.

Each module lists the version ranges its knowledge holds for (``versions``, newest first, each with the changelog
or upgrade guide that says so); a range may override variable defaults (``defaults``) or the whole HCL (``hcl``).
:meth:`KnownModule.for_constraint` picks the range for a call's ``version`` constraint.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from posture.providers.terraform.module_versions import (
    ConstraintError,
    VersionRange,
    allowed_intervals,
    parse_range,
    pick,
)


@dataclass(frozen=True)
class ModuleVersion:
    """The module's HCL for one range of versions, and where that knowledge comes from."""

    range: str
    span: VersionRange
    source: str
    hcl: str


@dataclass(frozen=True)
class KnownModule:
    """One registry module modelled as HCL per version range (each ``hcl`` is evaluated like a local module)."""

    source: str
    docs: str
    modelled_on: str
    versions: tuple[ModuleVersion, ...]

    @property
    def hcl(self) -> str:
        """The newest range's HCL."""
        return self.versions[0].hcl

    def for_constraint(self, constraint: str | None) -> ModuleVersion | None:
        """The newest range a version allowed by ``constraint`` falls in (None: latest); None when none does.

        Raises :class:`ConstraintError` for a constraint that is not Terraform's syntax.
        """
        i = pick([v.span for v in self.versions], constraint)
        return None if i is None else self.versions[i]


def _indented(line: str, m: re.Match[str]) -> str:
    return m.group(1) + line


def _with_defaults(hcl: str, defaults: dict[str, Any]) -> str:
    """``hcl`` with the one-line ``variable "X" { ... }`` declarations of ``defaults`` given new defaults."""
    for name, value in defaults.items():
        literal = "null" if value is None else json.dumps(value)
        pattern = re.compile(rf'^(\s*)variable "{re.escape(name)}" \{{.*\}}\s*$', re.MULTILINE)
        line = f'variable "{name}" {{ default = {literal} }}'
        hcl, n = pattern.subn(functools.partial(_indented, line), hcl)
        if n != 1:
            raise ValueError(f"registry_modules.yaml: no one-line variable {name!r} to override")
    return hcl


def _versions(entry: dict[str, Any]) -> tuple[ModuleVersion, ...]:
    out = []
    for v in entry["versions"]:
        hcl = v.get("hcl", entry["hcl"])
        out.append(ModuleVersion(v["range"], parse_range(v["range"]), v["source"],
                                 _with_defaults(hcl, v.get("defaults") or {})))
    return tuple(out)


def normalise_source(source: str) -> str:
    """Canonical key: no registry host, ``git::``/scheme, ``.git``, ``?ref=``; lower case.

    ``registry.terraform.io/terraform-aws-modules/vpc/aws`` and ``terraform-aws-modules/vpc/aws`` match;
    ``git::https://github.com/terraform-aws-modules/terraform-aws-vpc.git?ref=v5.0.0`` becomes
    ``github.com/terraform-aws-modules/terraform-aws-vpc``. A ``//sub/dir`` path is kept.
    """
    s = source.strip()
    s = re.sub(r"^git::", "", s)
    s = re.sub(r"^(https?|ssh|git)://", "", s)
    s = re.sub(r"^git@github\.com:", "github.com/", s)
    s = s.split("?", 1)[0]
    s = re.sub(r"^registry\.terraform\.io/", "", s)
    path, sep, sub = s.partition("//")
    path = re.sub(r"\.git$", "", path).rstrip("/")
    return (path + (sep + sub.strip("/") if sub else "")).lower()


def git_ref_version(source: str) -> str | None:
    """The version a git source pins with ``?ref=vX.Y.Z`` (as an exact constraint), else None."""
    m = re.search(r"[?&]ref=v?(\d+(?:\.\d+){0,2})\b", source)
    return m.group(1) if m else None


@cache
def _table() -> dict[str, KnownModule]:
    text = resources.files(__package__).joinpath("registry_modules.yaml").read_text(encoding="utf-8")
    doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out: dict[str, KnownModule] = {}
    for entry in doc["modules"]:
        mod = KnownModule(entry["source"], entry.get("docs", ""), str(entry.get("modelled_on", "")),
                          _versions(entry))
        for s in [entry["source"], *entry.get("sources", [])]:
            out[normalise_source(s)] = mod
    return out


def known_module(source: str) -> KnownModule | None:
    """The modelled module for a ``source`` address, or None when posture does not know it."""
    return _table().get(normalise_source(source))


def known_sources() -> list[str]:
    """Registry addresses of every modelled module."""
    return sorted({m.source for m in _table().values()})


__all__ = ["ConstraintError", "KnownModule", "ModuleVersion", "allowed_intervals", "known_module", "known_sources",
           "normalise_source"]
