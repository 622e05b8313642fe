"""A minimal progress line for terminals: silent in CI, with --quiet, or when stderr is not a TTY."""

from __future__ import annotations

import os
import sys
import threading
import time
from types import TracebackType
from typing import TextIO


class Progress:
    """``with Progress("collecting", total=n) as p: ... p.advance()`` — thread-safe."""

    def __init__(self, label: str, total: int | None = None, *, enabled: bool | None = None,
                 stream: TextIO | None = None) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        if enabled is None:
            enabled = self.stream.isatty() and not os.environ.get("CI")
        self.enabled = enabled
        self._lock = threading.Lock()
        self._last = 0.0

    def advance(self, n: int = 1, note: str = "") -> None:
        with self._lock:
            self.done += n
            now = time.monotonic()
            if self.enabled and (now - self._last > 0.1 or self.done == self.total):
                self._last = now
                of = f"/{self.total}" if self.total else ""
                self.stream.write(f"\r{self.label}: {self.done}{of} {note[:50]:<50}")
                self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 80 + "\r")
            self.stream.flush()
