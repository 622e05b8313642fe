"""One small generic registry: name -> implementation, with entry-point plugins.

Used for rules, providers (sources), enrichers and sinks. Registering a name
twice is an error, never a silent override.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from posture.errors import DuplicateError

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection with entry-point discovery (group ``posture.<name>``)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}
        self._origins: dict[str, str] = {}
        self._entry_points_loaded = False

    def register(self, key: str, item: T, origin: str = "") -> T:
        """Add ``item`` under ``key``; raise DuplicateError if the key is taken."""
        if key in self._items:
            raise DuplicateError(
                f"duplicate {self.name} id {key!r} (from {origin or '?'}; "
                f"already registered from {self._origins[key] or '?'})"
            )
        self._items[key] = item
        self._origins[key] = origin
        return item

    def decorator(self, key: str) -> Callable[[T], T]:
        """``@registry.decorator("name")`` registers the decorated object."""

        def wrap(item: T) -> T:
            return self.register(key, item, origin=getattr(item, "__module__", ""))

        return wrap

    def get(self, key: str) -> T:
        self.load_entry_points()
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"unknown {self.name} {key!r} (known: {known})") from None

    def load_entry_points(self) -> None:
        """Import plugins declared under the entry-point group ``posture.<name>``, once."""
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        for ep in entry_points(group=f"posture.{self.name}"):
            self.register(ep.name, ep.load(), origin=f"entry point {ep.value}")

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def items(self) -> list[tuple[str, T]]:
        return sorted(self._items.items())

    def __len__(self) -> int:
        return len(self._items)
