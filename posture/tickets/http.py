"""A small JSON-over-HTTP client (stdlib urllib) with bounded retries and rate-limit handling.

urllib keeps the ticket sinks dependency-free. Retries: 429 and 503 honour ``Retry-After``
(seconds or an HTTP date); GitHub's exhausted primary limit (403 + ``X-RateLimit-Remaining: 0``)
waits for ``X-RateLimit-Reset``; other 5xx back off exponentially. Every wait is capped by
``max_wait`` (a longer ``Retry-After`` is an error, not a hang) and attempts by ``max_retries``.
A dropped connection is retried only for GET: a POST may have been applied, and the next sync
finds its result by searching, so it is never blindly repeated. Errors never include headers,
so tokens cannot leak into messages or logs.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from posture.errors import PostureError


class TicketError(PostureError):
    """A ticket system refused or failed a call (one line, no secrets)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body.decode("utf-8")) if self.body.strip() else None


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


class HttpClient:
    """JSON requests against one base URL with fixed headers (auth included)."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        name: str,
        max_retries: int = 5,
        max_wait: float = 60.0,
        min_interval: float = 0.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = dict(headers)
        self.name = name
        self.max_retries = max_retries
        self.max_wait = max_wait
        self.min_interval = min_interval
        self.timeout = timeout
        self._sleep = sleep
        self._last = 0.0
        self.calls = 0

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return url

    def request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None, body: Any = None,
                data: bytes | None = None, headers: Mapping[str, str] | None = None) -> Response:
        url = self.url(path, params)
        where = f"{self.name} {method} {urllib.parse.urlsplit(url).path}"
        payload = data if data is not None else (json.dumps(body).encode("utf-8") if body is not None else None)
        hdrs = {"Accept": "application/json", "User-Agent": "posture", **self._headers, **(headers or {})}
        if payload is not None:
            hdrs.setdefault("Content-Type", "application/json")
        attempt = 0
        while True:
            attempt += 1
            self._pace()
            try:
                resp = self._send(method, url, payload, hdrs)
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, TimeoutError) as e:
                reason = getattr(e, "reason", None) or type(e).__name__
                if method == "GET" and attempt <= self.max_retries:
                    self._sleep(min(2.0 ** (attempt - 1) * 0.25, self.max_wait))
                    continue
                raise TicketError(f"{where}: connection failed ({reason}); nothing is lost, "
                                  "the next sync resumes from the ticket system's state") from None
            wait = self._should_retry(resp)
            if wait is not None and attempt <= self.max_retries:
                if wait > self.max_wait:
                    raise TicketError(f"{where}: rate limited for {wait:.0f}s, more than max_retry_wait "
                                      f"{self.max_wait:.0f}s; try again later")
                self._sleep(wait if wait >= 0 else min(2.0 ** (attempt - 1) * 0.5, self.max_wait))
                continue
            if resp.status in (401, 403):
                raise TicketError(f"{where}: authentication failed or forbidden (HTTP {resp.status}); check the "
                                  "credentials named in the config and their permissions")
            if resp.status >= 400:
                raise TicketError(f"{where}: HTTP {resp.status}: {_error_text(resp)}")
            return resp

    def _send(self, method: str, url: str, payload: bytes | None, headers: Mapping[str, str]) -> Response:
        self.calls += 1
        req = urllib.request.Request(url, data=payload, method=method, headers=dict(headers))
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, {k.lower(): v for k, v in (e.headers or {}).items()}, e.read() or b"")

    def _should_retry(self, resp: Response) -> float | None:
        """Seconds to wait before retrying (-1: exponential backoff), or None for no retry."""
        now = time.time()
        if resp.status in (429, 503):
            after = _retry_after(resp.headers.get("retry-after"), now)
            return after if after is not None else -1
        if resp.status == 403 and resp.headers.get("x-ratelimit-remaining") == "0":
            reset = resp.headers.get("x-ratelimit-reset", "")
            return max(0.0, float(reset) - now) if reset.isdigit() else -1
        if resp.status in (500, 502, 504):
            return -1
        return None

    def _pace(self) -> None:
        if self.min_interval:
            gap = self.min_interval - (time.monotonic() - self._last)
            if gap > 0:
                self._sleep(gap)
        self._last = time.monotonic()


def _error_text(resp: Response) -> str:
    try:
        doc = resp.json()
    except ValueError:
        doc = None
    if isinstance(doc, dict):
        msgs = doc.get("errorMessages") or doc.get("message") or doc.get("errors") or doc
        text = json.dumps(msgs) if not isinstance(msgs, str) else msgs
    else:
        text = resp.body.decode("utf-8", "replace")
    return " ".join(text.split())[:200]
