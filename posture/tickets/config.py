"""The ticket config file (YAML or JSON) and the sinks built from it.

Tokens come only from environment variables or a credentials file named in the config: never
from the command line and never from the config itself (a config with a token in it is refused,
since configs get committed). Reference and examples: docs/tickets.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posture.errors import InputError
from posture.model import Severity
from posture.tickets.http import HttpClient
from posture.tickets.model import DEFAULT_PRIORITY, GROUP_BY, TicketSink
from posture.yamlfile import read_yaml

SINKS = ("jira", "github", "webhook")
_SECRET_KEYS = {"token", "api_token", "password", "secret", "pat", "private_token"}
_DEFAULT_ENV = {"jira": ("JIRA_USER", "JIRA_API_TOKEN"), "github": ("", "GITHUB_TOKEN"),
                "webhook": ("", "POSTURE_WEBHOOK_SECRET")}


@dataclass(frozen=True)
class TicketConfig:
    """Parsed config: sync policy plus one section per sink."""

    path: Path
    to: str = ""
    group_by: str = "fingerprint"
    min_severity: Severity = Severity.INFO
    include_unverified: bool = False
    priority: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PRIORITY))
    scope: str = ""
    max_retries: int = 5
    max_retry_wait: float = 60.0
    min_interval: float = 0.0
    timeout: float = 30.0
    sinks: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def section(self, name: str) -> Mapping[str, Any]:
        if name not in self.sinks:
            raise InputError(f"no {name}: section", where=str(self.path))
        return self.sinks[name]


def load_config(path: str | os.PathLike[str]) -> TicketConfig:
    """Read and validate a ticket config file."""
    p = Path(path)
    data = read_yaml(p, "ticket config") or {}
    if not isinstance(data, Mapping):
        raise InputError("the ticket config must be a mapping", where=str(p))
    known = {"to", "group_by", "min_severity", "include_unverified", "priority", "scope", "max_retries",
             "max_retry_wait", "min_interval", "timeout", *SINKS}
    for key in data:
        if key not in known:
            raise InputError(f"unknown field {key!r}", where=f"{p}: {key}")
    for name in SINKS:
        section = data.get(name) or {}
        if not isinstance(section, Mapping):
            raise InputError("must be a mapping", where=f"{p}: {name}")
        leaked = sorted(k for k in section if str(k).lower() in _SECRET_KEYS)
        if leaked:
            raise InputError(f"{name}.{leaked[0]}: never put tokens in the config; name an environment variable "
                             f"(token_env) or a credentials_file instead", where=str(p))
    try:
        group_by = str(data.get("group_by", "fingerprint"))
        if group_by not in GROUP_BY:
            raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
        priority = {**DEFAULT_PRIORITY, **{str(k): str(v) for k, v in (data.get("priority") or {}).items()}}
        if set(priority) - {s.value for s in Severity}:
            raise ValueError("priority keys must be severities (critical, high, medium, low, info)")
        return TicketConfig(
            path=p, to=str(data.get("to", "")), group_by=group_by,
            min_severity=Severity(data.get("min_severity", "info")),
            include_unverified=bool(data.get("include_unverified", False)), priority=priority,
            scope=str(data.get("scope", "")), max_retries=int(data.get("max_retries", 5)),
            max_retry_wait=float(data.get("max_retry_wait", 60)), min_interval=float(data.get("min_interval", 0)),
            timeout=float(data.get("timeout", 30)),
            sinks={n: dict(data[n]) for n in SINKS if data.get(n)},
        )
    except (TypeError, ValueError) as e:
        raise InputError(str(e), where=str(p)) from None


def _credentials(config: TicketConfig, name: str, env: Mapping[str, str]) -> tuple[str, str]:
    """(user, token) for a sink: from its credentials_file, else from the environment."""
    section = config.section(name)
    user_env, token_env = _DEFAULT_ENV[name]
    user_env = str(section.get("user_env", user_env))
    token_env = str(section.get("token_env", section.get("secret_env", token_env)))
    cred_file = section.get("credentials_file")
    if cred_file:
        cp = Path(os.path.expanduser(str(cred_file)))
        cp = cp if cp.is_absolute() else config.path.parent / cp
        creds = read_yaml(cp, "credentials file") or {}
        token = str(creds.get("token") or creds.get("secret") or "")
        user = str(creds.get("user") or creds.get("email") or "")
        if not token:
            raise InputError("no token (or secret) in the credentials file", where=str(cp))
        return user, token
    token = env.get(token_env, "")
    if not token:
        raise InputError(f"{name}: set the {token_env} environment variable or a credentials_file in the config",
                         where=str(config.path))
    return env.get(user_env, "") if user_env else "", token


def _has_secret(section: Mapping[str, Any], env: Mapping[str, str] | None) -> bool:
    names = str(section.get("token_env", section.get("secret_env", _DEFAULT_ENV["webhook"][1])))
    return bool(section.get("credentials_file") or (os.environ if env is None else env).get(names))


def make_sink(name: str, config: TicketConfig, *, env: Mapping[str, str] | None = None,
              sleep: Callable[[float], None] | None = None) -> TicketSink:
    """Build the ``jira``, ``github`` or ``webhook`` sink described by ``config``."""
    import base64

    if name not in SINKS:
        raise InputError(f"unknown ticket system {name!r} (jira, github or webhook)")
    section = config.section(name)
    if name == "webhook" and section.get("message", "events") != "events" and not _has_secret(section, env):
        user, token = "", ""  # Slack and Teams webhook URLs carry their own secret; signing is optional
    else:
        user, token = _credentials(config, name, os.environ if env is None else env)
    scope_label = f"posture-scope-{config.scope}" if config.scope else ""
    extra = {"sleep": sleep} if sleep else {}

    def client(base: str, headers: Mapping[str, str]) -> HttpClient:
        return HttpClient(base, headers, name=name, max_retries=config.max_retries, max_wait=config.max_retry_wait,
                          min_interval=config.min_interval, timeout=config.timeout, **extra)

    def need(key: str) -> str:
        if not section.get(key):
            raise InputError(f"{name}.{key} is required", where=str(config.path))
        return str(section[key])

    if name == "jira":
        from posture.tickets.jira import JiraSink

        api = str(section.get("api", "cloud"))
        if user:
            auth = "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")
        elif api == "cloud":
            raise InputError(f"jira: Jira Cloud needs the account e-mail in {section.get('user_env', 'JIRA_USER')} "
                             "or the credentials file", where=str(config.path))
        else:
            auth = f"Bearer {token}"  # Server/Data Center personal access token
        return JiraSink(client(need("url"), {"Authorization": auth}), project=need("project"), api=api,
                        issue_type=str(section.get("issue_type", "Bug")), labels=list(section.get("labels", [])),
                        scope_label=scope_label, close_transition=str(section.get("close_transition", "")),
                        reopen_transition=str(section.get("reopen_transition", "")))
    if name == "github":
        from posture.tickets.github import GitHubSink

        headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                   "X-GitHub-Api-Version": "2022-11-28"}
        return GitHubSink(client(str(section.get("api_url", "https://api.github.com")), headers), repo=need("repo"),
                          labels=list(section.get("labels", [])), scope_label=scope_label,
                          priority_labels=bool(section.get("priority_labels", True)))
    from posture.tickets.chat import SHAPES
    from posture.tickets.webhook import WebhookSink

    shape = str(section.get("message", "events"))
    if shape not in ("events", *SHAPES):
        raise InputError(f"webhook.message must be events, {' or '.join(SHAPES)}, got {shape!r}",
                         where=str(config.path))
    top = section.get("top", 10)
    if not isinstance(top, int) or isinstance(top, bool) or not 1 <= top <= 50:
        raise InputError(f"webhook.top must be an integer from 1 to 50, got {top!r}", where=str(config.path))
    state = Path(os.path.expanduser(str(section.get("state_file", ".posture-webhook-state.json"))))
    return WebhookSink(client(need("url"), {}), secret=token.encode("utf-8"), message=shape, top=top,
                       state_file=state if state.is_absolute() else config.path.parent / state)
