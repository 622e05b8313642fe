"""Tickets: open, update, close and reopen tickets for findings in Jira, GitHub Issues or a webhook.

>>> import posture.tickets
>>> from posture.tickets.config import load_config, make_sink
>>> sink = make_sink("github", load_config("tickets.yaml"))          # doctest: +SKIP
>>> report = posture.tickets.sync(result, sink)                       # doctest: +SKIP

See docs/tickets.md for the config reference and the guarantees (idempotent re-runs, crash safety).
"""

from __future__ import annotations

from posture.tickets.http import TicketError
from posture.tickets.model import Action, SyncReport, Ticket, TicketItem, TicketSink
from posture.tickets.sync import sync

__all__ = ["Action", "SyncReport", "Ticket", "TicketError", "TicketItem", "TicketSink", "sync"]
