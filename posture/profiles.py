"""Statement profiles: a published security statement written as claims, each bound to rules.

``posture verify PROFILE PATH...`` evaluates the claims on an estate and answers, claim by claim:
*holds*, *does not hold* (with the findings that prove it) or *cannot be verified* (and why: a coverage
gap, values unknown until apply, or no resource of the kinds the claim is about). A claim about an empty
estate is never reported as holding.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from posture.errors import InputError
from posture.inputs import did_you_mean, load_model
from posture.model import Finding, Gap
from posture.result import ScanResult
from posture.rules.base import Rule

HOLDS, FAILS, UNVERIFIABLE = "holds", "does not hold", "cannot be verified"

# Which normalised kinds a collector service describes, so a gap blocks only the claims it concerns.
# A gap from a service not listed here blocks every claim (never a silent pass).
SERVICE_KINDS: Mapping[str, frozenset[str]] = {
    s: frozenset(k)
    for s, k in {
        # AWS (posture/providers/aws/tasks.py SERVICES, plus s3control for the account block)
        "ec2": {"network", "subnet", "route_table", "gateway", "firewall", "interface", "compute", "datastore",
                "account"},
        "s3": {"datastore", "account"}, "s3control": {"account"}, "rds": {"datastore"}, "dynamodb": {"datastore"},
        "sqs": {"datastore"}, "sns": {"datastore"}, "efs": {"datastore"}, "opensearch": {"datastore"},
        "kafka": {"datastore"}, "redshift": {"datastore"}, "kms": {"key"},
        "elbv2": {"load_balancer", "listener"}, "elb": {"load_balancer", "listener"}, "acm": {"certificate"},
        "cloudfront": {"listener"}, "cloudtrail": {"log_sink"}, "iam": {"identity", "account"},
        # Azure (providers/azure/collect.py SERVICES) and GCP (providers/gcp/collect.py TASKS); both clouds
        # call some services "compute" and "storage", so those map to the union of what either describes
        "network": {"network", "subnet", "firewall", "interface", "load_balancer", "listener", "route_table"},
        "compute": {"compute", "datastore", "network", "subnet", "firewall", "interface", "tls_policy", "listener",
                    "certificate"},
        "storage": {"datastore", "listener"}, "keyvault": {"key"}, "sql": {"datastore", "listener"},
        "web": {"compute", "listener"}, "cloudkms": {"key"}, "sqladmin": {"datastore"},
    }.items()
}
_NON_BLOCKING_SOURCES = {"graph"}


class ClaimSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    rules: list[str] = Field(min_length=1)
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)


class ProfileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: str
    title: str
    statement: str = ""
    providers: list[str] = Field(default_factory=list)
    claims: list[ClaimSpec] = Field(min_length=1)


def profiles_dir() -> Path:
    from posture.rules.catalog import builtin_rules_dir

    return builtin_rules_dir() / "profiles"


def load_profile(name_or_path: str | os.PathLike[str]) -> ProfileSpec:
    """A profile from a file path or a bundled profile name (``rules.d/profiles/<name>.yaml``)."""
    p = Path(name_or_path)
    if not p.exists() and p.suffix == "":
        bundled = profiles_dir() / f"{p.name}.yaml"
        if bundled.exists():
            p = bundled
        else:
            known = ", ".join(sorted(f.stem for f in profiles_dir().glob("*.yaml"))) or "none"
            raise InputError(f"no such profile (bundled: {known})", where=str(name_or_path))
    return load_model(p, ProfileSpec, "config", "profile")


def profile_rules(spec: ProfileSpec, available: Sequence[Rule]) -> list[Rule]:
    """The rules the profile's claims need, with each claim's parameters applied.

    The same rule with different parameters in two claims becomes two instances (``RULE@claim``).
    """
    by_id = {r.id: r for r in available}
    out: dict[str, Rule] = {}
    for claim in spec.claims:
        for rid in claim.rules:
            if rid not in by_id:
                raise InputError(f"claim {claim.id!r} names unknown rule {rid!r}" + did_you_mean(rid, list(by_id)),
                                 where=spec.profile)
            params = claim.params.get(rid)
            if params:
                try:
                    out[f"{rid}@{claim.id}"] = by_id[rid].instantiate(f"{rid}@{claim.id}", params)
                except ValueError as e:
                    raise InputError(f"claim {claim.id!r}: {e}", where=spec.profile) from None
            else:
                out.setdefault(rid, by_id[rid])
        unknown = set(claim.params) - set(claim.rules)
        if unknown:
            raise InputError(f"claim {claim.id!r} has params for rules it does not use: {sorted(unknown)}",
                             where=spec.profile)
    return list(out.values())


@dataclass(frozen=True)
class ClaimVerdict:
    """The verdict on one claim and what it rests on."""

    id: str
    text: str
    verdict: str
    reasons: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    gaps: tuple[Gap, ...] = ()
    checked_resources: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "checked_resources": self.checked_resources,
            "findings": [f.to_dict() for f in self.findings],
            "gaps": [g.to_dict() for g in self.gaps],
        }


@dataclass(frozen=True)
class ProfileReport:
    """Claim-by-claim verdicts of a profile on one scan result."""

    profile: str
    title: str
    statement: str
    claims: tuple[ClaimVerdict, ...]
    result: ScanResult = field(repr=False)

    @property
    def holds(self) -> bool:
        return all(c.verdict == HOLDS for c in self.claims)

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.claims if c.verdict == v) for v in (HOLDS, FAILS, UNVERIFIABLE)}

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "title": self.title, "statement": self.statement,
                "summary": self.counts(), "claims": [c.to_dict() for c in self.claims]}


def _blocking(gap: Gap, kinds: frozenset[str]) -> bool:
    if gap.source in _NON_BLOCKING_SOURCES or gap.code == "dangling_reference":
        return False
    if gap.source == "rule":
        return True
    mapped = SERVICE_KINDS.get(gap.service.lower()) if gap.service else None
    return mapped is None or bool(mapped & kinds)


def judge(spec: ProfileSpec, result: ScanResult) -> ProfileReport:
    """Turn a scan result (evaluated with :func:`profile_rules`) into claim verdicts."""
    metas = {m.id: m for m in result.rules}
    verdicts = []
    for claim in spec.claims:
        ids = {f"{rid}@{claim.id}" if rid in claim.params else rid for rid in claim.rules}
        kinds = frozenset(k for rid in ids if rid in metas for k in metas[rid].kinds)
        findings = tuple(f for f in result.findings if f.rule_id in ids)
        failing = tuple(f for f in findings if f.status == "open" and not f.unverified)
        unverified = tuple(f for f in findings if f.unverified)
        rule_gaps = tuple(g for g in result.gaps if g.source == "rule" and g.target in ids)
        gaps = tuple(g for g in result.gaps if g.source != "rule" and _blocking(g, kinds)) + rule_gaps
        checked = sum(result.checked.get(rid, 0) for rid in ids)
        reasons: list[str] = []
        if failing:
            verdict = FAILS
            reasons.append(f"{len(failing)} finding(s) contradict it")
        elif gaps or unverified or checked == 0:
            verdict = UNVERIFIABLE
            if gaps:
                reasons.append(f"{len(gaps)} coverage gap(s): " + "; ".join(g.reason for g in gaps[:3]))
            if unverified:
                reasons.append(f"{len(unverified)} check(s) could not be decided: "
                               + "; ".join(sorted({f.message.removeprefix("cannot verify: ") for f in unverified})[:3]))
            if checked == 0:
                reasons.append(f"nothing in the estate that the claim applies to (kinds: {', '.join(sorted(kinds))})")
        else:
            verdict = HOLDS
            reasons.append(f"{checked} resource(s) checked, no finding")
        verdicts.append(ClaimVerdict(claim.id, claim.text, verdict, tuple(reasons), failing or unverified, gaps,
                                     checked))
    return ProfileReport(spec.profile, spec.title, spec.statement, tuple(verdicts), result)


def verify(
    profile: str | os.PathLike[str] | ProfileSpec,
    paths: Iterable[str | os.PathLike[str]],
    **options: Any,
) -> ProfileReport:
    """Verify a profile against one or more estates (plan JSON, HCL, snapshot .jsonl), merged."""
    from posture.api import scan_inventory
    from posture.model import Inventory
    from posture.rules.catalog import load_rules

    spec = profile if isinstance(profile, ProfileSpec) else load_profile(profile)
    inventory = Inventory()
    targets = [str(p) for p in paths]
    if not targets:
        raise InputError("give at least one estate to verify (plan JSON, Terraform directory or snapshot)")
    for t in targets:
        inventory = inventory.merge(load_estate(t))
    rules = profile_rules(spec, load_rules(options.pop("rule_dirs", ())))
    result = scan_inventory(inventory, rules=rules, source={"type": "verify", "profile": spec.profile,
                                                            "targets": targets}, **options)
    return judge(spec, result)


def load_estate(path: str | os.PathLike[str]) -> Any:
    """An Inventory from a snapshot (.jsonl) or any Terraform input (plan JSON, .tf, directory)."""
    p = Path(path)
    if p.suffix == ".jsonl":
        from posture.providers.snapshot import read_snapshot

        return read_snapshot(p)
    from posture.providers.terraform import load_terraform

    return load_terraform(p)
