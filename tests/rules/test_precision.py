"""Recall and clean negatives on the labelled corpus (tests/fixtures/rules/corpus).

Each labelled resource's for_each key reads "<labels> | <description>", a label being a rule id suffix
with + (the rule must report the resource) or - (it must not). A finding on a part of the resource
(``<address>/http``, a root volume) counts for it. Unverified (info) findings count as not reported: a
positive the rule cannot decide is a miss, a negative it cannot decide is clean.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from posture.api import scan_inventory
from posture.providers.terraform import load_terraform
from tests.helpers.paths import FIXTURES

CORPUS = FIXTURES / "rules" / "corpus"
_KEY = re.compile(r'\["(?P<labels>[^"|]*)\|(?P<what>[^"]*)"\]$')
_LABEL = re.compile(r"^([A-Z]+-\d{3})([+-])$")


def _base(rid: str) -> str:
    """The labelled address of a resource or of a part of it (``addr["key"]/http`` -> ``addr["key"]``)."""
    end = rid.rfind('"]')
    return rid[: end + 2] if end >= 0 else rid


def _cases(plan: Path) -> tuple[list[tuple[str, str, bool]], set[tuple[str, str]]]:
    result = scan_inventory(load_terraform(plan))
    reported = {(f.rule_id, _base(f.resource.id)) for f in result.findings if not f.unverified}
    cases = []
    for r in result.graph.resources():
        m = _KEY.search(r.id)
        if not m:
            continue
        for token in m.group("labels").split():
            label = _LABEL.match(token)
            assert label, f"bad label {token!r} in {r.id}"
            cases.append((f"POSTURE-{label.group(1)}", r.id, label.group(2) == "+"))
    return cases, reported


@pytest.fixture(scope="module")
def corpus():
    return _cases(CORPUS / "aws" / "plan.json")


def test_corpus_recall_and_clean_negatives(corpus):
    cases, reported = corpus
    positives = [(rid, res) for rid, res, pos in cases if pos]
    negatives = [(rid, res) for rid, res, pos in cases if not pos]
    missed = [c for c in positives if c not in reported]
    false_pos = [c for c in negatives if c in reported]
    recall = 1 - len(missed) / len(positives)
    clean = 1 - len(false_pos) / len(negatives)
    assert len(positives) >= 40 and len(negatives) >= 40, "the corpus must stay large enough to mean something"
    assert recall >= 0.95, f"recall {recall:.3f}; missed: {missed}"
    assert clean >= 0.95, f"clean negatives {clean:.3f}; false positives: {false_pos}"


def test_every_label_names_a_rule(corpus):
    from posture.rules.catalog import load_rules

    ids = {r.id for r in load_rules(plugins=False)}
    assert {rid for rid, _, _ in corpus[0]} <= ids
