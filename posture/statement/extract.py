"""Claims from sentences: topic binding, negation and hedging, parameters.

A sentence is cut into clauses (at ";" and at "but"/"however"/"except" joints) so that "data is encrypted at
rest; we do not yet encrypt internal traffic" promises the first and withdraws nothing else. A clause binds to
every topic one of whose signals matches and none of whose ``unless`` patterns does. A negated or hedged clause
promises nothing: its topics are reported as such, never judged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from posture.statement.catalogue import Catalogue, load_catalogue
from posture.statement.params import read_params
from posture.statement.text import Sentence

CHECKABLE, NEGATED, HEDGED, UNOBSERVABLE = "checkable", "negated", "hedged", "unobservable"

_CLAUSE = re.compile(r";|\s+(?:but|however|except that|although|whereas)\s+|,\s*(?:but|however)\s*,?\s+",
                     re.IGNORECASE)


@dataclass(frozen=True)
class Claim:
    """What one sentence says about one topic (or, for ``unobservable``, about people and process)."""

    sentence: Sentence
    topic: str
    status: str  # checkable | negated | hedged | unobservable
    params: dict[str, Any] = field(default_factory=dict)
    cue: str = ""  # the words that negated, hedged or made it unobservable

    @property
    def text(self) -> str:
        return self.sentence.text


def clauses(text: str) -> list[str]:
    return [c.strip() for c in _CLAUSE.split(text) if c and c.strip()]


def _first(patterns: Sequence[re.Pattern[str]], text: str) -> str:
    for p in patterns:
        m = p.search(text)
        if m:
            return m.group(0)
    return ""


def bind(text: str, catalogue: Catalogue) -> list[str]:
    """The topics a clause is about, in catalogue order."""
    c = catalogue.compiled
    return [t.id for t in catalogue.topics
            if _first(c[f"topic:{t.id}"], text) and not _first(c[f"unless:{t.id}"], text)]


def _status(text: str, catalogue: Catalogue) -> tuple[str, str]:
    comp = catalogue.compiled
    negation = _first(comp["negation"], text)
    if negation:
        return NEGATED, negation
    hedge = _first(comp["hedging"], text)
    return (HEDGED, hedge) if hedge else (CHECKABLE, "")


def extract(sentences: Sequence[Sentence], catalogue: Catalogue | None = None) -> list[Claim]:
    """Every claim the sentences make, in statement order (one per sentence and topic)."""
    cat = catalogue or load_catalogue()
    comp = cat.compiled
    out: list[Claim] = []
    for s in sentences:
        if s.text.rstrip().endswith("?"):
            continue  # a question promises nothing (FAQ pages); its answer is the next sentence
        status_of: dict[str, tuple[str, str]] = {}
        for clause in clauses(s.text):
            clause_status = _status(clause, cat)
            for topic in bind(clause, cat):
                # a topic promised in one clause stays promised even if another clause withdraws it
                if topic not in status_of or clause_status[0] == CHECKABLE:
                    status_of[topic] = clause_status
        for topic, (status, cue) in status_of.items():
            params = read_params(s.text, list(cat.topic(topic).params), cat) if status == CHECKABLE else {}
            out.append(Claim(s, topic, status, params, cue))
        if any(st == CHECKABLE for st, _ in status_of.values()):
            continue
        for u in cat.unobservable:
            signal = _first(comp[f"unobservable:{u.id}"], s.text)
            if signal:
                said, why = _status(s.text, cat)
                out.append(Claim(s, u.id, UNOBSERVABLE if said == CHECKABLE else said, {}, why or signal))
                break
    return out
