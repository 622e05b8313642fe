import json
import re
from dataclasses import replace

import pytest

import posture.history
import posture.tickets
from posture.cli import main
from posture.errors import InputError
from posture.tickets import TicketError
from posture.tickets.config import load_config, make_sink
from posture.tickets.webhook import signature
from tests.helpers.report_helpers import scan_stores, store
from tests.helpers.ticket_server import TicketServer

TOKEN = "tok-SECRET-123"
WEBHOOK_SECRET = "hook-SECRET-456"


@pytest.fixture(scope="module")
def server():
    s = TicketServer(token=TOKEN, webhook_secret=WEBHOOK_SECRET.encode())
    yield s
    s.stop()


@pytest.fixture(autouse=True)
def _clean(server, monkeypatch):
    server.reset()
    monkeypatch.setenv("T_TOKEN", TOKEN)
    monkeypatch.setenv("T_USER", "bot@example.com")
    monkeypatch.setenv("T_HOOK", WEBHOOK_SECRET)


SINKS = ("github", "jira-cloud", "jira-server", "webhook")


def config_file(tmp_path, server, which, **extra):
    sections = {
        "github": {"github": {"repo": "o/r", "api_url": server.url, "token_env": "T_TOKEN"}},
        "jira-cloud": {"jira": {"url": server.url, "api": "cloud", "project": "SEC", "user_env": "T_USER",
                                "token_env": "T_TOKEN"}},
        "jira-server": {"jira": {"url": server.url, "api": "server", "project": "SEC", "token_env": "T_TOKEN",
                                 "user_env": "NO_SUCH_ENV"}},
        "webhook": {"webhook": {"url": server.url + "/hook", "secret_env": "T_HOOK"}},
    }
    doc = {"to": which.split("-")[0], "max_retry_wait": 5, **sections[which], **extra}
    path = tmp_path / "tickets.yaml"
    path.write_text(json.dumps(doc))
    return path


def sink_for(tmp_path, server, which, sleeps=None, **extra):
    cfg = load_config(config_file(tmp_path, server, which, **extra))
    return make_sink(cfg.to, cfg, sleep=(sleeps.append if sleeps is not None else None)), cfg


def tickets(server, which):
    """key -> (open?, ticket) as the fake system holds them."""
    out = {}
    if which == "github":
        for i in server.github.values():
            out[i["body"].split("posture-key: ")[1][:32]] = (i["state"] == "open", i)
    elif which.startswith("jira"):
        for i in server.jira.values():
            key = next(lb[8:] for lb in i["fields"]["labels"] if len(lb) == 40 and lb.startswith("posture-"))
            out[key] = (i["fields"]["status"] != "31", i)
    else:
        state = {}
        for e in server.webhook_events:
            if e["event"] in ("ticket.create", "ticket.reopen"):
                state[e["key"]] = (True, e)
            elif e["event"] == "ticket.close":
                state[e["key"]] = (False, e)
        out = state
    return out


def fps(result):
    return {f.fingerprint for f in result.findings}


@pytest.mark.parametrize("which", SINKS)
def test_three_runs_same_tickets_then_close_and_reopen(tmp_path, server, which):
    sink, _ = sink_for(tmp_path, server, which)
    r1 = scan_stores(["a", "b", "c", "d", "e"])  # 5 tickets: pagination with pages of 2
    first = posture.tickets.sync(r1, sink)
    assert first.counts() == {"create": 5}
    for _ in range(2):
        sink, _ = sink_for(tmp_path, server, which)
        again = posture.tickets.sync(r1, sink)
        assert again.counts() == {"unchanged": 5}
    held = tickets(server, which)
    assert set(held) == fps(r1) and all(is_open for is_open, _ in held.values())

    # "a" resolved -> its ticket closes; the others stay
    r2 = scan_stores(["b", "c", "d", "e"], ["a"])
    rep = posture.tickets.sync(r2, sink_for(tmp_path, server, which)[0])
    assert rep.counts() == {"close": 1, "unchanged": 4}
    gone = (fps(r1) - fps(r2)).pop()
    assert tickets(server, which)[gone][0] is False
    # it comes back -> reopened, not duplicated
    rep = posture.tickets.sync(r1, sink_for(tmp_path, server, which)[0])
    assert rep.counts() == {"reopen": 1, "unchanged": 4}
    held = tickets(server, which)
    assert held[gone][0] is True and len(held) == 5
    if which == "github":
        assert len(server.github) == 5 and any("back" in c for c in server.github[1]["comments"])
    if which.startswith("jira"):
        assert len(server.jira) == 5


