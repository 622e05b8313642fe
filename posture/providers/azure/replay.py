"""Replay recorded Azure Resource Manager responses through the real SDK clients (a testing hook).

:class:`ReplayTransport` is an azure-core ``HttpTransport``: every ``azure-mgmt-*`` client built with
``transport=ReplayTransport(...)`` runs its own pipeline (auth header, retry policy honouring
``Retry-After``, paging through ``nextLink``, deserialisation, ``HttpResponseError`` mapping) and only
the socket is replaced by a lookup in recorded JSON files. Used by the tests and by
``POSTURE_AZURE_REPLAY=<dir> posture scan azure`` (see docs/azure.md).

Fixture files (``*.json`` anywhere under the directory) hold ``{"exchanges": [...]}``; an exchange is
``{"request": "GET /subscriptions/...?$skiptoken=2", "status": 200, "headers": {...}, "body": {...}}``.
Requests are matched on method, path (case-insensitive, as ARM is) and query without ``api-version``.
Several exchanges for one request are answered in order and the last one repeats (a 429 followed by
a 200). An unrecorded request gets a 404 ``ReplayMissing`` answer and is listed in ``unmatched``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.transport import HttpTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.core.utils import case_insensitive_dict

_REASONS = {200: "OK", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 429: "Too Many Requests",
            500: "Internal Server Error"}


def request_key(method: str, url: str) -> str:
    """The lookup key of a request: ``"GET /path?sorted&query"`` without ``api-version``."""
    parts = urlsplit(url)
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "api-version")
    qs = "&".join(f"{k}={v}" for k, v in query)
    return f"{method.upper()} {parts.path.rstrip('/').lower()}" + (f"?{qs}" if qs else "")


class ReplayResponse(HttpResponse):
    """A complete in-memory ``azure.core.rest.HttpResponse``."""

    def __init__(self, request: HttpRequest, status: int, body: bytes, headers: dict[str, str]) -> None:
        self._request, self._status, self._content = request, status, body
        self._headers = case_insensitive_dict({"Content-Type": "application/json", **headers})
        self._closed = False

    request = property(lambda self: self._request)
    status_code = property(lambda self: self._status)
    headers: MutableMapping[str, str] = property(lambda self: self._headers)  # type: ignore[assignment]
    reason = property(lambda self: _REASONS.get(self._status, ""))
    content_type = property(lambda self: self._headers.get("Content-Type"))
    is_closed = property(lambda self: self._closed)
    is_stream_consumed = property(lambda self: True)
    encoding = property(lambda self: "utf-8")
    url = property(lambda self: self._request.url)
    content = property(lambda self: self._content)

    def text(self, encoding: str | None = None) -> str:
        return self._content.decode(encoding or "utf-8")

    def json(self) -> Any:
        return json.loads(self._content) if self._content else None

    def body(self) -> bytes:  # legacy pipeline-response API, still called by some deserialisers
        return self._content

    def raise_for_status(self) -> None:
        if self._status >= 400:
            raise HttpResponseError(response=self)

    def __enter__(self) -> ReplayResponse:
        return self

    def __exit__(self, *args: Any) -> None:
        self.close()

    def close(self) -> None:
        self._closed = True

    def read(self) -> bytes:
        return self._content

    def iter_raw(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._content

    def iter_bytes(self, **kwargs: Any) -> Iterator[bytes]:
        yield self._content


class ReplayTransport(HttpTransport):  # type: ignore[type-arg]
    """Answers requests from recorded exchanges; records what was asked, and sleeps only on paper.

    ``requests`` lists the keys of every request sent, ``sleeps`` every delay the SDK's retry policy
    asked for (``Retry-After`` or backoff) - nothing actually sleeps - and ``unmatched`` the requests
    with no recording.
    """

    def __init__(self, exchanges: list[dict[str, Any]]) -> None:
        self._answers: dict[str, list[dict[str, Any]]] = {}
        for ex in exchanges:
            method, _, target = str(ex["request"]).partition(" ")
            self._answers.setdefault(request_key(method, "https://x" + target), []).append(ex)
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self.requests: list[str] = []
        self.sleeps: list[float] = []
        self.unmatched: list[str] = []

    @classmethod
    def from_directory(cls, directory: str | Path) -> ReplayTransport:
        """Load every ``*.json`` fixture file under ``directory`` (sorted, recursively)."""
        exchanges: list[dict[str, Any]] = []
        for path in sorted(Path(directory).rglob("*.json")):
            exchanges.extend(json.loads(path.read_text(encoding="utf-8"))["exchanges"])
        return cls(exchanges)

    def send(self, request: HttpRequest, **kwargs: Any) -> ReplayResponse:  # type: ignore[override]
        key = request_key(request.method, request.url)
        with self._lock:
            self.requests.append(key)
            answers = self._answers.get(key)
            if not answers:
                self.unmatched.append(key)
                body = {"error": {"code": "ReplayMissing", "message": f"no recorded response for {key}"}}
                return ReplayResponse(request, 404, json.dumps(body).encode(), {})
            n = self._served.get(key, 0)
            self._served[key] = n + 1
            ex = answers[min(n, len(answers) - 1)]
        raw = b"" if ex.get("body") is None else json.dumps(ex["body"]).encode()
        return ReplayResponse(request, int(ex.get("status", 200)), raw, dict(ex.get("headers") or {}))

    def sleep(self, duration: float) -> None:
        with self._lock:
            self.sleeps.append(duration)

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> ReplayTransport:
        return self

    def __exit__(self, *args: Any) -> None:
        pass


class StaticTokenCredential:
    """A TokenCredential (azure-core protocol) handing out a fixed, meaningless token: for replay only."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("replay-token", 4102444800)
