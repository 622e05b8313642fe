"""Fan-out: run collection tasks on any ``concurrent.futures.Executor`` and merge what they return.

A collection is split into :class:`Task` values (account x region x service, subscription x service,
project x service, or one snapshot shard). Each task runs on a worker: its ``collect`` function reads raw
records (the only step that talks to a cloud), its ``normalise`` function turns them into a partial
:class:`~posture.model.Inventory` (pure). Tasks run on a bounded thread pool by default, or on a Dask
cluster (``open_executor(dask_scheduler=...)`` / ``open_executor(client=...)``), since both are ``Executor`` s.

- A task that raises (access denied, throttled, a worker lost) becomes a coverage :class:`Gap`; the other
  tasks still merge.
- Merging is deterministic: partials are placed in task-key order and sorted by id inside, whatever the
  order in which tasks finished. Edges are id-based, so cross-account edges (peering, shared VPCs) resolve
  once all partials are in one graph.
- Incremental: every task output carries a digest of its raw records. Given the previous run's outputs
  (:func:`task_outputs` of its inventory or snapshot), a task whose digest is unchanged is not normalised
  again and its partial is not shipped back from the worker: the previous partial is reused.

See docs/scale.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from posture.gcpause import gc_paused
from posture.model import Edge, Gap, Inventory, Resource, freeze, thaw
from posture.progress import Progress

DEFAULT_WORKERS = min(32, (os.cpu_count() or 1) * 4)
"""Threads of the default pool: collection waits on the network far more than it computes."""

TASKS_META = "tasks"
"""Inventory meta key: ``{task key: {"digest", "resources", "edges", "gaps"}}`` in merge order."""


@dataclass(frozen=True)
class Task:
    """One unit of collection. ``collect`` and ``normalise`` must be importable top-level functions
    (so a process or Dask worker can unpickle them); ``args`` are passed to ``collect``.

    ``collect(*args)`` returns raw, JSON-serialisable records; ``normalise(raw)`` returns an Inventory.
    ``source``/``account``/``region``/``service`` label the gap recorded when the task fails.
    """

    key: str
    collect: Callable[..., Any]
    normalise: Callable[[Any], Inventory]
    args: tuple[Any, ...] = ()
    source: str = ""
    account: str = ""
    region: str = ""
    service: str = ""


@dataclass(frozen=True)
class TaskOutput:
    """What one task produced: the digest of its raw records and its partial inventory.

    ``inventory`` is None when the worker found the digest unchanged and left the previous partial in place.
    """

    key: str
    digest: str
    inventory: Inventory | None


@dataclass
class FanoutResult:
    """The merged inventory and how it was obtained."""

    inventory: Inventory
    outputs: dict[str, TaskOutput] = field(default_factory=dict)
    reused: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def digest(raw: Any) -> str:
    """Content hash of raw records: canonical JSON (sorted keys); bytes and text are hashed as they are."""
    h = hashlib.sha256()
    if isinstance(raw, bytes):
        h.update(raw)
    elif isinstance(raw, str):
        h.update(raw.encode("utf-8"))
    else:
        h.update(json.dumps(thaw(raw), sort_keys=True, separators=(",", ":"), default=str).encode("utf-8"))
    return h.hexdigest()[:32]


def run_task(task: Task, previous_digest: str | None = None) -> TaskOutput:
    """Run one task on a worker: collect, hash, and normalise unless the digest is ``previous_digest``.

    Exceptions propagate; :func:`run_tasks` turns them into gaps.
    """
    raw = task.collect(*task.args)
    d = digest(raw)
    if d == previous_digest:
        return TaskOutput(task.key, d, None)
    with gc_paused():
        return TaskOutput(task.key, d, task.normalise(raw))


def _failure_gap(task: Task, error: BaseException, code: str | None = None) -> Gap:
    code = code or getattr(error, "code", None) or type(error).__name__
    reason = " ".join(f"{task.key}: {type(error).__name__}: {error}".split())[:400]
    return Gap(task.source or "fanout", reason, str(code), service=task.service, region=task.region,
               account=task.account, target=task.key)


def run_tasks(
    tasks: Sequence[Task],
    executor: Executor | None = None,
    *,
    max_workers: int = DEFAULT_WORKERS,
    previous: Mapping[str, TaskOutput] | None = None,
    progress: bool | None = False,
    timeout: float | None = None,
) -> FanoutResult:
    """Run ``tasks`` on ``executor`` (default: a thread pool of ``max_workers``) and merge their partials.

    ``previous`` maps task keys to the outputs of an earlier run (see :func:`task_outputs`): unchanged tasks
    reuse them. Task keys must be unique. Tasks not finished ``timeout`` seconds after the start become
    gaps (code ``timeout``) and are cancelled; one hung account never holds up the organisation.
    """
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        dup = sorted({k for k in keys if keys.count(k) > 1})
        raise ValueError(f"duplicate task keys: {', '.join(dup[:5])}")
    previous = previous or {}
    outputs: dict[str, TaskOutput] = {}
    gaps: list[Gap] = []
    result = FanoutResult(Inventory())
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="posture-fanout")
    timed_out = False
    try:
        with Progress("collecting", total=len(tasks), enabled=progress) as bar:
            pending: dict[Future[TaskOutput], Task] = {}
            for t in tasks:
                prev = previous.get(t.key)
                pending[pool.submit(run_task, t, prev.digest if prev else None)] = t
            deadline = None if timeout is None else time.monotonic() + timeout
            while pending:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                done, _ = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                if not done:  # the deadline passed
                    timed_out = True
                    for fut, task in sorted(pending.items(), key=lambda ft: ft[1].key):
                        fut.cancel()
                        gaps.append(_failure_gap(task, TimeoutError(f"not finished after {timeout} s"), "timeout"))
                        result.failed.append(task.key)
                    break
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        out = fut.result()
                    except ModuleNotFoundError:
                        raise  # a missing optional dependency is a usage error (exit 2 with the install hint)
                    except Exception as e:  # a denied account or a lost worker: a gap, the rest still merges
                        gaps.append(_failure_gap(task, e))
                        result.failed.append(task.key)
                    else:
                        if out.inventory is None:
                            prev = previous[task.key]
                            out = TaskOutput(task.key, out.digest, prev.inventory)
                            result.reused.append(task.key)
                        outputs[task.key] = out
                    bar.advance(note=task.key)
    finally:
        if own:  # after a timeout, do not wait for the hung tasks
            pool.shutdown(wait=not timed_out, cancel_futures=True)
    result.outputs = dict(sorted(outputs.items()))
    result.inventory = merge(result.outputs.values(), gaps)
    result.reused.sort()
    result.failed.sort()
    return result


def merge(outputs: Iterable[TaskOutput], gaps: Iterable[Gap] = ()) -> Inventory:
    """One inventory from task outputs, independent of completion order.

    Partials go in task-key order, each sorted (resources by id, edges by src/dst/kind, gaps by their
    fields); ``meta["tasks"]`` records each task's digest and counts, so :func:`task_outputs` can slice a
    saved inventory back into partials. Failure gaps come last, sorted. The partials' own ``meta`` is not
    carried (a reused partial has none): the caller describes the collection in the merged meta.
    """
    resources: list[Resource] = []
    edges: list[Edge] = []
    all_gaps: list[Gap] = []
    table: dict[str, dict[str, Any]] = {}
    with gc_paused():
        for out in sorted(outputs, key=lambda o: o.key):
            inv = out.inventory or Inventory()
            rs = sorted(inv.resources, key=lambda r: r.id)
            es = sorted(inv.edges, key=lambda e: (e.src, e.dst, e.kind))
            gs = sorted(inv.gaps, key=_gap_key)
            resources += rs
            edges += es
            all_gaps += gs
            table[out.key] = {"digest": out.digest, "resources": len(rs), "edges": len(es), "gaps": len(gs)}
        all_gaps += sorted(gaps, key=_gap_key)
        return Inventory(tuple(resources), tuple(edges), tuple(all_gaps), freeze({TASKS_META: table}))


def _gap_key(g: Gap) -> tuple[str, ...]:
    return (g.source, g.account, g.region, g.service, g.code, g.target, g.reason)


def task_outputs(inventory: Inventory) -> dict[str, TaskOutput]:
    """Slice an inventory made by :func:`merge` (or a snapshot of one) back into per-task outputs.

    Returns ``{}`` when the inventory carries no task table or the table does not match its contents.
    """
    table = inventory.meta.get(TASKS_META)
    if not isinstance(table, Mapping):
        return {}
    out: dict[str, TaskOutput] = {}
    r = e = g = 0
    for key, row in table.items():
        try:
            nr, ne, ng, d = int(row["resources"]), int(row["edges"]), int(row["gaps"]), str(row["digest"])
        except (KeyError, TypeError, ValueError):
            return {}
        part = Inventory(inventory.resources[r:r + nr], inventory.edges[e:e + ne], inventory.gaps[g:g + ng])
        r, e, g = r + nr, e + ne, g + ng
        out[key] = TaskOutput(key, d, part)
    if r > len(inventory.resources) or e > len(inventory.edges) or g > len(inventory.gaps):
        return {}
    return out


@contextmanager
def open_executor(
    dask_scheduler: str | None = None,
    *,
    client: Any = None,
    max_workers: int = DEFAULT_WORKERS,
) -> Iterator[Executor]:
    """The executor to collect with: a Dask ``Client``'s executor (``client``, or one connected to
    ``dask_scheduler``, e.g. ``tcp://10.0.0.5:8786``), else a bounded local thread pool.

    A client made here is closed on exit; a client passed in is left open.
    """
    if client is not None:
        yield client.get_executor()
        return
    if dask_scheduler:
        try:
            from distributed import Client
        except ImportError:  # pragma: no cover - dask is an optional extra
            from posture.errors import InputError
            from posture.packaging import install_hint

            raise InputError(f"--dask-scheduler needs the dask extra: {install_hint('dask')}") from None
        try:
            own = Client(dask_scheduler, timeout=30)
        except (OSError, TimeoutError) as e:
            from posture.errors import InputError

            raise InputError(f"cannot reach the Dask scheduler: {e}", where=dask_scheduler) from None
        try:
            yield own.get_executor()
        finally:
            own.close()
        return
    pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="posture-fanout")
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # run_tasks has collected every result or timed out


def previous_outputs(previous: Inventory | str | os.PathLike[str] | None) -> dict[str, TaskOutput]:
    """Task outputs of an earlier run, from its inventory or a snapshot file of it (``{}`` when none)."""
    if previous is None:
        return {}
    if not isinstance(previous, Inventory):
        from posture.providers.snapshot import read_snapshot

        previous = read_snapshot(previous)
    return task_outputs(previous)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The fan-out options of a collecting ``posture scan`` source."""
    p.add_argument("--dask-scheduler", metavar="ADDRESS",
                   help="run collection tasks on a Dask cluster (e.g. tcp://scheduler:8786) instead of threads")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help=f"threads of the local pool (default {DEFAULT_WORKERS})")
    p.add_argument("--task-timeout", type=float, metavar="SECONDS",
                   help="a collection task not finished after SECONDS becomes a coverage gap")
    p.add_argument("--previous", metavar="SNAPSHOT",
                   help="snapshot of an earlier scan (--snapshot-out): unchanged tasks reuse its resources")
