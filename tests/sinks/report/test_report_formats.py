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
from posture.model import Severity
from posture.report import formats, render
from posture.report.profile import ProfileView
from posture.result import ScanResult
from tests.helpers.paths import ROOT
from tests.helpers.report_helpers import estate

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
    assert "link" not in tags and "img" not in tags
    # one inline script (the table sort), admitted by its hash and nothing else
    assert [a for t, a in p.tags if t == "script"] == [{}]
    import base64
    import hashlib

    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'" in page
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


# ---------------------------------------------------------------- the first screen leads with findings
_MEASURE_JS = (
    "(function(){var row=document.querySelector('#findings-table tbody tr'),r=row.getBoundingClientRect();"
    "function rules(){return Array.prototype.map.call(document.querySelectorAll('#findings-table tbody tr'),"
    "function(x){return x.cells[1].textContent})}"
    "var th=document.querySelectorAll('#findings-table th'),first=rules();th[1].click();var asc=rules();"
    "th[1].click();var desc=rules();th[0].click();var sev=rules();"
    "document.body.setAttribute('data-measure',JSON.stringify({top:r.top,bottom:r.bottom,height:innerHeight,"
    "width:innerWidth,first:first,asc:asc,desc:desc,sev:sev}))})()")


def _measure(page: str, tmp: Path) -> dict:
    """Load the page in headless Chromium at 1400x900 with a measuring script (admitted by its CSP hash,
    beside the page's own sort script) and read what it wrote into the DOM."""
    import base64
    import hashlib

    digest = "sha256-" + base64.b64encode(hashlib.sha256(_MEASURE_JS.encode()).digest()).decode()
    assert "script-src 'sha256-" in page
    page = page.replace("script-src '", f"script-src '{digest}' '", 1).replace(
        "</body>", f"<script>{_MEASURE_JS}</script></body>")
    path = tmp / "measure.html"
    path.write_text(page, encoding="utf-8")
    dom = _chromium(tmp, "--window-size=1400,900", "--dump-dom", path.as_uri()).stdout
    m = re.search(r'data-measure="([^"]*)"', dom)
    assert m, "the measuring script did not run"
    return json.loads(m.group(1).replace("&quot;", '"'))


def test_first_finding_is_on_the_first_screen_and_the_table_sorts(result, tmp_path):
    from posture.model import Gap

    gaps = tuple(Gap("aws", f"AccessDenied on service {i}", "access_denied", service=f"svc{i}") for i in range(8))
    page = render(replace(result, gaps=gaps), "html", {"profile": PROFILE, "trend": TREND})
    m = _measure(page, tmp_path)
    assert m["width"] == 1400 and 0 < m["top"] < m["bottom"] <= min(900, m["height"])
    order = [f.rule_id for f in sorted(result.findings, key=lambda f: (f.status != "open", f.sort_key))]
    assert m["first"] == order  # open findings first, most severe first
    assert m["asc"] == sorted(m["first"]) and m["desc"] == sorted(m["first"], reverse=True)
    assert m["sev"][0] == "EXAMPLE-NET-DB"  # critical first again after sorting by severity


def test_html_order_verdict_gaps_table_details_controls_last(result):
    from posture.model import Gap

    gapped = replace(result, gaps=(Gap("aws", "denied <x>", "access_denied"),)).judged(Severity.HIGH)
    page = render(gapped, "html", {})
    marks = ['id="verdict"', 'class="gaps-top"', 'id="findings-table"', 'id="findings"', 'id="gaps"',
             'id="summary"', "<th>control</th>"]
    positions = [page.index(m) for m in marks]
    assert positions == sorted(positions)
    assert "gate failed: 6 finding(s) at or above high" in page and "denied &lt;x&gt;" in page
    for f in result.findings:  # every row links to its details
        assert f'href="#f-{f.fingerprint}"' in page and f'id="f-{f.fingerprint}"' in page


def test_html_controls_limited_to_providers_present(result):
    from tests.helpers.report_helpers import scan_stores

    aws_only = scan_stores(["a", "b"])
    assert {f.resource.provider for f in aws_only.findings} == {"aws"}
    assert any(c.startswith("CIS-AZURE:") for c in aws_only.findings[0].controls)  # the rule maps all three
    page = render(aws_only, "html")
    assert "CIS-AWS:" in page and "CIS-AZURE" not in page and "CIS-GCP" not in page and "SOC2:" in page
    mixed = render(result, "html")  # the example estate has AWS, Azure and GCP resources
    assert "CIS-AZURE:" in mixed and "CIS-GCP:" in mixed


def test_docs_screenshot_script_reproduces_the_committed_page(tmp_path):
    root = ROOT
    run = subprocess.run(["bash", "scripts/docs_screenshot.sh"], cwd=root, capture_output=True, text=True,
                         timeout=180, env={**os.environ, "OUT_DIR": str(tmp_path), "PYTHONPATH": str(root)})
    assert run.returncode == 0, run.stderr
    png = (tmp_path / "example-report.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")) == (1400, 900)
    committed = (root / "docs/screenshots/example-report.html").read_text(encoding="utf-8")
    assert (tmp_path / "example-report.html").read_text(encoding="utf-8") == committed, (
        "docs/screenshots is stale: run bash scripts/docs_screenshot.sh")


# ---------------------------------------------------------------- table
def test_table_has_a_header_and_wraps_at_the_width(result):
    for width in (60, 100, 160):
        lines = render(result, "table", {"width": width}).splitlines()
        assert lines[0] == "posture example examples/report"
        assert lines[1].split() == ["SEVERITY", "RULE", "RESOURCE", "/", "FINDING"]
        body = lines[: lines.index("")]  # the findings, before the totals
        assert len(body) >= 2 + 2 * len(result.findings) and all(len(line) <= width for line in body)
    narrow = render(result, "table", {"width": 60})
    wide = render(result, "table", {"width": 200})
    assert len(narrow.splitlines()) > len(wide.splitlines())  # messages wrapped, nothing cut
    for f in result.findings:
        assert "".join(f.message.split()) in "".join(narrow.split())


def test_table_width_follows_the_terminal(result, monkeypatch):
    monkeypatch.setenv("COLUMNS", "64")  # shutil.get_terminal_size reads it first
    lines = render(result, "table", {}).splitlines()
    assert max(len(line) for line in lines[: lines.index("")]) <= 64
