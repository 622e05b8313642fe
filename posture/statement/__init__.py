"""Reading a published security statement and verifying it sentence by sentence.

``posture verify --statement trust-page.html plan.json`` or, in Python::

    report = posture.verify_statement(text, ["plan.json"], history="posture-history.db")

Modules: ``text`` (txt/Markdown/HTML -> blocks and sentences), ``catalogue`` (``rules.d/claims``),
``extract`` (topics, negation, hedging), ``params`` (values read from sentences), ``lint`` (weak promises),
``report`` (claims -> profile -> verdicts), ``render`` (table, JSON, Markdown, HTML).
"""

from __future__ import annotations

from posture.statement.report import ClaimResult, StatementReport, build_profile, verify_statement
from posture.statement.text import read_statement

__all__ = ["ClaimResult", "StatementReport", "build_profile", "read_statement", "verify_statement"]
