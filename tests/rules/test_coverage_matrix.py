"""The coverage matrix (docs/coverage.yaml): docs/coverage.md is generated from it, and every row that says
covered names a corpus case labelled for its rule on one of its resource types in its cloud."""

from __future__ import annotations

import importlib.util

import pytest

from posture.rules.catalog import load_rules
from tests.helpers.paths import ROOT
from tests.providers.terraform.test_hcl_corpus import CORPUS, _labels


def _generator():
    spec = importlib.util.spec_from_file_location("gen_coverage_doc", ROOT / "scripts" / "gen_coverage_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()
MATRIX = GEN.load()
ROWS = MATRIX["rows"]


def test_coverage_doc_is_generated_from_the_matrix():
    assert (ROOT / "docs" / "coverage.md").read_text(encoding="utf-8") == GEN.render(MATRIX), \
        "docs/coverage.md is stale: run python scripts/gen_coverage_doc.py"


def test_rows_are_well_formed():
    ids = [r["id"] for r in ROWS]
    assert len(ids) == len(set(ids)), "row ids must be unique"
    rule_ids = {r.id for r in load_rules(plugins=False)}
    for r in ROWS:
        assert r["cloud"] in GEN.CLOUDS and r["category"] in GEN.CATEGORIES, r["id"]
        assert r["status"] in GEN.STATUSES, r["id"]
        assert set(r["peers"]) <= set(GEN.TOOLS) and any(r["peers"].values()), f"{r['id']}: no peer id"
        if r["status"] == "covered":
            assert r["rule"] in rule_ids, f"{r['id']}: unknown rule {r['rule']}"
        elif r["status"] in ("different", "out_of_scope"):
            assert r.get("note"), f"{r['id']}: a {r['status']} row says why (the fact and its source)"
        assert set(r) <= {"id", "cloud", "category", "check", "types", "peers", "status", "rule", "case", "note"}


def test_every_peer_catalogue_and_cloud_has_rows():
    for tool in GEN.TOOLS:
        for cloud in GEN.CLOUDS:
            assert any(r["cloud"] == cloud and r["peers"].get(tool) for r in ROWS), (tool, cloud)


LABELS = {cloud: _labels(CORPUS / cloud) for cloud in GEN.CLOUDS}


@pytest.mark.parametrize("row", [r for r in ROWS if r["status"] == "covered"], ids=lambda r: r["id"])
def test_covered_row_has_a_corpus_case_for_its_rule(row):
    file, _, address = row["case"].rpartition(":")
    assert file.split("/", 1)[0] == row["cloud"], f"{row['case']}: not in the {row['cloud']} corpus"
    assert address.split(".", 1)[0] in row["types"], f"{address}: not one of the row's resource types {row['types']}"
    hits = [where for rule, addr, positive, where in LABELS[row["cloud"]]
            if rule == row["rule"] and addr == address and positive and where.startswith(f"{file}:")]
    assert hits, f"no '# expect: {row['rule'].removeprefix('POSTURE-')}+' label on {address} in {file}"
