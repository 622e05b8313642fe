import csv
import io
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from posture.cli import main
from posture.report import formats, render
from posture.report.profile import ProfileView
from posture.result import ScanResult
from tests.report_helpers import estate

XSS = "<script>alert('x')</script>"


@pytest.fixture(scope="module")
def result() -> ScanResult:
    res = estate.example_result()
    # one suppressed and one unverified finding, as the baseline/suppression code would produce them
    fs = list(res.findings)
    fs[-1] = replace(fs[-1], status="suppressed", status_reason="accepted until 2027-01-01")
    return replace(res, findings=tuple(fs))


# the shape of posture.profiles.ProfileReport.to_dict()
PROFILE = {"profile": "acme", "title": "Acme security statement", "statement": "Published at acme.example/security",
           "claims": [{"id": "C1", "text": "Customer data is encrypted at rest", "verdict": "does not hold",
                       "reasons": ["3 data stores are not encrypted"],
                       "findings": [{"rule_id": "POSTURE-ENC-001", "fingerprint": "x"}]},
                      {"id": "C2", "text": "TLS 1.2+ everywhere <b>", "verdict": "cannot be verified",
                       "reasons": ["values unknown until apply"], "findings": []}]}
TREND = [{"label": "2026-Q1", "by_severity": {"critical": 2, "high": 7}, "by_category": {"encryption.at_rest": 5}},
         {"label": "2026-Q2", "by_severity": {"critical": 1, "high": 4}, "by_category": {"encryption.at_rest": 3}}]


def test_formats_registered():
    assert {"ocsf", "ocsf-compliance", "csv", "html"} <= set(formats())


# ---------------------------------------------------------------- OCSF
def test_ocsf_detection_finding(result):
    events = json.loads(render(result, "ocsf", {"time_ms": 1700000000000}))
    assert len(events) == len(result.findings)
    by_uid = {e["finding_info"]["uid"]: e for e in events}
    for f in result.findings:
        e = by_uid[f.fingerprint]
        assert (e["class_uid"], e["category_uid"], e["activity_id"], e["type_uid"]) == (2004, 2, 1, 200401)
        assert e["time"] == 1700000000000
        assert e["finding_info"]["title"] == f.title and e["finding_info"]["desc"] == f.message
        assert e["resources"][0]["uid"] == f.resource.id
        assert e["metadata"]["product"]["name"] == "posture" and e["metadata"]["version"].startswith("1.")
        assert e["remediation"]["desc"] == f.remediation
    crit = next(e for e in events if e["finding_info"]["analytic"]["uid"] == "EXAMPLE-NET-DB")
    assert crit["severity_id"] == 5 and crit["severity"] == "Critical"
    assert crit["cloud"] == {"provider": "AWS", "region": "eu-west-1", "account": {
        "uid": "111122223333", "name": "111122223333", "type_id": 10, "type": "AWS Account"}}
    assert crit["unmapped"]["evidence"]["path"][0] == "internet"
    suppressed = [e for e in events if e["status_id"] == 3]
    assert len(suppressed) == 1 and "accepted until" in suppressed[0]["status_detail"]
    assert "hunter2" not in json.dumps(events)


def test_ocsf_compliance_finding(result):
    events = json.loads(render(result, "ocsf-compliance"))
    e = events[0]
    assert (e["class_uid"], e["type_uid"]) == (2003, 200301)
    assert e["compliance"]["status_id"] == 3 and "SOC2:CC6.6" in e["compliance"]["requirements"]
    assert "SOC2" in e["compliance"]["standards"]


def test_ocsf_unverified_is_low_confidence(result):
    f = replace(result.findings[0], unverified=True)
    e = json.loads(render(replace(result, findings=(f,)), "ocsf-compliance"))[0]
    assert e["confidence_id"] == 1 and e["compliance"]["status"] == "Warning"


