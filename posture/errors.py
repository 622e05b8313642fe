"""Errors that the CLI turns into a one-line message and exit code 2."""

from __future__ import annotations


class PostureError(Exception):
    """Base class for posture's own errors."""


class InputError(PostureError):
    """Bad input (file, field, option): reported in one line, exit code 2.

    ``where`` names the file (and line/field when known) so the message says
    exactly what to fix.
    """

    def __init__(self, message: str, where: str = "") -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class DuplicateError(PostureError):
    """Two registrations under one name (a rule id, a provider, a sink)."""
