"""Runs one fuzz case in a bounded child process and classifies what happened against the input contract.

The contract (docs/inputs.md, "Fuzzing"): exit code 0, 1 or 2; on exit 2 exactly one ``posture: error:`` line
that names the input file; never exit 3 or a traceback; done within the per-case timeout and the memory
limit; no connection or name lookup outside loopback.

Cases run in children forked from a warm server process (tests/helpers/fuzz_server.py) started with the
code under test on ``PYTHONPATH``: ``POSTURE_FUZZ_ROOT`` (default: this repository), so one harness measures
any checkout. Settings come from the environment: ``POSTURE_FUZZ_TIMEOUT`` (seconds per case, default 20),
``POSTURE_FUZZ_MEM_MB`` (address-space limit per case above the server's own, default 1536).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.paths import ROOT

SERVER = Path(__file__).with_name("fuzz_server.py")
#: Outcome classes, in the order the tally prints them.
CLASSES = ("exit0", "exit1", "exit2", "exit3", "other_exit", "signal", "mem", "hang")


def fuzz_root() -> Path:
    """The checkout whose ``posture`` package is under test."""
    return Path(os.environ.get("POSTURE_FUZZ_ROOT") or ROOT).resolve()


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


TIMEOUT = _env_number("POSTURE_FUZZ_TIMEOUT", 20.0)
MEM_MB = int(_env_number("POSTURE_FUZZ_MEM_MB", 1536))

_NMAP_SHIM = """#!/bin/sh
# fuzz harness: nmap never runs; a scan request is logged as network use
case "$1" in -V|--version) echo "Nmap version 7.93 ( https://nmap.org )"; exit 0;; esac
echo "nmap $*" >> "$POSTURE_FUZZ_NET_LOG"
echo "nmap is disabled by the fuzz harness" >&2
exit 1
"""


@dataclass(frozen=True)
class Case:
    """One input to run: a CLI argv (or an API call), the files it names, where it runs."""

    target: str
    argv: tuple[str, ...] = ()
    api: dict | None = None
    names: tuple[str, ...] = ()       # the fuzzed file: a path or basename the error line must mention
    cwd: str = ""
    env: dict = field(default_factory=dict)
    label: str = ""                   # how the input was made (mutation names), for the report


@dataclass(frozen=True)
class Outcome:
    """What one case did and whether it broke the contract."""

    target: str
    label: str
    klass: str
    rc: int | None
    elapsed: float
    maxrss_mb: float | None
    violations: tuple[str, ...]
    stderr_tail: str

    def record(self) -> dict:
        return {"target": self.target, "label": self.label, "class": self.klass, "rc": self.rc,
                "elapsed": self.elapsed, "maxrss_mb": self.maxrss_mb, "violations": list(self.violations),
                "stderr": self.stderr_tail[-600:]}


class FuzzServer:
    """A warm fork server for one test process (one per xdist worker)."""

    def __init__(self, root: Path | None = None, warm: Sequence[Sequence[str]] = ()) -> None:
        self.root = root or fuzz_root()
        self.scratch = Path(tempfile.mkdtemp(prefix="posture-fuzz-"))
        shim = self.scratch / "bin"
        shim.mkdir()
        (shim / "nmap").write_text(_NMAP_SHIM)
        (shim / "nmap").chmod(0o755)
        self.path_env = f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("POSTURE_")}
        env.update(PYTHONPATH=str(self.root), PYTHONHASHSEED="0", PATH=self.path_env,
                   POSTURE_FUZZ_NET_LOG=str(self.scratch / ".net"), NO_COLOR="1",
                   POSTURE_FUZZ_WARM=json.dumps([list(a) for a in warm]))
        self.proc = subprocess.Popen(
            [sys.executable, str(SERVER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            cwd=str(self.scratch), text=True, bufsize=1)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)

    def run(self, case: Case, timeout: float | None = None, mem_mb: int | None = None) -> Outcome:
        req = {"argv": list(case.argv), "api": case.api, "cwd": case.cwd or str(self.scratch),
               "env": {"POSTURE_FUZZ_NET_LOG": str(self.scratch / ".net"), **case.env},
               "timeout": timeout or TIMEOUT, "mem_mb": (mem_mb or MEM_MB) + _server_vm_mb(self.proc.pid),
               "scratch": str(self.scratch)}
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(req) + "\n")
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"fuzz server died (exit {self.proc.poll()})")
        return classify(case, json.loads(line))


def _server_vm_mb(pid: int) -> int:
    """The server's own virtual size: the child's limit is measured above it (it starts as a copy)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def classify(case: Case, answer: dict) -> Outcome:
    """Sort an answer into one class and list how it broke the contract (empty: it held)."""
    rc, stderr = answer["rc"], answer["stderr"]
    violations: list[str] = []
    if answer["hung"]:
        klass = "hang"
    elif "MemoryError" in stderr or "Cannot allocate memory" in stderr or "std::bad_alloc" in stderr:
        klass = "mem"
    elif rc is not None and rc < 0:
        klass = "signal"
    elif rc in (0, 1, 2, 3):
        klass = f"exit{rc}"
    else:
        klass = "other_exit"
    if klass in ("hang", "mem", "signal", "exit3", "other_exit"):
        violations.append(klass if klass != "other_exit" else f"exit {rc}")
    if "Traceback (most recent call last)" in stderr:
        violations.append("traceback")
    if klass == "exit2":
        errors = [ln for ln in stderr.splitlines() if ln.startswith("posture: error:")]
        if len(errors) != 1:
            violations.append(f"{len(errors)} error lines")
        elif case.names and not any(n in errors[0] for n in case.names):
            violations.append("error line does not name the file")
    if answer.get("net"):
        violations.append("network outside loopback: " + "; ".join(answer["net"][:3]))
    return Outcome(case.target, case.label, klass, rc, answer["elapsed"], answer.get("maxrss_mb"),
                   tuple(violations), stderr[-2000:])
