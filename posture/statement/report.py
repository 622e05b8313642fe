"""Verifying a statement: extracted claims -> a profile -> verdicts per claim, with lint and evidence."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from posture.model import Finding, Gap
from posture.profiles import (
    FAILS,
    HOLDS,
    UNVERIFIABLE,
    ClaimSpec,
    HistorySpec,
    NoteSpec,
    ProfileReport,
    ProfileSpec,
)
from posture.statement.catalogue import Catalogue, load_catalogue
from posture.statement.extract import CHECKABLE, HEDGED, NEGATED, UNOBSERVABLE, Claim, extract
from posture.statement.lint import LintFinding, lint
from posture.statement.params import named_services
from posture.statement.text import Block, Sentence, parse

NOT_CHECKABLE = "not machine-checkable"
NO_CLAIM = "no claim"
VERDICTS = (HOLDS, FAILS, UNVERIFIABLE, NOT_CHECKABLE)


@dataclass(frozen=True)
class ClaimResult:
    """One claim of the statement with its verdict, the rules that decided it and the evidence."""

    id: str
    claim: Claim
    verdict: str
    reasons: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    gaps: tuple[Gap, ...] = ()
    providers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        c = self.claim
        return {"id": self.id, "sentence": c.sentence.number, "line": c.sentence.line, "section": c.sentence.section,
                "text": c.text, "topic": c.topic, "params": dict(c.params), "providers": list(self.providers),
                "verdict": self.verdict, "rules": list(self.rules),
                "findings": [f.to_dict() for f in self.findings], "gaps": [g.to_dict() for g in self.gaps],
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class StatementReport:
    """A statement verified sentence by sentence (``posture.verify_statement``)."""

    statement: str
    text: str
    blocks: tuple[Block, ...]
    sentences: tuple[Sentence, ...]
    claims: tuple[ClaimResult, ...]
    no_claims: tuple[Claim, ...]
    lint: tuple[LintFinding, ...]
    profile: ProfileSpec
    providers: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    history: str = ""
    profile_report: ProfileReport | None = field(default=None, repr=False)

    @property
    def verdict(self) -> str:
        """Does not hold if one claim fails; holds only if every checkable claim holds (and there is one)."""
        checked = [c.verdict for c in self.claims if c.verdict != NOT_CHECKABLE]
        if FAILS in checked:
            return FAILS
        return HOLDS if checked and set(checked) == {HOLDS} else UNVERIFIABLE

    def counts(self) -> dict[str, int]:
        return {v: sum(1 for c in self.claims if c.verdict == v) for v in VERDICTS}

    def counts_text(self) -> str:
        n = self.counts()
        return (f"{n[HOLDS]} hold, {n[FAILS]} do not hold, {n[UNVERIFIABLE]} cannot be verified, "
                f"{n[NOT_CHECKABLE]} not machine-checkable")

    def summary(self) -> dict[str, Any]:
        return {"verdict": self.verdict, **self.counts(), "no claim": len(self.no_claims), "lint": len(self.lint),
                "sentences": len(self.sentences), "providers": list(self.providers), "targets": list(self.targets)}

    def to_dict(self) -> dict[str, Any]:
        return {"statement": self.statement, "claims": [c.to_dict() for c in self.claims],
                "no_claim": [{"sentence": c.sentence.number, "line": c.sentence.line, "text": c.text,
                              "topic": c.topic, "why": c.status, "cue": c.cue} for c in self.no_claims],
                "lint": [x.to_dict() for x in self.lint], "summary": self.summary()}


def _claim_id(c: Claim) -> str:
    return f"s{c.sentence.number}-{c.topic}"


def build_profile(name: str, sentences: Sequence[Sentence], claims: Sequence[Claim], catalogue: Catalogue,
                  scope: str = "") -> ProfileSpec:
    """The statement as a profile (the YAML hand-written profiles use): one claim per sentence and topic."""
    text = " ".join(s.text for s in sentences)
    providers = sorted(named_services(text, catalogue))
    specs: list[ClaimSpec] = []
    notes: list[NoteSpec] = []
    for c in claims:
        if c.status != CHECKABLE:
            titles = {u.id: u.title for u in catalogue.unobservable}
            why = {UNOBSERVABLE: f"not machine-checkable: {titles.get(c.topic, c.topic)}",
                   NEGATED: f"no claim: negated ({c.cue!r}) - {c.topic}",
                   HEDGED: f"no claim: hedged ({c.cue!r}) - {c.topic}"}[c.status]
            if not any(n.text == c.text for n in notes):
                notes.append(NoteSpec(text=c.text, reason=why))
            continue
        decide = catalogue.topic(c.topic).decide
        own = c.params.get("providers")
        claim_providers = list(own) if own and sorted(own) != providers else None
        if decide.history:
            specs.append(ClaimSpec(id=_claim_id(c), text=c.text, topic=c.topic, providers=claim_providers,
                                   history=HistorySpec(within_days=c.params.get("scan_interval_days"), scope=scope)))
            continue
        rules = [rid for key, rids in decide.when_params.items() if c.params.get(key) for rid in rids]
        params = {rid: {rp: c.params[sp] for rp, sp in mapping.items()}
                  for rid, mapping in decide.rule_params.items() if all(sp in c.params for sp in mapping.values())}
        specs.append(ClaimSpec(id=_claim_id(c), text=c.text, topic=c.topic, rules=rules, params=params,
                               providers=claim_providers))
    if not specs:
        specs.append(ClaimSpec(id="no-checkable-claim", text="(the statement makes no machine-checkable claim)",
                               history=HistorySpec()))
    return ProfileSpec(profile=name, title=f"Security statement {name}", statement=text,
                       providers=providers, claims=specs, not_checkable=notes)


def verify_statement(
    text: str,
    sources: Iterable[Any] = (),
    *,
    name: str = "statement",
    history: str | os.PathLike[str] | None = None,
    scope: str = "",
    rule_dirs: Sequence[str | os.PathLike[str]] = (),
    now: datetime | None = None,
    catalogue: Catalogue | None = None,
) -> StatementReport:
    """Verify a published security statement (plain text, Markdown or HTML) against estates.

    ``sources``: plan JSON / Terraform directories / snapshot ``.jsonl`` paths or :class:`posture.Inventory`
    objects, merged. ``history``: a scan history (path or URL) that decides external-scan claims;
    ``scope``: the external-scan scope those claims are about (default: any). With no source, every
    infrastructure claim *cannot be verified*.
    """
    from posture.model import Inventory
    from posture.profiles import verify

    cat = catalogue or load_catalogue()
    blocks, sentences = parse(text, name)
    claims = extract(sentences, cat)
    spec = build_profile(name, sentences, claims, cat, scope)
    sources = list(sources)
    report = verify(spec, sources or [Inventory()], history=history, now=now, rule_dirs=rule_dirs)
    targets = tuple(report.targets) if sources else ()
    by_id = {v.id: v for v in report.claims}
    results: list[ClaimResult] = []
    for c in claims:
        if c.status == CHECKABLE:
            v = by_id[_claim_id(c)]
            reasons = v.reasons if sources or v.rules == () else ("no estate given (plan, Terraform directory or "
                                                                  "snapshot)",)
            results.append(ClaimResult(v.id, c, v.verdict, reasons, v.rules, v.findings, v.gaps, v.providers))
        elif c.status == UNOBSERVABLE:
            title = next((u.title for u in cat.unobservable if u.id == c.topic), c.topic)
            results.append(ClaimResult(_claim_id(c), c, NOT_CHECKABLE,
                                       (f"{title}: no infrastructure scan can observe this",)))
    no_claims = tuple(c for c in claims if c.status in (NEGATED, HEDGED))
    return StatementReport(name, text, tuple(blocks), tuple(sentences), tuple(results), no_claims,
                           tuple(lint(claims)), spec, tuple(spec.providers), targets, str(history or ""), report)
