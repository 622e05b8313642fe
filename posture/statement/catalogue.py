"""The claim catalogue (``rules.d/claims/*.yaml``): topics, wording cues and provider vocabulary.

Validated strictly at load: an unknown key, a bad regular expression, an unknown category or kind is an
:class:`~posture.errors.InputError` naming ``file:line: field``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from posture.errors import InputError
from posture.model import Category, Kind

PARAMS = ("providers", "services", "ports", "aes_bits", "customer_managed", "tls_min", "tls_versions", "rsa_bits",
          "rotation_days", "retention_days", "frequency", "flow_logs", "access_logs", "scan_interval_days")
"""Parameters the reader can take from a sentence (posture/statement/params.py)."""


def _patterns(values: list[str]) -> list[str]:
    for v in values:
        try:
            re.compile(v)
        except re.error as e:
            raise ValueError(f"bad regular expression {v!r}: {e}") from None
    return values


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Decide(_Strict):
    categories: list[Category] = Field(default_factory=list)
    kinds: list[Kind] = Field(default_factory=list)
    exclude: dict[str, str] = Field(default_factory=dict)
    when_params: dict[str, list[str]] = Field(default_factory=dict)
    rule_params: dict[str, dict[str, str]] = Field(default_factory=dict)
    history: bool = False


class Topic(_Strict):
    id: str
    title: str
    signals: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)
    params: list[str] = Field(default_factory=list)
    decide: Decide

    _check_signals = field_validator("signals", "unless")(_patterns)

    @field_validator("params")
    @classmethod
    def _known_params(cls, v: list[str]) -> list[str]:
        unknown = sorted(set(v) - set(PARAMS))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown} (known: {', '.join(PARAMS)})")
        return v


class Unobservable(_Strict):
    id: str
    title: str
    signals: list[str] = Field(min_length=1)

    _check_signals = field_validator("signals")(_patterns)


class ProviderWords(_Strict):
    names: list[str] = Field(min_length=1)
    services: list[str] = Field(default_factory=list)


class CatalogueFile(_Strict):
    topics: list[Topic] = Field(default_factory=list)
    negation: list[str] = Field(default_factory=list)
    hedging: list[str] = Field(default_factory=list)
    unobservable: list[Unobservable] = Field(default_factory=list)
    providers: dict[str, ProviderWords] = Field(default_factory=dict)

    _check = field_validator("negation", "hedging")(_patterns)


@dataclass(frozen=True)
class Catalogue:
    """Every catalogue file merged; compiled patterns are built once."""

    topics: tuple[Topic, ...]
    negation: tuple[str, ...]
    hedging: tuple[str, ...]
    unobservable: tuple[Unobservable, ...]
    providers: tuple[tuple[str, ProviderWords], ...]
    files: tuple[str, ...] = ()

    def topic(self, topic_id: str) -> Topic:
        for t in self.topics:
            if t.id == topic_id:
                return t
        raise KeyError(topic_id)

    @functools.cached_property
    def compiled(self) -> dict[str, tuple[re.Pattern[str], ...]]:
        """``topic:<id>``, ``unless:<id>``, ``negation``, ``hedging``, ``unobservable:<id>`` -> patterns."""
        def comp(pats: Sequence[str]) -> tuple[re.Pattern[str], ...]:
            return tuple(re.compile(p, re.IGNORECASE) for p in pats)

        out = {"negation": comp(self.negation), "hedging": comp(self.hedging)}
        for t in self.topics:
            out[f"topic:{t.id}"] = comp(t.signals)
            out[f"unless:{t.id}"] = comp(t.unless)
        for u in self.unobservable:
            out[f"unobservable:{u.id}"] = comp(u.signals)
        return out


def claims_dir() -> Path:
    from posture.rules.catalog import builtin_rules_dir

    return builtin_rules_dir() / "claims"


def read_catalogue_file(path: Path) -> CatalogueFile:
    """One catalogue file, validated by the one reader of user files; errors name ``file:line: field``."""
    from posture.inputs import load_model

    return load_model(path, CatalogueFile, "rules", "claim catalogue")


def load_catalogue(directory: str | Path | None = None) -> Catalogue:
    """Every ``*.yaml`` of the claim catalogue directory (default: the bundled ``rules.d/claims``)."""
    return _bundled() if directory is None else _load(Path(directory))


@functools.lru_cache(maxsize=1)
def _bundled() -> Catalogue:
    return _load(claims_dir())


def _load(d: Path) -> Catalogue:
    files = sorted(d.glob("*.yaml"))
    if not files:
        raise InputError("no claim catalogue files (*.yaml)", where=str(d))
    parts = [(f, read_catalogue_file(f)) for f in files]
    topics: list[Topic] = []
    seen: dict[str, Path] = {}
    for f, part in parts:
        for t in part.topics:
            if t.id in seen:
                raise InputError(f"topic {t.id!r} is also defined in {seen[t.id]}", where=str(f))
            seen[t.id] = f
            topics.append(t)
    providers: dict[str, ProviderWords] = {}
    for _, part in parts:
        providers.update(part.providers)
    return Catalogue(
        topics=tuple(topics),
        negation=tuple(p for _, part in parts for p in part.negation),
        hedging=tuple(p for _, part in parts for p in part.hedging),
        unobservable=tuple(u for _, part in parts for u in part.unobservable),
        providers=tuple(sorted(providers.items())),
        files=tuple(str(f) for f in files),
    )
