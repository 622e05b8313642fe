#!/usr/bin/env python3
"""What an incremental re-scan saves: per-account snapshot shards scanned fresh, unchanged, and with one
account changed, each phase timed (collect = read + parse the shards on the fan-out, graph + enrich,
evaluate).

    python benchmarks/incremental.py 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.gen_estate import estate  # noqa: E402
from posture.api import select_rules  # noqa: E402
from posture.engine import graph_from_inventory  # noqa: E402
from posture.incremental import evaluate_incremental  # noqa: E402
from posture.providers.shards import collect_shards  # noqa: E402
from posture.providers.snapshot import read_snapshot, save_snapshot  # noqa: E402


def run(label: str, shards: list[Path], previous, state, rules) -> tuple:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    got = collect_shards(shards, previous=previous, max_workers=2)
    t1 = time.perf_counter()
    graph, _ = graph_from_inventory(got.inventory)
    t2 = time.perf_counter()
    findings, _, new_state, stats = evaluate_incremental(graph, rules, got.inventory, state)
    t3 = time.perf_counter()
    print(f"{label:<28} collect={t1 - t0:6.2f}s  graph+enrich={t2 - t1:6.2f}s  evaluate={t3 - t2:6.2f}s  "
          f"total={t3 - t0:6.2f}s  tasks reused={len(got.reused)}/{len(shards)}  "
          f"local checks run={stats.checked}  findings={len(findings)}", flush=True)
    return got.inventory, new_state, [f.fingerprint for f in findings]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("resources", type=int, nargs="?", default=100000)
    args = ap.parse_args()
    rules = select_rules()
    with tempfile.TemporaryDirectory() as tmp:
        shards = []
        for a, inv in enumerate(estate(args.resources)):
            shards.append(save_snapshot(inv, Path(tmp) / f"account-{a:05d}.jsonl"))
        print(f"{len(shards)} account shards, {args.resources} resources (approx.), {len(rules)} rules")
        inventory, state, fresh = run("fresh scan", shards, None, None, rules)
        _, _, same = run("re-scan, nothing changed", shards, inventory, state, rules)
        inv = read_snapshot(shards[0])
        save_snapshot(type(inv)(inv.resources[:-1], inv.edges, inv.gaps), shards[0])
        _, _, one = run("re-scan, 1 account changed", shards, inventory, state, rules)
        _, _, full = run("full scan of the changed", shards, None, None, rules)
        assert same == fresh and one == full, "incremental results differ from a full scan"
    return 0


if __name__ == "__main__":
    sys.exit(main())
