"""Statement profiles: a published security statement written as claims, each bound to rules.

``posture verify PROFILE PATH...`` evaluates the claims on an estate and answers, claim by claim:
*holds*, *does not hold* (with the findings that prove it) or *cannot be verified* (and why: a coverage
gap, values unknown until apply, or no resource of the kinds the claim is about). A claim about an empty
estate is never reported as holding.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from posture.errors import InputError
from posture.inputs import did_you_mean, load_model
from posture.knowledge.network import terraform_provider
from posture.model import Finding, Gap, GapClass
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


class HistorySpec(BaseModel):
    """A process claim decided from the scan history: an external scan of ``scope`` within ``within_days``."""

    model_config = ConfigDict(extra="forbid")
    within_days: int | None = Field(default=None, gt=0)
    scope: str = ""


class ClaimSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    text: str
    topic: str | None = None
    rules: list[str] = Field(default_factory=list)
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    providers: list[str] | None = None
    history: HistorySpec | None = None

    @model_validator(mode="after")
    def _decided_somehow(self) -> ClaimSpec:
        if not self.rules and self.topic is None and self.history is None:
            raise ValueError("a claim needs rules, a topic (rules.d/claims) or a history check")
        return self


class NoteSpec(BaseModel):
    """A sentence of the statement that no scan can check (background checks, training, certifications)."""

    model_config = ConfigDict(extra="forbid")
    text: str
    reason: str


class ProfileSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: str
    title: str
    statement: str = ""
    providers: list[str] = Field(default_factory=list)
    claims: list[ClaimSpec] = Field(min_length=1)
    not_checkable: list[NoteSpec] = Field(default_factory=list)
    _source: str = PrivateAttr(default="")

    @property
    def where(self) -> str:
        """What an error about the profile names: its file when it was read from one, else its name."""
        return self._source or self.profile

    def to_yaml(self) -> str:
        """The profile as YAML that :func:`load_profile` reads back."""
        import yaml

        doc = self.model_dump(mode="json", exclude_defaults=True)
        return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110)


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
    spec = load_model(p, ProfileSpec, "config", "profile")
    spec._source = str(p)
    return spec


@dataclass(frozen=True)
class ClaimPlan:
    """How one claim is decided: the rule instances (by the id they run under) and what was left out."""

    claim: ClaimSpec
    providers: tuple[str, ...]
    rules: Mapping[str, Rule]
    kinds: frozenset[str]
    notes: tuple[str, ...] = ()


def topic_rule_ids(topic_id: str, available: Sequence[Rule], providers: Sequence[str] = (),
                   params: Mapping[str, Any] | None = None) -> list[str]:
    """The rules that decide a catalogue topic (rules.d/claims): every enabled rule of the topic's categories
    whose kinds overlap the topic's, minus the topic's declared exclusions and the rules gated on sentence
    parameters that were not stated; rules of other providers are left out."""
    from posture.statement.catalogue import load_catalogue

    catalogue = load_catalogue()
    try:
        decide = catalogue.topic(topic_id).decide
    except KeyError:
        import difflib

        close = difflib.get_close_matches(topic_id, [t.id for t in catalogue.topics], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"unknown claim topic {topic_id!r}{hint}") from None
    params = params or {}
    gated = {rid for rids in decide.when_params.values() for rid in rids}
    stated = {rid for key, rids in decide.when_params.items() if params.get(key) for rid in rids}
    cats = {c.value for c in decide.categories}
    kinds = {k.value for k in decide.kinds}
    out = []
    for r in available:
        m = r.meta
        if not (m.id in stated or (m.enabled and m.category.value in cats and kinds & set(m.kinds)
                                   and m.id not in decide.exclude and m.id not in gated)):
            continue
        if providers and m.providers and not set(m.providers) & set(providers):
            continue
        out.append(m.id)
    return out


def plan_claims(spec: ProfileSpec, available: Sequence[Rule]) -> list[ClaimPlan]:
    """Each claim's rule instances, restricted to the claim's providers (the claim's own, else the profile's).

    A rule used with parameters, or under providers other than the profile's, runs as ``RULE@claim``.
    """
    by_id = {r.id: r for r in available}
    plans = []
    for claim in spec.claims:
        providers = tuple(claim.providers if claim.providers is not None else spec.providers)
        unknown = set(claim.params) - set(claim.rules) - (set(by_id) if claim.topic else set())
        if unknown:
            raise InputError(f"claim {claim.id!r} has params for rules it does not use: {sorted(unknown)}",
                             where=spec.where)
        ids = list(claim.rules)
        if claim.topic:
            try:
                derived = topic_rule_ids(claim.topic, available, providers)
            except InputError as e:
                raise InputError(f"claim {claim.id!r}: {e}", where=spec.where) from None
            ids += [rid for rid in derived if rid not in ids]
            ids += [rid for rid in claim.params if rid not in ids and rid in by_id]
        rules: dict[str, Rule] = {}
        notes: list[str] = []
        for rid in ids:
            if rid not in by_id:
                raise InputError(f"claim {claim.id!r} names unknown rule {rid!r}" + did_you_mean(rid, list(by_id)),
                                 where=spec.where)
            base = by_id[rid]
            meta_providers = set(base.meta.providers)
            if providers and meta_providers and not meta_providers & set(providers):
                notes.append(f"{rid} applies only to {', '.join(sorted(meta_providers))}")
                continue
            scoped = tuple(sorted(meta_providers & set(providers) if meta_providers else providers)) or None
            own = bool(claim.params.get(rid)) or (claim.providers is not None
                                                  and tuple(claim.providers) != tuple(spec.providers))
            run_id = f"{rid}@{claim.id}" if own else rid
            meta: dict[str, Any] = {"providers": scoped} if scoped else {}
            if base.meta.on_unknown != "info":
                meta["on_unknown"] = "info"  # an undecided check makes a claim unverifiable, never silently holding
            try:
                rules[run_id] = base.instantiate(run_id, claim.params.get(rid), **meta) if (own or meta) else base
            except ValueError as e:
                raise InputError(f"claim {claim.id!r}: {e}", where=spec.where) from None
        kinds = frozenset(k for r in rules.values() for k in r.meta.kinds)
        plans.append(ClaimPlan(claim, providers, rules, kinds, tuple(notes)))
    return plans


def profile_rules(spec: ProfileSpec, available: Sequence[Rule]) -> list[Rule]:
    """The rules the profile's claims need, with each claim's parameters and providers applied.

    The same rule with different parameters in two claims becomes two instances (``RULE@claim``).
    """
    out: dict[str, Rule] = {}
    for plan in plan_claims(spec, available):
        for run_id, r in plan.rules.items():
            out.setdefault(run_id, r)
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
    rules: tuple[str, ...] = ()
    topic: str = ""
    providers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "topic": self.topic,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "rules": list(self.rules),
            "providers": list(self.providers),
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
    providers: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    not_checkable: tuple[NoteSpec, ...] = ()

    @property
    def holds(self) -> bool:
        return bool(self.claims) and all(c.verdict == HOLDS for c in self.claims)

    @property
    def verdict(self) -> str:
        """The overall verdict: does not hold if one claim fails; holds only if every claim holds."""
        verdicts = {c.verdict for c in self.claims}
        return FAILS if FAILS in verdicts else HOLDS if self.holds else UNVERIFIABLE

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.claims if c.verdict == v) for v in (HOLDS, FAILS, UNVERIFIABLE)}

    def counts_text(self) -> str:
        """``2 hold, 1 does not hold, 3 cannot be verified`` (what a person reads)."""
        n = self.counts()
        return f"{n[HOLDS]} hold, {n[FAILS]} do not hold, {n[UNVERIFIABLE]} cannot be verified"

    def to_dict(self) -> dict[str, Any]:
        return {"profile": self.profile, "title": self.title, "statement": self.statement,
                "providers": list(self.providers), "targets": list(self.targets), "verdict": self.verdict,
                "summary": self.counts(), "claims": [c.to_dict() for c in self.claims],
                "not_checkable": [n.model_dump() for n in self.not_checkable]}


_PROVIDER_SOURCES = {"aws", "azure", "gcp"}


_ADDRESS = re.compile(r"^(?:module\.[\w-]+(?:\[[^\]]*\])?\.)*(?:data\.)?([a-z0-9]+_[\w-]+)\.[\w-]+(?:\[[^\]]*\])?$")


def _gap_provider(gap: Gap) -> str | None:
    """The cloud a gap is about: a live source's own, or that of the Terraform resource address it targets."""
    if gap.source in _PROVIDER_SOURCES:
        return gap.source
    m = _ADDRESS.match(gap.target)
    return terraform_provider(m.group(1)) if m else None


