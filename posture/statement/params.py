"""Parameters read from a sentence: TLS versions, key sizes, periods, providers and services named.

Each reader is a pure function of the sentence text; the claim catalogue says which ones a topic uses.
Periods are normalised to days ("quarterly", "every three months" -> 90; "annually" -> 365).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from posture.knowledge import TLS_VERSIONS, tls_version_key
from posture.statement.catalogue import Catalogue

_WORDS = {"one": 1, "a": 1, "an": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20,
          "thirty": 30, "forty-five": 45, "sixty": 60, "ninety": 90}
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "quarter": 90, "year": 365}
_ADVERB_DAYS = {"hourly": 1, "daily": 1, "nightly": 1, "weekly": 7, "fortnightly": 14, "monthly": 30,
                "quarterly": 90, "semi-annually": 182, "biannually": 182, "annually": 365, "yearly": 365}
_NUM = r"\b(\d{1,4}|" + "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True)) + r")"
_PERIOD = re.compile(_NUM + r"[\s-]*(?:\(\d+\)\s*)?(day|week|month|quarter|year)s?\b", re.IGNORECASE)
_EVERY = re.compile(r"\b(?:every|each|once (?:a|an|per|every)|per|a|an)\s+" + r"(?:" + _NUM + r"\s+)?"
                    r"(day|week|month|quarter|year)s?\b", re.IGNORECASE)
_ADVERB = re.compile(r"\b(" + "|".join(re.escape(a) for a in _ADVERB_DAYS) + r")\b", re.IGNORECASE)


def _num(word: str) -> int:
    return int(word) if word.isdigit() else _WORDS[word.lower()]


def _days(n: int, unit: str) -> int:
    """``n`` units in days; whole years of months count as years ("12 months" is 365 days, not 360)."""
    unit = unit.lower()
    if unit == "month" and n % 12 == 0:
        return n // 12 * 365
    return n * _UNIT_DAYS[unit]


def period_days(text: str) -> int | None:
    """The first period stated: "every 90 days", "once a quarter", "annually", "seven days" -> days."""
    candidates: list[tuple[int, int]] = []
    for m in _EVERY.finditer(text):
        candidates.append((m.start(), _days(_num(m.group(1)) if m.group(1) else 1, m.group(2))))
    for m in _PERIOD.finditer(text):
        candidates.append((m.start(), _days(_num(m.group(1)), m.group(2))))
    for m in _ADVERB.finditer(text):
        candidates.append((m.start(), _ADVERB_DAYS[m.group(1).lower()]))
    return min(candidates)[1] if candidates else None


_TLS = re.compile(r"\b(?:tls|ssl)\s*v?(?:ersion\s*)?(\d(?:\.\d)?)(?:\s*(?:,|and|or|/|&)\s*v?(\d\.\d))*", re.IGNORECASE)
_TLS_LIST = re.compile(r"\d\.\d")


def tls_versions(text: str) -> list[str]:
    """Every TLS/SSL version named, in order ("TLS 1.2 and 1.3" -> ["1.2", "1.3"]; SSL 3 -> "ssl3")."""
    out: list[str] = []
    for m in _TLS.finditer(text):
        is_ssl = m.group(0).lower().startswith("ssl")
        for v in _TLS_LIST.findall(m.group(0)) or [m.group(1)]:
            v = f"ssl{v.split('.')[0]}" if is_ssl else (v if "." in v else f"{v}.0")
            if v not in out:
                out.append(v)
    return out


_REFUSED = re.compile(r"\b(?:disabled?|deprecated|not (?:supported|accepted|allowed|offered)|rejected|refused|"
                      r"turned off|no longer (?:supported|accepted))\b", re.IGNORECASE)
_BELOW = re.compile(r"\b(?:tls|ssl)\b[^.;]{0,30}?\b(?:below|lower than|older than|prior to|before)\s+"
                    r"(?:tls\s*)?v?(1\.[0-3])", re.IGNORECASE)


def tls_min(text: str) -> str | None:
    """The lowest TLS version the sentence accepts ("TLS 1.2 or higher" -> "1.2"; "TLS 1.0 and 1.1 are
    disabled" -> "1.2"; "no TLS below 1.2" -> "1.2")."""
    below = _BELOW.search(text)
    if below:
        return below.group(1)
    accepted: list[str] = []
    refused: list[str] = []
    for m in _TLS.finditer(text):
        if m.group(0).lower().startswith("ssl"):
            continue
        versions = [v if "." in v else f"{v}.0" for v in (_TLS_LIST.findall(m.group(0)) or [m.group(1)])]
        context = text[max(0, m.start() - 40):m.end() + 40]
        # a version that does not exist ("TLS 1.4") sets no floor
        (refused if _REFUSED.search(context) else accepted).extend(v for v in versions if v in TLS_VERSIONS)
    if accepted:
        return min(accepted, key=tls_version_key)
    if not refused:
        return None
    above = TLS_VERSIONS.index(max(refused, key=tls_version_key)) + 1
    return TLS_VERSIONS[above] if above < len(TLS_VERSIONS) else None


_RSA = re.compile(r"\b(1024|2048|3072|4096|8192)[\s-]?bits?\b|\brsa[\s-]?(1024|2048|3072|4096|8192)\b|"
                  r"\bkeys? (?:of|with) (?:at least )?(1024|2048|3072|4096|8192)\b", re.IGNORECASE)
_AES = re.compile(r"\baes[\s-]?(128|192|256)\b|\b(128|192|256)[\s-]?bit aes\b", re.IGNORECASE)


def rsa_bits(text: str) -> int | None:
    bits = [int(next(g for g in m.groups() if g)) for m in _RSA.finditer(text)]
    return min(bits) if bits else None


def aes_bits(text: str) -> int | None:
    bits = [int(next(g for g in m.groups() if g)) for m in _AES.finditer(text)]
    return min(bits) if bits else None


_RETENTION_CUE = re.compile(r"\b(?:retain\w*|retention|kept|keep|keeps|stored|store|held|preserved|for)\b",
                            re.IGNORECASE)


_RETENTION_SPAN = re.compile(_NUM + r"[\s-]*(day|week|month|year)s?[\s-]+(?:of\s+)?"
                             r"(?:retention|history|point[- ]in[- ]time|backups?|snapshots?)", re.IGNORECASE)


def retention_days(text: str) -> int | None:
    """Days kept: the period after a retention cue ("retained for 30 days", "kept seven days", "35-day retention")."""
    m = _RETENTION_SPAN.search(text)
    if m:
        return _days(_num(m.group(1)), m.group(2))
    cue = _RETENTION_CUE.search(text)
    while cue:
        m = _PERIOD.search(text, cue.end())
        if m and m.start() - cue.end() <= 40:
            return _days(_num(m.group(1)), m.group(2))
        cue = _RETENTION_CUE.search(text, cue.end())
    return None


_ROTATION = re.compile(r"\brotat\w*", re.IGNORECASE)
_SCAN = re.compile(r"\bscan\w*", re.IGNORECASE)


def _period_after(cue: re.Pattern[str], text: str) -> int | None:
    m = cue.search(text)
    if m is None:
        return None
    return period_days(text[m.start():]) or period_days(text)


def rotation_days(text: str) -> int | None:
    return _period_after(_ROTATION, text)


def scan_interval_days(text: str) -> int | None:
    return _period_after(_SCAN, text)


def frequency(text: str) -> str | None:
    m = re.search(r"\b(hourly|daily|nightly|weekly|monthly|continuous(?:ly)?)\b", text, re.IGNORECASE)
    return m.group(1).lower() if m else None


_PORTS = re.compile(r"\bports?\s+((?:\d{1,5}(?:\s*(?:,|and|or|/)\s*)?)+)", re.IGNORECASE)


def ports(text: str) -> list[int]:
    out: list[int] = []
    for m in _PORTS.finditer(text):
        out += [int(p) for p in re.findall(r"\d{1,5}", m.group(1)) if 0 < int(p) < 65536]
    return out


def _flag(pattern: str) -> Callable[[str], bool | None]:
    compiled = re.compile(pattern, re.IGNORECASE)
    return lambda text: True if compiled.search(text) else None


READERS: Mapping[str, Callable[[str], Any]] = {
    "ports": ports, "aes_bits": aes_bits, "tls_min": tls_min, "tls_versions": tls_versions, "rsa_bits": rsa_bits,
    "rotation_days": rotation_days, "retention_days": retention_days, "frequency": frequency,
    "scan_interval_days": scan_interval_days,
    "customer_managed": _flag(r"\bcustomer[- ]managed\b|\bcmks?\b|\bbring your own key\b|\bbyok\b"),
    "flow_logs": _flag(r"\bflow logs?\b"),
    "access_logs": _flag(r"\baccess logs?\b"),
}


def named_services(text: str, catalogue: Catalogue) -> dict[str, list[str]]:
    """Provider -> services named (the provider's own name counts as a service-less mention: [])."""
    found: dict[str, list[str]] = {}
    words = [(w, provider, is_service) for provider, pw in catalogue.providers
             for w, is_service in [*((n, False) for n in pw.names), *((s, True) for s in pw.services)]]
    taken: list[tuple[int, int]] = []
    for word, provider, is_service in sorted(words, key=lambda x: -len(x[0])):  # longest first: Cloud KMS, not KMS
        for m in re.finditer(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text, re.IGNORECASE):
            if any(a < m.end() and m.start() < b for a, b in taken):
                continue
            taken.append((m.start(), m.end()))
            names = found.setdefault(provider, [])
            if is_service and word not in names:
                names.append(word)
    return found


def read_params(text: str, wanted: list[str], catalogue: Catalogue) -> dict[str, Any]:
    """The parameters of ``wanted`` that the sentence states (absent ones are left out)."""
    out: dict[str, Any] = {}
    named = named_services(text, catalogue) if {"providers", "services"} & set(wanted) else {}
    for name in wanted:
        if name == "providers":
            value: Any = sorted(named) or None
        elif name == "services":
            value = sorted(s for v in named.values() for s in v) or None
        else:
            value = READERS[name](text)
        if value not in (None, [], ""):
            out[name] = value
    return out
