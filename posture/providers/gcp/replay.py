"""Recorded Google API responses, served under the SDKs' own HTTP layers.

A :class:`Replay` holds routes loaded from JSON fixture files and answers
requests by method + path + query. It plugs in below the real clients:

- :meth:`Replay.adapter` is a ``requests`` transport adapter, mounted on the
  ``AuthorizedSession`` used by the google-cloud REST clients (compute, KMS,
  storage);
- :meth:`Replay.http` is an httplib2-compatible object for googleapiclient
  (Cloud SQL Admin, Resource Manager).

So deserialisation, paging and error mapping stay the SDKs' own. Fixture file
shape (every ``*.json`` under a directory is read)::

    {"routes": [
      {"method": "GET", "path": "/compute/v1/projects/p/global/firewalls",
       "query": {"pageToken": "t2"},              # optional; must be present in the request
       "status": 200, "headers": {}, "body": {...}},
      {"method": "GET", "path": "...", "responses": [   # served in order, the last one repeats
        {"status": 429, "headers": {"Retry-After": "1"}, "body": {...}}, {"status": 200, "body": {...}}]}
    ]}

``pageToken`` must match exactly (absent = absent), other fixture query
parameters must appear in the request; the most specific route wins. A request
without a route gets a Google-style 404 and is listed in :attr:`Replay.unmatched`.
"""

from __future__ import annotations

import io
import json
import os
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from posture.errors import InputError

_IGNORED_PARAMS = {"$alt", "alt", "prettyPrint"}


class Replay:
    """Serve recorded responses keyed by method + path + query (thread-safe)."""

    def __init__(self, routes: Iterable[Mapping[str, Any]]) -> None:
        self._routes = [dict(r) for r in routes]
        self._served = [0] * len(self._routes)
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        """Every request served, as ``(method, path?query)``."""
        self.unmatched: list[tuple[str, str]] = []
        """Requests no route matched (answered with 404)."""
        self.authorized = 0
        """How many requests carried an ``Authorization`` header (the value is never kept)."""

    @classmethod
    def from_directory(cls, path: str | os.PathLike[str]) -> Replay:
        """Load every ``*.json`` fixture file under ``path``; bad files are an InputError naming them."""
        root = Path(path)
        if not root.is_dir():
            raise InputError("replay fixture directory not found", where=str(root))
        routes: list[dict[str, Any]] = []
        for f in sorted(root.rglob("*.json")):
            try:
                doc = json.loads(f.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as e:
                raise InputError(f"cannot read replay fixture: {e}", where=str(f)) from None
            if not isinstance(doc, dict) or not isinstance(doc.get("routes"), list):
                raise InputError("a replay fixture must be an object with a 'routes' list", where=str(f))
            for i, r in enumerate(doc["routes"]):
                if not isinstance(r, dict) or "path" not in r:
                    raise InputError(f"routes[{i}] needs at least a 'path'", where=str(f))
                routes.append(r)
        return cls(routes)

    def respond(self, method: str, url: str,
                headers: Mapping[str, Any] | None = None) -> tuple[int, dict[str, str], bytes]:
        """The recorded ``(status, headers, body)`` for a request."""
        parts = urlsplit(url)
        query = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in _IGNORED_PARAMS}
        with self._lock:
            self.requests.append((method.upper(), f"{parts.path}?{parts.query}" if parts.query else parts.path))
            self.authorized += any(k.lower() == "authorization" for k in headers or {})
            best, best_score = None, -1
            for i, route in enumerate(self._routes):
                score = _match(route, method, parts.path, query)
                if score > best_score:
                    best, best_score = i, score
            if best is None:
                self.unmatched.append((method.upper(), url))
                body = {"error": {"code": 404, "message": f"no recorded response for {method} {parts.path}",
                                  "status": "NOT_FOUND", "errors": [{"reason": "notFound", "message": "not found"}]}}
                return 404, {"Content-Type": "application/json"}, json.dumps(body).encode()
            route = self._routes[best]
            responses = route.get("responses") or [route]
            answer = responses[min(self._served[best], len(responses) - 1)]
            self._served[best] += 1
        headers = {"Content-Type": "application/json"}
        headers.update({str(k): str(v) for k, v in (answer.get("headers") or {}).items()})
        body = answer.get("body", {})
        return int(answer.get("status", 200)), headers, json.dumps(body).encode()

    def adapter(self) -> Any:
        """A ``requests.adapters.BaseAdapter`` answering from this replay."""
        return _make_adapter(self)

    def http(self) -> ReplayHttp:
        """An httplib2-compatible object answering from this replay (for googleapiclient)."""
        return ReplayHttp(self)


def _match(route: Mapping[str, Any], method: str, path: str, query: Mapping[str, str]) -> int:
    if str(route.get("method", "GET")).upper() != method.upper() or route["path"] != path:
        return -1
    want = {str(k): str(v) for k, v in (route.get("query") or {}).items()}
    if want.get("pageToken") != query.get("pageToken"):
        return -1
    if any(query.get(k) != v for k, v in want.items()):
        return -1
    return len(want)


def _make_adapter(replay: Replay) -> Any:
    import requests
    from requests.adapters import BaseAdapter
    from requests.structures import CaseInsensitiveDict

    class ReplayAdapter(BaseAdapter):  # type: ignore[misc]
        """Answers ``requests`` calls from a :class:`Replay` instead of the network."""

        def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
                 verify: bool | str = True, cert: Any = None, proxies: Any = None) -> requests.Response:
            status, headers, body = replay.respond(request.method or "GET", request.url or "", request.headers)
            resp = requests.Response()
            resp.status_code = status
            resp.headers = CaseInsensitiveDict(headers)
            resp.raw = io.BytesIO(body)
            resp.url = request.url or ""
            resp.request = request
            resp.encoding = "utf-8"
            resp.reason = "OK" if status < 400 else "Error"
            return resp

        def close(self) -> None:
            pass

    return ReplayAdapter()


class ReplayHttp:
    """The subset of ``httplib2.Http`` that googleapiclient uses, answering from a :class:`Replay`."""

    def __init__(self, replay: Replay) -> None:
        self.replay = replay
        self.timeout = None

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = 5, connection_type: Any = None) -> tuple[Any, bytes]:
        import httplib2

        status, hdrs, content = self.replay.respond(method, uri, headers)
        info = {k.lower(): v for k, v in hdrs.items()}
        info["status"] = str(status)
        return httplib2.Response(info), content

    def close(self) -> None:
        pass
