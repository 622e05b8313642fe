import textwrap

import pytest

from posture.engine import evaluate_rules
from posture.graph import INTERNET
from posture.model import UNKNOWN, Edge, Resource, Severity
from posture.rules.catalog import load_rules
from posture.rules.lang import RuleFileError, load_rule_file
from tests.conftest import make_graph


def write(tmp_path, text, name="r.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text))
    return p


BASE = """
rules:
  - id: T-ENC-001
    title: not encrypted
    severity: high
    category: encryption.at_rest
    kinds: [datastore]
    fails_when:
      not: {attr: encryption.at_rest, eq: true}
    message: "{name} is plain"
    controls: ["SOC2:CC6.1"]
"""


def ds(rid, **attrs):
    return Resource(rid, "datastore", "t", "aws", name=rid, attrs=attrs)


def run(rules, resources, edges=()):
    findings, gaps = evaluate_rules(make_graph(resources, edges), rules)
    assert gaps == []
    return findings


def test_yaml_rule_fires_on_violation_only(tmp_path):
    rules = load_rule_file(write(tmp_path, BASE))
    out = run(rules, [ds("a", encryption={"at_rest": False}), ds("b", encryption={"at_rest": True}), ds("c")])
    assert sorted(f.resource.id for f in out) == ["a", "c"]
    f = next(f for f in out if f.resource.id == "a")
    assert f.message == "a is plain" and f.severity is Severity.HIGH
    assert f.evidence.observed == {"encryption.at_rest": False}
    assert f.controls == ("SOC2:CC6.1",)


def test_unknown_value_gives_info_cannot_verify_not_high(tmp_path):
    rules = load_rule_file(write(tmp_path, BASE))
    (f,) = run(rules, [ds("u", encryption={"at_rest": UNKNOWN})])
    assert f.unverified and f.severity is Severity.INFO and "cannot verify" in f.message
    skip = load_rule_file(write(tmp_path, BASE.replace("controls:", "on_unknown: skip\n    controls:")))
    assert run(skip, [ds("u", encryption={"at_rest": UNKNOWN})]) == ()


def test_a_value_decided_by_the_provider_default_says_so(tmp_path):
    rules = load_rule_file(write(tmp_path, BASE))
    by_default = Resource("d", "datastore", "aws_db_instance", "aws", name="d", source="terraform-hcl",
                          attrs={"encryption": {"at_rest": False, "basis": "provider_default",
                                                "default_source": "aws.rds.none"}})
    (f,) = run(rules, [by_default])
    assert f.message == "d is plain (not set in the configuration: the provider default applies, aws.rds.none)"
    (f,) = run(rules, [ds("e", encryption={"at_rest": False, "basis": "explicit"})])
    assert f.message == "e is plain"


def test_cannot_verify_names_the_unknown_attribute_of_the_when_condition_too(tmp_path):
    when = "    when: {attr: public, eq: true}\n    fails_when:"
    rules = load_rule_file(write(tmp_path, BASE.replace("    fails_when:", when)))
    (f,) = run(rules, [ds("w", public=UNKNOWN, encryption={"at_rest": False})])
    assert f.unverified and f.message.startswith("cannot verify: public ")
    assert f.evidence.observed == {"public": UNKNOWN}


def test_quantifiers_params_and_instances(tmp_path):
    text = """
    rules:
      - id: T-TLS-001
        title: old tls
        severity: high
        category: encryption.in_transit
        kinds: [listener]
        params: {min_version: "1.2"}
        when: {attr: tls, exists: true}
        fails_when:
          any_of: tls.versions
          where: {attr: ., lt: {param: min_version}}
        message: "{name} below {params.min_version}"
    instances:
      - of: T-TLS-001
        id: T-TLS-002
        title: strict tls
        severity: medium
        params: {min_version: "1.3"}
    """
    rules = load_rule_file(write(tmp_path, text))
    lst = lambda rid, v: Resource(rid, "listener", "t", "aws", name=rid, attrs={"tls": {"versions": v}})  # noqa: E731
    out = run(rules, [lst("old", ["1.0", "1.2"]), lst("new", ["1.2", "1.3"]), lst("best", ["1.3"]),
                      Resource("http", "listener", "t", "aws", attrs={"tls": None})])
    got = sorted((f.rule_id, f.resource.id) for f in out)
    assert got == [("T-TLS-001", "old"), ("T-TLS-002", "new"), ("T-TLS-002", "old")]
    old = next(f for f in out if f.rule_id == "T-TLS-001")
    assert old.evidence.observed == {"tls.versions": ("1.0",)} and old.message == "old below 1.2"
    assert next(f for f in out if f.rule_id == "T-TLS-002").severity is Severity.MEDIUM


def test_all_of_and_none_of(tmp_path):
    text = """
    rules:
      - id: T-A-001
        title: all
        severity: low
        category: logging.audit
        kinds: [log_sink]
        fails_when: {none_of: log_types, where: {attr: ., eq: DATA_READ}}
        message: m
    """
    rules = load_rule_file(write(tmp_path, text))
    sink = lambda rid, r: Resource(rid, "log_sink", "t", "gcp", attrs={"log_types": r})  # noqa: E731
    out = run(rules, [sink("x", ["ADMIN_READ"]), sink("y", ["DATA_READ"]), sink("z", UNKNOWN)])
    assert [(f.resource.id, f.unverified) for f in out] == [("x", False), ("z", True)]


def test_related_condition_records_neighbours(tmp_path):
    text = """
    rules:
      - id: T-K-001
        title: key without rotation protects data
        severity: medium
        category: keys.rotation
        kinds: [datastore]
        fails_when:
          related: {edge: encrypted_by, kind: key, where: {attr: rotation.enabled, eq: false}}
        message: m
    """
    rules = load_rule_file(write(tmp_path, text))
    key = Resource("k1", "key", "t", "aws", attrs={"rotation": {"enabled": False}})
    key2 = Resource("k2", "key", "t", "aws", attrs={"rotation": {"enabled": True}})
    out = run(rules, [ds("a"), ds("b"), key, key2], [Edge("a", "k1", "encrypted_by"), Edge("b", "k2", "encrypted_by")])
    assert [f.resource.id for f in out] == ["a"]
    assert out[0].evidence.observed == {"related:encrypted_by": ("k1",)}


def test_reachable_from_internet_records_path(tmp_path):
    text = """
    rules:
      - id: T-S-001
        title: db reachable
        severity: critical
        category: network.segmentation
        kinds: [datastore]
        fails_when:
          reachable: {from: internet, edges: [reachable_from_internet, contains], max_hops: 4}
        message: m
    """
    rules = load_rule_file(write(tmp_path, text))
    sn = Resource("sn", "subnet", "t", "aws")
    out = run(rules, [ds("db"), ds("private"), sn],
              [Edge(INTERNET, "sn", "reachable_from_internet"), Edge("sn", "db", "contains")])
    assert [f.resource.id for f in out] == ["db"]
    assert out[0].evidence.path == (INTERNET, "sn", "db")


def test_reachable_to_target(tmp_path):
    text = """
    rules:
      - id: T-S-002
        title: subnet routes to igw
        severity: low
        category: network.segmentation
        kinds: [subnet]
        fails_when:
          reachable:
            to: {kind: gateway, where: {attr: gateway_type, eq: internet}}
            edges: [routes_to]
        message: m
    """
    rules = load_rule_file(write(tmp_path, text))
    rs = [Resource("pub", "subnet", "t", "aws"), Resource("priv", "subnet", "t", "aws"),
          Resource("rt", "route_table", "t", "aws"), Resource("rt2", "route_table", "t", "aws"),
          Resource("igw", "gateway", "t", "aws", attrs={"gateway_type": "internet"}),
          Resource("nat", "gateway", "t", "aws", attrs={"gateway_type": "nat"})]
    es = [Edge("pub", "rt", "routes_to"), Edge("rt", "igw", "routes_to"), Edge("priv", "rt2", "routes_to"),
          Edge("rt2", "nat", "routes_to")]
    out = run(rules, rs, es)
    assert [(f.resource.id, f.evidence.path) for f in out] == [("pub", ("pub", "rt", "igw"))]


@pytest.mark.parametrize(
    "mutation,needle",
    [
        (("severity: high", "severity: hgh"), "r.yaml:5: severity: 'hgh' is not one of"),
        (("fails_when:", "fails_wen:"), "unknown field (did you mean 'fails_when'?)"),
        (("eq: true", "equals: true"), "unknown operator 'equals'"),
        (("category: encryption.at_rest", "category: crypto"), "'crypto' is not one of"),
        (("id: T-ENC-001", "id: bad id"), "is not a rule id"),
        (("    message: \"{name} is plain\"\n", ""), "missing required field 'message'"),
        (("kinds: [datastore]", "kinds: datastore"), "kinds: must be a list of strings"),
    ],
)
def test_invalid_rule_files_name_file_line_and_field(tmp_path, mutation, needle):
    p = write(tmp_path, BASE.replace(*mutation))
    with pytest.raises(RuleFileError) as e:
        load_rule_file(p)
    msg = str(e.value)
    assert str(p) in msg and needle in msg and "\n" not in msg


def test_invalid_yaml_syntax_and_unknown_param(tmp_path):
    with pytest.raises(RuleFileError, match=r"r.yaml:\d+: invalid YAML"):
        load_rule_file(write(tmp_path, "rules: [\n  - id: x\n  bad"))
    bad_param = BASE.replace("eq: true", "eq: {param: nope}")
    with pytest.raises(RuleFileError, match="unknown parameter 'nope'"):
        load_rule_file(write(tmp_path, bad_param))


def test_yaml_is_loaded_safely(tmp_path):
    with pytest.raises(RuleFileError):
        load_rule_file(write(tmp_path, "rules: !!python/object/apply:os.system ['echo pwned']"))


def test_duplicate_rule_id_across_directories_is_an_error(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    write(tmp_path / "a", BASE)
    write(tmp_path / "b", BASE)
    with pytest.raises(Exception, match="duplicate rules id 'T-ENC-001'"):
        load_rules([tmp_path / "a", tmp_path / "b"], builtin=False, plugins=False)


def test_duplicate_of_builtin_rule_is_an_error(tmp_path):
    write(tmp_path, BASE.replace("T-ENC-001", "POSTURE-ENC-001"))
    with pytest.raises(Exception, match="duplicate rules id 'POSTURE-ENC-001'"):
        load_rules([tmp_path])


def test_a_crashing_rule_becomes_a_gap_and_others_still_run(tmp_path):
    from posture.rules.base import Violation, rule

    @rule(id="T-BOOM-001", title="boom", severity="low", category="logging.audit", kinds=["datastore"])
    def boom(resource, ctx):
        raise RuntimeError("bug")
        yield Violation("never")

    good = load_rule_file(write(tmp_path, BASE))
    findings, gaps = evaluate_rules(make_graph([ds("a")]), [boom, *good])
    assert [f.rule_id for f in findings] == ["T-ENC-001"]
    assert gaps[0].code == "rule_error" and "T-BOOM-001" in gaps[0].reason
