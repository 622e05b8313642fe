from datetime import datetime, timezone

import pytest

from posture.model import UNKNOWN
from posture.rules.operators import (
    EVALUATION_TIME,
    OPERATORS,
    apply,
    parse_ports,
    tri_all,
    tri_any,
)


@pytest.mark.parametrize(
    "op,observed,expected,result",
    [
        ("eq", "AES-256", "aes-256", True),
        ("ne", True, True, False),
        ("in", "tcp", ["tcp", "udp"], True),
        ("not_in", "icmp", ["tcp", "udp"], True),
        ("lt", "1.0", "1.2", True),
        ("lt", "ssl3", "1.0", True),
        ("lt", "1.3", "1.2", False),
        ("gt", 400, 365, True),
        ("ge", "365", 365, True),
        ("lt", "TLS-Policy", "1.2", False),
        ("regex", "ELBSecurityPolicy-2016-08", r"2016", True),
        ("exists", None, True, False),
        ("exists", [], False, True),
        ("contains", ["a", "b"], "b", True),
        ("intersects", ["0.0.0.0/0", "10.0.0.0/8"], ["0.0.0.0/0", "::/0"], True),
        ("subset_of", ["1.2", "1.3"], ["1.2", "1.3"], True),
        ("len_gt", [1, 2], 1, True),
        ("cidr_contains", ["10.0.0.0/8"], "10.1.2.3/32", True),
        ("cidr_contains", ["10.0.0.0/16"], "10.1.0.0/16", False),
        ("cidr_contains", ["*"], "1.2.3.4", True),
        ("cidr_contains", ["sg:abc"], "1.2.3.4", False),
        ("cidr_contains", ["::/0"], "0.0.0.0/0", False),
        ("cidr_prefix_le", ["1.0.0.0/4"], 8, True),
        ("cidr_prefix_le", ["10.0.0.0/8"], 8, False),
        ("is_internet", ["Internet"], True, True),
        ("is_internet", ["10.0.0.0/8"], True, False),
        ("ports_overlap", [[0, 65535]], [22], True),
        ("ports_overlap", [[80, 80], [443, 443]], [22, 3389], False),
        ("ports_overlap", [[3000, 4000]], ["3389"], True),
    ],
)
def test_operator_table(op, observed, expected, result):
    assert apply(op, observed, expected) is result


@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_every_operator_answers_unknown_for_unknown(op):
    assert OPERATORS[op](UNKNOWN, "1") is None


def test_time_operators_use_the_evaluation_instant():
    token = EVALUATION_TIME.set(datetime(2026, 1, 1, tzinfo=timezone.utc))
    try:
        assert apply("age_gt_days", "2025-09-01T00:00:00Z", 90) is True
        assert apply("age_gt_days", "2025-12-01T00:00:00Z", 90) is False
        assert apply("expires_within_days", "2026-01-20T00:00:00+00:00", 30) is True
        assert apply("expires_within_days", "2027-01-20", 30) is False
    finally:
        EVALUATION_TIME.reset(token)


def test_kleene_logic():
    assert tri_all([True, None]) is None
    assert tri_all([False, None]) is False
    assert tri_any([False, None]) is None
    assert tri_any([True, None]) is True


def test_parse_ports():
    assert parse_ports(["22", "1000-2000", 80, [5, 6], "*"]) == [(22, 22), (1000, 2000), (80, 80), (5, 6), (0, 65535)]
