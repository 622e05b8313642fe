"""Severity and category consistency over the rule catalogue (posture/rules/weaknesses.yaml): every built-in
rule is in exactly one weakness class, and the rules of a class share one category and one severity."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from posture.rules.catalog import load_rules
from tests.helpers.paths import ROOT

CLASSES = yaml.safe_load((ROOT / "posture" / "rules" / "weaknesses.yaml")
                         .read_text(encoding="utf-8"))["weaknesses"]
RULES = {r.id: r for r in load_rules(plugins=False)}


def test_every_builtin_rule_is_in_exactly_one_weakness_class():
    listed = Counter(rid for ids in CLASSES.values() for rid in ids)
    assert not [rid for rid, n in listed.items() if n > 1], "a rule in two weakness classes"
    assert not set(listed) - set(RULES), f"unknown rules: {sorted(set(listed) - set(RULES))}"
    assert not set(RULES) - set(listed), f"rules without a weakness class: {sorted(set(RULES) - set(listed))}"


@pytest.mark.parametrize("weakness", sorted(CLASSES))
def test_one_weakness_has_one_category_and_one_severity(weakness):
    rules = [RULES[rid] for rid in CLASSES[weakness]]
    assert len({r.meta.category for r in rules}) == 1, \
        {r.id: r.meta.category.value for r in rules}
    assert len({r.meta.severity for r in rules}) == 1, \
        {r.id: r.meta.severity.value for r in rules}

