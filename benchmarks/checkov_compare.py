#!/usr/bin/env python3
"""Compare posture and Checkov on the same generated Terraform plans: seconds, peak memory, ratios.

Plans come from gen_plan.py in two shapes: ``realistic`` (what Terraform writes: a real plan's resources
with every provider attribute, repeated as for ``count = N``; the target is measured on this shape) and
``sparse`` (only the attributes rules read; 3-5x smaller per resource, which flatters Checkov, whose time
grows with the attributes). Both are printed so neither number hides the other.

Checkov is installed into its own virtual environment (benchmarks/.venvs/checkov) on first use: it pins
old networkx/boto3 that must not touch the project's environment. Each tool runs in a fresh process;
peak memory is that process's own maximum RSS (os.wait4), not the maximum over all children.

    python benchmarks/checkov_compare.py                 # 5,000 and 20,000 resources, both tools, both shapes
    python benchmarks/checkov_compare.py 5000 --shapes realistic
    python benchmarks/checkov_compare.py 1000 5000 --posture-only
    python benchmarks/checkov_compare.py --sizes-posture 5000 10000 20000 40000   # linearity check

Targets (issue 3): at 5,000 resources posture >= 20x faster and >= 4x less memory than Checkov;
20,000 resources in < 5 s; time growing linearly with the plan.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venvs" / "checkov"
sys.path.insert(0, str(HERE))

from gen_plan import SHAPES  # noqa: E402


def checkov_bin() -> Path:
    """The Checkov executable in its own venv, installing it (pip install checkov) when missing."""
    exe = VENV / "bin" / "checkov"
    if not exe.exists():
        print(f"installing checkov into {VENV} (one time)...", file=sys.stderr, flush=True)
        venv.create(VENV, with_pip=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "checkov"], check=True)
    return exe


def _tree_rss(pid: int) -> int:
    """Summed RSS (bytes) of ``pid`` and its descendants (Checkov runs worker processes)."""
    try:
        import psutil
    except ImportError:
        return 0
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def run(cmd: list[str], ok_codes: tuple[int, ...] = (0, 1)) -> dict[str, float]:
    """Wall seconds, CPU seconds (user+sys, including waited-for workers: robust on a shared machine) and
    peak memory (MiB): the larger of the process's own max RSS and the sampled RSS of its process tree."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_tree = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree
        while not done.wait(0.05):
            peak_tree = max(peak_tree, _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    done.set()
    sampler.join()
    code = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    proc.returncode = code
    if code not in ok_codes:
        raise SystemExit(f"{cmd[0]} failed ({code}): {err.strip()[-400:]}")
    peak = max(usage.ru_maxrss * 1024, peak_tree)
    return {"seconds": round(elapsed, 2), "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_mib": round(peak / 2**20, 1)}


def compile_posture() -> None:
    """Write posture's bytecode caches, as ``pip install`` does (Checkov's venv has them): an editable
    checkout run with PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every run."""
    import compileall

    import posture

    compileall.compile_dir(Path(posture.__file__).parent, quiet=1)


def posture_cmd(plan: Path) -> list[str]:
    return [sys.executable, "-m", "posture", "scan", "terraform", str(plan), "--format", "json", "-q",
            "-o", os.devnull, "--fail-on", "none"]


def checkov_cmd(plan: Path) -> list[str]:
    return [str(checkov_bin()), "--skip-download", "--quiet", "--compact", "-o", "json",
            "-f", str(plan), "--framework", "terraform_plan"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="*", default=[5000, 20000])
    ap.add_argument("--posture-only", action="store_true", help="skip Checkov")
    ap.add_argument("--shapes", nargs="+", choices=SHAPES, default=list(SHAPES), help="plan shapes (gen_plan.py)")
    ap.add_argument("--sizes-posture", type=int, nargs="*", default=[],
                    help="extra sizes measured for posture only (linearity)")
    args = ap.parse_args()
    compile_posture()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for shape, n in itertools.product(args.shapes, sorted(set(args.sizes) | set(args.sizes_posture))):
            plan = Path(tmp) / f"plan-{shape}-{n}.json"
            # generated in a child process: a big parent inflates the max RSS its children report
            made = subprocess.run([sys.executable, str(HERE / "gen_plan.py"), str(n), "--shape", shape,
                                   "-o", str(plan)], check=True, capture_output=True, text=True)
            count = int(made.stdout.split()[0])
            mib = round(plan.stat().st_size / 2**20, 1)
            row: dict[str, object] = {"shape": shape, "resources": count, "plan_mib": mib,
                                      "posture": run(posture_cmd(plan))}
            p = row["posture"]
            line = (f"{shape:>9} resources={count:>7} ({row['plan_mib']:>5} MiB)  posture {p['seconds']:>6.2f} s "  # type: ignore[index]
                    f"({p['cpu_seconds']:.2f} cpu) {p['peak_mib']:>6.1f} MiB")  # type: ignore[index]
            if not args.posture_only and n in args.sizes:
                c = run(checkov_cmd(plan))
                row["checkov"] = c
                row["speedup"] = round(c["seconds"] / max(p["seconds"], 0.01), 1)  # type: ignore[index]
                row["cpu_speedup"] = round(c["cpu_seconds"] / max(p["cpu_seconds"], 0.01), 1)  # type: ignore[index]
                row["memory_ratio"] = round(c["peak_mib"] / max(p["peak_mib"], 1), 1)  # type: ignore[index]
                line += (f"  |  checkov {c['seconds']:>7.2f} s ({c['cpu_seconds']:.2f} cpu) {c['peak_mib']:>7.1f} MiB"
                         f"  |  {row['speedup']}x faster ({row['cpu_speedup']}x cpu), "
                         f"{row['memory_ratio']}x less memory")
            print(line, flush=True)
            rows.append(row)
    # growth on CPU seconds: wall time on a shared machine mostly measures the neighbours
    for shape in args.shapes:
        posture_rows = [(r["resources"], r["posture"]["cpu_seconds"]) for r in rows if r["shape"] == shape]  # type: ignore[index]
        for (n0, t0), (n1, t1) in itertools.pairwise(posture_rows):
            print(f"posture growth ({shape}) {n0} -> {n1}: {n1 / n0:.1f}x resources -> "
                  f"{t1 / max(t0, 0.01):.1f}x CPU time", flush=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
