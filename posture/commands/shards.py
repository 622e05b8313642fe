"""``posture scan snapshots``: many snapshot files (e.g. one per account) merged into one estate."""

from __future__ import annotations

import argparse
from typing import Any

from posture.commands.base import ScanSource
from posture.result import ScanResult


def _args(p: argparse.ArgumentParser) -> None:
    from posture.fanout import add_arguments

    p.add_argument("paths", nargs="+", metavar="PATH", help="snapshot files, or directories of *.jsonl files")
    add_arguments(p)


def _run(args: argparse.Namespace, options: dict[str, Any]) -> ScanResult:
    from posture.api import scan_shards
    from posture.errors import InputError
    from posture.incremental import state_path

    if args.workers is not None and args.workers < 1:
        raise InputError("must be at least 1", where="--workers")
    if args.task_timeout is not None and args.task_timeout <= 0:
        raise InputError("must be a positive number of seconds", where="--task-timeout")

    state_out = state_path(args.snapshot_out) if args.snapshot_out else None
    return scan_shards(args.paths, dask_scheduler=args.dask_scheduler, max_workers=args.workers,
                       previous=args.previous, state_out=state_out, progress=None if not args.quiet else False,
                       timeout=args.task_timeout, **options)


SCAN_SOURCES = {
    "snapshots": ScanSource("merge and scan many snapshots (one task each; threads or Dask)", _args, _run),
}
