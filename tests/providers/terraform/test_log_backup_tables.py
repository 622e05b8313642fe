"""The service-logs and backups knowledge tables: malformed entries are named, unknown values stay UNKNOWN."""

from __future__ import annotations

from posture.model import UNKNOWN
from posture.providers.kit import backups, service_logs
from posture.providers.kit.switches import OFF, ON, way_state
from posture.providers.terraform.plan_index import RawResource


def _raw(native_type: str, values: dict, configured=None) -> RawResource:
    return RawResource(address=f"{native_type}.x", type=native_type, name="x", mode="managed", module="", index=None,
                       values=values, provider="p", provider_key="p", configured=configured)


def test_tables_as_shipped_are_clean():
    assert service_logs.check(service_logs._TABLE) == []
    assert backups.check(backups._TABLE) == []


def test_a_malformed_entry_is_named():
    problems = service_logs.check({"aws_x": {"source": "s", "streams": {"a": {"any": [{"pth": "p"}]}}},
                                   "aws_y": {"streams": {}}})
    assert any("aws_x.streams.a" in p for p in problems)
    assert any("aws_y" in p and "source" in p for p in problems)
    assert any("unknown keys" in p for p in backups.check({"aws_z": {"source": "s", "zones": {}}}))


def test_way_states_with_defaults_and_unknown():
    enabled_by = {"path": "level", "enabled_by": ["ALL"]}
    assert way_state(enabled_by, _raw("t", {"level": "all"}), None) is ON
    assert way_state(enabled_by, _raw("t", {"level": "OFF"}), None) is OFF
    assert way_state(enabled_by, _raw("t", {}), None) is OFF  # unset: default disabled
    assert way_state(enabled_by, _raw("t", {"level": UNKNOWN}), None) is UNKNOWN
    # a computed value the configuration does not set is unset, so the provider default decides
    default_on = {"path": "status", "disabled_by": ["DISABLED"], "default": "enabled"}
    assert way_state(default_on, _raw("t", {"status": UNKNOWN}, frozenset()), None) is ON
    assert way_state({"path": "zone", "set": False}, _raw("t", {"zone": "a"}), None) is OFF
    assert way_state({"path": "n", "at_least": 2}, _raw("t", {"n": 3}), None) is ON
    assert way_state({"joined": {"type": "a", "via": "b"}}, _raw("t", {}), None) is UNKNOWN  # nothing to join live


def test_service_logs_unknown_export_list_is_unknown_not_off():
    found = service_logs.service_logs("aws_db_instance", _raw("aws_db_instance",
                                                              {"enabled_cloudwatch_logs_exports": UNKNOWN}), None)
    assert found["enabled"] is UNKNOWN and found["unknown"] == ["database"]


def test_backup_plan_retention_is_the_shortest_rule_and_unset_keeps_forever():
    plan = _raw("aws_backup_plan", {"rule": [{"lifecycle": [{"delete_after": 35}]},
                                             {"lifecycle": [{"delete_after": 5}]}]})
    assert backups.retention_days(plan) == 5
    assert backups.retention_days(_raw("aws_backup_plan", {"rule": [{"rule_name": "r"}]})) is None