# ---------------------------------------------------------------- CSV
def test_csv_rows_and_quoting(result):
    text = render(result, "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(result.findings)
    assert list(rows[0]) == list(__import__("posture.report.csv_report", fromlist=["x"]).COLUMNS)
    xss = next(r for r in rows if r["resource_name"].endswith("</script>"))
    assert xss["resource_name"] == XSS and xss["rule_id"] == "POSTURE-ENC-001"
    net = next(r for r in rows if r["rule_id"] == "EXAMPLE-NET-DB")
    assert net["path"].startswith("internet > ") and json.loads(net["observed"])["path"][0] == "internet"
    assert {r["status"] for r in rows} == {"open", "suppressed"}


def test_csv_neutralises_formulas(result):
    f = result.findings[0]
    evil = replace(f, resource=replace(f.resource, name="=HYPERLINK(\"http://x\")"), message="+1, \"quoted\"\nline2")
    rows = list(csv.DictReader(io.StringIO(render(replace(result, findings=(evil,)), "csv"))))
    assert rows[0]["resource_name"].startswith("'=HYPERLINK")
    assert rows[0]["message"] == "'+1, \"quoted\"\nline2"  # comma, quotes and newline survive quoting
    raw = list(csv.DictReader(io.StringIO(render(replace(result, findings=(evil,)), "csv", {"csv_raw": True}))))
    assert raw[0]["resource_name"].startswith("=HYPERLINK")


# ---------------------------------------------------------------- HTML (static checks)
class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_html_is_self_contained_and_escaped(result):
    page = render(result, "html", {"profile": PROFILE, "trend": TREND})
    p = _Collector()
    p.feed(page)
    tags = [t for t, _ in p.tags]
    assert "script" not in tags and "link" not in tags and "img" not in tags
    assert not re.search(r"(src|href)\s*=\s*\"(https?:)?//", page)  # no external assets / CDN
    assert XSS not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "TLS 1.2+ everywhere &lt;b&gt;" in page
    assert "hunter2" not in page
    assert page.count("<svg") == 2  # one network path, one trend plot


def test_html_profile_from_source_metadata(result):
    page = render(replace(result, source={**result.source, "profile": PROFILE}), "html")
    assert 'id="profile"' in page and "Acme security statement" in page
    assert 'id="profile"' not in render(result, "html")
    assert ProfileView.coerce(PROFILE).verdict == "does not hold"


def test_verify_html_renders_claims(tmp_path):
    from posture.api import save_snapshot

    snap = save_snapshot(estate.example_inventory(), tmp_path / "estate.jsonl")
    out = tmp_path / "verify.html"
    code = main(["verify", "aws-saas", str(snap), "--format", "html", "-o", str(out)])
    page = out.read_text()
    assert code == 1 and 'id="profile"' in page and "does not hold" in page
    assert 'class="verdict-fail"' in page and 'data-fingerprint="' in page


# ---------------------------------------------------------------- HTML in a real browser
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess:
    assert CHROMIUM, "chromium is required (scripts/test.sh installs it): apt-get install -y chromium"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
           *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)


@pytest.fixture(scope="module")
def browser_page(result, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("html")
    page = tmp / "report.html"
    page.write_text(render(result, "html", {"profile": PROFILE, "trend": TREND}), encoding="utf-8")
    dom = _chromium(tmp, "--dump-dom", page.as_uri())
    shot = tmp / "report.png"
    _chromium(tmp, f"--screenshot={shot}", "--window-size=1200,1800", page.as_uri())
    return dom.stdout, shot


def test_browser_renders_findings(result, browser_page):
    dom, _ = browser_page
    assert "<main>" in dom
    for f in result.findings:  # every finding made it into the DOM, grouped under its resource
        assert f'data-fingerprint="{f.fingerprint}"' in dom
    assert "<script>alert" not in dom  # the escaped name never became an element
    assert dom.count('class="resource"') == len({f.resource.id for f in result.findings})
    assert 'class="path"' in dom and "reachable_from_internet" in dom and "eni-0db" in dom
    assert 'class="trend"' in dom and "2026-Q2" in dom
    assert 'class="verdict-fail"' in dom and "Customer data is encrypted at rest" in dom


def test_browser_screenshot(browser_page):
    _, shot = browser_page
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


# ---------------------------------------------------------------- CLI
def test_cli_scan_snapshot_html(tmp_path, capsys):
    from posture.api import save_snapshot

    snap = save_snapshot(estate.example_inventory(), tmp_path / "estate.jsonl")
    out = tmp_path / "r.html"
    code = main(["scan", "snapshot", str(snap), "--rules", str(estate.RULES), "--format", "html", "-o", str(out),
                 "-q"])
    assert code == 1
    page = out.read_text()
    assert "Data store reachable from the internet" in page and "<svg" in page
    assert os.path.getsize(out) > 5000


@pytest.mark.parametrize(("fmt", "row_prefix"), [("json", '    {"rule_id"'), ("sarif", '        {"ruleId"'),
                                                 ("ocsf", '  {"')])
def test_json_formats_put_one_row_per_line_and_stay_valid_json(result, fmt, row_prefix):
    text = render(result, fmt, {"time_ms": 1})
    rows = [line for line in text.splitlines() if line.startswith(row_prefix)]
    assert len(rows) == len(result.findings) > 1  # one finding / SARIF result / OCSF event per line
    for line in rows:
        json.loads(line.rstrip(","))
    doc = json.loads(text)
    if fmt == "json":  # the layout changes nothing in the document itself
        assert doc == json.loads(json.dumps(result.to_dict()))


def test_jsontext_indents_only_the_outer_levels():
    from posture.report.jsontext import dumps

    value = {"a": [{"b": [1, 2]}, {}], "c": {}, "d": "é"}
    text = dumps(value, levels=2)
    assert json.loads(text) == value
    assert text == '{\n  "a": [\n    {"b": [1, 2]},\n    {}\n  ],\n  "c": {},\n  "d": "\\u00e9"\n}\n'
    assert dumps([], levels=3) == "[]\n"
