"""Every label of the HCL corpus (tests/fixtures/corpus, convention in its README.md) holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from posture.api import scan_terraform
from tests.helpers.paths import FIXTURES

CORPUS = FIXTURES / "corpus"
_CASE = re.compile(r'^# expect:(?P<labels>[^|\n]*)(?:\|(?P<what>[^\n]*))?\n(?:#[^\n]*\n)*'
                   r'(?:resource\s+"(?P<type>[\w-]+)"\s+"(?P<name>[\w-]+)"|module\s+"(?P<module>[\w-]+)")',
                   re.MULTILINE)
_LABEL = re.compile(r"^([A-Z]+-\d{3})([+-])$")


def _labels(directory: Path) -> list[tuple[str, str, bool, str]]:
    """(rule id, address, positive, where) for every label in the directory's .tf and .tf.json files."""
    out = []
    for tf in sorted(directory.rglob("*.tf")):
        text = tf.read_text()
        cases = list(_CASE.finditer(text))
        assert len(cases) == text.count("# expect:"), f"{tf}: an '# expect:' line not directly above a block"
        for m in cases:
            address = f"module.{m['module']}" if m["module"] else f"{m['type']}.{m['name']}"
            where = f"{tf.relative_to(CORPUS)}:{text.count(chr(10), 0, m.start()) + 1} {(m['what'] or '').strip()}"
            out.extend(_parse_labels(m["labels"], address, where))
    for tf in sorted(directory.rglob("*.tf.json")):
        text = tf.read_text()
        cases = list(_json_cases(json.loads(text)))
        assert len(cases) == text.count('"//": "expect:'), f"{tf}: an expect comment outside a resource/module"
        for address, comment in cases:
            labels, _, what = comment.removeprefix("expect:").partition("|")
            out.extend(_parse_labels(labels, address, f"{tf.relative_to(CORPUS)} {address} {what.strip()}"))
    return out


def _json_cases(doc: dict) -> list[tuple[str, str]]:
    """(address, label text) of the resource and module blocks whose ``"//"`` comment starts with expect:."""
    blocks = [(f"{t}.{n}", body) for t, named in doc.get("resource", {}).items() for n, body in named.items()]
    blocks += [(f"module.{n}", body) for n, body in doc.get("module", {}).items()]
    return [(a, b["//"]) for a, b in blocks if isinstance(b.get("//"), str) and b["//"].startswith("expect:")]


def _parse_labels(labels: str, address: str, where: str) -> list[tuple[str, str, bool, str]]:
    out = []
    for token in labels.split():
        label = _LABEL.match(token)
        assert label, f"bad label {token!r} at {where}"
        out.append((f"POSTURE-{label[1]}", address, label[2] == "+", where))
    return out


def _covers(address: str, resource_id: str) -> bool:
    """A finding on ``resource_id`` counts for the block ``address`` (instances, parts, module contents)."""
    return resource_id == address or resource_id.startswith((f"{address}[", f"{address}/", f"{address}."))


PROVIDERS = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_corpus_labels_hold(provider):
    labels = _labels(CORPUS / provider)
    assert len(labels) >= 10, "a corpus directory without cases proves nothing"
    result = scan_terraform(CORPUS / provider)
    reported = [(f.rule_id, f.resource.id) for f in result.findings if not f.unverified]
    wrong = []
    for rule_id, address, positive, where in labels:
        hit = any(rid == rule_id and _covers(address, res) for rid, res in reported)
        if hit != positive:
            wrong.append(f"{'missed' if positive else 'false positive'} {rule_id} on {address} ({where})")
    pos = sum(1 for *_, p, _ in labels if p)
    missed = sum(1 for w in wrong if w.startswith("missed"))
    print(f"{provider}: {len(labels)} labels, recall {pos - missed}/{pos}, "
          f"clean negatives {len(labels) - pos - (len(wrong) - missed)}/{len(labels) - pos}")
    assert not wrong, "\n".join(wrong)
