"""A local HTTP server (127.0.0.1, a thread) speaking the subset of the Jira and GitHub REST APIs
that posture's ticket sinks use, with state, pagination, auth and injected faults
(429 + Retry-After, 5xx, 401, dropped connections before or after a request is applied).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

STATUSES = {"11": ("To Do", "new"), "21": ("In Progress", "indeterminate"), "31": ("Done", "done")}


class TicketServer:
    def __init__(self, token: str = "tok-SECRET-123", page_size: int = 2, webhook_secret: bytes = b"") -> None:
        self.token = token
        self.page_size = page_size
        self.webhook_secret = webhook_secret
        self.lock = threading.Lock()
        self.reset()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _handle(self) -> None:
                server._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = _handle

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        self.jira: dict[str, dict[str, Any]] = {}
        self.github: dict[int, dict[str, Any]] = {}
        self.webhook_events: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.log: list[dict[str, Any]] = []

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, method: str | None = None, path: str = "", *, status: int = 0, headers: dict | None = None,
             drop: str = "", times: int = 1, skip: int = 0) -> None:
        """Inject a fault for the next matching request(s) after ``skip`` good ones: a status, or
        drop="before"/"after" applying the request."""
        for _ in range(times):
            self.faults.append({"method": method, "path": path, "status": status, "headers": headers or {},
                                "drop": drop, "skip": skip})

    # ------------------------------------------------------------------ plumbing
    def _dispatch(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        parts = urllib.parse.urlsplit(h.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(parts.query).items()}
        with self.lock:
            self.log.append({"method": h.command, "path": parts.path, "query": query, "body": raw.decode("utf-8"),
                             "headers": dict(h.headers)})
            fault = next((f for f in self.faults if (f["method"] in (None, h.command))
                          and parts.path.startswith(f["path"])), None)
            if fault and fault["skip"]:
                fault["skip"] -= 1
                fault = None
            elif fault:
                self.faults.remove(fault)
        if fault and fault["drop"] == "before":
            return self._drop(h)
        if fault and fault["status"]:
            return self._send(h, fault["status"], {"message": "injected"}, fault["headers"])
        if not self._authorised(h, parts.path, raw):
            return self._send(h, 401, {"message": "Bad credentials"})
        body = json.loads(raw) if raw else None
        with self.lock:
            status, doc, headers = self._route(h.command, parts.path, query, body)
        if fault and fault["drop"] == "after":
            return self._drop(h)
        self._send(h, status, doc, headers)

    def _authorised(self, h: BaseHTTPRequestHandler, path: str, raw: bytes) -> bool:
        if path.startswith("/hook"):
            sig = "sha256=" + hmac.new(self.webhook_secret, raw, hashlib.sha256).hexdigest()
            return hmac.compare_digest(sig, h.headers.get("X-Posture-Signature", ""))
        auth = h.headers.get("Authorization", "")
        return auth == f"Bearer {self.token}" or (auth.startswith("Basic ") and
                                                   base64.b64decode(auth[6:]).decode().endswith(":" + self.token))

    @staticmethod
    def _drop(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        h.connection.shutdown(2)

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, doc: Any, headers: dict | None = None) -> None:
        data = json.dumps(doc).encode() if doc is not None else b""
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    # ------------------------------------------------------------------ API subset
    def _route(self, method: str, path: str, q: dict, body: Any) -> tuple[int, Any, dict]:
        if path.startswith("/hook"):
            self.webhook_events.append(body)
            return 204, None, {}
        m = re.fullmatch(r"/rest/api/([23])/(.*)", path)
        if m:
            return self._jira(method, m.group(1), m.group(2), q, body)
        m = re.fullmatch(r"/repos/([^/]+/[^/]+)/issues(?:/(\d+))?(/comments)?", path)
        if m:
            return self._github(method, m.group(2), bool(m.group(3)), q, body)
        return 404, {"message": "not found"}, {}

    def _jira(self, method: str, v: str, rest: str, q: dict, body: Any) -> tuple[int, Any, dict]:
        if method == "GET" and rest in ("search/jql", "search"):
            if (rest == "search/jql") != (v == "3"):
                return 410, {"errorMessages": ["wrong search endpoint for this API version"]}, {}
            project = re.search(r'project = "([^"]+)"', q["jql"]).group(1)
            labels = set(re.findall(r'labels = "([^"]+)"', q["jql"]))
            hits = [i for i in self.jira.values() if i["fields"]["project"]["key"] == project
                    and labels <= set(i["fields"]["labels"])]
            size = min(int(q.get("maxResults", 50)), self.page_size)
            start = int(q.get("nextPageToken") or q.get("startAt") or 0)
            page = [self._jira_view(i, v) for i in hits[start:start + size]]
            if v == "3":
                more = start + size < len(hits)
                return 200, {"issues": page, "isLast": not more,
                             **({"nextPageToken": str(start + size)} if more else {})}, {}
            return 200, {"issues": page, "startAt": start, "maxResults": size, "total": len(hits)}, {}
        if method == "POST" and rest == "issue":
            f = body["fields"]
            self._check_description(v, f["description"])
            key = f"{f['project']['key']}-{len(self.jira) + 1}"
            self.jira[key] = {"key": key, "fields": {**f, "status": "11"}, "comments": [], "v": v}
            return 201, {"id": str(len(self.jira)), "key": key}, {}
        m = re.fullmatch(r"issue/([A-Z]+-\d+)(/comment|/transitions)?", rest)
        if not m or m.group(1) not in self.jira:
            return 404, {"errorMessages": ["Issue does not exist"]}, {}
        issue = self.jira[m.group(1)]
        if m.group(2) is None and method == "PUT":
            self._check_description(v, body["fields"]["description"])
            issue["fields"].update(body["fields"])
            return 204, None, {}
        if m.group(2) == "/comment" and method == "POST":
            issue["comments"].append(body["body"])
            return 201, {"id": str(len(issue["comments"]))}, {}
        if m.group(2) == "/transitions" and method == "GET":
            return 200, {"transitions": [{"id": tid, "name": name, "to": {"statusCategory": {"key": cat}}}
                                         for tid, (name, cat) in STATUSES.items()
                                         if tid != issue["fields"]["status"]]}, {}
        if m.group(2) == "/transitions" and method == "POST":
            issue["fields"]["status"] = body["transition"]["id"]
            return 204, None, {}
        return 405, {"errorMessages": ["method not allowed"]}, {}

    @staticmethod
    def _check_description(v: str, desc: Any) -> None:
        assert (isinstance(desc, dict) and desc.get("type") == "doc") if v == "3" else isinstance(desc, str)

    @staticmethod
    def _jira_view(issue: dict, v: str) -> dict:
        f = issue["fields"]
        name, cat = STATUSES[f["status"]]
        return {"key": issue["key"], "fields": {"labels": f["labels"], "description": f["description"],
                                                "status": {"name": name, "statusCategory": {"key": cat}}}}

    def _github(self, method: str, number: str | None, comments: bool, q: dict, body: Any) -> tuple[int, Any, dict]:
        if number is None and method == "GET":
            want = set(filter(None, q.get("labels", "").split(",")))
            hits = [i for i in self.github.values() if want <= set(i["labels"])
                    and (q.get("state", "open") == "all" or i["state"] == q.get("state", "open"))]
            size = min(int(q.get("per_page", 30)), self.page_size)
            page = int(q.get("page", 1))
            headers = {}
            if page * size < len(hits):
                nxt = urllib.parse.urlencode({**q, "page": page + 1})
                headers["Link"] = f'<{self.url}/repos/o/r/issues?{nxt}>; rel="next"'
            return 200, [self._gh_view(i) for i in hits[(page - 1) * size:page * size]], headers
        if number is None and method == "POST":
            n = len(self.github) + 1
            self.github[n] = {"number": n, "title": body["title"], "body": body["body"], "labels": body["labels"],
                              "state": "open", "comments": []}
            return 201, self._gh_view(self.github[n]), {}
        issue = self.github.get(int(number or 0))
        if issue is None:
            return 404, {"message": "Not Found"}, {}
        if comments and method == "POST":
            issue["comments"].append(body["body"])
            return 201, {"id": len(issue["comments"])}, {}
        if method == "PATCH":
            issue.update({k: v for k, v in body.items() if k in ("title", "body", "labels", "state")})
            return 200, self._gh_view(issue), {}
        return 405, {"message": "method not allowed"}, {}

    def _gh_view(self, issue: dict) -> dict:
        return {"number": issue["number"], "title": issue["title"], "body": issue["body"], "state": issue["state"],
                "labels": [{"name": n} for n in issue["labels"]],
                "html_url": f"{self.url}/o/r/issues/{issue['number']}"}