def _blocking(gap: Gap, kinds: frozenset[str], providers: Sequence[str] = ()) -> bool:
    if gap.source in _NON_BLOCKING_SOURCES or gap.code == "dangling_reference":
        return False
    if gap.source == "rule":
        return True
    if gap.gap_class is GapClass.VALUE_UNKNOWN:
        return False  # a rule that needed the value says so in its own "cannot verify" finding
    provider = _gap_provider(gap)
    if providers and provider is not None and provider not in providers:
        return False  # a gap in another cloud says nothing about this claim
    mapped = SERVICE_KINDS.get(gap.service.lower()) if gap.service else None
    return mapped is None or bool(mapped & kinds)


@dataclass(frozen=True)
class ExternalScans:
    """What the scan history says about external scans: its location and the external scans it holds."""

    where: str
    scans: tuple[Any, ...]  # posture.history.ScanRecord, newest first
    now: datetime


def read_external_scans(url: str | os.PathLike[str], now: datetime | None = None) -> ExternalScans:
    """The external scans (``posture probe external ... --history``) recorded in a history, newest first."""
    import posture.history

    with posture.history.open(url) as h:
        scans = tuple(s for s in h.scans() if s.source.get("type") == "external")
        where = h.where
    return ExternalScans(where, scans, now or datetime.now(timezone.utc))


