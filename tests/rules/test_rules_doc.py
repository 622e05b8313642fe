"""docs/rules.md is generated from the rule metadata and must be regenerated when a rule changes."""

from __future__ import annotations

import importlib.util

from posture.rules.catalog import load_rules
from tests.helpers.paths import ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("gen_rules_doc", ROOT / "scripts" / "gen_rules_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rules_doc_is_up_to_date():
    expected = _generator().render(load_rules(plugins=False))
    actual = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert actual == expected, "docs/rules.md is stale: run python scripts/gen_rules_doc.py"


def test_rules_doc_lists_every_rule_with_its_controls():
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for r in load_rules(plugins=False):
        assert f"### {r.id}" in text
        assert all(f"`{c}`" in text for c in r.meta.controls)


def test_every_python_rule_says_why_it_is_not_yaml():
    """rules.d/ is the home of declarative rules: a built-in Python rule is listed with what the language lacks."""
    text = (ROOT / "docs" / "rules-language.md").read_text(encoding="utf-8")
    section = text.split("### Built-in rules that stay in Python", 1)[1].split("\n\n", 2)[2].split("\n\n", 1)[0]
    listed = {line.split("|")[1].strip() for line in section.splitlines()[2:]}
    python = {r.id for r in load_rules(plugins=False) if r.meta.origin.startswith("posture.rules.builtin.")}
    assert listed == python