@pytest.mark.parametrize("which", ["github", "jira-cloud"])
def test_changed_finding_gets_a_comment_and_update(tmp_path, server, which):
    r1 = scan_stores(["a"])
    posture.tickets.sync(r1, sink_for(tmp_path, server, which)[0])
    f = r1.findings[0]
    changed = replace(f, message="a is still not encrypted (re-checked)")
    rep = posture.tickets.sync(replace(r1, findings=(changed,)), sink_for(tmp_path, server, which)[0])
    assert rep.counts() == {"update": 1}
    _, t = tickets(server, which)[f.fingerprint]
    if which == "github":
        assert len(t["comments"]) == 1 and "re-checked" in t["comments"][0] and "re-checked" in t["body"]
    else:
        assert len(t["comments"]) == 1 and "re-checked" in json.dumps(t["comments"][0])
    assert posture.tickets.sync(replace(r1, findings=(changed,)),
                                sink_for(tmp_path, server, which)[0]).counts() == {"unchanged": 1}


def test_suppressed_and_baselined_are_not_opened_and_get_closed(tmp_path, server):
    r = scan_stores(["a", "b", "c"])
    posture.tickets.sync(r, sink_for(tmp_path, server, "github")[0])
    quiet = tuple(replace(f, status="suppressed", status_reason="accepted risk") if f.resource.name == "a" else
                  replace(f, status="baselined") if f.resource.name == "b" else f for f in r.findings)
    rep = posture.tickets.sync(replace(r, findings=quiet), sink_for(tmp_path, server, "github")[0])
    assert rep.counts() == {"close": 2, "unchanged": 1}
    assert any("accepted risk" in a.reason for a in rep.actions)
    server.reset()
    rep = posture.tickets.sync(replace(r, findings=quiet), sink_for(tmp_path, server, "github")[0])
    assert rep.counts() == {"create": 1} and len(server.github) == 1


def test_min_severity_and_unverified_leave_tickets_alone(tmp_path, server):
    r = scan_stores(["a", "b"])
    posture.tickets.sync(r, sink_for(tmp_path, server, "github")[0])
    fs = (replace(r.findings[0], unverified=True), *r.findings[1:])
    rep = posture.tickets.sync(replace(r, findings=fs), sink_for(tmp_path, server, "github")[0])
    assert rep.counts() == {"unchanged": 1}  # still found, only not ticketable: not "resolved"
    rep = posture.tickets.sync(r, sink_for(tmp_path, server, "github")[0], min_severity="critical")
    assert rep.counts() == {}


def test_grouped_per_rule_and_account(tmp_path, server):
    from posture.api import scan_inventory
    from posture.model import Inventory

    inv = Inventory((store("a"), store("b"), store("c", account="999900001111")))
    r = scan_inventory(inv)
    sink, _ = sink_for(tmp_path, server, "jira-cloud")
    rep = posture.tickets.sync(r, sink, group_by="rule_account", priority={"high": "P1"})
    assert rep.counts() == {"create": 2}
    issues = list(server.jira.values())
    assert {i["fields"]["priority"]["name"] for i in issues} == {"P1"}
    assert any("2 resource(s) in 111122223333" in i["fields"]["summary"] for i in issues)
    assert posture.tickets.sync(r, sink_for(tmp_path, server, "jira-cloud")[0],
                                group_by="rule_account").counts() == {"unchanged": 2}