def _scan_scope_matches(scan: Any, scope: str) -> bool:
    if not scope:
        return True
    names = {str(scan.source.get("scope") or ""), str(scan.source.get("target") or "")}
    return scope in names or any(n and Path(n).name == scope for n in names)


def judge_history(claim: ClaimSpec, evidence: ExternalScans | None) -> tuple[str, list[str]]:
    """Verdict of a process claim on the scan history: the last external scan of the scope vs the interval."""
    assert claim.history is not None
    scope = claim.history.scope
    scope_text = f"scope {scope!r}" if scope else "any scope (none declared)"
    if evidence is None:
        return UNVERIFIABLE, ["no scan history given (--history PATH_OR_URL): the last external scan is unknown"]
    scans = [s for s in evidence.scans if _scan_scope_matches(s, scope)]
    if not scans:
        return UNVERIFIABLE, [f"the history {evidence.where} has no external scan of {scope_text}"]
    last = max(scans, key=lambda s: s.time)
    when = datetime.fromisoformat(last.time)
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    age = (evidence.now - when).days
    label = last.source.get("scope") or last.source.get("target") or "?"
    seen = f"last external scan: #{last.id} of {label} at {last.time} ({age} day(s) ago)"
    if claim.history.within_days is None:
        return UNVERIFIABLE, [seen, "the claim states no interval to compare with"]
    if age <= claim.history.within_days:
        return HOLDS, [f"{seen}, within {claim.history.within_days} days"]
    return FAILS, [f"{seen}, older than the stated {claim.history.within_days} days"]


