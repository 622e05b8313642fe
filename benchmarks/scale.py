#!/usr/bin/env python3
"""How posture scales: seconds and peak memory per estate size, and the growth exponent between sizes.

For each size, a synthetic estate (benchmarks/gen_estate.py) is written as a snapshot, then a fresh child
process loads it, builds and enriches the graph and evaluates every rule, timing each phase and reporting
its peak RSS. The growth exponent k fits time ~ n^k (least squares on log time vs log n): 1.0 is linear.

    python benchmarks/scale.py 1000 10000 100000          # snapshot estates (default)
    python benchmarks/scale.py --plan 1000 10000           # Terraform plans from gen_plan.py, whole CLI scan
    python benchmarks/scale.py --keep /tmp/estates 1000000  # keep the generated files (they are big)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from itertools import pairwise
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def child(path: str) -> dict[str, float]:
    """Runs in the child process: load, graph + enrich, evaluate; seconds per phase and peak RSS."""
    from posture.api import select_rules
    from posture.engine import evaluate_rules, graph_from_inventory
    from posture.providers.snapshot import read_snapshot

    t0 = time.perf_counter()
    inventory = read_snapshot(path)
    rules = select_rules()
    t1 = time.perf_counter()
    graph, _ = graph_from_inventory(inventory)
    t2 = time.perf_counter()
    findings, gaps = evaluate_rules(graph, rules)
    t3 = time.perf_counter()
    return {"resources": len(inventory.resources), "edges": len(inventory.edges), "rules": len(rules),
            "findings": len(findings), "rule_gaps": len(gaps), "load_s": round(t1 - t0, 2),
            "graph_enrich_s": round(t2 - t1, 2), "evaluate_s": round(t3 - t2, 2),
            "graph_and_evaluate_s": round(t3 - t1, 2), "total_s": round(t3 - t0, 2),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def _run_child(args: list[str]) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args], capture_output=True, text=True,
                          env=env)
    if proc.returncode != 0:
        raise SystemExit(f"child failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def make_snapshot(n: int, directory: Path) -> Path:
    path = directory / f"estate-{n}.jsonl"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_estate.py"), str(n), "-o", str(path)], check=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True)
    return path


def measure_plan(n: int, directory: Path) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from gen_plan import generate
    from plan_scan import measure

    plan = directory / f"plan-{n}.json"
    if not plan.exists():
        plan.write_text(json.dumps(generate(n)))
    return {"resources": n, **measure(plan)}


def exponent(rows: list[dict[str, float]], key: str) -> float | None:
    """Least-squares slope of log(time) against log(resources)."""
    pts = [(math.log(r["resources"]), math.log(max(r[key], 1e-3))) for r in rows if r["resources"] > 0]
    if len(pts) < 2:
        return None
    mx = sum(x for x, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    var = sum((x - mx) ** 2 for x, _ in pts)
    return round(sum((x - mx) * (y - my) for x, y in pts) / var, 2) if var else None


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="*", default=[1000, 10000, 100000])
    ap.add_argument("--plan", action="store_true", help="measure `posture scan terraform` on generated plans")
    ap.add_argument("--keep", metavar="DIR", help="write (and reuse) generated estates in DIR")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory()
    directory = Path(args.keep or tmp.name)  # type: ignore[union-attr]
    directory.mkdir(parents=True, exist_ok=True)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs", flush=True)
    rows = []
    for n in sorted(args.sizes):
        row = measure_plan(n, directory) if args.plan else _run_child(["--child", str(make_snapshot(n, directory))])
        rows.append(row)
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    key = "seconds" if args.plan else "graph_and_evaluate_s"
    k = exponent(rows, key)
    for a, b in pairwise(rows):
        step = exponent([a, b], key)
        print(f"growth {a['resources']} -> {b['resources']}: time ~ n^{step}")
    print(f"growth exponent ({key}, all sizes): {k}")
    print(json.dumps({"rows": rows, "exponent": k}))
    if tmp:
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
