"""GitHub Issues sink (REST, ``X-GitHub-Api-Version: 2022-11-28``).

Issues carry the label ``posture`` (plus the scope label); the posture key and content digest are
a hidden marker at the end of the body. Listing follows ``Link: rel="next"`` pagination.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from posture.tickets import markup
from posture.tickets.http import HttpClient
from posture.tickets.model import Ticket, TicketItem

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GitHubSink:
    name = "github"

    def __init__(self, client: HttpClient, *, repo: str, labels: Sequence[str] = (), scope_label: str = "",
                 priority_labels: bool = True, page_size: int = 100) -> None:
        self.client = client
        self.repo = repo
        self.search_labels = ["posture", *([scope_label] if scope_label else [])]
        self.labels = [*self.search_labels, *labels]
        self.priority_labels = priority_labels
        self.page_size = page_size

    def search(self) -> dict[str, Ticket]:
        found: dict[str, Ticket] = {}
        url: str | None = self.client.url(f"/repos/{self.repo}/issues", {
            "state": "all", "labels": ",".join(self.search_labels), "per_page": self.page_size,
            "sort": "created", "direction": "asc"})
        while url:
            resp = self.client.request("GET", url)
            for issue in resp.json() or []:
                if "pull_request" in issue:
                    continue
                m = markup.KEY_RE.search(issue.get("body") or "")
                if m and m.group(1) not in found:
                    found[m.group(1)] = Ticket(str(issue["number"]), m.group(1), issue.get("state") == "open",
                                               m.group(2), issue.get("html_url", ""))
            nxt = _NEXT.search(resp.headers.get("link", ""))
            url = nxt.group(1) if nxt else None
        return found

    def _issue(self, item: TicketItem, priority: str) -> dict[str, Any]:
        labels = [*self.labels, f"severity:{item.severity.value}"]
        if self.priority_labels:
            labels.append(f"priority:{priority}")
        return {"title": item.title, "body": markup.markdown(item.blocks(), item.key, item.digest), "labels": labels}

    def create(self, item: TicketItem, priority: str) -> Ticket:
        issue = self.client.request("POST", f"/repos/{self.repo}/issues", body=self._issue(item, priority)).json()
        return Ticket(str(issue["number"]), item.key, True, item.digest, issue.get("html_url", ""))

    def update(self, ticket: Ticket, item: TicketItem, priority: str) -> None:
        self.client.request("PATCH", f"/repos/{self.repo}/issues/{ticket.id}", body=self._issue(item, priority))

    def comment(self, ticket: Ticket, text: str) -> None:
        self.client.request("POST", f"/repos/{self.repo}/issues/{ticket.id}/comments",
                            body={"body": markup.md_escape(text)})

    def close(self, ticket: Ticket) -> None:
        self.client.request("PATCH", f"/repos/{self.repo}/issues/{ticket.id}",
                            body={"state": "closed", "state_reason": "completed"})

    def reopen(self, ticket: Ticket) -> None:
        self.client.request("PATCH", f"/repos/{self.repo}/issues/{ticket.id}", body={"state": "open"})
