"""Per-framework compliance views: requirement -> rules, resources checked, failing, unverified, not covered.

The requirement catalogue of each framework is data (``posture/knowledge/frameworks.yaml``, with its
source); which rules check a requirement comes from the rules' own ``controls``. A view is built from
the scan's JSON document (``ScanResult.to_dict()`` or a saved ``--format json`` file), so
``posture compliance FRAMEWORK RESULT.json`` and ``posture scan ... --framework`` are one code path.

Status of a requirement, fail closed: ``fail`` (an open, verified finding), ``unverified`` (only
"cannot verify" findings), ``pass`` (checked resources, no finding, and the scan had no coverage
gap), ``no resources`` (rules map to it but nothing in the estate was in their scope), ``incomplete``
(either of those two, but parts of the estate were not read) and ``not covered`` (no rule that ran maps to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from posture.errors import InputError, PostureError

STATUSES = ("fail", "unverified", "incomplete", "pass", "no resources", "not covered")


class _FrameworkModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prefix: str
    provider: str = ""
    title: str
    source: str
    requirements: dict[str, str]


class _CatalogueModel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    schema_: int = 1
    reviewed: str
    frameworks: dict[str, _FrameworkModel]


@dataclass(frozen=True)
class Framework:
    """One framework's catalogue: its control prefix, title, source and requirements (id -> title)."""

    name: str
    prefix: str
    title: str
    source: str
    requirements: Mapping[str, str]
    provider: str = ""
    """A provider-specific benchmark (CIS) names its provider; empty for provider-neutral frameworks."""


@cache
def frameworks() -> dict[str, Framework]:
    """Every framework of the catalogue, by CLI name (``soc2``, ``cis-aws``...)."""
    text = resources.files("posture.knowledge").joinpath("frameworks.yaml").read_text(encoding="utf-8")
    raw = yaml.safe_load(text)
    if isinstance(raw, dict) and "schema" in raw:
        raw["schema_"] = raw.pop("schema")
    try:
        cat = _CatalogueModel.model_validate(raw)
    except ValidationError as e:  # pragma: no cover - an editing mistake in the package
        raise PostureError(f"posture/knowledge/frameworks.yaml: {e}") from None
    return {name: Framework(name, f.prefix, f.title, f.source, dict(f.requirements), f.provider)
            for name, f in cat.frameworks.items()}


def control_applies(control: str, providers: Iterable[str]) -> bool:
    """Whether ``control`` (``CIS-AZURE:6.1``) concerns an estate of ``providers``: false only for a
    provider-specific benchmark whose provider is absent (an unknown prefix is kept)."""
    prefix = control.split(":", 1)[0].upper()
    owner = next((fw.provider for fw in frameworks().values() if fw.prefix.upper() == prefix), "")
    return not owner or owner in set(providers)


def framework(name: str) -> Framework:
    """The framework called ``name`` (case-insensitive); an unknown name is an input error."""
    known = frameworks()
    fw = known.get(name.lower())
    if fw is None:
        raise InputError(f"unknown framework {name!r} (choose from {', '.join(known)})", where="--framework")
    return fw


@dataclass(frozen=True)
class RequirementRow:
    """One requirement of a framework and what the scan says about it."""

    id: str
    title: str
    rules: tuple[str, ...]
    checked: int
    failing: int
    unverified: int
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "rules": list(self.rules), "resources_checked": self.checked,
                "failing": self.failing, "unverified": self.unverified, "status": self.status}


@dataclass(frozen=True)
class ComplianceView:
    """A framework's requirements with their status for one scan."""

    framework: Framework
    rows: tuple[RequirementRow, ...]
    gaps: int
    target: str

    def counts(self) -> dict[str, int]:
        """Requirements per status (every status present, in :data:`STATUSES` order)."""
        return {s: sum(1 for r in self.rows if r.status == s) for s in STATUSES}

    def to_dict(self) -> dict[str, Any]:
        fw = self.framework
        return {"framework": {"name": fw.name, "title": fw.title, "source": fw.source}, "target": self.target,
                "coverage_gaps": self.gaps, "counts": self.counts(), "requirements": [r.to_dict() for r in self.rows]}


def _req_key(req: str) -> tuple[Any, ...]:
    """Natural order: 1.10 after 1.9, AC-6(9) after AC-6."""
    import re

    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"[.\-()]+", req) if p)


def compliance_view(doc: Mapping[str, Any], name: str) -> ComplianceView:
    """Build framework ``name``'s view from a scan's JSON document (``ScanResult.to_dict()``)."""
    fw = framework(name)
    if "rules" not in doc:
        raise InputError("the scan result has no 'rules' section (written by an older posture?): "
                         "re-run the scan with --format json")
    prefix = fw.prefix.upper() + ":"
    rules_by_req: dict[str, list[str]] = {}
    checked_by_rule: dict[str, int] = {}
    for r in doc["rules"]:
        checked_by_rule[r["id"]] = int(r.get("checked") or 0)
        for c in r.get("controls", ()):
            if c.upper().startswith(prefix):
                rules_by_req.setdefault(c.split(":", 1)[1], []).append(r["id"])
    by_control = doc.get("checked_by_control") or {}
    failing: dict[str, set[str]] = {}
    unverified: dict[str, set[str]] = {}
    for f in doc.get("findings", ()):
        if f.get("status") != "open":
            continue
        bucket = unverified if f.get("unverified") else failing
        for c in f.get("controls", ()):
            if c.upper().startswith(prefix):
                bucket.setdefault(c.split(":", 1)[1], set()).add(f["resource"]["id"])
    # parts of the estate not read make a pass incomplete; a value-unknown gap already shows as the
    # unverified findings of the rules that needed the value
    gaps = sum(1 for g in doc.get("gaps", ()) if g.get("class") != "value_unknown")
    reqs = dict(fw.requirements)
    for extra in rules_by_req:  # a rule maps to an id the catalogue lacks: shown, never dropped
        reqs.setdefault(extra, "(not in the posture catalogue)")
    rows = []
    for req in sorted(reqs, key=_req_key):
        rules = tuple(sorted(rules_by_req.get(req, ())))
        # exact distinct count when the scan recorded it, else the largest single rule's count (a lower bound)
        checked = by_control.get(f"{fw.prefix}:{req}")
        if checked is None:
            checked = max((checked_by_rule.get(r, 0) for r in rules), default=0)
        n_fail, n_unv = len(failing.get(req, ())), len(unverified.get(req, ()))
        rows.append(RequirementRow(req, reqs[req], rules, int(checked), n_fail, n_unv,
                                   _status(rules, int(checked), n_fail, n_unv, gaps)))
    target = str((doc.get("summary") or {}).get("source", {}).get("target", ""))
    return ComplianceView(fw, tuple(rows), gaps, target)


def _status(rules: Iterable[str], checked: int, failing: int, unverified: int, gaps: int) -> str:
    if not tuple(rules):
        return "not covered"
    if failing:
        return "fail"
    if unverified:
        return "unverified"
    if gaps:
        return "incomplete"
    return "pass" if checked else "no resources"
