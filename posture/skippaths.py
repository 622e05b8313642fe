"""``--skip-path GLOB``: which files and directories below a scanned directory are not read.

A glob without ``/`` matches a file or directory name anywhere below the scanned directory (``examples``,
``*.auto.tfvars``); a glob with ``/`` matches the path relative to the scanned directory or one of its
parent directories (``tests/fixtures``, ``modules/legacy/**``, ``envs/*/old``). Matching is case-sensitive.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class SkipPaths:
    """A set of skip globs; empty skips nothing."""

    globs: tuple[str, ...] = ()

    @classmethod
    def of(cls, globs: Iterable[str] = ()) -> SkipPaths:
        cleaned = (g.strip().removeprefix("./").rstrip("/") for g in globs)
        return cls(tuple(g for g in cleaned if g))

    def __bool__(self) -> bool:
        return bool(self.globs)

    def skips(self, rel: str) -> bool:
        """Whether the POSIX path ``rel`` (relative to the scanned directory) or a directory above it is skipped."""
        if not self.globs or rel in ("", "."):
            return False
        parts = rel.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        for glob in self.globs:
            if "/" in glob:
                if any(fnmatchcase(p, glob) for p in prefixes):
                    return True
            elif any(fnmatchcase(p, glob) for p in parts):
                return True
        return False
