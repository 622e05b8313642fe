#!/usr/bin/env python3
"""Time posture on generated Terraform plans: resources, seconds, peak memory (a child process per size).

    python benchmarks/plan_scan.py 1000 10000
    python benchmarks/plan_scan.py 10000 --shape sparse     # plan shapes: see gen_plan.py
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_plan import SHAPES  # noqa: E402


def measure(plan: Path) -> dict[str, float]:
    """Run `posture scan terraform` in a fresh process; return wall seconds and peak RSS (MiB)."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "posture", "scan", "terraform", str(plan), "--format", "json", "-q",
         "-o", os.devnull, "--fail-on", "none"],
        capture_output=True, text=True,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"posture failed: {proc.stderr.strip()}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": round(elapsed, 2), "peak_mib": round(peak, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="*", default=[1000, 10000])
    ap.add_argument("--shape", choices=SHAPES, default="realistic")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            plan = Path(tmp) / f"plan-{n}.json"
            made = subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(n), "--shape", args.shape,
                                   "-o", str(plan)], check=True, capture_output=True, text=True)
            count = int(made.stdout.split()[0])
            m = measure(plan)
            rows.append({"shape": args.shape, "resources": count, **m})
            print(f"posture  {args.shape}  resources={count:>7}  seconds={m['seconds']:>7.2f}  "
                  f"peak_mib={m['peak_mib']:>8.1f}", flush=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
