#!/usr/bin/env python3
"""Hostile inputs against the CLI: wall time, peak RSS and exit code per bomb (a child process each).

Each bomb is written to a temporary directory and scanned with ``posture scan terraform|snapshot`` in a child
process under a memory limit (``RLIMIT_AS``) and a timeout, so a bomb that is not bounded costs at most the
limit, never the machine. Exit codes: 0/1 scanned (a limit that was hit is a coverage gap), 2 refused as bad
input, 3 internal error, ``timeout`` killed after ``--timeout`` seconds, ``killed`` ended by a signal.

    python benchmarks/input_bombs.py                       # every bomb
    python benchmarks/input_bombs.py tfjson_nested22 count_1e8 --timeout 30 --mem 2G
    PYTHONPATH=/path/to/other/checkout python benchmarks/input_bombs.py   # measure another version
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

_RES = 'resource "aws_s3_bucket" "b" {\n  bucket = %s\n}\n'


def _tf(d: Path, text: str, name: str = "main.tf") -> list[str]:
    d.mkdir()
    (d / name).write_text(text)
    return ["terraform", str(d)]


def _chain(name: str, first: str, step: str, n: int) -> str:
    """``locals`` defining ``name0 = first`` and ``name<i> = step`` over ``name<i-1>``, used by a bucket."""
    lines = [f"  {name}0 = {first}"] + [f"  {name}{i} = {step.format(p=f'local.{name}{i - 1}')}" for i in range(1, n)]
    return "locals {\n" + "\n".join(lines) + "\n}\n" + _RES % f"length(local.{name}{n - 1})"


def nested_json(d: Path) -> list[str]:
    inner: dict = {"x": 1}
    for _ in range(22):
        inner = {"a": inner}
    doc = {"resource": {"aws_s3_bucket": {"b": inner}}}
    return _tf(d, json.dumps(doc, separators=(",", ":")), "main.tf.json")


def _special(d: Path, make: Callable[[Path], None], role: str) -> list[str]:
    """A special file (``make`` creates it at the given path) used as plan, .tf, var file or snapshot."""
    d.mkdir()
    if role == "plan":
        make(d / "plan.json")
        return ["terraform", str(d / "plan.json")]
    if role == "tf":
        (d / "ok.tf").write_text(_RES % '"ok"')
        make(d / "main.tf")
        return ["terraform", str(d)]
    if role == "var":
        (d / "main.tf").write_text(_RES % '"ok"')
        make(d / "x.tfvars")
        return ["terraform", str(d), "--var-file", str(d / "x.tfvars")]
    make(d / "s.jsonl")
    return ["snapshot", str(d / "s.jsonl")]


def _dev_zero(p: Path) -> None:
    p.symlink_to("/dev/zero")


def _fifo(p: Path) -> None:
    os.mkfifo(p)


BOMBS: dict[str, Callable[[Path], list[str]]] = {
    "tfjson_nested22": nested_json,
    "count_1e8": lambda d: _tf(d, 'resource "aws_s3_bucket" "b" {\n  count = 100000000\n}\n'),
    "range_1e9": lambda d: _tf(d, _RES % "length(range(1e9))"),
    "string_doubling": lambda d: _tf(d, _chain("s", '"ab"', '"${{{p}}}${{{p}}}"', 40)),
    "list_doubling": lambda d: _tf(d, _chain("l", "[1]", "concat({p}, {p})", 40)),
    "nested_for_1e10": lambda d: _tf(d, _RES % "length([for a in range(100000) : [for b in range(100000) : a]])"),
    "count_20x10000": lambda d: _tf(d, "".join(f'resource "aws_s3_bucket" "b{i}" {{\n  count = 10000\n'
                                               f'  bucket = "b-${{count.index}}"\n}}\n' for i in range(20))),
    "devzero_plan": lambda d: _special(d, _dev_zero, "plan"),
    "devzero_tf": lambda d: _special(d, _dev_zero, "tf"),
    "devzero_var": lambda d: _special(d, _dev_zero, "var"),
    "fifo_plan": lambda d: _special(d, _fifo, "plan"),
    "fifo_tf": lambda d: _special(d, _fifo, "tf"),
    "fifo_var": lambda d: _special(d, _fifo, "var"),
    "fifo_snapshot": lambda d: _special(d, _fifo, "snapshot"),
    "literal_16mib": lambda d: _tf(d, _RES % ('"' + "a" * (16 << 20) + '"')),
    "count_1e999": lambda d: _tf(d, 'resource "aws_s3_bucket" "b" {\n  count = 1e999\n}\n'),
}


def _size(text: str) -> int:
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1].upper()] if text[-1].upper() in units else int(text)


def run(argv: list[str], mem: int, timeout: float) -> tuple[float, float, float, str]:
    """Wall seconds, CPU seconds, peak RSS (MiB) and exit code (or 'timeout'/'killed') of one CLI run.

    CPU seconds are the comparable figure on a shared machine; wall seconds include waiting for a core."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (mem, mem))

    cmd = [sys.executable, "-m", "posture", "scan", *argv, "--format", "json", "-q", "-o", os.devnull,
           "--fail-on", "none"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit,
                            start_new_session=True)
    status: str | None = None
    while True:
        pid, wstatus, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            os.killpg(proc.pid, signal.SIGKILL)
            pid, wstatus, usage = os.wait4(proc.pid, 0)
            status = "timeout"
            break
        time.sleep(0.02)
    elapsed = time.perf_counter() - start
    proc.returncode = 0  # reaped above; keep Popen from waiting again
    if status is None:
        status = str(os.waitstatus_to_exitcode(wstatus))
        if status.startswith("-"):
            status = "killed"
    if proc.stderr is not None:
        err = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        proc.stderr.close()
        if err and status not in ("0", "1"):
            status += f"  {err[-1][:110]}"
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bombs", nargs="*", help=f"bombs to run (default: all): {', '.join(BOMBS)}")
    ap.add_argument("--mem", default="4G", help="address-space limit of each run (default 4G)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a run is killed (default 60)")
    args = ap.parse_args()
    mem = _size(args.mem)
    unknown = [b for b in args.bombs if b not in BOMBS]
    if unknown:
        ap.error(f"unknown bomb(s): {', '.join(unknown)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.bombs or list(BOMBS):
            argv = BOMBS[name](Path(tmp) / name)
            seconds, cpu, peak, status = run(argv, mem, args.timeout)
            rows.append({"bomb": name, "seconds": round(seconds, 2), "cpu_seconds": round(cpu, 2),
                         "peak_mib": round(peak, 1), "exit": status})
            print(f"{name:<17} {seconds:>7.2f} s wall {cpu:>7.2f} s cpu {peak:>8.1f} MiB  exit {status}", flush=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
