"""Every rule has metadata, a category, controls and fixtures that prove it fails and passes."""

from __future__ import annotations

import pytest

from posture.api import scan_inventory
from posture.model import Category
from posture.providers.snapshot import read_snapshot
from posture.rules.catalog import load_rules
from tests.helpers.paths import FIXTURES

FIXTURES = FIXTURES / "rules"
RULES = load_rules()


def _inventory(source: str):
    path = FIXTURES / source
    if path.suffix == ".jsonl":
        return read_snapshot(path)
    from posture.providers.terraform import load_terraform

    return load_terraform(path)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_has_complete_metadata(rule):
    m = rule.meta
    assert m.title and m.remediation and m.rationale, f"{m.id}: title, rationale and remediation are required"
    assert isinstance(m.category, Category)
    assert m.kinds, f"{m.id}: no kinds"
    assert m.controls, f"{m.id}: no compliance controls"
    assert all(":" in c for c in m.controls), f"{m.id}: controls are FRAMEWORK:ID"
    assert m.fixtures, f"{m.id}: no fixture"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_fixture_fails_and_passes_as_declared(rule):
    for fx in rule.meta.fixtures:
        assert fx.fail and fx.pass_, f"{rule.id}: a fixture needs failing and passing resources"
        subject = rule.instantiate(rule.id, fx.params) if fx.params else rule
        result = scan_inventory(_inventory(fx.source), rules=[subject])
        ids = {r.id for r in result.graph.resources()}
        missing = [i for i in (*fx.fail, *fx.pass_) if i not in ids]
        assert not missing, f"{rule.id}: fixture {fx.source} has no resources {missing}"
        flagged = {f.resource.id for f in result.findings if not f.unverified}
        assert set(fx.fail) <= flagged, f"{rule.id}: not flagged: {set(fx.fail) - flagged}"
        assert not (set(fx.pass_) & flagged), f"{rule.id}: false positives: {set(fx.pass_) & flagged}"
        fps = [f.fingerprint for f in result.findings]
        assert len(fps) == len(set(fps)), f"{rule.id}: colliding fingerprints"


def test_rule_ids_unique_and_well_formed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("POSTURE-") for i in ids)
