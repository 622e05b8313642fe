"""The probe rules' fixture estate (checked by tests/test_contract.py), grading caps, weak-service table."""

from __future__ import annotations

import pytest

from posture.discovery.services import weak_service_match
from posture.model import UNKNOWN
from posture.providers.snapshot import read_snapshot
from posture.tls.grading import CAPS, grade
from tests.helpers.probe_fixtures import GOOD_CERT, GOOD_TLS, PATH, estate


def test_committed_fixture_matches_its_generator():
    committed = read_snapshot(PATH)
    assert committed.resources == estate().resources
    assert committed.edges == estate().edges


def _tls(**changes):
    cert = {**GOOD_CERT, **changes.pop("certificate", {})}
    return {**GOOD_TLS, "forward_secrecy": True, **changes, "certificate": cert}


@pytest.mark.parametrize("changes, expected", [
    ({}, "A"),
    ({"hsts": {"max_age": 31_536_000}}, "A+"),
    ({"hsts": {"max_age": 3600}}, "A"),
    ({"versions": ["ssl3", "1.0", "1.2"]}, "F"),
    ({"versions": ["1.0", "1.1", "1.2"]}, "B"),
    ({"versions": ["1.0", "1.1"]}, "C"),
    ({"versions": ["1.3"]}, "A"),
    ({"certificate": {"key_algorithm": "RSA", "key_bits": 1024}}, "B"),
    ({"certificate": {"key_algorithm": "RSA", "key_bits": 512}}, "F"),
    ({"heartbleed": True}, "F"),
    ({"ciphers": ["TLS_RSA_WITH_3DES_EDE_CBC_SHA"]}, "C"),
    ({"compression": True}, "C"),
    ({"forward_secrecy": False}, "B"),
    ({"fallback_scsv": False, "hsts": {"max_age": 31_536_000}}, "A"),
    ({"certificate": {"trusted": False}}, "T"),
    ({"certificate": {"hostname_match": False}}, "T"),
])
def test_grade_caps(changes, expected):
    assert grade(_tls(**changes)).grade == expected


def test_grade_keeps_the_would_be_grade_behind_t_and_explains_itself():
    g = grade(_tls(versions=["1.0", "1.2"], certificate={"expired": True}))
    assert g.grade == "T" and g.grade_if_trusted == "B"
    assert "certificate expired" in g.reasons and any("TLS 1.0" in r for r in g.reasons)
    assert grade({"versions": UNKNOWN}).grade is None
    assert len({c[0] for c in CAPS}) == len(CAPS)


def test_weak_service_table():
    assert weak_service_match("OpenSSH", "5.3")["fixed_in"] == "7.4"
    assert weak_service_match("OpenSSH", "9.2p1 Debian 2") is None
    assert weak_service_match("vsftpd", "2.3.4") is not None
    assert weak_service_match("unknown-thing", "1.0") is None
    assert weak_service_match("OpenSSH", "") is None
