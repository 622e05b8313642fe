"""The webhook sink's Slack/Teams digest: one message per sync, a summary plus the top findings,
posted to the local fake server the ticket tests use."""

import json

import pytest

import posture.tickets
from posture.errors import InputError
from posture.tickets import TicketError
from posture.tickets.config import load_config, make_sink
from tests.helpers.report_helpers import scan_stores
from tests.sinks.tickets.test_tickets import _clean, server  # noqa: F401  (fixtures: the fake server, env)


def chat_sink(tmp_path, server, shape, **section):  # noqa: F811
    doc = {"to": "webhook", "webhook": {"url": server.url + "/hook", "secret_env": "T_HOOK", "message": shape,
                                        **section}}
    path = tmp_path / "tickets.yaml"
    path.write_text(json.dumps(doc))
    cfg = load_config(path)
    return make_sink("webhook", cfg)


def test_slack_digest_summary_and_top_findings(tmp_path, server):  # noqa: F811
    result = scan_stores([f"plain-{i}" for i in range(14)] + ["<b>&evil"], ["ok"])
    sink = chat_sink(tmp_path, server, "slack", top=5)
    report = posture.tickets.sync(result, sink)
    assert report.counts()["create"] == 15
    (msg,) = server.webhook_events  # one message, not one event per ticket
    assert msg["text"] == "posture: 15 open finding(s) (15 high); this run: 15 new"
    lines = msg["blocks"][1]["text"]["text"].splitlines()
    assert len(lines) == 5 and all(line.startswith("*HIGH* `POSTURE-ENC-001`") for line in lines)
    assert "&lt;b&gt;&amp;evil" in lines[0] and "<b>" not in json.dumps(msg)  # estate text is escaped
    assert msg["blocks"][2]["elements"][0]["text"] == "… and 10 more"
    # the next sync says what changed since this one
    server.webhook_events.clear()
    posture.tickets.sync(scan_stores(["plain-0"], ["ok"]), sink)
    (again,) = server.webhook_events
    assert again["text"] == "posture: 1 open finding(s) (1 high); this run: 14 resolved"


def test_teams_adaptive_card(tmp_path, server):  # noqa: F811
    sink = chat_sink(tmp_path, server, "teams")
    posture.tickets.sync(scan_stores(["b1", "b*2"]), sink)
    (msg,) = server.webhook_events
    assert msg["type"] == "message" and msg["summary"].startswith("posture: 2 open finding(s)")
    card = msg["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    texts = [b["text"] for b in card["content"]["body"]]
    assert texts[0] == msg["summary"] and len(texts) == 3
    assert any("arn:aws:s3:::b\\*2" in t for t in texts)  # Markdown markers neutralised


def test_chat_shape_needs_no_secret_but_signs_when_given(tmp_path, server, monkeypatch):  # noqa: F811
    monkeypatch.delenv("T_HOOK")
    sink = chat_sink(tmp_path, server, "slack")  # no secret needed to build it (the URL is Slack's secret)
    assert sink.secret == b""
    with pytest.raises(TicketError, match="HTTP 401"):  # the fake server wants a signature: none was sent
        posture.tickets.sync(scan_stores(["x"]), sink)
    assert server.webhook_events == []


@pytest.mark.parametrize("section, message", [({"message": "discord"}, "webhook.message must be"),
                                              ({"message": "slack", "top": 0}, "webhook.top must be")])
def test_bad_chat_options(tmp_path, server, section, message):  # noqa: F811
    with pytest.raises(InputError, match=message):
        chat_sink(tmp_path, server, **{"shape": section.pop("message"), **section})
