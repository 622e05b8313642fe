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


class LimitExceeded(InputError):
    """An input over one of posture's resource limits (size, instances, evaluation work): see docs/inputs.md.

    For a file named on the command line it is an input error like any other (exit 2); for part of an input
    (one ``.tf`` file in a directory, one block) the reader turns it into a ``limit_exceeded`` coverage gap.
    """


class DuplicateError(PostureError):
    """Two registrations under one name (a rule id, a provider, a sink)."""