def judge(spec: ProfileSpec, result: ScanResult, *, available: Sequence[Rule] | None = None,
          external_scans: ExternalScans | None = None, targets: Sequence[str] = ()) -> ProfileReport:
    """Turn a scan result (evaluated with :func:`profile_rules`) into claim verdicts.

    A claim is judged only on resources of its providers and of the kinds its rules are about: none of them
    in the estate means *cannot be verified*, never *holds*.
    """
    if available is None:
        from posture.rules.catalog import load_rules

        available = load_rules()
    verdicts = []
    for plan in plan_claims(spec, available):
        claim = plan.claim
        ids = set(plan.rules)
        if claim.history is not None and not ids:
            verdict, history_reasons = judge_history(claim, external_scans)
            verdicts.append(ClaimVerdict(claim.id, claim.text, verdict, tuple(history_reasons), topic=claim.topic or "",
                                         providers=plan.providers))
            continue
        findings = tuple(f for f in result.findings if f.rule_id in ids)
        failing = tuple(f for f in findings if f.status == "open" and not f.unverified)
        unverified = tuple(f for f in findings if f.unverified)
        rule_gaps = tuple(g for g in result.gaps if g.source == "rule" and g.target in ids)
        gaps = tuple(g for g in result.gaps if g.source != "rule" and _blocking(g, plan.kinds, plan.providers))
        gaps += rule_gaps
        checked = sum(result.checked.get(rid, 0) for rid in ids)
        reasons: list[str] = []
        where = f" of {', '.join(plan.providers)}" if plan.providers else ""
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
                kinds = ", ".join(sorted(plan.kinds)) or "none"
                reasons.append(f"nothing in the estate that the claim applies to (resources{where} of kinds: {kinds})")
        else:
            verdict = HOLDS
            reasons.append(f"{checked} resource(s){where} checked by {len(ids)} rule(s), no finding")
        reasons.extend(plan.notes)
        verdicts.append(ClaimVerdict(claim.id, claim.text, verdict, tuple(reasons), failing or unverified, gaps,
                                     checked, tuple(sorted(ids)), claim.topic or "", plan.providers))
    return ProfileReport(spec.profile, spec.title, spec.statement, tuple(verdicts), result, tuple(spec.providers),
                         tuple(targets), tuple(spec.not_checkable))


def verify(
    profile: str | os.PathLike[str] | ProfileSpec,
    paths: Iterable[Any],
    **options: Any,
) -> ProfileReport:
    """Verify a profile against one or more estates (plan JSON, HCL, snapshot .jsonl, or Inventory), merged.

    ``history`` (a history path or URL) is the evidence of process claims (external scans); ``now`` the time
    they are judged at (default: the current time).
    """
    from posture.api import scan_inventory
    from posture.model import Inventory
    from posture.rules.catalog import load_rules

    spec = profile if isinstance(profile, ProfileSpec) else load_profile(profile)
    history = options.pop("history", None)
    now = options.pop("now", None)
    inventory = Inventory()
    estates = list(paths)
    if not estates:
        raise InputError("give at least one estate to verify (plan JSON, Terraform directory or snapshot)")
    targets = [p if isinstance(p, str) else str(p) if isinstance(p, os.PathLike) else "<inventory>" for p in estates]
    for e in estates:
        inventory = inventory.merge(e if isinstance(e, Inventory) else load_estate(e))
    available = load_rules(options.pop("rule_dirs", ()))
    rules = profile_rules(spec, available)
    result = scan_inventory(inventory, rules=rules, now=now, source={
        "type": "verify", "profile": spec.profile, "target": ", ".join(targets)}, **options)
    scans = read_external_scans(history, now) if history and any(c.history for c in spec.claims) else None
    return judge(spec, result, available=available, external_scans=scans, targets=targets)


def load_estate(path: str | os.PathLike[str]) -> Any:
    """An Inventory from a snapshot (.jsonl) or any Terraform input (plan JSON, .tf, directory)."""
    p = Path(path)
    if p.suffix == ".jsonl":
        from posture.providers.snapshot import read_snapshot

        return read_snapshot(p)
    from posture.providers.terraform import load_terraform

    return load_terraform(p)
