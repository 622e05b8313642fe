"""The model's attribute contract (posture/model_contract.yaml): docs/model.md is generated from it, every
normaliser output conforms to it, and rule loading rejects kinds and attribute paths it does not declare."""

from __future__ import annotations

import importlib.util

import boto3
import pytest
from google.auth.credentials import AnonymousCredentials
from moto import mock_aws

import posture
from posture.api import load_snapshot, scan_terraform
from posture.contract import contract, undeclared
from posture.model import EdgeKind, Kind
from posture.providers.gcp.replay import Replay
from posture.rules.catalog import load_rules
from posture.rules.lang import RuleFileError, load_rule_file
from tests.helpers.aws_estate import REGION, build_estate
from tests.helpers.paths import FIXTURES, ROOT


def _generator():
    spec = importlib.util.spec_from_file_location("gen_model_doc", ROOT / "scripts" / "gen_model_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_model_doc_is_generated_from_the_contract():
    expected = _generator().render(contract())
    assert (ROOT / "docs" / "model.md").read_text(encoding="utf-8") == expected, \
        "docs/model.md is stale: run python scripts/gen_model_doc.py"


def test_contract_declares_exactly_the_model_kinds_and_edges():
    assert list(contract()["kinds"]) == [k.value for k in Kind]
    assert set(contract()["edges"]) == {e.value for e in EdgeKind}
    sources = set(contract()["sources"])
    for kind, spec in contract()["kinds"].items():
        for name, attr in spec["attributes"].items():
            assert attr.get("type") and attr.get("meaning"), f"{kind}.{name}: needs a type and a meaning"
            assert attr.get("sources") and set(attr["sources"]) <= sources, f"{kind}.{name}: sources"


def _terraform_inputs():
    yield from (FIXTURES / "corpus" / p for p in ("aws", "azure", "gcp"))
    yield from sorted(FIXTURES.glob("plans/**/plan.json"))
    yield from sorted(p for p in FIXTURES.glob("rules/**/*.json") if p.name != "periods.json")
    yield from sorted(p for p in FIXTURES.glob("rules/*/*.tf"))  # single-file HCL fixtures of the rule packs
    yield from sorted({p.parent for p in FIXTURES.glob("hcl/**/*.tf")})
    yield from sorted({p.parent for p in (ROOT / "examples").glob("**/*.tf")})


def _violations(resources, where):
    return [f"{where}: {r.id} ({r.kind}) carries undeclared {path!r}"
            for r in resources for path in undeclared(r.kind, r.attrs)]


def test_terraform_normalisers_emit_only_declared_attributes():
    wrong, seen = [], 0
    for path in _terraform_inputs():
        resources = list(scan_terraform(path).graph.resources())
        seen += len(resources)
        wrong += _violations(resources, path.relative_to(ROOT))
    assert seen > 500
    assert not wrong, "\n".join(wrong)


def test_snapshots_hold_only_declared_attributes():
    wrong = []
    for path in sorted(FIXTURES.glob("**/*.jsonl")):
        wrong += _violations(load_snapshot(path).resources(), path.relative_to(ROOT))
    assert not wrong, "\n".join(wrong)


def test_live_normalisers_emit_only_declared_attributes():
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
        build_estate(session)
        aws = posture.scan_aws(session, regions=[REGION]).inventory.resources
    gcp = posture.scan_gcp(AnonymousCredentials(), replay=Replay.from_directory(FIXTURES / "gcp" / "estate"),
                           progress=False).inventory.resources
    from tests.providers.azure.test_azure_scan import ReplayTransport, StaticTokenCredential

    transport = ReplayTransport.from_directory(FIXTURES / "azure" / "estate")
    azure = posture.scan_azure(StaticTokenCredential(), client_kwargs={"transport": transport,
                                                                       "retry_backoff_factor": 0.0},
                               progress=False).inventory.resources
    assert {r.kind for r in aws} >= {"datastore", "firewall", "key", "listener", "account"}
    wrong = _violations(aws, "aws") + _violations(gcp, "gcp") + _violations(azure, "azure")
    assert not wrong, "\n".join(wrong)


def test_builtin_rules_declare_only_known_kinds():
    known = set(contract()["kinds"])
    rules = load_rules(plugins=False)  # YAML rules: kinds and paths checked when they compile
    assert rules
    assert not [(r.id, k) for r in rules for k in r.meta.kinds if k not in known]


RULE = """
rules:
  - id: ACME-T-001
    title: t
    severity: low
    category: resilience.backup
    kinds: {kinds}
    fails_when: {cond}
    message: m
"""


@pytest.mark.parametrize(("kinds", "cond", "error"), [
    ("[datastor]", "{attr: versioning, eq: false}", "kinds: unknown kind 'datastor' (did you mean 'datastore'?)"),
    ("[datastore]", "{attr: versionning, eq: false}",
     "fails_when.attr: unknown attribute 'versionning' (did you mean 'versioning'?)"),
    ("[datastore]", "{attr: encryption.at_rst, eq: false}",
     "unknown attribute 'at_rst' under 'encryption' (did you mean 'at_rest'?)"),
    ("[firewall]", "{any_of: rules, where: {attr: directon, eq: ingress}}",
     "fails_when.where.attr: unknown attribute 'directon' (did you mean 'direction'?)"),
    ("[datastore]", "{related: {edge: encrypted_by, kind: key, where: {attr: rotation.enabeld, eq: false}}}",
     "unknown attribute 'enabeld' under 'rotation' (did you mean 'enabled'?)"),
    ("[datastore]", "{related: {edge: encrypted_bi, kind: key}}", "unknown edge kind 'encrypted_bi'"),
    ("[datastore]", "{related: {edge: encrypted_by, kind: kee}}", "unknown kind 'kee' (did you mean 'key'?)"),
])
def test_rule_loading_rejects_what_the_contract_does_not_declare(tmp_path, kinds, cond, error):
    path = tmp_path / "r.yaml"
    path.write_text(RULE.format(kinds=kinds, cond=cond))
    with pytest.raises(RuleFileError) as e:
        load_rule_file(path)
    assert error in str(e.value)
    assert f"{path}:" in str(e.value)


@pytest.mark.parametrize(("kinds", "cond"), [
    ("[account, identity]", "{attr: root_mfa, eq: false}"),  # declared for one of the kinds is enough
    ("[listener, endpoint]", "{any_of: tls.versions, where: {attr: ., in: ['1.0']}}"),
    ("[datastore]", "{attr: '@tags.owner', exists: false}"),
    ("[endpoint]", "{attr: tls.certificate.key_bits, lt: 2048}"),  # below a free-form object: not checked
    ("[firewall]", "{any_of: rules, where: {any_of: peers, where: {attr: ., eq: 0.0.0.0/0}}}"),
])
def test_rule_loading_accepts_declared_paths(tmp_path, kinds, cond):
    path = tmp_path / "r.yaml"
    path.write_text(RULE.format(kinds=kinds, cond=cond))
    assert load_rule_file(path)
