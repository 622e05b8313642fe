"""Snapshot shards as a fanned-out source: one task per file (e.g. one snapshot per account).

Organisations that collect per account (in CI jobs, on separate machines, or with older posture runs)
end up with many snapshot files; this source reads them as fan-out tasks on any executor and merges them
into one estate, so cross-account edges resolve. An unreadable or malformed shard becomes a gap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posture import inputs
from posture.errors import InputError
from posture.fanout import FanoutResult, Task
from posture.model import Inventory

if TYPE_CHECKING:
    pass


def read_shard(path: str) -> str:
    """Collect: the raw text of one shard (raises InputError when it cannot be read: the task's gap)."""
    return inputs.read_text(path, "snapshot", "snapshot shard")


def parse_shard(text: str, where: str) -> Inventory:
    """Normalise: the shard's inventory (raises InputError naming file:line when malformed)."""
    from posture.providers.snapshot import parse_snapshot

    return parse_snapshot(text.splitlines(), where)


class _Parse:
    """``normalise`` for one shard: a picklable callable that remembers the file name for error messages."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __call__(self, text: str) -> Inventory:
        return parse_shard(text, self.where)


def shard_paths(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Files named, and ``*.jsonl`` files inside directories named, sorted.

    A missing path, or one that is neither a directory nor a regular file (a named pipe would block its task
    forever), is an InputError; a special file found inside a directory fails its own task (a gap).
    """
    out: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(str(f) for f in p.glob("*.jsonl"))
        elif inputs.check_file(p, "snapshot") is not None:
            out.append(str(p))
        else:
            raise InputError("no such snapshot file or directory", where=str(p))
    return out


def shard_tasks(paths: Iterable[str | os.PathLike[str]]) -> list[Task]:
    """One fan-out task per shard file; the task key is the file path."""
    return [Task(key=p, collect=read_shard, normalise=_Parse(p), args=(p,), source="snapshot")
            for p in shard_paths(paths)]


def collect_shards(
    paths: Iterable[str | os.PathLike[str]],
    executor: Executor | None = None,
    *,
    dask_scheduler: str | None = None,
    client: Any = None,
    max_workers: int | None = None,
    previous: Inventory | str | os.PathLike[str] | None = None,
    progress: bool | None = False,
    timeout: float | None = None,
) -> FanoutResult:
    """Read shard files as fan-out tasks and merge them (see :mod:`posture.fanout`).

    ``executor`` runs the tasks; else a Dask ``client`` or ``dask_scheduler`` address; else a thread pool.
    ``previous`` (a snapshot path or inventory saved from an earlier merge) lets unchanged shards reuse it.
    """
    from posture.fanout import DEFAULT_WORKERS, open_executor, previous_outputs, run_tasks

    tasks = shard_tasks(paths)
    prev = previous_outputs(previous)
    workers = max_workers or DEFAULT_WORKERS
    if executor is not None:
        return run_tasks(tasks, executor, previous=prev, progress=progress, timeout=timeout)
    with open_executor(dask_scheduler, client=client, max_workers=workers) as pool:
        return run_tasks(tasks, pool, previous=prev, progress=progress, timeout=timeout)
