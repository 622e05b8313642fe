"""Connection budgets per host address: all ports of one address share ``per_server`` connections.

A target (one ``address:port``) takes the connections it may open at once from its address's budget
before it opens any, and gives them back when its scanner is done. So 50 ports of one server are never
hit by more than ``per_server`` simultaneous connections, whatever the overall concurrency.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class AddressBudget:
    """``per_address`` connection permits for every address, handed out ``n`` at a time."""

    def __init__(self, per_address: int) -> None:
        if per_address < 1:
            raise ValueError("per_address must be at least 1")
        self.per_address = per_address
        self._used: dict[str, int] = {}
        self._cond = threading.Condition()

    @contextmanager
    def take(self, address: str, n: int = 1) -> Iterator[int]:
        """Hold ``min(n, per_address)`` permits of ``address`` (blocking until they are free); yields the count."""
        n = max(1, min(n, self.per_address))
        with self._cond:
            self._cond.wait_for(lambda: self._used.get(address, 0) + n <= self.per_address)
            self._used[address] = self._used.get(address, 0) + n
        try:
            yield n
        finally:
            with self._cond:
                self._used[address] -= n
                self._cond.notify_all()
