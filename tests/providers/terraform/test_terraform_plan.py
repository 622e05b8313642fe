"""Plan loading: validation, versions, deletes, unknowns, sensitive stripping, references, modules."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.errors import InputError
from posture.graph import build_graph
from posture.model import UNKNOWN
from posture.providers.terraform import load_plan, parse_plan
from tests.helpers.paths import FIXTURES, ROOT

PLANS = FIXTURES / "plans"
EXAMPLES = ROOT / "examples"
ALL_PLANS = sorted(PLANS.glob("**/plan.json")) + sorted(EXAMPLES.glob("*/plan.json"))


def _doc(name: str) -> dict:
    return json.loads((PLANS / name / "plan.json").read_text())


def _by_id(inv):
    return {r.id: r for r in inv.resources}


@pytest.mark.parametrize("path", ALL_PLANS, ids=lambda p: str(p.relative_to(p.parents[2])))
def test_every_fixture_loads_and_builds_a_graph(path):
    inv = load_plan(path)
    assert inv.resources
    assert inv.meta["resource_count"] >= 1
    assert all(r.source == f"terraform-plan:{path}" and r.location.file == str(path) for r in inv.resources)
    assert all(r.provider in ("aws", "azure", "gcp") for r in inv.resources)
    graph, _gaps = build_graph(inv.resources, inv.edges)
    assert len(graph) == len(inv.resources)  # ids are unique


def test_meta_counts_types_and_unsupported():
    inv = load_plan(EXAMPLES / "aws-webapp" / "plan.json")
    assert inv.meta["format_version"] == "1.2"
    assert inv.meta["terraform_version"].startswith("1.11")
    assert inv.meta["unsupported_types"] == {"aws_lb_target_group": 1}
    assert inv.meta["types"]["aws_subnet"] == 4
    assert "aws_s3_bucket_server_side_encryption_configuration" in inv.meta["normalised_types"]


# -- bad input -------------------------------------------------------------------------------------------------
def test_truncated_json_names_the_file(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text((PLANS / "aws" / "s3" / "plan.json").read_text()[:500])
    with pytest.raises(InputError) as err:
        load_plan(p)
    assert str(p) in str(err.value) and "invalid JSON" in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        load_plan(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(resource_changes={"a": 1}), "$.resource_changes: expected a list, got an object"),
        (lambda d: d["resource_changes"].__setitem__(0, 7), "$.resource_changes[0]: expected an object"),
        (lambda d: d["resource_changes"][1]["change"].update(after=[1]), "$.resource_changes[1].change.after"),
        (lambda d: d["resource_changes"][0]["change"].update(actions="create"), "$.resource_changes[0].change.actions"),
        (lambda d: d["resource_changes"][0]["change"].update(actions=["explode"]), "unknown action"),
        (lambda d: d["resource_changes"][0].pop("address"), "$.resource_changes[0].address: missing"),
        (lambda d: d.update(configuration=[]), "$.configuration: expected an object"),
        (lambda d: d["configuration"]["root_module"].update(resources={}), "$.configuration.root_module.resources"),
        (lambda d: d.pop("format_version"), "$.format_version: missing"),
        (lambda d: d.update(format_version=1.2), "$.format_version: expected a string"),
    ],
)
def test_wrong_field_types_raise_input_error_with_json_path(mutate, field):
    doc = _doc("aws/s3")
    mutate(doc)
    with pytest.raises(InputError) as err:
        parse_plan(doc, "some/plan.json")
    assert field in str(err.value)
    assert str(err.value).startswith("some/plan.json: ")


def test_top_level_not_an_object(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text("[1, 2]")
    with pytest.raises(InputError, match=r"plan.json: \$: expected a JSON object"):
        load_plan(p)


def test_unknown_major_format_version_is_refused():
    doc = _doc("aws/s3")
    doc["format_version"] = "2.0"
    with pytest.raises(InputError, match=r"x\.json: unsupported plan format_version '2.0'"):
        parse_plan(doc, "x.json")


@pytest.mark.parametrize("version", ["0.1", "0.2", "1.0", "1.1", "1.2", "1.3"])
def test_supported_format_versions(version):
    doc = _doc("aws/s3")
    doc["format_version"] = version
    assert parse_plan(doc, "x.json").meta["format_version"] == version


# -- actions -----------------------------------------------------------------------------------------------------
def test_delete_only_is_skipped_and_replacement_kept():
    inv = load_plan(PLANS / "legacy-0.1" / "plan.json")
    ids = _by_id(inv)
    assert "aws_sns_topic.old" not in ids  # ["delete"]
    assert "aws_instance.replaced" in ids  # ["delete", "create"]
    assert "azurerm_storage_account.gone" not in _by_id(load_plan(PLANS / "azure" / "plan.json"))


def test_deposed_objects_are_skipped():
    doc = _doc("aws/s3")
    extra = copy.deepcopy(doc["resource_changes"][0])
    extra["deposed"] = "00000001"
    extra["address"] = "aws_kms_key.deposed"
    extra["name"] = "deposed"
    doc["resource_changes"].append(extra)
    assert "aws_kms_key.deposed" not in _by_id(parse_plan(doc, "x.json"))


def test_planned_values_fallback_with_child_modules():
    doc = _doc("aws/modules")
    del doc["resource_changes"]
    ids = _by_id(parse_plan(doc, "x.json"))
    assert 'module.storage.module.bucket["logs"].aws_s3_bucket.this[0]' in ids
    assert "module.storage.aws_kms_key.this" in ids


# -- unknowns ----------------------------------------------------------------------------------------------------
def test_after_unknown_becomes_unknown_including_nested():
    inv = load_plan(PLANS / "aws" / "network" / "plan.json")
    ids = _by_id(inv)
    assert ids["aws_instance.web"].attrs["public_ips"] == (UNKNOWN,)  # associate_public_ip but IP not known
    assert ids["aws_default_vpc.default"].attrs["cidrs"] == (UNKNOWN,)


def test_unknown_mask_applies_to_nested_lists_and_absent_keys():
    from posture.providers.terraform.plan_masks import apply_unknown

    value = {"a": [{"x": 1}, {"x": 2}], "b": {"c": 1}}
    mask = {"a": [{}, {"y": True}], "b": {"d": True}, "e": True}
    out = apply_unknown(value, mask)
    assert out["a"][1]["y"] is UNKNOWN and out["a"][0] == {"x": 1}
    assert out["b"] == {"c": 1, "d": UNKNOWN}
    assert out["e"] is UNKNOWN


# -- sensitive values --------------------------------------------------------------------------------------------
def _everything(inv) -> str:
    parts = [repr(inv), json.dumps([r.to_dict() for r in inv.resources], default=repr)]
    parts += [json.dumps([e.to_dict() for e in inv.edges], default=repr), repr(dict(inv.meta))]
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["aws/s3", "aws/data", "azure", "gcp"])
def test_sensitive_values_never_reach_the_inventory(name):
    raw = (PLANS / name / "plan.json").read_text()
    assert "SENSITIVE-MARKER" in raw  # the fixture does carry secrets (in after, variables, configuration)
    inv = load_plan(PLANS / name / "plan.json")
    assert "SENSITIVE-MARKER" not in _everything(inv)


def test_sensitive_nested_key_removed_but_siblings_kept():
    ids = _by_id(load_plan(PLANS / "aws" / "s3" / "plan.json"))
    assert dict(ids["aws_s3_bucket.joined"].tags) == {"Name": "joined"}  # tags.Secret was sensitive


def test_sensitive_values_read_as_unknown_and_their_paths_are_named():
    from posture.providers.terraform.plan_masks import hide_sensitive

    hidden: list[str] = []
    value = {"a": [1, 2, 3], "b": {"c": "s"}, "password": "p", "d": None}
    mask = {"a": [False, True], "b": True, "password": True, "d": True}
    assert hide_sensitive(value, mask, hidden) == {"a": [1, UNKNOWN, 3], "b": UNKNOWN, "password": UNKNOWN,
                                                   "d": UNKNOWN}
    assert hidden == ["a.1", "b"]  # a secret-named key and a null hide nothing a rule reads


# -- references and joins ----------------------------------------------------------------------------------------
def test_child_module_addresses_and_references_through_vars_and_outputs():
    inv = load_plan(PLANS / "aws" / "modules" / "plan.json")
    ids = _by_id(inv)
    bucket = ids['module.storage.module.bucket["assets"].aws_s3_bucket.this[0]']
    assert bucket.name == "posture-assets"
    assert bucket.attrs["encryption"]["key_id"] == "module.storage.aws_kms_key.this"  # via var.key_arn
    edges = {(e.src, e.kind, e.dst) for e in inv.edges}
    assert ("aws_sns_topic.root", "encrypted_by", "module.storage.aws_kms_key.this") in edges  # via output


def test_literal_join_without_references_format_01():
    ids = _by_id(load_plan(PLANS / "legacy-0.1" / "plan.json"))
    assert ids["aws_s3_bucket.logs"].attrs["public"] is False  # PAB joined by bucket name
    rules = ids["aws_security_group.existing"].attrs["rules"]
    assert [r["ports"] for r in rules] == [((3389, 3389),)]  # rule joined by literal sg id
    assert ids["aws_instance.replaced"].attrs["firewalls"] == ("aws_security_group.existing",)


def test_reference_to_resource_outside_plan_still_emits_edge():
    doc = _doc("aws/lb")
    doc["resource_changes"] = [rc for rc in doc["resource_changes"] if rc["address"] != "aws_lb.web"]
    inv = parse_plan(doc, "x.json")
    edges = {(e.src, e.kind, e.dst) for e in inv.edges}
    assert ("aws_lb_listener.https", "attached_to", "aws_lb.web") in edges
    _graph, gaps = build_graph(inv.resources, inv.edges)
    assert any(g.code == "dangling_reference" and g.target == "aws_lb.web" for g in gaps)


def test_external_literal_ids_are_attributes_not_edges():
    inv = load_plan(PLANS / "aws" / "lb" / "plan.json")
    listener = _by_id(inv)["aws_lb_listener.tls"]
    assert listener.attrs["certificates"][0].startswith("arn:aws:acm:")
    assert not [e for e in inv.edges if e.dst.startswith("arn:")]


def test_data_sources_are_not_resources():
    doc = _doc("aws/s3")
    data = copy.deepcopy(doc["resource_changes"][0])
    data.update(address="data.aws_kms_key.x", mode="data")
    data["change"]["actions"] = ["read"]
    doc["resource_changes"].append(data)
    assert "data.aws_kms_key.x" not in _by_id(parse_plan(doc, "x.json"))


@pytest.mark.parametrize("name", ["aws/network", "aws/lb", "aws/data", "aws/s3", "azure", "gcp"])
@pytest.mark.parametrize("junk", ["x", 7, [1, "a"], {"k": [None]}, None, True])
def test_odd_attribute_shapes_never_crash(name, junk):
    doc = _doc(name)
    for rc in doc["resource_changes"]:
        after = rc["change"]["after"]
        if isinstance(after, dict):
            for key in list(after):
                after[key] = junk
    inv = parse_plan(doc, "odd.json")
    assert all(g.code in ("normalise_error", "sensitive_value") and "odd" not in g.reason for g in inv.gaps)
    assert len(inv.resources) + len(inv.gaps) >= 1


def test_load_pauses_the_cyclic_gc_only_while_loading(tmp_path, monkeypatch):
    """The GC is paused for speed inside load_plan, and comes back after success and after bad input."""
    import gc

    import posture.providers.terraform.plan as plan_mod

    seen = []
    real_parse = plan_mod.parse_plan

    def parse(data, origin):
        seen.append(gc.isenabled())
        return real_parse(data, origin)

    monkeypatch.setattr(plan_mod, "parse_plan", parse)
    assert gc.isenabled()
    load_plan(EXAMPLES / "aws-webapp" / "plan.json")
    assert seen == [False] and gc.isenabled()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError):
        load_plan(bad)
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        load_plan(EXAMPLES / "aws-webapp" / "plan.json")
        assert not gc.isenabled()
    finally:
        gc.enable()


# -- masks: the copy-on-write overlays agree with a plain full-copy reading and never modify the plan ----------
def _naive_unknown(value, mask):
    if mask is True:
        return UNKNOWN
    if isinstance(mask, dict):
        if value is not None and not isinstance(value, dict):
            return value
        base = dict(value) if isinstance(value, dict) else {}
        for k, m in mask.items():
            if m is True or (isinstance(m, (dict, list)) and k in base):
                base[k] = _naive_unknown(base.get(k), m)
        return base
    if isinstance(mask, list) and isinstance(value, list):
        out = list(value)
        for i, m in enumerate(mask):
            if i < len(out):
                out[i] = _naive_unknown(out[i], m)
            elif m is True:
                out.append(UNKNOWN)
        return out
    return value


def _naive_hide(value, mask):
    if mask is True:
        return UNKNOWN
    if isinstance(mask, dict) and isinstance(value, dict):
        return {k: _naive_hide(x, mask.get(k)) for k, x in value.items()}
    if isinstance(mask, list) and isinstance(value, list):
        return [_naive_hide(x, mask[i]) if i < len(mask) else x for i, x in enumerate(value)]
    return value


_keys = st.sampled_from(["a", "b", "c"])
_json = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text("xy", max_size=2),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
                     max_leaves=12)
_mask = st.recursive(st.booleans(),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=3),
                     max_leaves=12)


@settings(max_examples=400, deadline=None)
@given(_json, _mask)
def test_mask_overlays_match_a_full_copy_and_leave_the_input_alone(value, mask):
    from posture.providers.terraform.plan_masks import apply_unknown, hide_sensitive

    before = json.dumps(value)
    assert apply_unknown(value, mask) == _naive_unknown(value, mask)
    assert hide_sensitive(value, mask, []) == _naive_hide(value, mask)
    assert json.dumps(value) == before


def test_a_sensitive_cidr_is_unverified_and_named_as_a_gap_never_a_silent_pass(tmp_path, capsys):
    """A plan value marked sensitive reads as unknown: the SG it opens is 'cannot verify' with a
    ``sensitive_value`` gap naming the attribute, not a pass (dropping it read as 'opens nothing')."""
    from posture.cli import main

    doc = _doc("aws/network")
    rc = next(r for r in doc["resource_changes"] if r["address"] == "aws_security_group.web")
    rc["change"]["after"]["ingress"] = [{
        "cidr_blocks": ["0.0.0.0/0"], "description": "SECRET-MARKER-7", "from_port": 22, "to_port": 22,
        "ipv6_cidr_blocks": [], "prefix_list_ids": [], "protocol": "tcp", "security_groups": [], "self": False}]
    rc["change"]["after_sensitive"]["ingress"] = [{"cidr_blocks": [True], "description": True}]
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(doc))
    code = main(["scan", "terraform", str(plan), "--format", "json"])
    out = capsys.readouterr().out
    assert "SECRET-MARKER-7" not in out
    result = json.loads(out)
    on_web = [f for f in result["findings"] if f["resource"]["id"] == "aws_security_group.web"
              and f["rule_id"] == "POSTURE-NET-001"]
    assert on_web and all(f["unverified"] for f in on_web)
    gaps = [g for g in result["gaps"] if g["code"] == "sensitive_value"]
    assert [g["target"] for g in gaps] == ["aws_security_group.web"]
    assert "ingress.0.cidr_blocks.0" in gaps[0]["reason"] and "description" in gaps[0]["reason"]
    assert code in (0, 1)
