import pickle

import pytest

from posture.model import (
    UNKNOWN,
    Category,
    Edge,
    Evidence,
    Finding,
    FrozenDict,
    Resource,
    Severity,
    fingerprint,
    get_path,
    revive,
    thaw,
)


def _res(**kw):
    return Resource("arn:aws:s3:::b", "datastore", "aws_s3_bucket", "aws", name="b", **kw)


def test_resource_attrs_are_deep_frozen():
    r = _res(attrs={"encryption": {"at_rest": True}, "ports": [[1, 2]]})
    assert isinstance(r.attrs["encryption"], FrozenDict)
    assert r.attrs["ports"] == ((1, 2),)
    with pytest.raises(TypeError):
        r.attrs["encryption"]["at_rest"] = False  # type: ignore[index]
    with pytest.raises(AttributeError):
        r.id = "x"  # type: ignore[misc]


def test_secret_named_attributes_are_redacted_at_the_door():
    r = _res(attrs={"master_password": "hunter2", "nested": {"client_secret": "s3cr3t", "token_count": 1}})
    assert "hunter2" not in repr(r) and "s3cr3t" not in repr(r)
    assert r.attrs["nested"]["token_count"] == 1


def test_unknown_has_no_truth_value_and_round_trips():
    with pytest.raises(TypeError):
        bool(UNKNOWN)
    assert pickle.loads(pickle.dumps(UNKNOWN)) is UNKNOWN
    r = _res(attrs={"encryption": {"at_rest": UNKNOWN}})
    again = Resource.from_dict(r.to_dict())
    assert again.get("encryption.at_rest") is UNKNOWN
    assert revive(thaw({"a": [UNKNOWN]})) == {"a": [UNKNOWN]}


def test_get_path_handles_missing_unknown_and_indexes():
    attrs = {"a": {"b": [{"c": 1}]}, "u": UNKNOWN}
    assert get_path(attrs, "a.b.0.c") == 1
    assert get_path(attrs, "a.x", "d") == "d"
    assert get_path(attrs, "u.anything") is UNKNOWN
    assert get_path(attrs, "a.b.5") is None


def test_fingerprint_ignores_severity_message_and_location():
    r = _res()
    a = Finding("R-1", "t", Severity.HIGH, Category.ENCRYPTION_AT_REST, r, "msg one", Evidence())
    b = Finding("R-1", "other", Severity.LOW, Category.ENCRYPTION_AT_REST, r, "msg two", Evidence(observed=1))
    assert a.fingerprint == b.fingerprint == fingerprint("R-1", r.id)
    c = Finding("R-1", "t", Severity.HIGH, Category.ENCRYPTION_AT_REST, r, "m", Evidence(), discriminator="443")
    assert c.fingerprint != a.fingerprint


def test_severity_order():
    assert Severity.CRITICAL.at_least(Severity.HIGH)
    assert not Severity.INFO.at_least(Severity.LOW)
    assert [s.rank for s in Severity] == [4, 3, 2, 1, 0]


def test_resource_and_edge_are_picklable():
    r = _res(attrs={"x": [1, {"y": UNKNOWN}]})
    assert pickle.loads(pickle.dumps(r)) == r
    e = Edge("a", "b", "contains", {"p": [1]})
    assert pickle.loads(pickle.dumps(e)) == e


def test_module_knowledge_is_repeated_in_the_evidence():
    from posture.api import scan_inventory
    from posture.model import MODULE_KNOWLEDGE, Inventory, Resource, module_knowledge

    note = "terraform-aws-modules/sqs/aws >= 3.0.0, < 4.0.0 (version 3.5.0; UPGRADE-4.0.md)"
    queue = Resource("module.q.aws_sqs_queue.this[0]", "datastore", "aws_sqs_queue", "aws",
                     attrs={"store_type": "queue", "encryption": {"at_rest": False}},
                     source="terraform-hcl:x" + MODULE_KNOWLEDGE + note)
    assert module_knowledge(queue.source) == note and module_knowledge("terraform-hcl:x") is None
    found = [f for f in scan_inventory(Inventory(resources=(queue,))).findings if f.rule_id == "POSTURE-ENC-001"]
    assert found and found[0].evidence.details["module_knowledge"] == note
