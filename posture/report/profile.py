"""The statement-profile verdict section of the HTML report.

``posture verify`` (:mod:`posture.profiles`) produces a :class:`posture.profiles.ProfileReport`.
The HTML report renders it when given as ``options["profile"]`` or carried by the scan as
``result.source["profile"]``, either as the ``ProfileReport`` itself or as its ``to_dict()``::

    {"profile": "acme", "title": "Acme security statement", "statement": "The text as published.",
     "providers": ["aws"], "targets": ["plan.json"], "verdict": "does not hold",
     "claims": [{"id": "tls-in-transit", "text": "Data in transit uses TLS 1.2 or higher.",
                 "topic": "encryption-in-transit",
                 "verdict": "does not hold",   # holds | does not hold | cannot be verified
                 "reasons": ["2 listener(s) accept TLS 1.0"],
                 "rules": ["POSTURE-TLS-001@tls-in-transit", "POSTURE-TLS-003"],
                 "findings": [{"rule_id": "POSTURE-TLS-001", "fingerprint": "...", ...}]}]}

A statement read from its own words (``posture verify --statement``) has its own auditor page
(:mod:`posture.statement.render`), which shows the statement itself with each claim highlighted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HOLDS, FAILS, UNVERIFIABLE = "holds", "does not hold", "cannot be verified"
VERDICT_CLASS = {HOLDS: "pass", FAILS: "fail", UNVERIFIABLE: "unverified"}


@dataclass(frozen=True, slots=True)
class ClaimView:
    """One claim as the report shows it."""

    id: str
    text: str
    verdict: str
    reasons: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()

    @property
    def css(self) -> str:
        return ProfileView.css_of(self.verdict)


@dataclass(frozen=True, slots=True)
class ProfileView:
    """A profile verdict as the report shows it: title, statement and claims."""

    title: str
    statement: str
    claims: tuple[ClaimView, ...]

    @staticmethod
    def css_of(verdict: str) -> str:
        return VERDICT_CLASS.get(verdict, "unverified")

    @property
    def verdict(self) -> str:
        verdicts = {c.verdict for c in self.claims}
        if FAILS in verdicts:
            return FAILS
        return HOLDS if self.claims and verdicts == {HOLDS} else UNVERIFIABLE

    @classmethod
    def coerce(cls, value: Any) -> ProfileView | None:
        """From a ProfileReport, its ``to_dict()``, or None."""
        if value is None or isinstance(value, ProfileView):
            return value
        if hasattr(value, "to_dict"):
            value = value.to_dict()
        if not isinstance(value, Mapping):
            return None
        claims = []
        for c in value.get("claims") or ():
            rules = sorted({str(f.get("rule_id")) for f in c.get("findings") or () if f.get("rule_id")}
                           | {str(r) for r in c.get("rules") or ()})
            claims.append(ClaimView(str(c.get("id", "")), str(c.get("text", "")),
                                    str(c.get("verdict", UNVERIFIABLE)), tuple(str(r) for r in c.get("reasons") or ()),
                                    tuple(rules)))
        return cls(str(value.get("title") or value.get("profile") or "statement"), str(value.get("statement", "")),
                   tuple(claims))
