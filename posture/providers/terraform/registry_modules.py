"""Knowledge of popular registry modules (``registry_modules.yaml``): source address -> module HCL."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class KnownModule:
    """One registry module modelled as HCL (``hcl`` is evaluated like a local module)."""

    source: str
    docs: str
    modelled_on: str
    hcl: str


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


@cache
def _table() -> dict[str, KnownModule]:
    text = resources.files(__package__).joinpath("registry_modules.yaml").read_text(encoding="utf-8")
    doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    out: dict[str, KnownModule] = {}
    for entry in doc["modules"]:
        mod = KnownModule(entry["source"], entry.get("docs", ""), str(entry.get("modelled_on", "")), entry["hcl"])
        for s in [entry["source"], *entry.get("sources", [])]:
            out[normalise_source(s)] = mod
    return out


def known_module(source: str) -> KnownModule | None:
    """The modelled module for a ``source`` address, or None when posture does not know it."""
    return _table().get(normalise_source(source))


def known_sources() -> list[str]:
    """Registry addresses of every modelled module."""
    return sorted({m.source for m in _table().values()})
