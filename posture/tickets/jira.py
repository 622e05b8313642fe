"""Jira sink: Cloud (REST v3, ADF descriptions, ``/search/jql`` with page tokens) and Server/Data
Center (REST v2, wiki markup, ``/search`` with ``startAt``).

Each ticket carries the labels ``posture`` and ``posture-<key>`` (plus the optional scope label);
its description ends with ``posture-digest: <digest>``, so a re-run knows whether it changed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from posture.tickets import markup
from posture.tickets.http import HttpClient, TicketError
from posture.tickets.model import Ticket, TicketItem

_FIELDS = "labels,status,description"


class JiraSink:
    name = "jira"

    def __init__(self, client: HttpClient, *, project: str, api: str = "cloud", issue_type: str = "Bug",
                 labels: Sequence[str] = (), scope_label: str = "", close_transition: str = "",
                 reopen_transition: str = "", page_size: int = 50) -> None:
        if api not in ("cloud", "server"):
            raise TicketError(f"jira api must be cloud or server, not {api!r}")
        self.client = client
        self.project = project
        self.cloud = api == "cloud"
        self.v = "3" if self.cloud else "2"
        self.issue_type = issue_type
        self.scope_label = scope_label
        self.labels = ["posture", *([scope_label] if scope_label else []), *labels]
        self.close_transition = close_transition
        self.reopen_transition = reopen_transition
        self.page_size = page_size

    def _jql(self) -> str:
        jql = f'project = "{self.project}" AND labels = "posture"'
        if self.scope_label:
            jql += f' AND labels = "{self.scope_label}"'
        return jql + " ORDER BY created ASC"

    def _pages(self) -> Any:
        if self.cloud:
            token = None
            while True:
                params: dict[str, Any] = {"jql": self._jql(), "fields": _FIELDS, "maxResults": self.page_size}
                if token:
                    params["nextPageToken"] = token
                page = self.client.request("GET", "/rest/api/3/search/jql", params=params).json()
                yield from page.get("issues", [])
                token = page.get("nextPageToken")
                if page.get("isLast") or not token:
                    return
        else:
            start = 0
            while True:
                page = self.client.request("GET", "/rest/api/2/search", params={
                    "jql": self._jql(), "fields": _FIELDS, "startAt": start, "maxResults": self.page_size}).json()
                issues = page.get("issues", [])
                yield from issues
                start += len(issues)
                if not issues or start >= int(page.get("total", 0)):
                    return

    def search(self) -> dict[str, Ticket]:
        found: dict[str, Ticket] = {}
        for issue in self._pages():
            fields = issue.get("fields") or {}
            keys = [lb[len("posture-"):] for lb in fields.get("labels") or [] if _is_key_label(lb)]
            if not keys:
                continue
            category = ((fields.get("status") or {}).get("statusCategory") or {}).get("key", "")
            digest = markup.DIGEST_RE.search(json.dumps(fields.get("description")))
            found[keys[0]] = Ticket(str(issue["key"]), keys[0], category != "done", digest.group(1) if digest else "",
                                    f"{self.client.base_url}/browse/{issue['key']}")
        return found

    def _fields(self, item: TicketItem, priority: str) -> dict[str, Any]:
        body = markup.adf if self.cloud else markup.wiki
        return {"summary": item.title, "description": body(item.blocks(), item.key, item.digest),
                "labels": [*self.labels, f"posture-{item.key}", f"severity-{item.severity.value}"],
                "priority": {"name": priority}}

    def create(self, item: TicketItem, priority: str) -> Ticket:
        fields = {"project": {"key": self.project}, "issuetype": {"name": self.issue_type},
                  **self._fields(item, priority)}
        created = self.client.request("POST", f"/rest/api/{self.v}/issue", body={"fields": fields}).json()
        return Ticket(str(created["key"]), item.key, True, item.digest)

    def update(self, ticket: Ticket, item: TicketItem, priority: str) -> None:
        self.client.request("PUT", f"/rest/api/{self.v}/issue/{ticket.id}", body={"fields": self._fields(item,
                                                                                                          priority)})

    def comment(self, ticket: Ticket, text: str) -> None:
        body: Any = markup.adf_comment(text) if self.cloud else markup.wiki_escape(text)
        self.client.request("POST", f"/rest/api/{self.v}/issue/{ticket.id}/comment", body={"body": body})

    def _transition(self, ticket: Ticket, wanted: str, done: bool) -> None:
        path = f"/rest/api/{self.v}/issue/{ticket.id}/transitions"
        options = self.client.request("GET", path).json().get("transitions", [])

        def category(t: Mapping[str, Any]) -> str:
            return str(((t.get("to") or {}).get("statusCategory") or {}).get("key", ""))

        if wanted:
            chosen = [t for t in options if t.get("name", "").lower() == wanted.lower()]
        elif done:
            chosen = [t for t in options if category(t) == "done"]
        else:
            chosen = sorted((t for t in options if category(t) in ("new", "indeterminate")),
                            key=lambda t: category(t) != "new")
        if not chosen:
            names = ", ".join(t.get("name", "?") for t in options) or "none"
            raise TicketError(f"jira {ticket.id}: no transition to {'close' if done else 'reopen'} "
                              f"(available: {names}); set {'close' if done else 'reopen'}_transition in the config")
        self.client.request("POST", path, body={"transition": {"id": chosen[0]["id"]}})

    def close(self, ticket: Ticket) -> None:
        self._transition(ticket, self.close_transition, done=True)

    def reopen(self, ticket: Ticket) -> None:
        self._transition(ticket, self.reopen_transition, done=False)


def _is_key_label(label: str) -> bool:
    rest = label[len("posture-"):] if label.startswith("posture-") else ""
    return len(rest) == 32 and all(c in "0123456789abcdef" for c in rest)
