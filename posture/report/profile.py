"""The typed shape of a statement-profile verdict, as the HTML report renders it.

Profiles (``posture verify``) are built elsewhere; they hand their verdict to the report either as
``options["profile"]`` or inside the scan's source metadata as ``result.source["profile"]``, in
this shape (a :class:`ProfileVerdict` or the equivalent plain dict)::

    {"name": "Acme security statement", "statement": "https://acme.example/security",
     "verdict": "fail",                       # pass | fail | unverified
     "claims": [{"id": "C1", "text": "All customer data is encrypted at rest with AES-256",
                 "verdict": "fail",           # pass | fail | unverified | not_applicable
                 "reason": "2 data stores not encrypted",
                 "rules": ["POSTURE-ENC-001"], "fingerprints": ["..."]}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

VERDICTS = ("pass", "fail", "unverified", "not_applicable")


@dataclass(frozen=True, slots=True)
class ClaimVerdict:
    """One claim of a published statement and whether the estate bears it out."""

    id: str
    text: str
    verdict: str
    reason: str = ""
    rules: tuple[str, ...] = ()
    fingerprints: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClaimVerdict:
        verdict = str(data.get("verdict", "unverified"))
        return cls(
            id=str(data.get("id", "")),
            text=str(data.get("text", "")),
            verdict=verdict if verdict in VERDICTS else "unverified",
            reason=str(data.get("reason", "")),
            rules=tuple(str(r) for r in data.get("rules", ()) or ()),
            fingerprints=tuple(str(f) for f in data.get("fingerprints", ()) or ()),
        )


@dataclass(frozen=True, slots=True)
class ProfileVerdict:
    """A statement profile's overall verdict and its claim-by-claim verdicts."""

    name: str
    verdict: str
    claims: tuple[ClaimVerdict, ...] = ()
    statement: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ProfileVerdict:
        claims = tuple(ClaimVerdict.from_dict(c) for c in data.get("claims", ()) or ())
        verdict = str(data.get("verdict") or _overall(claims))
        return cls(str(data.get("name", "")), verdict if verdict in VERDICTS else "unverified", claims,
                   str(data.get("statement", "")))

    @classmethod
    def coerce(cls, value: Any) -> ProfileVerdict | None:
        """A ProfileVerdict from itself, a mapping, or None."""
        if value is None or isinstance(value, ProfileVerdict):
            return value
        if isinstance(value, Mapping):
            return cls.from_dict(value)
        return None


def _overall(claims: tuple[ClaimVerdict, ...]) -> str:
    verdicts = {c.verdict for c in claims}
    if "fail" in verdicts:
        return "fail"
    return "unverified" if "unverified" in verdicts or not claims else "pass"
