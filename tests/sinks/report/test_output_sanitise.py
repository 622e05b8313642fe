"""Hostile text from the estate (names, tags, messages, gap reasons) cannot inject markup or terminal control."""

from __future__ import annotations

import dataclasses
import json
import re
from xml.dom import minidom
from xml.etree import ElementTree as ET

import pytest
from markdown_it import MarkdownIt

from posture.api import scan_terraform
from posture.model import Gap, Location
from posture.report import formats, render
from posture.report.sanitize import md_code, md_text, plain

ESC = "\x1b]0;owned\x07\x1b[2J\x1b[1;31m"  # set the terminal title, clear the screen, colour
CSI_C1 = "\x9b31m"  # the one-byte CSI
HTML = "<img src=x onerror=alert(1)><script>alert(2)</script>"
LINK = "[click](javascript:alert(3)) <javascript:alert(4)> https://evil.example/x ![i](https://evil.example/i.png)"
XML_BAD = "\x00\x0b\x0c\ufffe</testcase>]]>"
BIDI = "\u202eevil\u2066"
PAYLOAD = f"{ESC}{CSI_C1}{HTML} {LINK} {XML_BAD} {BIDI} `tick` | pipe *em* _u_"

TF = 'resource "aws_security_group" "open" {\n  ingress {\n    from_port = 22\n    to_port = 22\n' \
     '    protocol = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n'


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    (root / "main.tf").write_text(TF)
    result = scan_terraform(root)
    f = result.findings[0]
    res = dataclasses.replace(f.resource, id=f"aws_security_group.{PAYLOAD}", name=PAYLOAD,
                              tags={"Name": PAYLOAD, PAYLOAD: "v"})
    bad = dataclasses.replace(f, resource=res, message=f"open to the world {PAYLOAD}",
                              location=Location(file=f"main{PAYLOAD}.tf", line=3))
    suppressed = dataclasses.replace(bad, status="suppressed", status_reason=f"accepted {PAYLOAD}",
                                     fingerprint=bad.fingerprint + "x")
    gap = Gap("terraform", f"could not read {PAYLOAD}", code="parse_error", target=f"t{PAYLOAD}")
    return dataclasses.replace(result, findings=(bad, suppressed), gaps=(*result.gaps, gap))


def text_formats():
    return sorted(formats())


def test_every_format_renders_the_hostile_result(hostile):
    for fmt in text_formats():
        assert render(hostile, fmt, {"args": None})  # nothing raises


@pytest.mark.parametrize("fmt", ["table", "markdown", "junit", "sarif"])
def test_no_control_character_reaches_text_formats(hostile, fmt):
    out = render(hostile, fmt, {"args": None, "colour": False})
    controls = {c for c in out if (ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) < 0xA0 or c in "\u202e\u2066"}
    assert controls == set()
    if fmt in ("table", "markdown"):
        assert "\\x1b]0;owned\\x07" in out.replace("\\\\", "\\")  # shown as visible escapes, not dropped


def test_junit_stays_well_formed_xml(hostile):
    out = render(hostile, "junit", {"args": None})
    root = ET.fromstring(out.encode("utf-8"))
    minidom.parseString(out.encode("utf-8"))  # a second, stricter parser
    names = [c.get("name") for c in root.iter("testcase")]
    assert any("onerror" in (n or "") for n in names)  # the payload is there, as text
    assert not any(c.tag == "img" or c.tag == "script" for c in root.iter())


def test_sarif_texts_are_plain(hostile):
    doc = json.loads(render(hostile, "sarif", {"args": None}))
    run = doc["runs"][0]
    texts = [r["message"]["text"] for r in run["results"]]
    texts += [n["message"]["text"] for inv in run.get("invocations", []) for n in inv["toolExecutionNotifications"]]
    assert texts and all("\x1b" not in t and "\x00" not in t for t in texts)


GITHUB_LIKE = MarkdownIt("gfm-like")  # tables, autolinks (linkify) and raw HTML on, as in a PR comment


def test_markdown_renders_no_html_no_link_no_image(hostile):
    html = GITHUB_LIKE.render(render(hostile, "markdown", {"args": None}))
    assert not re.search(r"<(img|script|a)\b", html), html
    assert "javascript:alert" in html  # still shown, as text
    table_rows = [r for r in html.split("<tr>")[2:]]
    assert table_rows and all(r.count("<td>") == 5 for r in table_rows)  # no pipe split a cell


@pytest.mark.parametrize("text", [PAYLOAD, "a|b", "``", "`", "x` | <b>", "www.evil.example", "mailto:a@b"])
def test_markdown_helpers_keep_any_text_inert(text):
    docs = [f"- {md_text(text)}", f"- {md_code(text)}",
            f"| a | b |\n|---|---|\n| {md_text(text, in_table=True)} | {md_code(text, in_table=True)} |\n"]
    for doc in docs:
        html = GITHUB_LIKE.render(doc)
        assert not re.search(r"<(img|script|a|b)\b", html), (text, html)
    assert html.count("<td>") == 2, (text, html)  # the table row kept its two cells


def test_plain_escapes_visibly():
    assert plain("a\x1b[2Jb\u202ec\nd") == "a\\x1b[2Jb\\u202ec\\nd"
    assert plain("ok: é ✓ 日本") == "ok: é ✓ 日本"


def test_a_path_with_a_colon_is_one_code_span_not_a_broken_one():
    """`dir/file.tf:2:` was split at the scheme-like tail, leaving `dir/` outside the span."""
    assert md_text("error in mix/bad.tf:2: here") == "error in `mix/bad.tf:2:` here"
    assert md_text("x/javascript:alert(1)") == "`x/javascript:alert(1)`"
