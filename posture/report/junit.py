"""``--format junit``: JUnit XML for CI test report views (one test suite per rule).

An open finding is a ``<failure>``; suppressed, baselined and "cannot verify" findings are ``<skipped>``
with the reason; a rule without findings is one passing test case. Coverage gaps are a separate
``coverage`` suite: input that was not read is an ``<error>``, a value that is unknown a ``<skipped>`` case, so
neither passes silently. The root carries the gate verdict (``verdict="passed|failed|failed_gaps"``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from posture.model import Finding, GapClass
from posture.report.sanitize import plain
from posture.result import ScanResult

FORMAT = "junit"


def _case(suite: ET.Element, f: Finding) -> None:
    loc = f.location
    case = ET.SubElement(suite, "testcase", name=plain(f.resource.id), classname=plain(f.rule_id))
    if loc is not None and loc.file:
        case.set("file", plain(loc.file))
        if loc.line:
            case.set("line", str(loc.line))
    if f.status != "open":
        ET.SubElement(case, "skipped", message=plain(f"{f.status}: {f.status_reason}".rstrip(": ")))
    elif f.unverified:
        ET.SubElement(case, "skipped", message=plain(f"cannot verify: {f.message}"))
    else:
        failure = ET.SubElement(case, "failure", message=plain(f.message), type=f.severity.value)
        where = f"{loc.file}:{loc.line}" if loc is not None and loc.file and loc.line else (loc.file if loc else "")
        failure.text = "\n".join(plain(x) for x in (f"{f.severity.value.upper()} {f.title}", f.message,
                                                    f"at {where}" if where else "",
                                                    f"remediation: {f.remediation}" if f.remediation else "",
                                                    f"fingerprint: {f.fingerprint}") if x)


def render(result: ScanResult, options: Mapping[str, Any]) -> str:
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in result.findings:
        by_rule[f.rule_id].append(f)
    titles = {m.id: m.title for m in result.rules}
    root = ET.Element("testsuites", name="posture")
    total = failures = skipped = 0
    for rule_id in sorted(set(titles) | set(by_rule)):
        findings = by_rule.get(rule_id, [])
        suite = ET.SubElement(root, "testsuite", name=plain(rule_id))
        ET.SubElement(ET.SubElement(suite, "properties"), "property", name="title",
                      value=plain(titles.get(rule_id, "")))
        if not findings:
            ET.SubElement(suite, "testcase", name="no findings", classname=rule_id)
        for f in findings:
            _case(suite, f)
        n_fail = sum(1 for f in findings if f.status == "open" and not f.unverified)
        n_skip = len(findings) - n_fail
        suite.set("tests", str(max(len(findings), 1)))
        suite.set("failures", str(n_fail))
        suite.set("errors", "0")
        suite.set("skipped", str(n_skip))
        total += max(len(findings), 1)
        failures += n_fail
        skipped += n_skip
    errors = 0
    if result.gaps:
        unread = sum(1 for g in result.gaps if g.gap_class is GapClass.INPUT_NOT_READ)
        suite = ET.SubElement(root, "testsuite", name="coverage", tests=str(len(result.gaps)), failures="0",
                              errors=str(unread), skipped=str(len(result.gaps) - unread))
        for g in result.gaps:
            case = ET.SubElement(suite, "testcase", name=plain(g.target or g.source),
                                 classname=plain(f"coverage.{g.code or 'gap'}"))
            if g.gap_class is GapClass.INPUT_NOT_READ:  # an input that was never checked is an error, not a skip
                ET.SubElement(case, "error", message=plain(f"input not read: {g.reason}"),
                              type=plain(g.code or g.source))
            else:
                ET.SubElement(case, "skipped", message=plain(f"value unknown: {g.reason}"))
        total += len(result.gaps)
        skipped += len(result.gaps) - unread
        errors += unread
    root.set("verdict", result.gate_verdict().status)
    root.set("tests", str(total))
    root.set("failures", str(failures))
    root.set("errors", str(errors))
    root.set("skipped", str(skipped))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
