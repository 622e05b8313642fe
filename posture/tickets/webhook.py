"""Generic webhook sink: one JSON POST per ticket event, signed with HMAC-SHA256.

Header ``X-Posture-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`` and
``X-Posture-Event: ticket.create|ticket.update|ticket.comment|ticket.close|ticket.reopen``.
A webhook cannot be searched, so the sink remembers what it sent in a small JSON state file
(written atomically after each acknowledged POST); the receiver should treat ``key`` as the
identity of a ticket (events may be delivered twice after a crash, never lost).

With ``message="slack"`` or ``"teams"`` the sink posts one chat message per sync instead
(:mod:`posture.tickets.chat`: a summary line plus the top findings), keeping the same state so a
message says what is new and what was resolved since the last one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from posture import inputs
from posture.errors import InputError
from posture.tickets import markup
from posture.tickets.http import HttpClient
from posture.tickets.model import Action, Ticket, TicketItem


def signature(secret: bytes, body: bytes) -> str:
    """The ``X-Posture-Signature`` header value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookSink:
    name = "webhook"

    def __init__(self, client: HttpClient, *, secret: bytes, state_file: Path, message: str = "events",
                 top: int = 10) -> None:
        self.client = client
        self.secret = secret
        self.state_file = state_file
        self.message = message
        self.top = top
        self._state = self._load()

    def _load(self) -> dict[str, dict[str, Any]]:
        if inputs.check_file(self.state_file, "webhook state") is None:
            return {}
        data = inputs.load_json(self.state_file, "result", "webhook state")
        tickets = data.get("tickets", {}) if isinstance(data, dict) else None
        if not isinstance(tickets, dict):
            raise InputError("cannot read webhook state: expected {\"tickets\": {...}}", where=str(self.state_file))
        return dict(tickets)

    def _save(self) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".posture-webhook-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"version": 1, "tickets": self._state}, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.state_file)

    def _post(self, event: str, key: str, payload: dict[str, Any]) -> None:
        if self.message != "events":  # chat shapes send one digest in finish()
            return
        self._send(event, {"event": event, "key": key, **payload})

    def _send(self, event: str, doc: dict[str, Any]) -> None:
        body = json.dumps(doc, sort_keys=True).encode("utf-8")
        headers = {"X-Posture-Event": event}
        if self.secret:
            headers["X-Posture-Signature"] = signature(self.secret, body)
        self.client.request("POST", "", data=body, headers=headers)

    def finish(self, items: dict[str, TicketItem], actions: list[Action]) -> None:
        """After a sync: with a chat shape, post the digest (summary plus the top findings)."""
        if self.message == "events":
            return
        from posture.tickets.chat import message

        self._send("digest", message(self.message, items, actions, limit=self.top))

    def search(self) -> dict[str, Ticket]:
        return {k: Ticket(k, k, bool(v.get("open")), str(v.get("digest", ""))) for k, v in self._state.items()}

    def _payload(self, item: TicketItem, priority: str) -> dict[str, Any]:
        return {"title": item.title, "severity": item.severity.value, "priority": priority, "digest": item.digest,
                "body": markup.markdown(item.blocks(), item.key, item.digest), "findings": list(item.findings)}

    def _set(self, key: str, **values: Any) -> None:
        self._state[key] = {**self._state.get(key, {}), **values}
        self._save()

    def create(self, item: TicketItem, priority: str) -> Ticket:
        self._post("ticket.create", item.key, self._payload(item, priority))
        self._set(item.key, open=True, digest=item.digest)
        return Ticket(item.key, item.key, True, item.digest)

    def update(self, ticket: Ticket, item: TicketItem, priority: str) -> None:
        self._post("ticket.update", item.key, self._payload(item, priority))
        self._set(item.key, digest=item.digest)

    def comment(self, ticket: Ticket, text: str) -> None:
        self._post("ticket.comment", ticket.key, {"comment": text})

    def close(self, ticket: Ticket) -> None:
        self._post("ticket.close", ticket.key, {})
        self._set(ticket.key, open=False)

    def reopen(self, ticket: Ticket) -> None:
        self._post("ticket.reopen", ticket.key, {})
        self._set(ticket.key, open=True)
