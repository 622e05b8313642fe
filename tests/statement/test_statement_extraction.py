"""Claim extraction from published-style statements: topics, parameters, negation and hedging, lint.

Every fixture under tests/fixtures/statements/ has a sidecar ``*.expected.yaml`` listing, per sentence
(found by a unique substring), the checkable topics and the parameters it states, or its status when it
promises nothing checkable (negated, hedged, unobservable). A sentence not listed must bind to no topic.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from posture.statement.catalogue import load_catalogue
from posture.statement.extract import CHECKABLE, extract
from posture.statement.lint import lint
from posture.statement.text import read_statement, sentences
from tests.helpers.paths import FIXTURES

FIXTURES = FIXTURES / "statements"
SIDECARS = sorted(FIXTURES.glob("*.expected.yaml"))


def _load(sidecar: Path):
    spec = yaml.safe_load(sidecar.read_text())
    name = spec["statement"]
    ss = sentences(read_statement(FIXTURES / name), name)
    claims = extract(ss)
    expected = {}
    for entry in spec["sentences"]:
        hits = [s for s in ss if entry["match"] in s.text]
        assert len(hits) == 1, f"{sidecar.name}: {entry['match']!r} matches {len(hits)} sentence(s)"
        expected[hits[0].number] = entry
    return spec, ss, claims, expected


def test_there_are_enough_fixtures_in_every_style():
    names = [yaml.safe_load(p.read_text())["statement"] for p in SIDECARS]
    assert len(names) >= 8
    assert {Path(n).suffix for n in names} >= {".md", ".html", ".txt"}


def test_topic_extraction_precision_and_recall(capsys):
    tp = fp = fn = 0
    wrong: list[str] = []
    for sidecar in SIDECARS:
        _, ss, claims, expected = _load(sidecar)
        for s in ss:
            want = set(expected.get(s.number, {}).get("topics", []))
            got = {c.topic for c in claims if c.sentence.number == s.number and c.status == CHECKABLE}
            tp += len(want & got)
            fp += len(got - want)
            fn += len(want - got)
            if want != got:
                wrong.append(f"{sidecar.stem} s{s.number}: want {sorted(want)} got {sorted(got)}: {s.text}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    with capsys.disabled():
        print(f"\nstatement topic extraction over {len(SIDECARS)} fixtures: {tp} correct, {fp} wrong, {fn} missed; "
              f"precision {precision:.3f}, recall {recall:.3f}")
    assert tp > 60
    assert (precision, recall) == (1.0, 1.0), "\n".join(wrong)


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.stem)
def test_parameters_and_statuses_per_sentence(sidecar):
    _, _, claims, expected = _load(sidecar)
    for number, entry in expected.items():
        mine = [c for c in claims if c.sentence.number == number]
        if "status" in entry:
            assert {c.status for c in mine} == {entry["status"]}, (entry["match"], mine)
            continue
        params = {}
        for c in mine:
            if c.status == CHECKABLE:
                params.update(c.params)
        for key, value in (entry.get("params") or {}).items():
            got = params.get(key)
            if isinstance(value, list) and isinstance(got, list):
                got, value = sorted(got), sorted(value)
            assert got == value, f"{entry['match']!r}: {key} = {got!r}, expected {value!r}"


@pytest.mark.parametrize("sidecar", [p for p in SIDECARS if "lint" in yaml.safe_load(p.read_text())],
                         ids=lambda p: p.stem)
def test_lint_names_weak_promises(sidecar):
    spec, _, claims, _ = _load(sidecar)
    found = lint(claims)
    assert sorted({x.id for x in found}) == sorted(spec["lint"])
    for x in found:
        assert x.text and x.recommended and x.line > 0


def test_catalogue_loads_and_every_topic_is_known():
    cat = load_catalogue()
    assert [t.id for t in cat.topics] == ["default-deny", "segmentation", "encryption-at-rest",
                                          "encryption-in-transit", "key-strength", "key-rotation", "backups",
                                          "availability", "audit-logging", "mfa", "external-scans", "access-control"]


@pytest.mark.parametrize(("text", "expected"), [
    ("Data in transit uses TLS 1.2 or higher.", "1.2"),
    ("All connections use TLS 1.2 or TLS 1.3.", "1.2"),
    ("Traffic is encrypted with TLS; we have disabled TLS 1.0 and 1.1.", "1.2"),
    ("We do not support TLS versions below 1.2.", "1.2"),
    ("Our website supports TLS 1.0 or higher.", "1.0"),
    ("Minimum TLS version 1.2, HSTS enabled.", "1.2"),
    ("Only TLSv1.3 is offered.", "1.3"),
    # the next version up comes from posture.knowledge.TLS_VERSIONS; past the newest there is none
    ("TLS 1.0, 1.1 and 1.2 are disabled.", "1.3"),
    ("TLS 1.3 is disabled.", None),
    ("Connections use TLS 1.4 or higher.", None),  # no such version: no floor, not a crash
])
def test_tls_minimum(text, expected):
    from posture.statement.params import tls_min

    assert tls_min(text) == expected


@pytest.mark.parametrize(("text", "days"), [
    ("Keys are rotated every 12 months.", 365), ("Keys are rotated annually.", 365),
    ("Keys are rotated every 90 days.", 90), ("at least once every three months", 90),
    ("once a quarter", 90), ("every six months", 180), ("every week", 7), ("monthly", 30),
])
def test_periods_in_days(text, days):
    from posture.statement.params import period_days

    assert period_days(text) == days
