"""The ticket config file (YAML or JSON) and the sinks built from it.

Tokens come only from environment variables or a credentials file named in the config: never
from the command line and never from the config itself (a config with a token in it is refused,
since configs get committed). Reference and examples: docs/tickets.md.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from posture import inputs
from posture.errors import InputError
from posture.model import Severity
from posture.tickets.http import HttpClient
from posture.tickets.model import DEFAULT_PRIORITY, GROUP_BY, TicketSink

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


def _http_url(value: str) -> str:
    """An http(s) URL with a host and a valid port: anything else would fail deep in the HTTP client."""
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("a URL cannot contain spaces or control characters")
    try:
        parts = urllib.parse.urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError as e:
        raise ValueError(f"not a valid URL: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL with a host")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token_env: str | None = None
    user_env: str | None = None
    credentials_file: str | None = None
    labels: list[str] | None = None


class _Jira(_Section):
    url: HttpUrl | None = None
    project: str | None = None
    api: Literal["cloud", "server"] | None = None
    issue_type: str | None = None
    close_transition: str | None = None
    reopen_transition: str | None = None


class _GitHub(_Section):
    repo: str | None = None
    api_url: HttpUrl | None = None
    priority_labels: bool | None = None


class _Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: HttpUrl | None = None
    secret_env: str | None = None
    token_env: str | None = None
    credentials_file: str | None = None
    state_file: str | None = None
    message: Any = None  # events | slack | teams: checked with its own message where the sink is built
    top: Any = None  # findings in a chat digest (1-50), checked there too


class _ConfigFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: Literal["", "jira", "github", "webhook"] = ""
    group_by: Literal[GROUP_BY] = "fingerprint"  # type: ignore[valid-type]
    min_severity: Severity = Severity.INFO
    include_unverified: bool = False
    priority: dict[Severity, str] = Field(default_factory=dict)
    scope: str = ""
    max_retries: int = Field(5, ge=0, le=100)
    max_retry_wait: float = Field(60.0, ge=0)
    min_interval: float = Field(0.0, ge=0)
    timeout: float = Field(30.0, gt=0)
    jira: _Jira | None = None
    github: _GitHub | None = None
    webhook: _Webhook | None = None


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str = ""
    secret: str = ""
    user: str = ""
    email: str = ""


def load_config(path: str | os.PathLike[str]) -> TicketConfig:
    """Read and validate a ticket config file (YAML or JSON); errors name ``file:line: field``."""
    p = Path(path)
    data = inputs.load_yaml(p, "config", "ticket config") or {}
    if not isinstance(data, Mapping):
        raise InputError("the ticket config must be a mapping", where=str(p))
    for name in SINKS:  # said before validation: the specific advice beats "unknown field"
        section = data.get(name) or {}
        leaked = sorted(k for k in section if str(k).lower() in _SECRET_KEYS) if isinstance(section, Mapping) else []
        if leaked:
            raise InputError(f"{name}.{leaked[0]}: never put tokens in the config; name an environment variable "
                             f"(token_env) or a credentials_file instead",
                             where=f"{p}:{inputs.line_of(data, (name, leaked[0]))}")
    spec = inputs.validate(data, _ConfigFile, str(p))
    return TicketConfig(
        path=p, to=spec.to, group_by=spec.group_by, min_severity=spec.min_severity,
        include_unverified=spec.include_unverified,
        priority={**DEFAULT_PRIORITY, **{k.value: v for k, v in spec.priority.items()}}, scope=spec.scope,
        max_retries=spec.max_retries, max_retry_wait=spec.max_retry_wait, min_interval=spec.min_interval,
        timeout=spec.timeout,
        sinks={n: m.model_dump(exclude_none=True) for n in SINKS if (m := getattr(spec, n)) is not None},
    )


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
        creds = inputs.validate(inputs.load_yaml(cp, "config", "credentials file") or {}, _Credentials, str(cp))
        token = creds.token or creds.secret
        user = creds.user or creds.email
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