def test_429_retry_after_is_honoured_and_bounded(tmp_path, server):
    sleeps: list[float] = []
    sink, _ = sink_for(tmp_path, server, "github", sleeps)
    server.fail("POST", "/repos/o/r/issues", status=429, headers={"Retry-After": "2"})
    server.fail("GET", "/repos/o/r/issues", status=503)
    server.fail("POST", "/repos/o/r/issues", status=502, times=2)
    rep = posture.tickets.sync(scan_stores(["a"]), sink)
    assert rep.counts() == {"create": 1} and len(server.github) == 1
    assert sleeps[0] == 0.5 and 2.0 in sleeps  # backoff on 503, then Retry-After: 2
    server.fail("POST", "/repos/o/r/issues", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(TicketError, match="rate limited for 3600s"):
        posture.tickets.sync(scan_stores(["a", "b"]), sink_for(tmp_path, server, "github", sleeps)[0])


def test_retry_after_real_sleep(tmp_path, server):
    import time

    server.fail("GET", "/rest/api/3/search/jql", status=429, headers={"Retry-After": "1"})
    t = time.monotonic()
    posture.tickets.sync(scan_stores(["a"]), sink_for(tmp_path, server, "jira-cloud")[0])
    assert time.monotonic() - t >= 1.0 and len(server.jira) == 1


def test_401_is_one_line_without_token(tmp_path, server, monkeypatch):
    monkeypatch.setenv("T_TOKEN", "wrong-TOKEN-789")
    with pytest.raises(TicketError) as e:
        posture.tickets.sync(scan_stores(["a"]), sink_for(tmp_path, server, "github")[0])
    assert "HTTP 401" in str(e.value) and "\n" not in str(e.value) and "TOKEN" not in str(e.value)


@pytest.mark.parametrize("which", ["github", "jira-cloud", "webhook"])
@pytest.mark.parametrize("when", ["before", "after"])
def test_crash_between_calls_loses_nothing(tmp_path, server, which, when):
    r = scan_stores(["a", "b", "c", "d"])
    posture.tickets.sync(scan_stores(["a", "x"]), sink_for(tmp_path, server, which)[0])  # x will resolve
    path = {"github": "/repos/o/r/issues", "jira-cloud": "/rest/api/3/issue", "webhook": "/hook"}[which]
    # the first write of this run succeeds; the connection drops on the second, before or after the
    # server applied it
    server.fail("POST", path, drop=when, skip=1)
    with pytest.raises(TicketError, match="connection failed"):
        posture.tickets.sync(r, sink_for(tmp_path, server, which)[0])
    rep = posture.tickets.sync(r, sink_for(tmp_path, server, which)[0])
    assert "create" in rep.counts()
    held = tickets(server, which)
    assert {k for k, (o, _) in held.items() if o} == fps(r)  # every finding has exactly one open ticket
    assert len(held) == 5
    if which == "github":
        assert len(server.github) == 5  # no duplicate even when the dropped create was applied
    if which == "jira-cloud":
        assert len(server.jira) == 5
    assert posture.tickets.sync(r, sink_for(tmp_path, server, which)[0]).counts() == {"unchanged": 4}


def test_tickets_never_carry_secrets(tmp_path, server):
    r = scan_stores(["a"], )
    leaky = replace(r.findings[0], resource=store("a", master_password="hunter2", auth_token="tk-zzz"))
    assert "hunter2" not in json.dumps(leaky.to_dict())  # redacted at construction
    for which in ("github", "jira-cloud", "webhook"):
        posture.tickets.sync(replace(r, findings=(leaky,)), sink_for(tmp_path, server, which)[0])
    bodies = "".join(entry["body"] for entry in server.log)
    assert TOKEN not in bodies and WEBHOOK_SECRET not in bodies and "hunter2" not in bodies


def test_webhook_signature_and_markup_escaping(tmp_path, server):
    r = scan_stores(["a"])
    evil = replace(r.findings[0], message="@everyone <img src=x onerror=alert(1)> [click](http://evil)")
    posture.tickets.sync(replace(r, findings=(evil,)), sink_for(tmp_path, server, "webhook")[0])
    entry = next(e for e in server.log if e["path"] == "/hook")
    assert entry["headers"]["X-Posture-Signature"] == signature(WEBHOOK_SECRET.encode(), entry["body"].encode())
    assert entry["headers"]["X-Posture-Event"] == "ticket.create"
    posture.tickets.sync(replace(r, findings=(evil,)), sink_for(tmp_path, server, "github")[0])
    body = server.github[1]["body"]
    assert "@everyone" not in body and "@\u200beveryone" in body
    assert not re.search(r"(?<!\\)<img", body) and "\\<img" in body and "[click](" not in body


def test_config_refuses_tokens_and_missing_credentials(tmp_path, server, monkeypatch):
    p = tmp_path / "c.yaml"
    p.write_text("github:\n  repo: o/r\n  token: ghp_abc\n")
    with pytest.raises(InputError, match="never put tokens in the config"):
        load_config(p)
    p.write_text("github:\n  repo: o/r\n  token_env: NOPE_NOT_SET\n")
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    with pytest.raises(InputError, match="NOPE_NOT_SET"):
        make_sink("github", load_config(p))
    p.write_text(f"github: {{repo: o/r, api_url: '{server.url}', credentials_file: creds.yaml}}\n")
    (tmp_path / "creds.yaml").write_text(f"token: {TOKEN}\n")
    rep = posture.tickets.sync(scan_stores(["a"]), make_sink("github", load_config(p)))
    assert rep.counts() == {"create": 1}
    p.write_text("nonsense: 1\n")
    with pytest.raises(InputError, match="nonsense: unknown field"):
        load_config(p)


def test_cli_sync_from_result_and_history(tmp_path, server, capsys):
    cfg = config_file(tmp_path, server, "github")
    result_json = tmp_path / "result.json"
    r = scan_stores(["a", "b"])
    result_json.write_text(json.dumps(r.to_dict()))
    writes_before = len([e for e in server.log if e["method"] != "GET"])
    assert main(["tickets", "sync", "--config", str(cfg), str(result_json), "--dry-run", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dry_run"] and out["counts"] == {"create": 2}
    assert len([e for e in server.log if e["method"] != "GET"]) == writes_before and not server.github
    assert main(["tickets", "sync", "--to", "github", "--config", str(cfg), str(result_json)]) == 0
    assert len(server.github) == 2
    db = tmp_path / "h.db"
    with posture.history.open(db) as h:
        h.record(scan_stores(["b"], ["a"]))
    assert main(["tickets", "sync", "--config", str(cfg), "--from-history", str(db)]) == 0
    err = capsys.readouterr().err
    assert "1 close" in err and TOKEN not in err
    with pytest.raises(SystemExit) as e:  # there is no --token option, on purpose
        main(["tickets", "sync", "--config", str(cfg), "--token", TOKEN, str(result_json)])
    assert e.value.code == 2 and "unrecognized arguments: --token" in capsys.readouterr().err
