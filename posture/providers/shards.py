"""Snapshot shards as a fanned-out source: one task per file (e.g. one snapshot per account).

Organisations that collect per account (in CI jobs, on separate machines, or with older posture runs)
end up with many snapshot files; this source reads them as fan-out tasks on any executor and merges them
into one estate, so cross-account edges resolve. An unreadable or malformed shard becomes a gap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from posture.errors import InputError
from posture.fanout import FanoutResult, Task
from posture.model import Inventory, freeze

if TYPE_CHECKING:
    from posture.incremental import EvaluationState
    from posture.result import ScanResult


def read_shard(path: str) -> str:
    """Collect: the raw text of one shard (raises OSError when it cannot be read)."""
    return Path(path).read_text(encoding="utf-8")


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
    """Files named, and ``*.jsonl`` files inside directories named, sorted; a missing path is an InputError."""
    out: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(str(f) for f in p.glob("*.jsonl"))
        elif p.exists():
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


def scan_shards(
    paths: Iterable[str | os.PathLike[str]],
    executor: Executor | None = None,
    *,
    dask_scheduler: str | None = None,
    client: Any = None,
    max_workers: int | None = None,
    previous: Inventory | str | os.PathLike[str] | None = None,
    previous_state: EvaluationState | None = None,
    state_out: str | os.PathLike[str] | None = None,
    progress: bool | None = False,
    timeout: float | None = None,
    now: datetime | None = None,
    **options: Any,
) -> ScanResult:
    """Merge shard files (see :func:`collect_shards`) and evaluate the rules incrementally.

    With ``previous`` as a snapshot path, its evaluation state (``<snapshot>.eval``) is used too, unless
    ``previous_state`` is given; ``state_out`` saves this run's state. ``options`` select the rules as in
    :func:`posture.api.select_rules` (``rules``, ``rule_dirs``, ``categories``, ``rule_params``,
    ``segmentation_policy``).
    """
    from posture.api import select_rules
    from posture.engine import graph_from_inventory
    from posture.incremental import evaluate_incremental, load_state, save_state, state_path
    from posture.result import ScanResult

    got = collect_shards(paths, executor, dask_scheduler=dask_scheduler, client=client, max_workers=max_workers,
                         previous=previous, progress=progress, timeout=timeout)
    rules = select_rules(options.pop("rules", None), **options)
    graph, _ = graph_from_inventory(got.inventory)
    if previous_state is None and previous is not None and not isinstance(previous, Inventory):
        previous_state = load_state(state_path(previous))
    findings, rule_gaps, state, stats = evaluate_incremental(graph, rules, got.inventory, previous_state, now=now)
    if state_out is not None:
        save_state(state, state_out)
    source = {"type": "snapshots", "target": f"{len(got.outputs) + len(got.failed)} shard(s)",
              "tasks_reused": len(got.reused), "tasks_failed": len(got.failed),
              "rule_task_pairs_reused": stats.reused_pairs}
    return ScanResult(findings=findings, graph=graph, gaps=tuple(graph.gaps) + tuple(rule_gaps),
                      rules=tuple(r.meta for r in rules), inventory=got.inventory, source=freeze(source),
                      checked=freeze(stats.applied))
