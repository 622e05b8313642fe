"""Statement lint: promises weaker than current practice, or too vague to check, as findings about the text.

Each finding names the sentence and a recommended wording. Thresholds are current practice: TLS 1.2 as the
floor (RFC 8996 deprecates 1.0 and 1.1), RSA 2048 bits (NIST SP 800-57 Part 1 Rev. 5, 112-bit security),
backups kept at least 7 days, keys rotated at least yearly (NIST SP 800-57 cryptoperiods; AWS KMS and
Azure Key Vault default to 365 days), external scans at least quarterly (PCI DSS 4.0 11.3.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from posture.knowledge import tls_version_key
from posture.statement.extract import CHECKABLE, HEDGED, Claim


@dataclass(frozen=True)
class LintFinding:
    """A weak or vague promise: which sentence, what is wrong, and what to write instead."""

    id: str
    sentence: int
    line: int
    text: str
    topic: str
    problem: str
    recommended: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "sentence": self.sentence, "line": self.line, "text": self.text, "topic": self.topic,
                "problem": self.problem, "recommended": self.recommended}


def _check(c: Claim) -> list[tuple[str, str, str]]:
    p = c.params
    out: list[tuple[str, str, str]] = []
    if c.topic == "encryption-in-transit":
        versions = p.get("tls_versions") or []
        if any(v.startswith("ssl") for v in versions):
            out.append(("STMT-TLS-SSL", "names SSL, which is broken and disabled everywhere (RFC 7568)",
                        "Data in transit is encrypted with TLS 1.2 or higher."))
        if p.get("tls_min") and tls_version_key(p["tls_min"]) < tls_version_key("1.2"):
            out.append(("STMT-TLS-OLD", f"accepts TLS {p['tls_min']}, deprecated by RFC 8996",
                        "Data in transit is encrypted with TLS 1.2 or higher; TLS 1.0 and 1.1 are disabled."))
        elif not versions:
            out.append(("STMT-TLS-VAGUE", "promises encryption in transit without a minimum TLS version",
                        "Data in transit is encrypted with TLS 1.2 or higher."))
    elif c.topic == "key-strength" and p.get("rsa_bits") and p["rsa_bits"] < 2048:
        out.append(("STMT-KEY-SHORT", f"promises RSA keys of {p['rsa_bits']} bits, under the 2048-bit minimum "
                    "(NIST SP 800-57)", "Keys and certificates are RSA 2048 bits or more (or ECDSA P-256)."))
    elif c.topic == "backups":
        if p.get("retention_days") is None:
            out.append(("STMT-BAK-VAGUE", "promises backups without saying how long they are kept",
                        "Backups are taken daily and kept for at least 7 days."))
        elif p["retention_days"] < 7:
            out.append(("STMT-BAK-SHORT", f"keeps backups {p['retention_days']} day(s), under 7 days",
                        "Backups are taken daily and kept for at least 7 days."))
    elif c.topic == "encryption-at-rest" and not p.get("aes_bits"):
        out.append(("STMT-ENC-VAGUE", "says \"encrypted\" with no algorithm or key size",
                    "Data is encrypted at rest with AES-256."))
    elif c.topic == "key-rotation":
        if p.get("rotation_days") is None:
            out.append(("STMT-ROT-VAGUE", "promises rotation without a period (\"periodically\" cannot be checked)",
                        "Encryption keys are rotated automatically at least every 365 days."))
        elif p["rotation_days"] > 365:
            out.append(("STMT-ROT-LONG", f"rotates keys every {p['rotation_days']} days, longer than a year",
                        "Encryption keys are rotated automatically at least every 365 days."))
    elif c.topic == "external-scans":
        if p.get("scan_interval_days") is None:
            out.append(("STMT-SCAN-VAGUE", "promises external scans without an interval",
                        "An external vulnerability scan of our internet-facing systems runs at least every three "
                        "months."))
        elif p["scan_interval_days"] > 90:
            out.append(("STMT-SCAN-RARE", f"scans every {p['scan_interval_days']} days, less often than quarterly "
                        "(PCI DSS 4.0 11.3.2)", "An external vulnerability scan runs at least every three months."))
    return out


def lint(claims: Sequence[Claim]) -> list[LintFinding]:
    """Lint findings in statement order (one per sentence, topic and problem)."""
    out: list[LintFinding] = []
    seen: set[tuple[int, str]] = set()
    for c in claims:
        s = c.sentence
        problems = _check(c) if c.status == CHECKABLE else []
        if c.status == HEDGED:
            problems = [("STMT-HEDGED", f"hedged (\"{c.cue}\"): an aspiration, not a promise anyone can check",
                         "State what is in place today, without qualification, or leave the sentence out.")]
        for pid, problem, recommended in problems:
            if (s.number, pid) in seen:
                continue
            seen.add((s.number, pid))
            out.append(LintFinding(pid, s.number, s.line, s.text, c.topic, problem, recommended))
    return out
